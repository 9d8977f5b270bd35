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

#include "../../src/gatehouse.h"
#include "unit.h"

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
	CHECK(db_schema_version() == 1, "migrations bring the schema to version 1");

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
	CHECK(db_session_insert(u.uid, ad, now_us() + 1000000, rd, now_us() + 2000000, now_us()) == DB_OK,
	    "insert a session");
	CHECK(db_user_by_access(&a, ad, &v, &exp) == DB_OK && strcmp(v.id, u.id) == 0 && exp > now_us(),
	    "the access digest resolves to its user");
	CHECK(db_user_by_access(&a, rd, &v, &exp) == DB_NONE, "a refresh digest is not an access token");
	db_close();

	CHECK(db_open(path, 0) == 0 && db_schema_version() == 1, "reopening keeps the schema version");
	CHECK(db_count_users(&n) == DB_OK && n == 2, "data survives reopening");
	db_close();

	arena_free(&a);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return unit_done();
}
