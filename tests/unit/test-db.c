/*
 * test-db.c: the database layer against a real SQLite file: migrations, file mode, case-insensitive uniqueness
 * enforced inside the transaction, login lookup, sessions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "../../src/gatehouse.h"
#include "unit.h"

/* The query plan of a statement, one line per step, joined with "; ". */
static void
plan(const char *sql, char *out, size_t outsz)
{
	sqlite3_stmt	*st;
	char		 q[2048];
	size_t		 n = 0;

	out[0] = '\0';
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(db_handle(), q, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW && n < outsz)
		n += (size_t)snprintf(out + n, outsz - n, "%s; ", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void
append(const char *action, const char *details)
{
	struct audit_row a;

	memset(&a, 0, sizeof(a));
	uuid_v7(a.uuid);
	a.created_at = now_us();
	a.action = action;
	a.resource_type = "user";
	a.details = details;
	(void)db_begin();
	CHECK(db_audit_append(&a) == DB_OK && db_commit() == DB_OK, "append audit row %s", action);
}

static enum db_rc
create(struct arena *a, const char *name, const char *email, unsigned roles, struct user *u)
{
	enum db_rc rc;

	memset(u, 0, sizeof(*u));
	u->username = (char *)name;
	u->email = (char *)email;
	u->status = STATUS_ACTIVE;
	u->roles = roles;
	u->created_at = now_us();
	if ((rc = db_begin()) != DB_OK)
		return rc;
	if ((rc = db_user_insert(a, u, "$y$j9T$fakefakefake$fakefakefakefakefakefakefakefakefakefakefak")) != DB_OK) {
		db_rollback();
		return rc;
	}
	return db_commit();
}

static void
exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db_handle(), sql, NULL, NULL, &msg) != SQLITE_OK)
		printf("# %s: %s\n", sql, msg != NULL ? msg : "?");
	sqlite3_free(msg);
}

static long long
count(const char *sql)
{
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * Turns a fresh database back into schema version 4 (keys made by the old per-code-point lower-casing, no
 * search keys, the trigram index over the unique keys, no sessions.login_at), with the rows given, so that
 * reopening runs migrations 5 and on.
 */
static int
make_v4(const char *path, const char *rows)
{
	unlink(path);
	if (db_open(path, 1) != 0)
		return -1;
	/* Undo migration 10 (users.disabled_as), 9 (audit_meta), 8 (site sessions), 7 (sessions.login_at), 6
	   (throttle expiry, prune indexes), then 5. */
	exec("ALTER TABLE users DROP COLUMN disabled_as;");
	exec("DROP TABLE audit_meta;");
	exec("ALTER TABLE sessions DROP COLUMN site; ALTER TABLE sessions DROP COLUMN used_at;");
	exec("ALTER TABLE sessions DROP COLUMN login_at;");
	exec("DROP INDEX throttle_expires; DROP INDEX sessions_refresh_expires; DROP INDEX sessions_revoked;"
	    "ALTER TABLE throttle DROP COLUMN expires_at;");
	exec("DROP TRIGGER users_fts_insert; DROP TRIGGER users_fts_delete; DROP TRIGGER users_fts_update;"
	    "DROP TABLE users_fts;"
	    "ALTER TABLE users DROP COLUMN username_skey; ALTER TABLE users DROP COLUMN email_skey;"
	    "CREATE VIRTUAL TABLE users_fts USING fts5(username_key, email_key, content='users',"
	    "  content_rowid='uid', tokenize='trigram');"
	    "CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN"
	    "  INSERT INTO users_fts (rowid, username_key, email_key) VALUES (new.uid, new.username_key, new.email_key);"
	    " END;"
	    "CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN SELECT 1; END;"
	    "CREATE TRIGGER users_fts_update AFTER UPDATE OF username_key, email_key ON users BEGIN SELECT 1; END;");
	exec(rows);
	exec("PRAGMA user_version = 4");
	db_close();
	return 0;
}

#define V4_ROW(id, name, email) "INSERT INTO users (id, username, username_key, email, email_key, status," \
	" created_at, updated_at) VALUES ('" id "', '" name "', lower('" name "'), " email ", lower(" email "), 'active', 1, 1);"

static int
each_user(void *ctx, const struct user *u)
{
	(void)ctx;
	(void)u;
	return 0;
}

/* PRAGMA user_version of the file, read without gatehouse's migrations. */
static int
version_of(const char *path)
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return v;
}

