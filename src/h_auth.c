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
enum { LOGIN_GRANT_TYPE, LOGIN_USERNAME, LOGIN_PASSWORD };

/* An API key: "gak_" and 43 base64url characters; the key, its owner and the epoch must all be live. */
static int
key_resolve(struct req *r, const char *key, size_t len)
{
	struct api_key	 k;
	unsigned char	 digest[32];
	enum db_rc	 rc;

	if (len != TOKEN_LEN || strncmp(key, TOKEN_KEY_PREFIX, strlen(TOKEN_KEY_PREFIX)) != 0)
		return 0;
	token_digest(key, len, digest);
	if ((rc = db_key_by_digest(r->arena, digest, &k, &r->who)) != DB_OK)
		return rc == DB_NONE ? 0 : -1;
	if (!k.is_active || !k.epoch_ok || (k.expires_at >= 0 && k.expires_at <= r->now) ||
	    r->who.status != STATUS_ACTIVE)
		return 0;
	/* last_used_at moves at most once a minute: a read does not become a write every time. */
	if (k.last_used_at < 0 || r->now - k.last_used_at > 60 * 1000000LL)
		(void)db_key_touch(k.kid, r->now);
	r->via_key = 1;
	r->key_read_only = k.read_only;
	memcpy(r->cred_digest, digest, sizeof(digest));
	return 1;
}

/*
 * Credentials in the contract's order: X-Api-Key, then ?api_key= (deprecated, can be switched off), then
 * "Authorization: Bearer <token>" (scheme compared case-insensitively, the rest trimmed). A key that does not
 * resolve falls through to the bearer token; a read-only key on a write is refused outright. With lenient set
 * (logout), an expired access token still names its user. Every request reads live status and roles, so
 * disabling a user or changing a role takes effect on the very next request.
 */
static int
resolve(struct req *r, struct reply *rep, enum err *e, int lenient)
{
	const char	*h = r->authorization, *sp, *t, *key = NULL;
	size_t		 tlen, klen = 0;
	unsigned char	 digest[32];
	int64_t		 expires;
	enum db_rc	 rc;
	int		 k;

	*e = ERR_UNAUTHORIZED;
	if (r->api_key != NULL && r->api_key[0] != '\0') {
		key = r->api_key;
		klen = strlen(key);
	} else if (cfg.api_key_query)
		(void)query_get(r, "api_key", &key, &klen);
	if (key != NULL && (k = key_resolve(r, key, klen)) != 0) {
		if (k == -1) {
			*e = ERR_UNAVAILABLE;
			return -1;
		}
		if (r->key_read_only && r->method != M_GET && r->method != M_HEAD && r->method != M_OPTIONS) {
			*e = reply_error(rep, ERR_FORBIDDEN, "This API key is read-only");
			return -1;
		}
		r->authed = 1;
		*e = ERR_OK;
		return 0;
	}
	if (h == NULL || (sp = strchr(h, ' ')) == NULL || (size_t)(sp - h) != 6 || strncasecmp(h, "bearer", 6) != 0) {
		/* No bearer token at all: the site session cookie, where the route accepts it. */
		if ((k = site_resolve(r, rep, e)) != 1)
			return -1;
		r->authed = 1;
		*e = ERR_OK;
		return 0;
	}
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
	if (expires <= r->now && !lenient) {
		*e = ERR_TOKEN_EXPIRED;
		return -1;
	}
	memcpy(r->cred_digest, digest, sizeof(digest));
	r->authed = 1;
	*e = ERR_OK;
	return 0;
}

int
auth_resolve(struct req *r, struct reply *rep, enum err *e)
{
	return resolve(r, rep, e, 0);
}

/*
 * Inside the caller's write transaction: the caller's credential (access token, API key or site session) is still live, its
 * owner still active and still granted the route's capability. A request authenticated before a revocation that
 * committed since (password change, reset, disabling, deletion, role change) would otherwise write after it, and
 * could mint a credential that outlives it. It gets the answer it would get a moment later: 401, or 403 for a
 * capability lost. r->who is refreshed from the same read. Unauthenticated requests and gatehousectl's pass.
 */
