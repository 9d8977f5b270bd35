/*
 * audit.c: the audit trail. Every row is written in the transaction of the change it records, and carries an
 * HMAC-SHA-256 (RFC 2104) over its predecessor's digest and its own fields, keyed by a secret kept in a 0600
 * file outside the database (audit_key_file, created by gatehousectl init). Editing, deleting or reordering a
 * row breaks the chain at that point, and someone who can write the database but not read the key cannot
 * recompute it; audit_verify (gatehousectl verify-audit) says where it breaks. What a chain cannot show by
 * itself is rows cut from its end: the head ("anchor", row id and digest) is logged at intervals and printed
 * by verify-audit, and verify-audit --anchor compares the chain with one kept elsewhere.
 *
 * Chains written before keying (plain SHA-256) are re-keyed from the start the first time the database is
 * opened with the key: the old chain is verified, every digest recomputed with the key, and the migration
 * recorded in audit_meta (rows, the old head, the first break if the old chain was already broken) and in an
 * "audit.rekey" row. Rows never hold a secret: callers pass only names, ids, roles and reasons.
 *
 * With audit_retention set, rows older than it are removed from the start of the chain, a bounded batch at a time
 * (audit_prune), in the transaction that appends an "audit.prune" row naming the new start as "ROW:DIGEST" (the
 * last row removed and its digest). The chain then starts after that row; verify-audit accepts such a start only
 * when the newest audit.prune row, keyed like every row, names it, so rows cut from the start by someone without
 * the key are still detected. A prune refuses to run over a start no audit.prune row vouches for, so it never
 * launders such a cut.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "gatehouse.h"

/* The key of the chain (HMAC-SHA-256, RFC 2104), from a file outside the database. */
static unsigned char	 chain_key[32];
static int		 chain_key_loaded;

void
audit_key_set(const unsigned char key[32])
{
	memcpy(chain_key, key, 32);
	chain_key_loaded = 1;
}

int
audit_key_loaded(void)
{
	return chain_key_loaded;
}

int
audit_key_load(const char *path)
{
	struct stat	 st;
	char		 text[80];
	unsigned char	 key[32];
	size_t		 n = 0, got;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_err("cannot read the audit key %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? "; create it with: gatehousectl init" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_err("the audit key %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 0007) {
		log_err("the audit key %s is readable or writable by others (mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while (n < sizeof(text) - 1 && (got = (size_t)read(fd, text + n, sizeof(text) - 1 - n)) > 0 &&
	    got != (size_t)-1)
		n += got;
	close(fd);
	text[n] = '\0';
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	if (n != 64 || sodium_hex2bin(key, sizeof(key), text, n, NULL, &got, NULL) != 0 || got != 32) {
		log_err("the audit key %s is not 64 hexadecimal digits", path);
		wipe(text, sizeof(text));
		return -1;
	}
	audit_key_set(key);
	wipe(text, sizeof(text));
	wipe(key, sizeof(key));
	return 0;
}

int
audit_key_create(const char *path, int *created)
{
	unsigned char	 key[32];
	char		 text[66];
	int		 fd;
	ssize_t		 w;

	*created = 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		if (errno == EEXIST)
			return audit_key_load(path);
		log_err("cannot create the audit key %s: %s", path, strerror(errno));
		return -1;
	}
	random_bytes(key, sizeof(key));
	sodium_bin2hex(text, sizeof(text), key, sizeof(key));
	text[64] = '\n';
	w = write(fd, text, 65);
	if (w != 65 || fsync(fd) == -1 || close(fd) == -1) {
		log_err("cannot write the audit key %s: %s", path, w == -1 ? strerror(errno) : "short write");
		unlink(path);
		wipe(text, sizeof(text));
		wipe(key, sizeof(key));
		return -1;
	}
	audit_key_set(key);
	wipe(text, sizeof(text));
	wipe(key, sizeof(key));
	*created = 1;
	return 0;
}

