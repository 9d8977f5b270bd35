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

	CHECK(db_open(path, 0) == -1, "opening a missing database without create fails");
	CHECK(db_open(path, 1) == 0, "init creates the database");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the database file is 0600");
	CHECK(db_schema_version() == 4, "migrations bring the schema to version 4");

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
	CHECK(db_session_insert(u.uid, ad, now_us() + 1000000, rd, now_us() + 2000000, now_us(), 0) == DB_OK,
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
	}
	db_close();

	CHECK(db_open(path, 0) == 0 && db_schema_version() == 4, "reopening keeps the schema version");
	CHECK(db_count_users(&n) == DB_OK && n == 2, "data survives reopening");
	db_close();

	arena_free(&a);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return unit_done();
}