enum err
auth_recheck(struct req *r, struct reply *rep)
{
	struct api_key	 k;
	struct user	 u;
	int64_t		 expires;
	enum db_rc	 rc;

	if (!r->authed || r->cli_actor != NULL)
		return ERR_OK;	/* the operator at the console (gatehousectl) holds no credential to lose */
	if (r->via_key) {
		rc = db_key_by_digest(r->arena, r->cred_digest, &k, &u);
		if (rc == DB_OK && (!k.is_active || !k.epoch_ok || (k.expires_at >= 0 && k.expires_at <= r->now)))
			rc = DB_NONE;
	} else if (r->via_site)
		rc = site_recheck(r, &u);
	else if ((rc = db_user_by_access(r->arena, r->cred_digest, &u, &expires)) == DB_OK && expires <= r->now)
		return ERR_TOKEN_EXPIRED;
	if (rc == DB_NONE || (rc == DB_OK && u.status != STATUS_ACTIVE))
		return ERR_UNAUTHORIZED;
	if (rc != DB_OK)
		return db_err(rc);
	if (!cap_granted(u.roles, r->cap))
		return reply_error(rep, ERR_FORBIDDEN, arena_printf(r->arena, "Missing permission: %s",
		    cap_name(r->cap)));
	r->who = u;
	return ERR_OK;
}

