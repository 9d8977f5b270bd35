/*
 * store/store.h: the storage interface inside src/store/. The rest of the program calls the db_* functions
 * declared in gatehouse.h and never learns which engine serves them; store.c picks the engine once, in db_open(),
 * from the database setting (a path: SQLite; postgresql:// or postgres://: PostgreSQL through libpq) and forwards
 * every call to it. Each engine defines ENGINE_open and ENGINE_name for every operation of STORE_OPS below
 * (sqlite_user_get, pg_user_get, ...), and one table of them (store_sqlite, store_pg).
 */
#ifndef STORE_H
#define STORE_H

#include "gatehouse.h"

/*
 * Every operation an engine provides, as X(return type, name, (parameters), (arguments)); XV for those returning
 * nothing. The contract of each is the one gatehouse.h gives db_name: the same results, the same transaction
 * rules (a write runs inside db_begin()/db_commit(), one writer at a time), the same time units (microseconds
 * since the epoch, as integers).
 */
#define STORE_OPS(X, XV) \
	XV(close, (void), ()) \
	X(int, schema_version, (void), ()) \
	X(int, schema_latest, (void), ()) \
	X(enum db_rc, begin, (void), ()) \
	X(enum db_rc, commit, (void), ()) \
	XV(rollback, (void), ()) \
	X(int, ensure_idle, (void), ()) \
	X(int, is_readonly, (void), ()) \
	X(int, backup, (const char *path), (path)) \
	X(enum db_rc, health, (void), ()) \
	X(enum db_rc, user_conflict, (struct arena *a, const char *username, const char *email), (a, username, email)) \
	X(enum db_rc, user_insert, (struct arena *a, struct user *u, const char *hash), (a, u, hash)) \
	X(enum db_rc, user_by_login, (struct arena *a, const char *name, size_t len, struct user *u), (a, name, len, u)) \
	X(enum db_rc, user_set_login, (int64_t uid, int64_t at, const char *new_hash, const char *old_hash), \
	    (uid, at, new_hash, old_hash)) \
	X(enum db_rc, user_epoch, (int64_t uid, int64_t *epoch), (uid, epoch)) \
	X(enum db_rc, session_insert, (int64_t uid, const unsigned char access[32], int64_t access_exp, \
	    const unsigned char refresh[32], int64_t refresh_exp, int64_t now, int64_t family, int64_t login_at), \
	    (uid, access, access_exp, refresh, refresh_exp, now, family, login_at)) \
	X(enum db_rc, user_by_access, (struct arena *a, const unsigned char digest[32], struct user *u, \
	    int64_t *expires_at), (a, digest, u, expires_at)) \
	X(enum db_rc, count_users, (long long *n), (n)) \
	X(enum db_rc, user_get, (struct arena *a, const char *id, struct user *u), (a, id, u)) \
	X(enum db_rc, user_list, (struct arena *a, const struct user_filter *f, \
	    int (*each)(void *, const struct user *), void *ctx, long long *total), (a, f, each, ctx, total)) \
	X(enum db_rc, user_names, (long long skip, long long limit, \
	    int (*each)(void *, const char *id, const char *name), void *ctx), (skip, limit, each, ctx)) \
	X(enum db_rc, user_export, (int (*each)(void *, const char *const cols[4], int64_t created_at), void *ctx, \
	    long *rows), (each, ctx, rows)) \
	X(enum db_rc, viable_admins_except, (int64_t uid, long long *n), (uid, n)) \
	X(enum db_rc, user_set_email, (struct arena *a, int64_t uid, const char *email, int64_t now), \
	    (a, uid, email, now)) \
	X(enum db_rc, user_set_status, (int64_t uid, enum status s, enum disabled_as how, int64_t now), \
	    (uid, s, how, now)) \
	X(enum db_rc, user_set_role, (int64_t uid, enum role role, int64_t now), (uid, role, now)) \
	X(enum db_rc, user_delete, (int64_t uid), (uid)) \
	X(enum db_rc, user_revoke, (int64_t uid, const char *new_hash, int64_t now), (uid, new_hash, now)) \
	X(enum db_rc, user_revoke_all, (int64_t uid, int64_t now), (uid, now)) \
	X(enum db_rc, users_by_status, (long long counts[STATUS__MAX], long long *suspended), (counts, suspended)) \
	X(enum db_rc, session_by_refresh, (struct arena *a, const unsigned char digest[32], struct session *se, \
	    struct user *u), (a, digest, se, u)) \
	X(enum db_rc, session_rotate, (int64_t id, int64_t now), (id, now)) \
	X(enum db_rc, sessions_revoke_family, (int64_t family, int64_t now), (family, now)) \
	X(enum db_rc, site_insert, (int64_t uid, const unsigned char digest[32], int64_t expires_at, int64_t now), \
	    (uid, digest, expires_at, now)) \
	X(enum db_rc, site_by_digest, (struct arena *a, const unsigned char digest[32], struct site_session *ss, \
	    struct user *u), (a, digest, ss, u)) \
	X(enum db_rc, site_touch, (int64_t id, int64_t now), (id, now)) \
	X(enum db_rc, key_by_digest, (struct arena *a, const unsigned char digest[32], struct api_key *k, \
	    struct user *u), (a, digest, k, u)) \
	X(enum db_rc, key_touch, (int64_t kid, int64_t now), (kid, now)) \
	X(enum db_rc, key_insert, (const struct api_key *k, int64_t uid, const unsigned char digest[32]), \
	    (k, uid, digest)) \
	X(enum db_rc, key_live_count, (int64_t uid, int64_t now, long long *n), (uid, now, n)) \
	X(enum db_rc, key_list, (struct arena *a, int64_t uid, long long skip, long long limit, \
	    int (*each)(void *, const struct api_key *), void *ctx, long long *total), \
	    (a, uid, skip, limit, each, ctx, total)) \
	X(enum db_rc, key_get, (struct arena *a, const char *id, int64_t uid, struct api_key *k), (a, id, uid, k)) \
	X(enum db_rc, key_revoke, (int64_t kid), (kid)) \
	X(enum db_rc, throttle_get, (const char *key, struct throttle *t), (key, t)) \
	X(enum db_rc, throttle_put, (const char *key, const struct throttle *t), (key, t)) \
	X(enum db_rc, throttle_clear, (const char *key), (key)) \
	X(enum db_rc, rate_hit, (const char *key, int64_t now, int64_t window_us, int64_t *count, \
	    int64_t *window_start), (key, now, window_us, count, window_start)) \
	X(enum db_rc, prune, (int64_t now, long limit, long long *sessions, long long *throttle), \
	    (now, limit, sessions, throttle)) \
	X(enum db_rc, audit_list, (const struct audit_filter *f, int (*each)(void *, const struct audit_row *), \
	    void *ctx, long long *total), (f, each, ctx, total)) \
	X(enum db_rc, audit_append, (struct audit_row *row), (row)) \
	X(enum db_rc, audit_walk, (int (*each)(void *, const struct audit_row *), void *ctx), (each, ctx)) \
	X(enum db_rc, audit_head, (int64_t *id, unsigned char digest[32]), (id, digest)) \
	X(enum db_rc, audit_digest_of, (int64_t id, unsigned char digest[32]), (id, digest)) \
	X(enum db_rc, audit_set_digests, (int64_t id, const unsigned char prev[32], const unsigned char digest[32]), \
	    (id, prev, digest)) \
	X(enum db_rc, audit_meta_get, (const char *key, char *value, size_t size), (key, value, size)) \
	X(enum db_rc, audit_meta_put, (const char *key, const char *value), (key, value)) \
	X(enum db_rc, audit_last_of_action, (const char *action, int (*each)(void *, const struct audit_row *), \
	    void *ctx), (action, each, ctx)) \
	X(enum db_rc, audit_first, (int64_t *id, unsigned char prev[32]), (id, prev)) \
	X(enum db_rc, audit_prune, (int64_t before, long limit, int64_t *edge, long long *rows), \
	    (before, limit, edge, rows))

