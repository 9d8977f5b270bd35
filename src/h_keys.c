/*
 * h_keys.c: API keys, one's own (/auth/api-keys/) and anyone's (/admin/api-keys/). The raw key is shown once,
 * at creation; only its SHA-256 is stored, with a fingerprint for display. A key dies when it is revoked or
 * expires, and with its owner's password change, reset, role change, disabling or deletion (the owner's
 * key_epoch moves on, or the row goes): re-enabling the owner revives none. It survives logout. A key cannot
 * create a key (403).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>

#include "gatehouse.h"

/* The fields of the schemas, by position (schemas.c). */
enum { KEY_NAME, KEY_EXPIRES_AT, KEY_SCOPE };	/* ApiKeyCreateRequest */
enum { ADMIN_KEY_USER_ID };	/* AdminApiKeyCreateRequest: user_id, then the fields above */
enum { PAGE_SKIP, PAGE_LIMIT, PAGE_USER_ID };

static void
time_or_null(struct buf *b, int64_t us)
{
	jw_time(b, us);
}

/* ApiKeyListItem (with user_id after id for the admin list). */
static void
key_item_json(struct buf *b, const struct api_key *k, int with_user)
{
	buf_printf(b, "{\"id\":\"%s\",", k->id);
	if (with_user)
		buf_printf(b, "\"user_id\":\"%s\",", k->user_id);
	buf_puts(b, "\"name\":");
	jw_cstr(b, k->name);
	buf_puts(b, ",\"fingerprint\":");
	jw_cstr(b, k->fingerprint);
	buf_puts(b, ",\"is_active\":");
	jw_bool(b, k->is_active);
	buf_puts(b, ",\"expires_at\":");
	time_or_null(b, k->expires_at);
	buf_printf(b, ",\"scope\":\"%s\",\"created_at\":", k->read_only ? "read_only" : "full");
	jw_time(b, k->created_at);
	buf_puts(b, ",\"last_used_at\":");
	time_or_null(b, k->last_used_at);
	buf_putc(b, '}');
}

struct items {
	struct buf	*b;
	int		 n;
	int		 with_user;
};

static int
item_one(void *ctx, const struct api_key *k)
{
	struct items *o = ctx;

	if (o->n++ > 0)
		buf_putc(o->b, ',');
	key_item_json(o->b, k, o->with_user);
	return o->b->failed ? -1 : 0;
}

static enum err
list(struct req *r, struct reply *rep, int64_t uid, int with_user)
{
	struct items	 o = { &rep->body, 0, with_user };
	long long	 total = 0;
	enum db_rc	 rc;

	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"items\":[");
	if (uid >= 0 && (rc = db_key_list(r->arena, uid, r->q[PAGE_SKIP].i, r->q[PAGE_LIMIT].i, item_one, &o,
	    &total)) != DB_OK)
		return db_err(rc);
	buf_printf(&rep->body, "],\"total\":%lld}", total);
	return ERR_OK;
}

enum err
h_keys_list(struct req *r, struct reply *rep)
{
	return list(r, rep, r->who.uid, 0);
}

enum err
h_admin_keys_list(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum db_rc	 rc;
	int64_t		 uid = 0;

	if (r->q[PAGE_USER_ID].present) {
		rc = db_user_get(r->arena, r->q[PAGE_USER_ID].s, &u);
		if (rc != DB_OK && rc != DB_NONE)
			return db_err(rc);
		uid = rc == DB_OK ? u.uid : -1;	/* an unknown user has no keys */
	}
	return list(r, rep, uid, 1);
}

