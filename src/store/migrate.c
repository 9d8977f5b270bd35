/*
 * store/migrate.c: gatehousectl migrate --to postgresql://...: copies an SQLite database (users and their roles,
 * sessions, API keys, throttle rows, the audit chain with its digests and its record) into an empty PostgreSQL
 * database in one transaction, then checks the copy: every table's count, and the audit chain verified on
 * PostgreSQL with the same head as on SQLite. The one file that knows both engines' tables.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifdef HAVE_LIBPQ

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/store.h"

/* What is copied, in foreign-key order; the same columns on both sides (audit gains actor_skey, the search key
   of actor_username, computed here). Static SQL only. */
#define USERS_COLS "uid, id, username, username_key, email, email_key, password_hash, status, auth_provider," \
	" created_at, updated_at, last_login_at, token_version, key_epoch, sessions_revoked_at, role_bits," \
	" username_skey, email_skey, disabled_as"
#define SESSIONS_COLS "id, uid, family, access_digest, access_expires_at, refresh_digest, refresh_expires_at," \
	" created_at, rotated_at, revoked_at, login_at, site, used_at"
#define KEYS_COLS "kid, id, uid, name, digest, fingerprint, scope, expires_at, is_active, key_epoch, created_at," \
	" last_used_at"
#define AUDIT_COLS "id, uuid, created_at, actor_id, actor_username, action, resource_type, resource_id, details," \
	" ip_address, prev_digest, digest"
static const struct table {
	const char	*name;
	int		 ncols;		/* read from SQLite */
	int		 skey_of;	/* >= 0: one more parameter, the search key of this column */
	const char	*select;	/* SQLite */
	const char	*insert;	/* PostgreSQL */
	const char	*count;		/* either */
} tables[] = {
	{ "users", 19, -1, "SELECT " USERS_COLS " FROM users ORDER BY uid",
	    "INSERT INTO users (" USERS_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
	    " $14, $15, $16, $17, $18, $19)", "SELECT count(*) FROM users" },
	{ "user_roles", 2, -1, "SELECT uid, role_id FROM user_roles ORDER BY uid, role_id",
	    "INSERT INTO user_roles (uid, role_id) VALUES ($1, $2)", "SELECT count(*) FROM user_roles" },
	{ "sessions", 13, -1, "SELECT " SESSIONS_COLS " FROM sessions ORDER BY id",
	    "INSERT INTO sessions (" SESSIONS_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
	    " $13)", "SELECT count(*) FROM sessions" },
	{ "api_keys", 12, -1, "SELECT " KEYS_COLS " FROM api_keys ORDER BY kid",
	    "INSERT INTO api_keys (" KEYS_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	    "SELECT count(*) FROM api_keys" },
	{ "audit", 12, 4, "SELECT " AUDIT_COLS " FROM audit ORDER BY id",
	    "INSERT INTO audit (" AUDIT_COLS ", actor_skey) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
	    " $12, $13)", "SELECT count(*) FROM audit" },
	{ "audit_meta", 2, -1, "SELECT key, value FROM audit_meta ORDER BY key",
	    "INSERT INTO audit_meta (key, value) VALUES ($1, $2)", "SELECT count(*) FROM audit_meta" },
	{ "throttle", 5, -1, "SELECT key, failures, window_start, blocked_until, expires_at FROM throttle ORDER BY key",
	    "INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at) VALUES ($1, $2, $3, $4, $5)",
	    "SELECT count(*) FROM throttle" },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* gatehouse's tables in PostgreSQL: a target holding only these, with no rows in the first four, is empty (as
   gatehousectl init leaves it). */
static const char *const ours[] = { "users", "sessions", "api_keys", "audit", "user_roles", "audit_meta",
	"throttle", "roles", "schema_version" };

static const struct table *
table_named(const char *name)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