/* Migration 5 re-keys existing rows with the library, fills the search keys, and refuses clashes. */
static void
test_migration_5(const char *dir, struct arena *a)
{
	char			 path[256];
	struct user_filter	 f;
	long long		 total = -1;

	snprintf(path, sizeof(path), "%s/v4.db", dir);
	CHECK(make_v4(path,
	    V4_ROW("00000000-0000-7000-8000-000000000001", "Zo\xc3\xab M\xc3\xbcller", "'Zoe@Example.com'")
	    V4_ROW("00000000-0000-7000-8000-000000000002", "Stra\xc3\x9f" "e", "NULL")
	    V4_ROW("00000000-0000-7000-8000-000000000003", "Ju\xcc\x88rgen", "'ju\xcc\x88rgen@example.com'")) == 0,
	    "a version 4 database with three users");
	CHECK(db_open(path, 0) == 0 && db_schema_version() == db_schema_latest(), "it migrates");
	CHECK(count("SELECT count(*) FROM users WHERE username_key = 'strasse'") == 1,
	    "the unique keys are re-made with full case folding");
	CHECK(count("SELECT count(*) FROM users WHERE username_key = 'j\xc3\xbcrgen'"
	    " AND email_key = 'j\xc3\xbcrgen@example.com'") == 1, "... and NFC");
	CHECK(count("SELECT count(*) FROM users WHERE username_skey = 'zoe muller' AND email_skey = 'zoe@example.com'")
	    == 1, "the search keys are filled");
	memset(&f, 0, sizeof(f));
	f.limit = 10;
	f.search = "MULLER";
	CHECK(db_user_list(a, &f, each_user, NULL, &total) == DB_OK && total == 1,
	    "the rebuilt trigram index finds an existing row without its accents");
	f.search = "j\xc3\xbcr";
	CHECK(db_user_list(a, &f, each_user, NULL, &total) == DB_OK && total == 1,
	    "a decomposed row is found by a precomposed term");
	db_close();

	CHECK(make_v4(path,
	    V4_ROW("00000000-0000-7000-8000-000000000001", "J\xc3\xbcrgen", "NULL")
	    V4_ROW("00000000-0000-7000-8000-000000000002", "ju\xcc\x88rgen", "NULL")) == 0,
	    "a version 4 database whose names clash under NFC");
	CHECK(db_open(path, 0) == -1, "migration 5 refuses usernames that would clash");
	CHECK(version_of(path) == 4, "... and leaves the database at version 4");
	CHECK(make_v4(path,
	    V4_ROW("00000000-0000-7000-8000-000000000003", "a", "'stra\xc3\x9f" "e@example.com'")
	    V4_ROW("00000000-0000-7000-8000-000000000004", "b", "'STRASSE@example.com'")) == 0,
	    "a version 4 database whose emails clash under case folding");
	CHECK(db_open(path, 0) == -1 && version_of(path) == 4, "migration 5 refuses emails that would clash");

	/* Migration 7: each existing session gets the start of its login, its family's first session. */
	CHECK(make_v4(path,
	    V4_ROW("00000000-0000-7000-8000-000000000005", "sessions", "NULL")
	    "INSERT INTO sessions (id, uid, access_digest, access_expires_at, refresh_digest, refresh_expires_at,"
	    " created_at, family) VALUES (1, 1, X'01', 0, X'02', 0, 100, NULL), (2, 1, X'03', 0, X'04', 0, 200, 1),"
	    " (3, 1, X'05', 0, X'06', 0, 300, NULL);") == 0, "a version 4 database with two logins' sessions");
	CHECK(db_open(path, 0) == 0 && db_schema_version() == db_schema_latest(), "it migrates");
	CHECK(count("SELECT count(*) FROM sessions WHERE login_at = 100 AND id IN (1, 2)") == 2 &&
	    count("SELECT count(*) FROM sessions WHERE login_at = 300 AND id = 3") == 1,
	    "migration 7 gives each session its login's start, a refreshed one its family's");
	db_close();
}