/* BEGIN IMMEDIATE, then auth_recheck; on any error nothing is left open. */
enum err
tx_begin(struct req *r, struct reply *rep)
{
	enum db_rc	 rc;
	enum err	 e;

	if ((rc = db_begin()) != DB_OK)
		return db_err(rc);
	if ((e = auth_recheck(r, rep)) != ERR_OK)
		db_rollback();
	return e;
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
	buf_puts(b, status_wire(u->status, u->disabled_as));
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
/*
 * Whether a password guess by this name from this client may go ahead: ERR_OK, or 429 with Retry-After (or 503).
 * Login and change-password both call this, so their failures count together (throttle.c has the design).
 */
static enum err
guess_blocked(struct req *r, struct reply *rep, const char *name, size_t len)
{
	long		 wait;
	enum db_rc	 rc;

	/* The guess is counted before the hash, in the transaction that checked the block: otherwise each worker
	   could pass the check before any of them counted, and `workers` guesses more would slip past the limit.
	   A success gives its count back (throttle_login_succeeded). A guess that cannot be counted is not made:
	   503 with Retry-After (fail closed, OWASP Authentication cheat sheet). */
	if ((rc = db_begin()) != DB_OK)
		return ERR_UNAVAILABLE;
	if ((wait = throttle_login_check(r, name, len)) == 0) {
		if ((rc = throttle_login_failed(r, name, len)) != DB_OK || (rc = db_commit()) != DB_OK) {
			db_rollback();
			log_warn("cannot count a password guess; refused");
			return ERR_UNAVAILABLE;
		}
		return ERR_OK;
	}
	db_rollback();
	if (wait < 0)
		return ERR_UNAVAILABLE;
	r->event = "login.throttled";
	r->event_name = name;
	return throttle_refuse(r, rep, wait, "Too many failed logins");
}

/*
 * A failed password guess (login, change-password) leaves an audit row of its own, in a transaction apart from
 * the request's (the request fails, the row stays); guess_blocked counted it already. ERR_OK, or 503 when the
 * row cannot be written (an unaudited guess is not answered as an ordinary failure).
 */
static enum err
guess_failed(struct req *r, const struct user *who, const char *action, const char *resource_id,
    const char *details, const char *name, size_t len)
{
	enum db_rc rc;

	(void)name;
	(void)len;
	if ((rc = db_begin()) != DB_OK ||
	    (rc = audit_log_as(r, who, action, "user", resource_id, details)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		log_warn("cannot record a failed password guess (%s)", action);
		return ERR_UNAVAILABLE;
	}
	return ERR_OK;
}

static enum err
login_failed(struct req *r, const struct user *who, const char *name, size_t len, const char *reason)
{
	size_t i = 0, cps = 0;

	/* The name as typed, at most 150 code points; never the password. */
	while (i < len && cps++ < 150)
		for (i++; i < len && ((unsigned char)name[i] & 0xc0) == 0x80; i++)
			;
	if (guess_failed(r, who, "user.login.failure", NULL,
	    jw_object(r->arena, "username", arena_strndup(r->arena, name, i), "reason", reason, NULL), name, len)
	    != ERR_OK)
		return ERR_UNAVAILABLE;
	return ERR_LOGIN_FAILED;
}

/*
 * Cookies (RFC 6265 §4.1), attributes in the order Starlette writes them. Over https (HTTPS=on from the server)
 * they carry Secure. max_age < 0 writes a deletion: an empty value, Max-Age=0 and an expiry at the epoch.
 */
void
cookie_set(struct req *r, struct reply *rep, const char *name, const char *value, long max_age, const char *path,
    int httponly)
{
	if (max_age < 0)
		buf_printf(&rep->hdr, "Set-Cookie: %s=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT", name);
	else
		buf_printf(&rep->hdr, "Set-Cookie: %s=%s", name, value);
	if (httponly)
		buf_puts(&rep->hdr, "; HttpOnly");
	buf_printf(&rep->hdr, "; Max-Age=%ld; Path=%s; SameSite=lax%s\r\n", max_age < 0 ? 0 : max_age, path,
	    r->secure ? "; Secure" : "");
}

/*
 * The mount point as a cookie path: SCRIPT_NAME when it is a plain absolute path (nginx's fastcgi_split_path_info
 * makes it "/api"), else "" so the cookie falls back to the widest path rather than carry a stray character into
 * the header. When the server rewrote the URL, SCRIPT_NAME is not what the browser asked for (Apache's .htaccess
 * runs /api/auth/login as /api.cgi with PATH_INFO /auth/login, and a cookie for /api.cgi/auth never came back):
 * then the mount is the request URI's path without PATH_INFO at its end (RFC 3875 §4.1.5, §4.1.13).
 */
const char *
mount_path(const struct req *r)
{
	const char *s = r->env != NULL ? r->env->script_name : NULL;
	const char *u = r->env != NULL ? r->env->request_uri : NULL, *p = r->env != NULL ? r->env->path_info : NULL;

	if (s != NULL && u != NULL && p != NULL && p[0] == '/' && strncmp(u, s, strlen(s)) != 0) {
		size_t ulen = strcspn(u, "?"), plen = strlen(p);

		if (ulen > plen && memcmp(u + ulen - plen, p, plen) == 0)
			s = arena_strndup(r->arena, u, ulen - plen);
	}

	if (s == NULL || s[0] != '/' || strlen(s) > 200 ||
	    s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._~-")] != '\0')
		return "";
	return s[1] == '\0' ? "" : s;
}

/* The reference's browser mode (§2.12): X-GeoLens-Auth-Mode: cookie, trimmed and case-folded. */
static int
cookie_mode(const struct req *r)
{
	return r->env != NULL && header_is(r->env->auth_mode, "cookie");
}

#define REFRESH_COOKIE	"geolens_refresh"
#define CSRF_COOKIE	"geolens_csrf"

/* The refresh cookie's path: <mount>/auth, as the reference's /api/auth. */
static const char *
refresh_cookie_path(struct req *r)
{
	return arena_printf(r->arena, "%s/auth", mount_path(r));
}

/* Sets geolens_refresh (HttpOnly, <mount>/auth) and a fresh geolens_csrf (readable by scripts, Path=/). */
static void
cookie_mode_set(struct req *r, struct reply *rep, const char *refresh, long max_age)
{
	unsigned char	 raw[32];
	char		 csrf[48];

	random_bytes(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), csrf, sizeof(csrf));
	cookie_set(r, rep, REFRESH_COOKIE, refresh, max_age, refresh_cookie_path(r), 1);
	cookie_set(r, rep, CSRF_COOKIE, csrf, max_age, "/", 0);
	wipe(raw, sizeof(raw));
}

/* Logout's deletions of both cookies, sent whatever the caller is (reference §5.3). */
static void
cookie_mode_clear(struct req *r, struct reply *rep)
{
	cookie_set(r, rep, REFRESH_COOKIE, NULL, -1, refresh_cookie_path(r), 1);
	cookie_set(r, rep, CSRF_COOKIE, NULL, -1, "/", 0);
}

/*
 * The double-submit check of cookie mode (OWASP CSRF cheat sheet, "signed double-submit" without the signature,
 * as the reference): the X-CSRF-Token header must equal the geolens_csrf cookie, compared in constant time.
 * ERR_OK, or 403 Missing CSRF token / Invalid CSRF token.
 */
static enum err
csrf_check(struct req *r, struct reply *rep)
{
	const char	*h = r->env != NULL ? r->env->csrf_token : NULL, *c = NULL;
	size_t		 clen = 0, hlen;

	if (h == NULL || *h == '\0' || cookie_get(r->env->cookie, CSRF_COOKIE, &c, &clen) != 1 || clen == 0)
		return reply_error(rep, ERR_FORBIDDEN, "Missing CSRF token");
	hlen = strlen(h);
	if (hlen != clen || !ct_equal(h, c, clen))
		return reply_error(rep, ERR_FORBIDDEN, "Invalid CSRF token");
	return ERR_OK;
}

/*
 * The refresh cookie, when exactly one is sent (two of that name count as none). 1 and the token in *tok (arena)
 * once the CSRF check passed; 0 when there is no cookie; -1 with *e set when the CSRF check failed.
 */
static int
refresh_cookie(struct req *r, struct reply *rep, const char **tok, size_t *len, enum err *e)
{
	const char	*v;
	size_t		 n;

	if (r->env == NULL || cookie_get(r->env->cookie, REFRESH_COOKIE, &v, &n) != 1 || n == 0)
		return 0;
	if ((*e = csrf_check(r, rep)) != ERR_OK)
		return -1;
	*tok = arena_strndup(r->arena, v, n);
	*len = n;
	return *tok != NULL ? 1 : 0;
}

/* The end of a login that began at login_at (microseconds): login_absolute_lifetime later. */
static int64_t
login_end(int64_t login_at)
{
	return login_at + (int64_t)cfg.login_ttl * 1000000;
}

/*
 * A new access and refresh token pair for u, written in the caller's transaction; the body is the TokenResponse.
 * In cookie mode the refresh token goes into its cookie instead of the body. login_at is when the password login
 * that began this chain of refreshes happened: neither token outlives login_absolute_lifetime from there (OWASP
 * Session Management Cheat Sheet, absolute timeout), however often the refresh token slid forward.
 */
static enum db_rc
mint_pair(struct req *r, struct reply *rep, const struct user *u, int64_t family, int64_t login_at)
{
	char		 access[TOKEN_LEN + 1], refresh[TOKEN_LEN + 1];
	unsigned char	 ad[32], rd[32];
	int64_t		 end = login_end(login_at);
	int64_t		 access_exp = r->now + (int64_t)cfg.access_ttl * 1000000;
	int64_t		 refresh_exp = r->now + (int64_t)cfg.refresh_ttl * 1000000;
	enum db_rc	 rc;

	if (access_exp > end)
		access_exp = end;
	if (refresh_exp > end)
		refresh_exp = end;
	token_new(TOKEN_ACCESS_PREFIX, access, ad);
	token_new(TOKEN_REFRESH_PREFIX, refresh, rd);
	rc = db_session_insert(u->uid, ad, access_exp, rd, refresh_exp, r->now, family, login_at);
	if (rc == DB_OK) {
		reply_json_begin(rep, 200);
		buf_printf(&rep->body, "{\"access_token\":\"%s\",\"refresh_token\":", access);
		if (cookie_mode(r)) {
			buf_puts(&rep->body, "null");
			cookie_mode_set(r, rep, refresh, (long)((refresh_exp - r->now) / 1000000));
		} else
			buf_printf(&rep->body, "\"%s\"", refresh);
		buf_printf(&rep->body, ",\"token_type\":\"bearer\",\"expires_in\":%ld}",
		    (long)((access_exp - r->now) / 1000000));
	}
	wipe(access, sizeof(access));
	wipe(refresh, sizeof(refresh));
	return rc;
}

/*
 * POST /auth/login. The password is checked before the account state, and every failing branch before that
 * point costs exactly one hash, so timing does not tell an unknown name from a wrong password, a pending or a
 * disabled account. A hash made with another method or cost is replaced on success. The write lock is taken
 * only after hashing; under it the credential epoch is read again, and a password change, reset, disabling or
 * role change that committed meanwhile sends the login back to the start (a deletion answers as an unknown
 * name), so no session is minted from facts that no longer hold.
 */
enum err
h_login(struct req *r, struct reply *rep)
{
	const struct value	*name = &r->v[LOGIN_USERNAME], *pw = &r->v[LOGIN_PASSWORD];
	struct user		 u;
	char			 newhash[CRYPT_OUTPUT_SIZE], *rehash;
	int64_t			 epoch;
	int			 tries = 0;
	enum db_rc		 rc;
	enum err		 e;

	if ((e = guess_blocked(r, rep, name->s, name->len)) != ERR_OK)
		return e;
again:
	rehash = NULL;
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

	if ((rc = db_begin()) != DB_OK) {
		wipe(newhash, sizeof(newhash));
		return db_err(rc);
	}
	if ((rc = db_user_epoch(u.uid, &epoch)) != DB_OK || epoch != u.epoch) {
		db_rollback();
		wipe(newhash, sizeof(newhash));
		if (rc == DB_NONE)
			return login_failed(r, NULL, name->s, name->len, "invalid_credentials");
		if (rc != DB_OK)
			return db_err(rc);
		if (++tries < 3)
			goto again;
		return ERR_LOGIN_FAILED;	/* the account keeps changing under this login */
	}
	if ((rc = db_user_set_login(u.uid, r->now, rehash, u.password_hash)) != DB_OK ||
	    (rc = throttle_login_succeeded(r, name->s, name->len)) != DB_OK ||
	    (rc = site_mode(r) ? site_mint(r, rep, &u) : mint_pair(r, rep, &u, 0, r->now)) != DB_OK ||
	    (rc = audit_log_as(r, &u, "user.login.success", "user", NULL, NULL)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		wipe(newhash, sizeof(newhash));
		return db_err(rc);
	}
	wipe(newhash, sizeof(newhash));
	if (rehash != NULL)
		log_info("password hash of user %s upgraded to the configured cost", u.id);
	return ERR_OK;
}

/* GET /auth/me/permissions/: every capability, in the reference's order, from the configured matrix. */
enum err
h_permissions(struct req *r, struct reply *rep)
{
	int c;

	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"permissions\":{");
	for (c = CAP_UPLOAD; c < CAP__MAX; c++)
		buf_printf(&rep->body, "%s\"%s\":%s", c == CAP_UPLOAD ? "" : ",", cap_name((enum cap)c),
		    cap_granted(r->who.roles, (enum cap)c) ? "true" : "false");
	buf_puts(&rep->body, "}}");
	return ERR_OK;
}

/* GET /auth/config/: public; the HEAD fields, with what this service offers. */
enum err
h_config(struct req *r, struct reply *rep)
{
	(void)r;
	reply_json_begin(rep, 200);
	buf_printf(&rep->body, "{\"registration_enabled\":%s,\"allow_signup\":%s,\"email_verification_required\":false,"
	    "\"auth_methods\":[],\"landing_first\":false,\"banner_enabled\":false,\"banner_text\":\"\","
	    "\"banner_color\":\"warning\",\"password_login_enabled\":true}",
	    cfg.registration ? "true" : "false", cfg.registration ? "true" : "false");
	return ERR_OK;
}

/* A refresh token (cookie or body), when it is one; 1 and the session, 0 when it names nothing live. */
static int
refresh_lookup(struct req *r, const char *tok, size_t len, struct session *se, struct user *u, enum err *e)
{
	unsigned char	 digest[32];
	enum db_rc	 rc;

	*e = ERR_REFRESH_INVALID;
	if (tok == NULL || len != TOKEN_LEN || strncmp(tok, TOKEN_REFRESH_PREFIX, 4) != 0)
		return 0;
	token_digest(tok, len, digest);
	if ((rc = db_session_by_refresh(r->arena, digest, se, u)) != DB_OK) {
		if (rc != DB_NONE)
			*e = db_err(rc);
		return 0;
	}
	return !se->revoked && se->refresh_expires_at > r->now && login_end(se->login_at) > r->now &&
	    u->status == STATUS_ACTIVE;
}

/*
 * POST /auth/refresh/: rotation with reuse detection. A rotated refresh token keeps working for
 * refresh_reuse_grace seconds (several tabs refreshing at once); presented later, it is taken as stolen and
 * every session of that login is revoked.
 */
enum err
h_refresh(struct req *r, struct reply *rep)
{
	const struct value	*body = &r->v[0];
	const char		*tok = body->present ? body->s : NULL;
	size_t			 len = body->present ? body->len : 0;
	struct session		 se;
	struct user		 u;
	enum db_rc		 rc;
	enum err		 e;

	/* Cookie mode: the cookie first (with its CSRF check), then the body token (reference §5.2). */
	if (cookie_mode(r) && refresh_cookie(r, rep, &tok, &len, &e) == -1)
		return e;
	if ((rc = db_begin()) != DB_OK)
		return db_err(rc);
	if (!refresh_lookup(r, tok, len, &se, &u, &e)) {
		db_rollback();
		return e;
	}
	if (se.rotated_at >= 0 && r->now > se.rotated_at + (int64_t)cfg.refresh_grace * 1000000) {
		if ((rc = db_sessions_revoke_family(se.family, r->now)) != DB_OK ||
		    (rc = audit_log_as(r, &u, "user.refresh.reuse_detected", "user", u.id, NULL)) != DB_OK ||
		    (rc = db_commit()) != DB_OK) {
			db_rollback();
			return db_err(rc);
		}
		log_warn("refresh token reuse for user %s: every session of that login revoked", u.id);
		return ERR_REFRESH_INVALID;
	}
	if ((rc = db_session_rotate(se.id, r->now)) != DB_OK || (rc = mint_pair(r, rep, &u, se.family, se.login_at)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		return db_err(rc);
	}
	return ERR_OK;
}

/*
 * POST /auth/logout/: any credential that names a user (an expired access token too, the refresh cookie after its
 * CSRF check, or a refresh token in the body) revokes every session of that user. API keys survive. A dead
 * cookie does not shadow a live body token. The cookies' deletions are always sent (reference §5.3).
 */
enum err
h_logout(struct req *r, struct reply *rep)
{
	const struct value	*body = &r->v[0];
	const char		*tok = NULL;
	size_t			 len = 0;
	struct session		 se;
	struct user		 u;
	enum db_rc		 rc;
	enum err		 e;
	int			 c, found;

	if (resolve(r, rep, &e, 1) == 0)
		u = r->who;
	else if (e == ERR_FORBIDDEN || e == ERR_UNAVAILABLE)
		return e;
	else {
		if ((c = refresh_cookie(r, rep, &tok, &len, &e)) == -1)
			return e;
		found = c == 1 && refresh_lookup(r, tok, len, &se, &u, &e);
		if (!found && e != ERR_UNAVAILABLE)
			found = refresh_lookup(r, body->present ? body->s : NULL, body->len, &se, &u, &e);
		if (!found)
			return e == ERR_UNAVAILABLE ? e : ERR_NOT_AUTHENTICATED;
	}
	if ((rc = db_begin()) != DB_OK)
		return db_err(rc);
	if ((rc = db_user_revoke(u.uid, NULL, r->now)) != DB_OK ||
	    (rc = audit_log_as(r, &u, "user.logout", "user", NULL, NULL)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		return db_err(rc);
	}
	reply_json_begin(rep, 204);
	cookie_mode_clear(r, rep);
	site_clear(r, rep);
	return ERR_OK;
}

/*
 * POST /auth/change-password/: the current password proven; the new one revokes every session and API key. A
 * wrong current password is a password guess: throttled with login's counters (429 with Retry-After) and audited
 * as user.change_password.failure. Under the write lock the caller's credential and the credential epoch are read
 * again: a reset, another change or a disabling that committed since the check wins (401, or the check again).
 */
enum err
h_change_password(struct req *r, struct reply *rep)
{
	const struct value	*cur = &r->v[0], *nw = &r->v[1];
	struct user		 u;
	char			 hash[CRYPT_OUTPUT_SIZE];
	const char		*name = r->who.username;
	int64_t			 epoch;
	int			 tries = 0;
	enum db_rc		 rc;
	enum err		 e;

	if ((e = guess_blocked(r, rep, name, strlen(name))) != ERR_OK)
		return e;
again:
	if ((rc = db_user_by_login(r->arena, name, strlen(name), &u)) != DB_OK)
		return rc == DB_NONE ? ERR_UNAUTHORIZED : db_err(rc);
	/* A reset, change or disabling that committed since this request was authenticated ended its session:
	   401, not a verdict on a password the caller typed against the old one. */
	if (u.epoch != r->who.epoch)
		return ERR_UNAUTHORIZED;
	if (!password_verify(cur->s, cur->len, u.password_hash)) {
		if (guess_failed(r, &u, "user.change_password.failure", u.id,
		    jw_object(r->arena, "reason", "invalid_current_password", NULL), name, strlen(name)) != ERR_OK)
			return ERR_UNAVAILABLE;
		return reply_error(rep, ERR_BAD_REQUEST, "Current password is incorrect");
	}
	if (password_hash(nw->s, nw->len, cfg.hash_cost, hash, sizeof(hash)) == -1)
		return ERR_UNAVAILABLE;
	if ((e = tx_begin(r, rep)) != ERR_OK) {
		wipe(hash, sizeof(hash));
		return e;
	}
	if ((rc = db_user_epoch(u.uid, &epoch)) != DB_OK || epoch != u.epoch) {
		db_rollback();
		wipe(hash, sizeof(hash));
		if (rc != DB_OK)
			return rc == DB_NONE ? ERR_UNAUTHORIZED : db_err(rc);
		if (++tries < 3)
			goto again;
		return ERR_UNAUTHORIZED;
	}
	if ((rc = db_user_revoke(u.uid, hash, r->now)) != DB_OK ||
	    (rc = throttle_login_succeeded(r, name, strlen(name))) != DB_OK ||
	    (rc = audit_log(r, "user.change_password", "user", u.id, NULL)) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		wipe(hash, sizeof(hash));
		return db_err(rc);
	}
	wipe(hash, sizeof(hash));
	reply_json_begin(rep, 204);
	if (r->via_site)
		site_clear(r, rep);
	return ERR_OK;
}

/*
 * POST /auth/register/: off unless the configuration opens it. Creates a pending user with no role. The answer
 * is the same whether or not the name or email was taken, and both paths cost one hash.
 */
enum err
h_register(struct req *r, struct reply *rep)
{
	struct user	 u;
	char		 hash[CRYPT_OUTPUT_SIZE];
	enum db_rc	 rc;

	if (!cfg.registration)
		return reply_error(rep, ERR_FORBIDDEN, "Registration is disabled");
	memset(&u, 0, sizeof(u));
	u.username = (char *)r->v[0].s;
	u.email = r->v[2].present ? (char *)r->v[2].s : NULL;
	u.status = STATUS_PENDING;
	u.created_at = r->now;
	if (password_hash(r->v[1].s, r->v[1].len, cfg.hash_cost, hash, sizeof(hash)) == -1)
		return ERR_UNAVAILABLE;
	if ((rc = db_begin()) != DB_OK) {
		wipe(hash, sizeof(hash));
		return db_err(rc);
	}
	rc = db_user_insert(r->arena, &u, hash);
	if (rc == DB_OK)
		rc = audit_log_as(r, &u, "user.register", "user", u.id,
		    jw_object(r->arena, "username", u.username, "email", u.email, NULL));
	if (rc == DB_OK)
		rc = db_commit();
	else
		db_rollback();
	wipe(hash, sizeof(hash));
	if (rc != DB_OK && rc != DB_EXISTS_USERNAME && rc != DB_EXISTS_EMAIL)
		return db_err(rc);
	reply_json_begin(rep, 201);
	buf_puts(&rep->body, "{\"message\":\"Registration submitted. Your account is awaiting admin approval.\","
	    "\"next_step\":\"await_approval\"}");
	return ERR_OK;
}