/* One engine: a pointer per operation, named as in STORE_OPS. */
#define STORE_FIELD(ret, name, params, args)	ret (*name) params;
#define STORE_FIELDV(name, params, args)	void (*name) params;
struct store {
	const char	*name;		/* "SQLite", "PostgreSQL": for messages */
	int		(*open)(const char *database, int create);	/* db_open, once the engine is chosen */
	STORE_OPS(STORE_FIELD, STORE_FIELDV)
};

/* The engines' functions, declared for their own file and the table. */
#define STORE_DECL_SQLITE(ret, name, params, args)	ret sqlite_##name params;
#define STORE_DECL_SQLITEV(name, params, args)		void sqlite_##name params;
STORE_OPS(STORE_DECL_SQLITE, STORE_DECL_SQLITEV)
int	 sqlite_open(const char *path, int create);
extern const struct store store_sqlite;

#ifdef HAVE_LIBPQ
#define STORE_DECL_PG(ret, name, params, args)		ret pg_##name params;
#define STORE_DECL_PGV(name, params, args)		void pg_##name params;
STORE_OPS(STORE_DECL_PG, STORE_DECL_PGV)
int	 pg_open(const char *uri, int create);
struct pg_conn *pg_connection(void);	/* libpq's PGconn of pg_open, for gatehousectl migrate; NULL when closed */
extern const struct store store_pg;
#endif

#endif /* STORE_H */
