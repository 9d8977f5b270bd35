/*
 * h_auth.c: credentials. Resolving the bearer token of a request (every protected route), POST /auth/login and
 * GET /auth/me/.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <crypt.h>

#include "gatehouse.h"

/* The fields of schema_login, by position. */
enum { LOGIN_USERNAME, LOGIN_PASSWORD };

/*
 * "Authorization: Bearer <token>": the scheme compared case-insensitively, the rest trimmed (reference §2.1).
 * Every protected request reads the user's live status and roles, so disabling a user or changing a role takes
 * effect on the very next request.
 */
int
auth_resolve(struct req *r, struct reply *rep, enum err *e)
{
	const char	*h = r->authorization, *sp, *t;
	size_t		 tlen;
	unsigned char	 digest[32];
	int64_t		 expires;
	enum db_rc	 rc;

	(void)rep;
	*e = ERR_UNAUTHORIZED;
	if (h == NULL || (sp = strchr(h, ' ')) == NULL || (size_t)(sp - h) != 6 || strncasecmp(h, "bearer", 6) != 0)
		return -1;
	t = sp + 1;
	while (*t == ' ' || *t == '\t')
		t++;
	tlen = strlen(t);
	while (tlen > 0 && (t[tlen - 1] == ' ' || t[tlen - 1] == '\t'))
		tlen--;
	if (tlen != TOKEN_LEN || strncmp(t, TOKEN_ACCESS_PREFIX, strlen(TOKEN_ACCESS_PREFIX)) != 0)
		return -1;
	token_digest(t, tlen, digest);
	rc = db_user_by_access(r->arena, digest, &r->who, &expires);
	if (rc != DB_OK) {
		if (rc != DB_NONE)
			*e = db_err(rc);
		return -1;
	}
	if (r->who.status != STATUS_ACTIVE)
		return -1;
	if (expires <= r->now) {
		*e = ERR_TOKEN_EXPIRED;
		return -1;
	}
	r->authed = 1;
	*e = ERR_OK;
	return 0;
}

/* UserResponse, keys in the reference's order; roles sorted by code point (role ids are in that order). */
void
user_json(struct buf *b, const struct user *u, int with_quota)
{
	int r, first = 1;

	buf_puts(b, "{\"id\":\"");
	buf_puts(b, u->id);
	buf_puts(b, "\",\"username\":");
	jw_cstr(b, u->username);
	buf_puts(b, ",\"email\":");
	jw_cstr(b, u->email);
	buf_puts(b, ",\"is_active\":");
	jw_bool(b, u->status == STATUS_ACTIVE);
	buf_puts(b, ",\"status\":\"");
	buf_puts(b, status_name(u->status));
	buf_puts(b, "\",\"last_login_at\":");
	jw_time(b, u->last_login_at);
	buf_puts(b, ",\"created_at\":");
	jw_time(b, u->created_at);
	buf_puts(b, ",\"roles\":[");
	for (r = 1; r < ROLE__MAX; r++) {
		if (!(u->roles & ROLE_BIT(r)))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_putc(b, '"');
		buf_puts(b, role_name((enum role)r));
		buf_putc(b, '"');
	}
	/* No datasets here: the list shows an empty quota (caps of 0 mean unlimited), other views null. */
	if (with_quota)
		buf_puts(b, "],\"quota_usage\":{\"bytes_used\":0,\"dataset_count\":0,\"storage_cap\":0,"
		    "\"count_cap\":0}}");
	else
		buf_puts(b, "],\"quota_usage\":null}");
}

enum err
h_me(struct req *r, struct reply *rep)
{
	reply_json_begin(rep, 200);
	user_json(&rep->body, &r->who, 0);
	return ERR_OK;
}

/*
 * POST /auth/login. The password is checked before the account state, and every failing branch before that
 * point costs exactly one hash, so timing does not tell an unknown name from a wrong password. A hash made with
 * another method or cost is replaced on success. The write lock is taken only after hashing.
 */
