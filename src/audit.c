/*
 * audit.c: the audit trail. Every row is written in the transaction of the change it records, and carries the
 * SHA-256 of its predecessor's digest together with its own fields, so editing, deleting or reordering a row
 * breaks the chain at that point; audit_verify (gatehousectl verify-audit) says where. Rows never hold a
 * secret: callers pass only names, ids, roles and reasons.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "gatehouse.h"

/* Each field as a presence byte, an 8-byte big-endian length and its bytes: no two rows encode alike. */
static void
put_field(crypto_hash_sha256_state *h, const char *s, size_t n, int present)
{
	unsigned char	 hdr[9];
	int		 i;

	hdr[0] = (unsigned char)present;
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	crypto_hash_sha256_update(h, hdr, sizeof(hdr));
	if (present && n > 0)
		crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

static void
put_str(crypto_hash_sha256_state *h, const char *s)
{
	put_field(h, s, s != NULL ? strlen(s) : 0, s != NULL);
}

static void
put_int(crypto_hash_sha256_state *h, int64_t v)
{
	unsigned char	 b[8];
	int		 i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
	put_field(h, (const char *)b, 8, 1);
}

void
audit_digest(const struct audit_row *a, unsigned char out[32])
{
	crypto_hash_sha256_state h;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, a->prev_digest, 32);
	put_int(&h, a->id);
	put_str(&h, a->uuid);
	put_int(&h, a->created_at);
	put_str(&h, a->actor_id);
	put_str(&h, a->actor_username);
	put_str(&h, a->action);
	put_str(&h, a->resource_type);
	put_str(&h, a->resource_id);
	put_str(&h, a->details);
	put_str(&h, a->ip_address);
	crypto_hash_sha256_final(&h, out);
}

static int64_t last_id;

/* The id of the row this process appended last. */
int64_t
audit_last_id(void)
{
	return last_id;
}

/* The actions an operator (and fail2ban) sees at warning level: failed logins and revocations. */
static const char *const warn_actions[] = {
	"user.login.failure", "user.change_password.failure", "user.refresh.reuse_detected", "user.logout", "user.change_password",
	"user.reset_password", "user.deactivate", "user.delete", "user.reject", "user.revoke", "api_key.revoke",
};

/*
 * Keeps the request's security event for request.c, which logs it once the outcome is known: the user's name
 * (from the details, else the stored user, else the actor) and the reason. Never a secret: the details of these
 * actions hold names and reasons only.
 */
static void
audit_note_event(struct req *r, const struct user *actor, const struct audit_row *a)
{
	struct json_object	*d, *v;
	struct user		 u;
	size_t			 i;

	for (i = 0; i < sizeof(warn_actions) / sizeof(warn_actions[0]); i++)
		if (strcmp(a->action, warn_actions[i]) == 0)
			break;
	if (i == sizeof(warn_actions) / sizeof(warn_actions[0]))
		return;
	r->event = a->action;
	r->event_name = NULL;
	/* Copies: the handler's structures are gone when request.c logs. */
	r->event_detail = a->resource_id != NULL ? arena_strdup(r->arena, a->resource_id) : NULL;
	if (a->details != NULL && (d = json_tokener_parse(a->details)) != NULL) {
		if (json_object_object_get_ex(d, "username", &v) && json_object_is_type(v, json_type_string))
			r->event_name = arena_strdup(r->arena, json_object_get_string(v));
		if (json_object_object_get_ex(d, "reason", &v) && json_object_is_type(v, json_type_string))
			r->event_detail = arena_strdup(r->arena, json_object_get_string(v));
		json_object_put(d);
	}
	if (r->event_name == NULL && a->resource_id != NULL && strcmp(a->resource_type, "user") == 0 &&
	    db_user_get(r->arena, a->resource_id, &u) == DB_OK)
		r->event_name = u.username;
	if (r->event_name == NULL && actor != NULL && actor->username != NULL)
		r->event_name = arena_strdup(r->arena, actor->username);
}

enum db_rc
audit_log_as(struct req *r, const struct user *actor, const char *action, const char *resource_type,
    const char *resource_id, const char *details)
{
	struct audit_row a;
	enum db_rc	 rc;

	memset(&a, 0, sizeof(a));
	uuid_v7(a.uuid);
	a.created_at = r->now;
	a.actor_id = actor != NULL && actor->id[0] != '\0' ? actor->id : NULL;	/* the CLI has no user id */
	a.actor_username = actor != NULL ? actor->username : NULL;
	a.action = action;
	a.resource_type = resource_type;
	a.resource_id = resource_id;
	a.details = details;
	a.ip_address = r->remote_addr;
	if ((rc = db_audit_append(&a)) == DB_OK) {
		last_id = a.id;
		audit_note_event(r, actor, &a);
	}
	return rc;
}

enum db_rc
audit_log(struct req *r, const char *action, const char *resource_type, const char *resource_id,
    const char *details)
{
	return audit_log_as(r, r->authed ? &r->who : NULL, action, resource_type, resource_id, details);
}

struct verify {
	long long	 rows;
	unsigned char	 prev[32];
	int64_t		 prev_id;
	int64_t		 bad_id;
	const char	*why;
};

static int
verify_row(void *ctx, const struct audit_row *a)
{
	struct verify	*v = ctx;
	unsigned char	 d[32];

	v->rows++;
	if (!a->has_digests) {
		v->why = "the row has no digest";
	} else if (a->id != v->prev_id + 1) {
		v->why = "rows are missing before this one";
	} else if (sodium_memcmp(a->prev_digest, v->prev, 32) != 0) {
		v->why = "its link to the previous row is broken (a row before it was deleted or changed)";
	} else {
		audit_digest(a, d);
		if (sodium_memcmp(d, a->digest, 32) != 0)
			v->why = "its contents do not match its digest (the row was edited)";
	}
	if (v->why != NULL) {
		v->bad_id = a->id;
		return -1;
	}
	memcpy(v->prev, a->digest, 32);
	v->prev_id = a->id;
	return 0;
}

int
audit_verify(long long *rows, int64_t *bad_id, const char **why)
{
	struct verify v;

	memset(&v, 0, sizeof(v));
	if (db_audit_walk(verify_row, &v) != DB_OK) {
		*why = "the audit table cannot be read";
		*bad_id = 0;
		*rows = v.rows;
		return -1;
	}
	*rows = v.rows;
	*bad_id = v.bad_id;
	*why = v.why;
	return v.why == NULL ? 0 : -1;
}