static long long
sqlite_count(sqlite3 *src, const struct table *t)
{
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_prepare_v2(src, t->count, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static long long
pg_count(PGconn *c, const struct table *t)
{
	PGresult	*res = PQexec(c, t->count);
	long long	 n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "gatehousectl: cannot count %s in the target: %s", t->name, PQerrorMessage(c));
	PQclear(res);
	return n;
}

/*
 * Whether the target is empty: no table in its current schema, or gatehouse's tables alone with no user, session,
 * API key or audit row. 0 when empty; else -1, with what it holds named on standard error.
 */
static int
target_empty(PGconn *c, const char *target)
{
	PGresult	*res;
	int		 i, ntables, foreign = 0;
	size_t		 k;
	long long	 n;

	res = PQexec(c, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "gatehousectl: cannot list the tables of %s: %s", target, PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	ntables = PQntuples(res);
	for (i = 0; i < ntables; i++) {
		for (k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
			if (strcmp(PQgetvalue(res, i, 0), ours[k]) == 0)
				break;
		if (k == sizeof(ours) / sizeof(ours[0])) {
			fprintf(stderr, "gatehousectl: the target %s is not empty: it holds table %s, which is not"
			    " gatehouse's; migrate copies into an empty database only (createdb a new one)\n", target,
			    PQgetvalue(res, i, 0));
			foreign = 1;
			break;
		}
	}
	PQclear(res);
	if (foreign)
		return -1;
	if (ntables == 0)
		return 0;
	for (k = 0; k < 4; k++) {
		if ((n = pg_count(c, table_named(ours[k]))) != 0) {
			if (n > 0)
				fprintf(stderr, "gatehousectl: the target %s is not empty: its table %s holds %lld rows;"
				    " migrate copies into an empty database only\n", target, ours[k], n);
			return -1;
		}
	}
	return 0;
}

/* Copies one table; its row count in *copied. 0 or -1 (said on standard error). */
static int
copy_table(sqlite3 *src, PGconn *c, const struct table *t, long long *copied)
{
	char		 name[32], num[32][32];
	const char	*vals[32];
	int		 lens[32], fmts[32], i, n, rc;
	char		*skey = NULL;
	size_t		 len;
	sqlite3_stmt	*st;
	PGresult	*res;

	*copied = 0;
	n = t->ncols + (t->skey_of >= 0);
	snprintf(name, sizeof(name), "migrate_%s", t->name);
	res = PQprepare(c, name, t->insert, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "gatehousectl: cannot prepare the copy of %s: %s", t->name, PQerrorMessage(c));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (sqlite3_prepare_v2(src, t->select, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "gatehousectl: cannot read %s from the SQLite database: %s\n", t->name,
		    sqlite3_errmsg(src));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < t->ncols; i++) {
			fmts[i] = 0;
			lens[i] = 0;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				vals[i] = NULL;
				break;
			case SQLITE_INTEGER:
				snprintf(num[i], sizeof(num[i]), "%lld", (long long)sqlite3_column_int64(st, i));
				vals[i] = num[i];
				break;
			case SQLITE_BLOB:
				vals[i] = sqlite3_column_blob(st, i);
				lens[i] = sqlite3_column_bytes(st, i);
				fmts[i] = 1;
				break;
			default:
				vals[i] = (const char *)sqlite3_column_text(st, i);
				break;
			}
		}
		if (t->skey_of >= 0) {
			const char *s = sqlite3_column_type(st, t->skey_of) == SQLITE_NULL ? "" :
			    (const char *)sqlite3_column_text(st, t->skey_of);
			if ((skey = unicode_search_key(s, strlen(s), &len)) == NULL) {
				fprintf(stderr, "gatehousectl: out of memory\n");
				sqlite3_finalize(st);
				return -1;
			}
			vals[t->ncols] = skey;
			lens[t->ncols] = 0;
			fmts[t->ncols] = 0;
		}
		res = PQexecPrepared(c, name, n, vals, lens, fmts, 0);
		free(skey);
		skey = NULL;
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "gatehousectl: cannot copy row %lld of %s: %s", *copied + 1, t->name,
			    PQerrorMessage(c));
			PQclear(res);
			sqlite3_finalize(st);
			return -1;
		}
		PQclear(res);
		(*copied)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "gatehousectl: cannot read %s from the SQLite database: %s\n", t->name,
		    sqlite3_errmsg(src));
		return -1;
	}
	return 0;
}

static int
pg_exec(PGconn *c, const char *sql)
{
	PGresult	*res = PQexec(c, sql);
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "gatehousectl: %s", PQerrorMessage(c));
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * The copy, in one transaction under the write lock (no gatehouse on the target can write meanwhile): the
 * target is checked empty again inside it, the record init wrote (audit_meta) and any throttle row are replaced
 * by the source's, every table is copied, and the identity sequences are moved past the copied ids.
 */