/* A failed login leaves an audit row of its own (the request fails, the row stays). */
static enum err
login_failed(struct req *r, const struct user *who, const char *name, size_t len, const char *reason)
{
	char		*details;
	enum db_rc	 rc;
	size_t		 i = 0, cps = 0;

	/* The name as typed, at most 150 code points; never the password. */
	while (i < len && cps++ < 150)
		for (i++; i < len && ((unsigned char)name[i] & 0xc0) == 0x80; i++)
			;
	len = i;
	details = jw_object(r->arena, "username", arena_strndup(r->arena, name, len), "reason", reason, NULL);
	if ((rc = db_begin()) != DB_OK ||
	    (rc = audit_log_as(r, who, "user.login.failure", "user", NULL, details)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		log_warn("cannot record a failed login: the audit row was not written");
	}
	return ERR_LOGIN_FAILED;
}

/*
 * POST /auth/login. The password is checked before the account state, and every failing branch before that
 * point costs exactly one hash, so timing does not tell an unknown name from a wrong password. A hash made with
 * another method or cost is replaced on success. The write lock is taken only after hashing.
 */
enum err
h_login(struct req *r, struct reply *rep)
{
	const struct value	*name = &r->v[LOGIN_USERNAME], *pw = &r->v[LOGIN_PASSWORD];
	struct user		 u;
	char			 access[TOKEN_LEN + 1], refresh[TOKEN_LEN + 1];
	char			 newhash[CRYPT_OUTPUT_SIZE], *rehash = NULL;
	unsigned char		 ad[32], rd[32];
	enum db_rc		 rc;

	/* No stored name holds a NUL (control characters are refused), so such a name is unknown. */
	rc = memchr(name->s, '\0', name->len) != NULL ? DB_NONE : db_user_by_login(r->arena, name->s, name->len, &u);
	if (rc == DB_NONE) {
		password_dummy_verify(pw->s, pw->len, cfg.hash_cost);
		return login_failed(r, NULL, name->s, name->len, "invalid_credentials");
	}
	if (rc != DB_OK)
		return db_err(rc);
	if (!password_verify(pw->s, pw->len, u.password_hash))
		return login_failed(r, NULL, name->s, name->len, "invalid_credentials");
	if (u.status == STATUS_PENDING) {
		login_failed(r, &u, name->s, name->len, "pending_approval");
		return reply_error(rep, ERR_FORBIDDEN, "Your account is awaiting approval");
	}
	if (u.status != STATUS_ACTIVE) {
		login_failed(r, &u, name->s, name->len, "account_not_active");
		return reply_error(rep, ERR_FORBIDDEN, "Account not active");
	}
	if (password_needs_rehash(u.password_hash, cfg.hash_cost) &&
	    password_hash(pw->s, pw->len, cfg.hash_cost, newhash, sizeof(newhash)) == 0)
		rehash = newhash;

	token_new(TOKEN_ACCESS_PREFIX, access, ad);
	token_new(TOKEN_REFRESH_PREFIX, refresh, rd);
	if ((rc = db_begin()) != DB_OK)
		return db_err(rc);
	if ((rc = db_user_set_login(u.uid, r->now, rehash)) != DB_OK ||
	    (rc = db_session_insert(u.uid, ad, r->now + (int64_t)cfg.access_ttl * 1000000, rd,
	    r->now + (int64_t)cfg.refresh_ttl * 1000000, r->now)) != DB_OK ||
	    (rc = audit_log_as(r, &u, "user.login.success", "user", NULL, NULL)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		wipe(newhash, sizeof(newhash));
		return db_err(rc);
	}
	wipe(newhash, sizeof(newhash));
	if (rehash != NULL)
		log_info("password hash of user %s upgraded to the configured cost", u.id);

	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"access_token\":\"");
	buf_puts(&rep->body, access);
	buf_puts(&rep->body, "\",\"refresh_token\":\"");
	buf_puts(&rep->body, refresh);
	buf_printf(&rep->body, "\",\"token_type\":\"bearer\",\"expires_in\":%ld}", cfg.access_ttl);
	wipe(access, sizeof(access));
	wipe(refresh, sizeof(refresh));
	return ERR_OK;
}