/*
 * The audit digest covers every stored field and the link to the previous row: changing any one of them, or a
 * NULL to an empty string, changes the digest. (Without the link in the digest, a forger who recomputes an edited
 * row's digest need only rewrite the next row's stored link, which no digest would cover.)
 */
static void
audit_digest_covers_every_field(void)
{
	struct audit_row a, b;
	unsigned char	 d0[32], d1[32];
	int		 i;

	memset(&a, 0, sizeof(a));
	a.id = 7;
	snprintf(a.uuid, sizeof(a.uuid), "%s", "0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e");
	a.created_at = 1700000000000000LL;
	a.actor_id = "0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5f";
	a.actor_username = "alice";
	a.action = "user.update";
	a.resource_type = "user";
	a.resource_id = "0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d60";
	a.details = "{\"username\":\"bob\"}";
	a.ip_address = "127.0.0.1";
	memset(a.prev_digest, 0x5a, sizeof(a.prev_digest));
	audit_digest(&a, d0);
	for (i = 0; i < 12; i++) {
		b = a;
		switch (i) {
		case 0: b.id++; break;
		case 1: b.uuid[35] = 'f'; break;
		case 2: b.created_at++; break;
		case 3: b.actor_id = NULL; break;
		case 4: b.actor_username = "mallory"; break;
		case 5: b.action = "user.delete"; break;
		case 6: b.resource_type = "api_key"; break;
		case 7: b.resource_id = NULL; break;
		case 8: b.details = "{\"username\":\"eve\"}"; break;
		case 9: b.ip_address = "10.0.0.1"; break;
		case 10: b.prev_digest[31] ^= 1; break;
		case 11: b.details = ""; a.details = NULL; audit_digest(&a, d0); break;
		}
		audit_digest(&b, d1);
		CHECK(memcmp(d0, d1, 32) != 0, "audit digest: field change %d changes the digest", i);
	}
}