static int
copy_all(sqlite3 *src, PGconn *c, const char *target, long long copied[NTABLES])
{
	size_t i;

	if (pg_exec(c, "BEGIN") == -1)
		return -1;
	if (pg_exec(c, "SELECT pg_advisory_xact_lock(7449363237540164979)") == -1 || target_empty(c, target) == -1 ||
	    pg_exec(c, "DELETE FROM audit_meta; DELETE FROM throttle") == -1)
		goto fail;
	for (i = 0; i < NTABLES; i++)
		if (copy_table(src, c, &tables[i], &copied[i]) == -1)
			goto fail;
	if (pg_exec(c, "SELECT setval(pg_get_serial_sequence('users', 'uid'),"
	    " (SELECT coalesce(max(uid), 0) + 1 FROM users), false);"
	    "SELECT setval(pg_get_serial_sequence('sessions', 'id'),"
	    " (SELECT coalesce(max(id), 0) + 1 FROM sessions), false);"
	    "SELECT setval(pg_get_serial_sequence('api_keys', 'kid'),"
	    " (SELECT coalesce(max(kid), 0) + 1 FROM api_keys), false)") == -1 ||
	    pg_exec(c, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	(void)pg_exec(c, "ROLLBACK");
	return -1;
}

/*
 * gatehousectl migrate --to URI, with the SQLite database (cfg.database) open: 0 when the copy is complete and
 * verified, 1 otherwise (said on standard error: the source's broken chain, a non-empty target, a failed row).
 * The source is read in one read transaction: a consistent copy as of its start; stop the service first so that
 * nothing is written after it.
 */
int
store_migrate(const char *uri)
{
	char		 target[1024];
	sqlite3		*src = db_handle();
	PGconn		*c;
	char		 head[AUDIT_ANCHOR_LEN], thead[AUDIT_ANCHOR_LEN];
	long long	 want[NTABLES], copied[NTABLES], got, rows = 0, trows = 0;
	int64_t		 bad = 0;
	const char	*why = NULL;
	size_t		 i;
	int		 rc = 1;

	snprintf(target, sizeof(target), "%s", db_display(uri));
	if (!db_is_postgresql(uri)) {
		fprintf(stderr, "gatehousectl: migrate --to takes a postgresql:// or postgres:// URI, not %s\n", uri);
		return 1;
	}
	if (src == NULL) {
		fprintf(stderr, "gatehousectl: migrate reads an SQLite database: the database setting names none\n");
		return 1;
	}
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "gatehousectl: cannot read the SQLite database: %s\n", sqlite3_errmsg(src));
		return 1;
	}
	if (audit_verify(&rows, &bad, &why) != 0) {
		if (bad > 0)
			fprintf(stderr, "gatehousectl: the SQLite database's audit chain is broken at row %lld (%s);"
			    " nothing copied (gatehousectl verify-audit says more)\n", (long long)bad, why);
		else
			fprintf(stderr, "gatehousectl: the SQLite database's audit chain: %s; nothing copied\n", why);
		goto done;
	}
	if (audit_head(head) == -1)
		goto done;
	for (i = 0; i < NTABLES; i++)
		if ((want[i] = sqlite_count(src, &tables[i])) < 0) {
			fprintf(stderr, "gatehousectl: cannot count %s in the SQLite database\n", tables[i].name);
			goto done;
		}
	/* The target, checked empty before anything is created in it, then brought to the schema (db_open: from
	   here on the db_* functions, audit_verify among them, run on PostgreSQL). */
	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "gatehousectl: cannot connect to %s: %s", target, PQerrorMessage(c));
		PQfinish(c);
		goto done;
	}
	if (target_empty(c, target) == -1) {
		PQfinish(c);
		goto done;
	}
	PQfinish(c);
	if (db_open(uri, 1) == -1 || (c = pg_connection()) == NULL)
		goto done;
	if (copy_all(src, c, target, copied) == -1) {
		fprintf(stderr, "gatehousectl: nothing was copied to %s (the transaction was rolled back)\n", target);
		goto done;
	}
	printf("copied to %s:", target);
	for (i = 0; i < NTABLES; i++)
		printf(" %s %lld%s", tables[i].name, copied[i], i + 1 < NTABLES ? "," : "\n");
	/* The check: the counts on PostgreSQL, then the chain verified there with the source's head. */
	for (i = 0; i < NTABLES; i++) {
		if ((got = pg_count(c, &tables[i])) != want[i]) {
			fprintf(stderr, "gatehousectl: %s: %lld rows in the SQLite database, %lld in %s\n",
			    tables[i].name, want[i], got, target);
			goto done;
		}
	}
	if (audit_verify(&trows, &bad, &why) != 0 || trows != rows) {
		fprintf(stderr, "gatehousectl: the copied audit chain does not verify: row %lld: %s\n", (long long)bad,
		    why != NULL ? why : "row count differs");
		goto done;
	}
	if (audit_head(thead) == -1 || strcmp(head, thead) != 0) {
		fprintf(stderr, "gatehousectl: the copied audit chain's head %s differs from the source's %s\n", thead,
		    head);
		goto done;
	}
	printf("verified: every count matches; audit trail intact: %lld rows, head %s (as in the SQLite database)\n",
	    trows, thead);
	rc = 0;
done:
	sqlite3_exec(src, "ROLLBACK", NULL, NULL, NULL);
	db_close();		/* PostgreSQL, once db_open chose it */
	sqlite_close();
	return rc;
}

#else /* !HAVE_LIBPQ */

#include <stdio.h>

#include "gatehouse.h"

int
store_migrate(const char *uri)
{
	(void)uri;
	fprintf(stderr, "gatehousectl: this gatehousectl was built without PostgreSQL support"
	    " (configure --without-postgresql, or libpq was not found)\n");
	return 1;
}

#endif /* HAVE_LIBPQ */