/* Each field as a presence byte, an 8-byte big-endian length and its bytes: no two rows encode alike. */
static void
put_field(struct buf *b, const char *s, size_t n, int present)
{
	unsigned char	 hdr[9];
	int		 i;

	hdr[0] = (unsigned char)present;
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	buf_put(b, (const char *)hdr, sizeof(hdr));
	if (present && n > 0)
		buf_put(b, s, n);
}

static void
put_str(struct buf *b, const char *s)
{
	put_field(b, s, s != NULL ? strlen(s) : 0, s != NULL);
}

static void
put_int(struct buf *b, int64_t v)
{
	unsigned char	 n[8];
	int		 i;

	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
	put_field(b, (const char *)n, 8, 1);
}

/* The bytes a row's digest covers: its predecessor's digest, then every field framed. NULL when out of memory. */
static struct buf *
encode(const struct audit_row *a)
{
	static struct buf b;

	buf_reset(&b);
	buf_put(&b, (const char *)a->prev_digest, 32);
	put_int(&b, a->id);
	put_str(&b, a->uuid);
	put_int(&b, a->created_at);
	put_str(&b, a->actor_id);
	put_str(&b, a->actor_username);
	put_str(&b, a->action);
	put_str(&b, a->resource_type);
	put_str(&b, a->resource_id);
	put_str(&b, a->details);
	put_str(&b, a->ip_address);
	return b.failed ? NULL : &b;
}

/* The digest before keying: plain SHA-256 over the same bytes (chains written before schema version 7). */
int
audit_digest_unkeyed(const struct audit_row *a, unsigned char out[32])
{
	struct buf *b = encode(a);

	if (b == NULL)
		return -1;
	crypto_hash_sha256(out, (const unsigned char *)b->p, b->len);
	return 0;
}