int
main(void)
{
	char		 dir[] = "/tmp/gatehouse-test-db.XXXXXX", path[256];
	struct arena	 a;
	struct user	 u, v;
	struct stat	 st;
	unsigned char	 ad[32], rd[32];
	char		 tok[TOKEN_LEN + 1];
	int64_t		 exp = 0;
	long long	 n = 0;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/g.db", dir);
	config_defaults(&cfg);
	log_open(NULL, LOG_ERR, "test-db");
	arena_init(&a, 1 << 20);
	{
		unsigned char key[32];

		random_bytes(key, sizeof(key));
		audit_key_set(key);
	}

	CHECK(db_open(path, 0) == -1, "opening a missing database without create fails");
	CHECK(db_open(path, 1) == 0, "init creates the database");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the database file is 0600");
	CHECK(db_schema_version() == db_schema_latest() && db_schema_latest() >= 5,
	    "migrations bring the schema to the latest version (%d)", db_schema_latest());

	CHECK(create(&a, "Alice", "Alice@example.com", ROLE_BIT(ROLE_ADMIN), &u) == DB_OK, "insert a user");
	CHECK(strlen(u.id) == 36 && u.id[14] == '7', "new ids are UUIDv7");
	CHECK(create(&a, "aLiCe", NULL, ROLE_BIT(ROLE_VIEWER), &v) == DB_EXISTS_USERNAME,
	    "usernames are unique case-insensitively");
	CHECK(create(&a, "bob", "alice@EXAMPLE.com", ROLE_BIT(ROLE_VIEWER), &v) == DB_EXISTS_EMAIL,
	    "emails are unique case-insensitively");
	CHECK(create(&a, "\xc3\x84rger", NULL, ROLE_BIT(ROLE_VIEWER), &v) == DB_OK, "insert a non-ASCII name");
	CHECK(create(&a, "\xc3\xa4RGER", NULL, ROLE_BIT(ROLE_VIEWER), &v) == DB_EXISTS_USERNAME,
	    "non-ASCII names fold too");
	CHECK(db_user_conflict(&a, "ALICE", NULL) == DB_EXISTS_USERNAME, "the pre-check sees the taken name");
	CHECK(db_user_conflict(&a, "carol", NULL) == DB_NONE, "the pre-check passes a free name");
	CHECK(db_count_users(&n) == DB_OK && n == 2, "two users stored, the refused ones not");

	CHECK(db_user_by_login(&a, "ALICE", 5, &v) == DB_OK && strcmp(v.id, u.id) == 0 &&
	    strcmp(v.username, "Alice") == 0 && v.password_hash != NULL && v.roles == ROLE_BIT(ROLE_ADMIN),
	    "login lookup is case-insensitive and returns the stored name, hash and roles");
	CHECK(db_user_by_login(&a, "nobody", 6, &v) == DB_NONE, "unknown login gives none");

	token_new(TOKEN_ACCESS_PREFIX, tok, ad);
	token_new(TOKEN_REFRESH_PREFIX, tok, rd);
	CHECK(db_session_insert(u.uid, ad, now_us() + 1000000, rd, now_us() + 2000000, now_us(), 0, now_us()) == DB_OK,
	    "insert a session");
	CHECK(db_user_by_access(&a, ad, &v, &exp) == DB_OK && strcmp(v.id, u.id) == 0 && exp > now_us(),
	    "the access digest resolves to its user");
	CHECK(db_user_by_access(&a, rd, &v, &exp) == DB_NONE, "a refresh digest is not an access token");

	{
		char p[1024];
		long long rows = 0;
		int64_t bad = 0;
		const char *why = NULL;

		/* The plans the hot paths rely on (100,000 users stay fast only with these). */
		plan("SELECT * FROM sessions s JOIN users u ON u.uid = s.uid WHERE s.access_digest = x'00'", p, sizeof(p));
		CHECK(strstr(p, "sqlite_autoindex_sessions") != NULL && strstr(p, "USING INTEGER PRIMARY KEY") != NULL,
		    "bearer lookup: unique index on the digest, then the user by rowid (%s)", p);
		plan("SELECT * FROM users WHERE username_key = 'x'", p, sizeof(p));
		CHECK(strstr(p, "USING INDEX sqlite_autoindex_users") != NULL, "login lookup uses the folded-name index (%s)", p);
		plan("SELECT * FROM users u ORDER BY u.created_at ASC, u.id ASC LIMIT 50 OFFSET 0", p, sizeof(p));
		CHECK(strstr(p, "users_created") != NULL && strstr(p, "TEMP B-TREE") == NULL,
		    "the default page walks the created_at index without sorting (%s)", p);
		plan("SELECT * FROM users u ORDER BY u.username DESC, u.id DESC LIMIT 50", p, sizeof(p));
		CHECK(strstr(p, "users_username") != NULL && strstr(p, "TEMP B-TREE") == NULL,
		    "sorting by username walks its index (%s)", p);

		plan("SELECT count(*) FROM users u WHERE u.uid IN (SELECT rowid FROM users_fts WHERE users_fts MATCH"
		    " '\"abc\"') AND (NULL IS NULL OR u.status = NULL)", p, sizeof(p));
		CHECK(strstr(p, "VIRTUAL TABLE INDEX") != NULL && strstr(p, "SCAN u ") == NULL && strstr(p, "SCAN u;") == NULL,
		    "a search of three characters or more starts from the trigram index, no scan of users (%s)", p);

		{
			sqlite3_stmt *q;
			int mismatched = -1;

			if (sqlite3_prepare_v2(db_handle(), "SELECT count(*) FROM users u WHERE role_bits !="
			    " (SELECT coalesce(sum(1 << (r.role_id - 1)), 0) FROM user_roles r WHERE r.uid = u.uid)",
			    -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
				mismatched = sqlite3_column_int(q, 0);
			sqlite3_finalize(q);
			CHECK(mismatched == 0, "every user's role bitmask agrees with user_roles");
		}

		/* The audit chain: intact, then edited, then with a row deleted. */
		append("user.create", "{\"username\":\"a\"}");
		append("user.update", NULL);
		append("user.delete", "{\"username\":\"a\"}");
		CHECK(audit_verify(&rows, &bad, &why) == 0 && rows == 3, "an intact chain verifies");
		sqlite3_exec(db_handle(), "UPDATE audit SET action = 'user.read' WHERE id = 2", NULL, NULL, NULL);
		CHECK(audit_verify(&rows, &bad, &why) == -1 && bad == 2 && strstr(why, "edited") != NULL,
		    "an edited row is named");
		sqlite3_exec(db_handle(), "UPDATE audit SET action = 'user.update' WHERE id = 2", NULL, NULL, NULL);
		CHECK(audit_verify(&rows, &bad, &why) == 0, "undoing the edit restores the chain");
		sqlite3_exec(db_handle(), "DELETE FROM audit WHERE id = 2", NULL, NULL, NULL);
		CHECK(audit_verify(&rows, &bad, &why) == -1 && bad == 3, "a deleted row breaks the chain at the next one");
		sqlite3_exec(db_handle(), "UPDATE audit SET id = 2 WHERE id = 3", NULL, NULL, NULL);
		CHECK(audit_verify(&rows, &bad, &why) == -1 && bad == 2 && strstr(why, "link") != NULL,
		    "renumbering after a deletion is caught by the link");
		{
			/* A forger without the key recomputes the chain as it was before keying: plain SHA-256. */
			struct audit_row	 r;
			sqlite3_stmt		*q;
			unsigned char		 prev[32] = { 0 };

			sqlite3_exec(db_handle(), "DELETE FROM audit", NULL, NULL, NULL);
			append("user.create", NULL);
			append("user.update", NULL);
			CHECK(audit_verify(&rows, &bad, &why) == 0 && rows == 2, "a fresh keyed chain verifies");
			sqlite3_prepare_v2(db_handle(), "SELECT id, uuid, created_at, action, resource_type FROM audit"
			    " ORDER BY id", -1, &q, NULL);
			while (sqlite3_step(q) == SQLITE_ROW) {
				memset(&r, 0, sizeof(r));
				r.id = sqlite3_column_int64(q, 0);
				snprintf(r.uuid, sizeof(r.uuid), "%s", (const char *)sqlite3_column_text(q, 1));
				r.created_at = sqlite3_column_int64(q, 2);
				r.action = (const char *)sqlite3_column_text(q, 3);
				r.resource_type = (const char *)sqlite3_column_text(q, 4);
				memcpy(r.prev_digest, prev, 32);
				audit_digest_unkeyed(&r, r.digest);
				{
					sqlite3_stmt *w;

					sqlite3_prepare_v2(db_handle(), "UPDATE audit SET prev_digest = ?2, digest = ?3"
					    " WHERE id = ?1", -1, &w, NULL);
					sqlite3_bind_int64(w, 1, r.id);
					sqlite3_bind_blob(w, 2, r.prev_digest, 32, SQLITE_STATIC);
					sqlite3_bind_blob(w, 3, r.digest, 32, SQLITE_STATIC);
					sqlite3_step(w);
					sqlite3_finalize(w);
				}
				memcpy(prev, r.digest, 32);
			}
			sqlite3_finalize(q);
			CHECK(audit_verify(&rows, &bad, &why) == -1 && bad == 1 && strstr(why, "keyed") != NULL,
			    "a chain recomputed with plain SHA-256 (no key) is caught at its first row");
		}
	}
	db_close();

	CHECK(db_open(path, 0) == 0 && db_schema_version() == db_schema_latest(), "reopening keeps the schema version");
	CHECK(db_count_users(&n) == DB_OK && n == 2, "data survives reopening");
	db_close();

	test_migration_5(dir, &a);
	arena_free(&a);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	audit_digest_covers_every_field();
	return unit_done();
}