/* Mints a key for owner in the caller's transaction and writes the ApiKeyCreateResponse. */
static enum err
create(struct req *r, struct reply *rep, const struct user *owner, int admin)
{
	struct api_key	 k;
	char		 raw[TOKEN_LEN + 1], fp[64], t[32];
	unsigned char	 digest[32];
	char		*details;
	enum db_rc	 rc;
	long long	 live;
	const struct value *v = admin ? r->v + ADMIN_KEY_USER_ID + 1 : r->v;	/* the ApiKeyCreateRequest fields */

	/* Unbounded keys would be unbounded rows and a key list no owner can review: a cap on live keys, counted
	   in the caller's write transaction so that parallel creates cannot pass it together (OWASP API4:2023). */
	if ((rc = db_key_live_count(owner->uid, r->now, &live)) != DB_OK)
		return db_err(rc);
	if (live >= cfg.max_api_keys)
		return reply_error(rep, ERR_CONFLICT, arena_printf(r->arena, "%s %lld live API keys, the most "
		    "max_api_keys_per_user allows; revoke one first", admin ? "The user already has" : "You already have",
		    live));
	memset(&k, 0, sizeof(k));
	uuid_v7(k.id);
	k.name = v[KEY_NAME].s;
	k.expires_at = v[KEY_EXPIRES_AT].present ? v[KEY_EXPIRES_AT].i : -1;
	k.read_only = v[KEY_SCOPE].i == 1;
	k.created_at = r->now;
	token_new(TOKEN_KEY_PREFIX, raw, digest);
	/* First 8 characters, an ellipsis (U+2026), the last 4: enough to recognise, useless to use. */
	snprintf(fp, sizeof(fp), "%.8s\xe2\x80\xa6%s", raw, raw + TOKEN_LEN - 4);
	k.fingerprint = fp;
	if (k.expires_at >= 0)
		time_iso(k.expires_at, t);
	details = admin ?
	    jw_object(r->arena, "name", k.name, "fingerprint", fp, "target_user_id", owner->id, "expires_at",
	    k.expires_at >= 0 ? t : NULL, "scope", k.read_only ? "read_only" : "full", NULL) :
	    jw_object(r->arena, "name", k.name, "fingerprint", fp, "expires_at", k.expires_at >= 0 ? t : NULL,
	    "scope", k.read_only ? "read_only" : "full", NULL);
	if ((rc = db_key_insert(&k, owner->uid, digest)) != DB_OK ||
	    (rc = audit_log(r, "api_key.create", "api_key", k.id, details)) != DB_OK) {
		wipe(raw, sizeof(raw));
		return db_err(rc);
	}
	reply_json_begin(rep, 201);
	buf_printf(&rep->body, "{\"id\":\"%s\",\"key\":\"%s\",\"fingerprint\":", k.id, raw);
	jw_cstr(&rep->body, fp);
	buf_puts(&rep->body, ",\"name\":");
	jw_cstr(&rep->body, k.name);
	buf_puts(&rep->body, ",\"expires_at\":");
	time_or_null(&rep->body, k.expires_at);
	buf_printf(&rep->body, ",\"scope\":\"%s\",\"created_at\":", k.read_only ? "read_only" : "full");
	jw_time(&rep->body, k.created_at);
	buf_putc(&rep->body, '}');
	wipe(raw, sizeof(raw));
	return ERR_OK;
}

static enum err
commit_or_rollback(enum err e)
{
	enum db_rc rc;

	if (e == ERR_OK && (rc = db_commit()) != DB_OK)
		return db_err(rc);
	if (e != ERR_OK)
		db_rollback();
	return e;
}

/*
 * A key cannot mint a key: a child would outlive its parent's expiry and revocation, so one leaked key would
 * become a permanent one. Keys are created with a session (a password login) only; 403 otherwise.
 */
static int
minted_by_key(struct req *r, struct reply *rep, enum err *e)
{
	if (!r->via_key)
		return 0;
	*e = reply_error(rep, ERR_FORBIDDEN, "API keys cannot create API keys; sign in with a password");
	return 1;
}

enum err
h_keys_create(struct req *r, struct reply *rep)
{
	enum err e;

	if (minted_by_key(r, rep, &e))
		return e;
	if ((e = tx_begin(r, rep)) != ERR_OK)
		return e;
	return commit_or_rollback(create(r, rep, &r->who, 0));
}

enum err
h_admin_keys_create(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum db_rc	 rc;
	enum err	 e;

	if (minted_by_key(r, rep, &e))
		return e;
	if ((e = tx_begin(r, rep)) != ERR_OK)
		return e;
	if ((rc = db_user_get(r->arena, r->v[ADMIN_KEY_USER_ID].s, &u)) != DB_OK)
		e = rc == DB_NONE ? reply_error(rep, ERR_NOT_FOUND, "User not found") : db_err(rc);
	else if (u.status != STATUS_ACTIVE)
		e = reply_error(rep, ERR_CONFLICT, "API keys can only be created for active users");
	else
		e = create(r, rep, &u, 1);
	return commit_or_rollback(e);
}

/* Soft revocation; revoking a revoked key is still 204 and another audit row, as the reference. */
static enum err
revoke(struct req *r, struct reply *rep, int64_t uid, int admin)
{
	struct api_key	 k;
	enum db_rc	 rc;
	enum err	 e;

	if ((e = tx_begin(r, rep)) != ERR_OK)
		return e;
	if ((rc = db_key_get(r->arena, r->id, uid, &k)) != DB_OK)
		e = rc == DB_NONE ? reply_error(rep, ERR_NOT_FOUND, "API key not found") : db_err(rc);
	else if ((rc = db_key_revoke(k.kid)) != DB_OK ||
	    (rc = audit_log(r, "api_key.revoke", "api_key", k.id, admin ?
	    jw_object(r->arena, "name", k.name, "fingerprint", k.fingerprint, "target_user_id", k.user_id, NULL) :
	    jw_object(r->arena, "name", k.name, "fingerprint", k.fingerprint, NULL))) != DB_OK)
		e = db_err(rc);
	else {
		reply_json_begin(rep, 204);
		e = ERR_OK;
	}
	return commit_or_rollback(e);
}

enum err
h_keys_delete(struct req *r, struct reply *rep)
{
	return revoke(r, rep, r->who.uid, 0);
}

enum err
h_admin_keys_delete(struct req *r, struct reply *rep)
{
	return revoke(r, rep, 0, 1);
}