/* HMAC-SHA-256 (RFC 2104) under the chain key; -1 when no key is loaded. */
int
audit_digest(const struct audit_row *a, unsigned char out[32])
{
	crypto_auth_hmacsha256_state	 h;
	struct buf			*b;

	if (!chain_key_loaded) {
		log_err("the audit key is not loaded: no audit row can be written");
		return -1;
	}
	if ((b = encode(a)) == NULL)
		return -1;
	crypto_auth_hmacsha256_init(&h, chain_key, sizeof(chain_key));
	crypto_auth_hmacsha256_update(&h, (const unsigned char *)b->p, b->len);
	crypto_auth_hmacsha256_final(&h, out);
	sodium_memzero(&h, sizeof(h));
	return 0;
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

/* "ROW:DIGEST", 64 hexadecimal digits, as anchors are written. */
static void
chain_point(int64_t id, const unsigned char d[32], char out[AUDIT_ANCHOR_LEN])
{
	char hex[65];

	sodium_bin2hex(hex, sizeof(hex), d, 32);
	snprintf(out, AUDIT_ANCHOR_LEN, "%lld:%s", (long long)id, hex);
}

/* The "base" an audit.prune row's details name, into out ("" when it names none). */
static void
prune_base(const struct audit_row *a, char out[AUDIT_ANCHOR_LEN])
{
	struct json_object *d, *v;

	out[0] = '\0';
	if (a->details == NULL || (d = json_tokener_parse(a->details)) == NULL)
		return;
	if (json_object_object_get_ex(d, "base", &v) && json_object_is_type(v, json_type_string))
		snprintf(out, AUDIT_ANCHOR_LEN, "%s", json_object_get_string(v));
	json_object_put(d);
}

struct verify {
	long long	 rows;
	unsigned char	 prev[32];
	int64_t		 prev_id;
	int64_t		 bad_id;
	const char	*why;
	int		 pruned_ok;	/* the chain may start after a pruned prefix (the keyed chain only) */
	char		 start[AUDIT_ANCHOR_LEN];	/* "ROW:DIGEST" the first row links to, when not row 1 */
	char		 vouched[AUDIT_ANCHOR_LEN];	/* the base the newest verified audit.prune row names */
	int		 unkeyed;	/* check with plain SHA-256 (a chain from before keying) */
};

/* Checks one row against the chain so far; sets why and bad_id at the first break. */
static void
check_row(struct verify *v, const struct audit_row *a)
{
	unsigned char d[32];

	v->rows++;
	if (v->why != NULL)
		return;
	if (v->rows == 1 && v->pruned_ok && a->id > 1 && a->has_digests) {
		/* A chain whose start was pruned: checked from there; the start must be vouched for (audit_verify). */
		v->prev_id = a->id - 1;
		memcpy(v->prev, a->prev_digest, 32);
		chain_point(a->id - 1, a->prev_digest, v->start);
	}
	if (!a->has_digests)
		v->why = "the row has no digest";
	else if (a->id != v->prev_id + 1)
		v->why = "rows are missing before this one";
	else if (sodium_memcmp(a->prev_digest, v->prev, 32) != 0)
		v->why = "its link to the previous row is broken (a row before it was deleted or changed)";
	else if ((v->unkeyed ? audit_digest_unkeyed(a, d) : audit_digest(a, d)) == -1)
		v->why = "its digest cannot be computed (no key, or out of memory)";
	else if (sodium_memcmp(d, a->digest, 32) != 0)
		v->why = v->unkeyed ? "its contents do not match its digest (the row was edited)" :
		    "its contents do not match its keyed digest (the row was edited, or the chain recomputed without "
		    "the key)";
	if (v->why != NULL)
		v->bad_id = a->id;
	memcpy(v->prev, a->digest, 32);
	v->prev_id = a->id;
}

static int
verify_row(void *ctx, const struct audit_row *a)
{
	struct verify *v = ctx;

	check_row(v, a);
	if (v->why == NULL && strcmp(a->action, "audit.prune") == 0)
		prune_base(a, v->vouched);
	return v->why != NULL ? -1 : 0;
}

int
audit_verify(long long *rows, int64_t *bad_id, const char **why)
{
	static char	 note[300];
	struct verify	 v;
	char		 chain[32], brk[200];
	long long	 k = 0;
	enum db_rc	 rc;

	memset(&v, 0, sizeof(v));
	v.pruned_ok = 1;
	*rows = 0;
	*bad_id = 0;
	if ((rc = db_audit_meta_get("chain", chain, sizeof(chain))) != DB_OK) {
		*why = rc == DB_NONE ? "the chain is not keyed yet: open the database with its audit key "
		    "(gatehousectl init) to re-key it" : "the audit table cannot be read";
		return -1;
	}
	if (db_audit_walk(verify_row, &v) != DB_OK) {
		*why = "the audit table cannot be read";
		*rows = v.rows;
		return -1;
	}
	if (v.why == NULL && v.start[0] != '\0' && strcmp(v.start, v.vouched) != 0) {
		/* The first row does not follow row 1's zero link, and no keyed audit.prune row names this start. */
		v.why = "rows were removed from the start of the chain: no audit.prune row records a prune up to the row "
		    "before this one";
		v.bad_id = strtoll(v.start, NULL, 10) + 1;
	}
	*rows = v.rows;
	*bad_id = v.bad_id;
	*why = v.why;
	if (v.why == NULL && db_audit_meta_get("unkeyed_break", brk, sizeof(brk)) == DB_OK) {
		/* "ROW: reason": the chain before keying was already broken there; keying could not mend that. */
		sscanf(brk, "%lld", &k);
		snprintf(note, sizeof(note), "before it was keyed, the unkeyed chain was already broken here: %s",
		    strchr(brk, ':') != NULL ? strchr(brk, ':') + 2 : brk);
		*bad_id = (int64_t)k;
		*why = note;
	}
	return *why == NULL ? 0 : -1;
}

/* Re-keying a chain written before keying: every row's new digests, computed during the walk, written after. */
struct rekey {
	struct verify	 old;		/* the unkeyed chain, checked as it was */
	unsigned char	 prev[32];	/* the keyed chain so far */
	unsigned char	 old_head[32];
	struct rekeyed {
		int64_t		 id;
		unsigned char	 prev[32], digest[32];
	}		*v;
	size_t		 n, cap;
	int		 failed;
};

static int
rekey_row(void *ctx, const struct audit_row *a)
{
	struct rekey	*rk = ctx;
	struct audit_row b = *a;
	struct rekeyed	*grown;

	check_row(&rk->old, a);
	memcpy(rk->old_head, a->digest, 32);
	if (rk->n == rk->cap) {
		rk->cap = rk->cap ? rk->cap * 2 : 1024;
		if ((grown = realloc(rk->v, rk->cap * sizeof(*rk->v))) == NULL) {
			rk->failed = 1;
			return -1;
		}
		rk->v = grown;
	}
	memcpy(b.prev_digest, rk->prev, 32);
	rk->v[rk->n].id = a->id;
	memcpy(rk->v[rk->n].prev, rk->prev, 32);
	if (audit_digest(&b, rk->v[rk->n].digest) == -1) {
		rk->failed = 1;
		return -1;
	}
	memcpy(rk->prev, rk->v[rk->n].digest, 32);
	rk->n++;
	return 0;
}

static int
rekey(void)
{
	struct rekey	 rk;
	struct audit_row a;
	char		 num[32], hex[65], brk[200], details[400];
	size_t		 i;
	enum db_rc	 rc = DB_OK;

	memset(&rk, 0, sizeof(rk));
	rk.old.unkeyed = 1;
	if (db_audit_walk(rekey_row, &rk) != DB_OK || rk.failed)
		rc = DB_FAIL;
	for (i = 0; rc == DB_OK && i < rk.n; i++)
		rc = db_audit_set_digests(rk.v[i].id, rk.v[i].prev, rk.v[i].digest);
	free(rk.v);
	if (rc != DB_OK)
		return -1;
	snprintf(num, sizeof(num), "%zu", rk.n);
	sodium_bin2hex(hex, sizeof(hex), rk.old_head, 32);
	if ((rc = db_audit_meta_put("chain", "hmac-sha256")) != DB_OK ||
	    (rc = db_audit_meta_put("rekeyed_rows", num)) != DB_OK ||
	    (rk.n > 0 && (rc = db_audit_meta_put("unkeyed_head", hex)) != DB_OK))
		return -1;
	if (rk.old.why != NULL) {
		snprintf(brk, sizeof(brk), "%lld: %s", (long long)rk.old.bad_id, rk.old.why);
		if (db_audit_meta_put("unkeyed_break", brk) != DB_OK)
			return -1;
		log_err("the audit chain written before keying is broken at row %lld (%s); re-keyed anyway, and "
		    "gatehousectl verify-audit will keep reporting it", (long long)rk.old.bad_id, rk.old.why);
	}
	if (rk.n == 0)
		return 0;
	/* The migration point, in the chain itself. */
	memset(&a, 0, sizeof(a));
	uuid_v7(a.uuid);
	a.created_at = now_us();
	a.action = "audit.rekey";
	a.resource_type = "audit";
	snprintf(details, sizeof(details), "{\"rows\":%zu,\"unkeyed_head\":\"%s\",\"unkeyed_chain_intact\":%s}",
	    rk.n, hex, rk.old.why == NULL ? "true" : "false");
	a.details = details;
	if (db_audit_append(&a) != DB_OK)
		return -1;
	log_warn("audit chain of %zu rows re-keyed with HMAC-SHA-256; the unkeyed head was %s", rk.n, hex);
	return 0;
}

int
audit_chain_upgrade(void)
{
	char		 chain[32];
	enum db_rc	 rc;

	if ((rc = db_audit_meta_get("chain", chain, sizeof(chain))) == DB_OK)
		return 0;
	if (rc != DB_NONE)
		return -1;
	if (!chain_key_loaded || db_is_readonly())
		return 0;	/* re-keyed when opened with the key (appends fail without it anyway) */
	if (db_begin() != DB_OK)
		return -1;
	if ((rc = db_audit_meta_get("chain", chain, sizeof(chain))) == DB_OK) {	/* another process did it */
		db_rollback();
		return 0;
	}
	if (rc != DB_NONE || rekey() == -1 || db_commit() != DB_OK) {
		db_rollback();
		log_err("cannot re-key the audit chain");
		return -1;
	}
	return 0;
}

int
audit_head(char anchor[AUDIT_ANCHOR_LEN])
{
	unsigned char	 d[32];
	char		 hex[65];
	int64_t		 id = 0;
	enum db_rc	 rc;

	memset(d, 0, sizeof(d));
	if ((rc = db_audit_head(&id, d)) != DB_OK && rc != DB_NONE)
		return -1;
	sodium_bin2hex(hex, sizeof(hex), d, 32);
	snprintf(anchor, AUDIT_ANCHOR_LEN, "%lld:%s", (long long)id, hex);
	return 0;
}

int
audit_anchor_check(const char *anchor, const char **why)
{
	unsigned char	 want[32], got[32];
	char		 hex[65], num[24];
	long long	 id;
	int64_t		 first;
	size_t		 n;
	const char	*colon = strchr(anchor, ':');
	enum db_rc	 rc;

	if (colon != NULL && (size_t)(colon - anchor) < sizeof(num)) {
		memcpy(num, anchor, (size_t)(colon - anchor));
		num[colon - anchor] = '\0';
	} else
		num[0] = '\0';
	if (colon == NULL || parse_long(num, 0, INT64_MAX, &id) == -1 || strlen(colon + 1) != 64 ||
	    sodium_hex2bin(want, sizeof(want), colon + 1, 64, NULL, &n, NULL) != 0 || n != 32) {
		*why = "the anchor must be ROW:DIGEST, as verify-audit and the log print it";
		return -1;
	}
	if (id == 0) {
		*why = NULL;
		return 0;	/* an empty chain's anchor: anything extends it */
	}
	if ((rc = db_audit_digest_of((int64_t)id, got)) == DB_NONE) {
		if (db_audit_first(&first, got) == DB_OK && id < first) {
			if (id == first - 1 && sodium_memcmp(want, got, 32) == 0) {
				*why = NULL;	/* the last row pruned: the kept chain links to it */
				return 0;
			}
			*why = "the anchor's row was removed by audit_retention (it is older than the rows kept); check "
			    "against a newer anchor";
			return -1;
		}
		*why = "the anchor's row is gone: rows were removed from the end of the chain (truncated) since it "
		    "was taken";
		return -1;
	}
	if (rc != DB_OK) {
		*why = "the audit table cannot be read";
		return -1;
	}
	if (sodium_memcmp(want, got, 32) != 0) {
		if (db_audit_meta_get("unkeyed_head", hex, sizeof(hex)) == DB_OK && strcmp(hex, colon + 1) == 0) {
			*why = NULL;	/* the head of the chain before keying, recorded by the migration */
			return 0;
		}
		*why = "the anchor's row has another digest: the chain was rewritten since the anchor was taken";
		return -1;
	}
	*why = NULL;
	return 0;
}

/*
 * After a request: at most every audit_anchor_interval seconds in each worker (one request in a hundred as
 * plain CGI), the chain's head goes to the log, where it can be shipped and kept out of reach of whoever can
 * write the database.
 */
void
audit_anchor_log(int64_t now)
{
	static int64_t	 next_at;
	char		 anchor[AUDIT_ANCHOR_LEN];
	unsigned char	 dice;

	if (cfg.audit_anchor_interval == 0 || now < next_at)
		return;
	if (next_at == 0) {
		next_at = now + (int64_t)cfg.audit_anchor_interval * 1000000;
		random_fast(&dice, 1);
		if (dice % 100 != 0)
			return;
	}
	next_at = now + (int64_t)cfg.audit_anchor_interval * 1000000;
	if (audit_head(anchor) == 0)
		log_info("audit anchor %s", anchor);
}

/* Reads the base the newest audit.prune row names, once its keyed digest is verified. */
struct vouch {
	char	 base[AUDIT_ANCHOR_LEN];
	int	 genuine;
};

static int
vouch_row(void *ctx, const struct audit_row *a)
{
	struct vouch	*w = ctx;
	unsigned char	 d[32];

	w->genuine = a->has_digests && audit_digest(a, d) == 0 && sodium_memcmp(d, a->digest, 32) == 0;
	prune_base(a, w->base);
	return 0;
}

/*
 * Removes the audit rows created before `before` (µs), at most limit of them and never the head, from the start
 * of the chain, with an "audit.prune" row {"rows","base"} in the same transaction; *rows is how many went (0
 * when none is old enough). `now` dates the audit.prune row. It refuses (DB_FAIL, logged) when the chain's start
 * is not row 1 and not the base the newest genuine audit.prune row names: rows cut from the start by hand stay
 * for verify-audit to report rather than being pruned out of sight. The retention itself is the operator's
 * (audit_retention, 0: rows are kept for ever); what was removed can no longer be verified (NIST SP 800-92
 * §5.1: a log retention policy, with the removal itself logged).
 */
enum db_rc
audit_prune(int64_t now, int64_t before, long limit, long long *rows)
{
	struct audit_row a;
	struct vouch	 w;
	unsigned char	 prev[32];
	char		 start[AUDIT_ANCHOR_LEN], details[AUDIT_ANCHOR_LEN + 64];
	int64_t		 first, edge;
	enum db_rc	 rc;

	*rows = 0;
	if ((rc = db_begin()) != DB_OK)
		return rc;
	if ((rc = db_audit_first(&first, prev)) != DB_OK) {
		db_rollback();
		return rc == DB_NONE ? DB_OK : rc;
	}
	if (first != 1) {
		memset(&w, 0, sizeof(w));
		chain_point(first - 1, prev, start);
		if ((rc = db_audit_last_of_action("audit.prune", vouch_row, &w)) != DB_OK && rc != DB_NONE) {
			db_rollback();
			return rc;
		}
		if (!w.genuine || strcmp(w.base, start) != 0) {
			db_rollback();
			log_err("audit: the chain starts after row %lld, which no genuine audit.prune row records; not "
			    "pruning (run gatehousectl verify-audit)", (long long)(first - 1));
			return DB_FAIL;
		}
	}
	if ((rc = db_audit_prune(before, limit, &edge, rows)) != DB_OK || edge == 0) {
		db_rollback();
		*rows = 0;
		return rc;
	}
	/* The new start, as verify-audit will see it: the first row kept and the digest it links to. */
	if ((rc = db_audit_first(&first, prev)) != DB_OK) {
		db_rollback();
		*rows = 0;
		return rc == DB_NONE ? DB_FAIL : rc;
	}
	chain_point(first - 1, prev, start);
	snprintf(details, sizeof(details), "{\"rows\":%lld,\"base\":\"%s\"}", *rows, start);
	memset(&a, 0, sizeof(a));
	uuid_v7(a.uuid);
	a.created_at = now;
	a.action = "audit.prune";
	a.resource_type = "audit";
	a.details = details;
	if ((rc = db_audit_append(&a)) != DB_OK || (rc = db_commit()) != DB_OK) {
		db_rollback();
		*rows = 0;
		return rc;
	}
	return DB_OK;
}
