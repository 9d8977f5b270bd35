/*
 * test-store.c: the storage interface's own rules: which engine a database setting names, and that messages
 * show a PostgreSQL URI without its password (a table of URI forms). With GATEHOUSE_TEST_PG_URI set (a libpq URI
 * of an empty, throwaway database), also the PostgreSQL engine's write lock: processes appending to the audit
 * chain and creating the same name at once leave one unbroken chain and one user.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "gatehouse.h"
#include "unit.h"

static const struct {
	const char	*setting;
	int		 pg;
	const char	*shown;
} cases[] = {
	{ "/var/lib/gatehouse/gatehouse.db", 0, "/var/lib/gatehouse/gatehouse.db" },
	{ "postgresql.db", 0, "postgresql.db" },
	{ "postgresql:///gatehouse?host=/run/postgresql", 1, "postgresql:///gatehouse?host=/run/postgresql" },
	{ "postgres://alice@db.example/gh", 1, "postgres://alice@db.example/gh" },
	{ "postgresql://alice:s3cret@db.example/gh", 1, "postgresql://alice@db.example/gh" },
	{ "POSTGRESQL://alice:s3cret@db.example:5433/gh", 1, "POSTGRESQL://alice@db.example:5433/gh" },
	{ "postgresql://:s3cret@db.example/gh", 1, "postgresql://@db.example/gh" },
	{ "postgresql:///gh?password=s3cret", 1, "postgresql:///gh" },
	{ "postgresql:///gh?host=/tmp&password=s3cret&user=bob", 1, "postgresql:///gh?host=/tmp&user=bob" },
	{ "postgresql:///gh?password=s3cret&sslmode=require", 1, "postgresql:///gh?sslmode=require" },
	{ "postgresql://bob:pw@h1:5432,h2:5432/gh?password=other&target_session_attrs=read-write", 1,
	    "postgresql://bob@h1:5432,h2:5432/gh?target_session_attrs=read-write" },
};

#ifdef HAVE_LIBPQ
/* One child: rounds write transactions, each creating a user and appending an audit row. */
static int
writer(const char *uri, int who, int rounds)
{
	struct arena	 a;
	struct user	 u;
	struct audit_row r;
	char		 name[32];
	enum db_rc	 rc;
	int		 i, made = 0;

	arena_init(&a, 1 << 20);
	if (db_open(uri, 0) == -1)
		return 100;
	for (i = 0; i < rounds; i++) {
		memset(&u, 0, sizeof(u));
		/* Every child tries the same names in other cases: only one of each may be created. */
		snprintf(name, sizeof(name), who % 2 ? "Racer-%d" : "rACER-%d", i);
		u.username = name;
		u.status = STATUS_ACTIVE;
		u.roles = ROLE_BIT(ROLE_VIEWER);
		u.created_at = now_us();
		memset(&r, 0, sizeof(r));
		uuid_v7(r.uuid);
		r.created_at = now_us();
		r.action = "user.create";
		r.resource_type = "user";
		/* Under the write lock the only refusal is a clean "exists"; anything else (a unique index's or
		   the audit chain's primary key's violation, a lock timeout) means writers interleaved. */
		if (db_begin() != DB_OK)
			return 200;
		if ((rc = db_user_insert(&a, &u, "$y$j9T$x$y")) == DB_EXISTS_USERNAME) {
			db_rollback();
			continue;
		}
		if (rc != DB_OK || db_audit_append(&r) != DB_OK || db_commit() != DB_OK) {
			db_rollback();
			return 201;
		}
		made++;
		arena_reset(&a);
	}
	db_close();
	arena_free(&a);
	return made;
}

/* Disables the other admin when some active admin is left besides it: the last-admin guard's check-then-write,
   with the time a handler takes between the two. 1 when it disabled, 0 when the guard refused, 2 on failure. */
static int
disable_other(const char *uri, const char *other)
{
	struct arena	 a;
	struct user	 u;
	long long	 n = 0;
	int		 rc = 2;

	arena_init(&a, 1 << 20);
	if (db_open(uri, 0) == -1)
		return 2;
	if (db_begin() == DB_OK && db_user_by_login(&a, other, strlen(other), &u) == DB_OK &&
	    db_viable_admins_except(u.uid, &n) == DB_OK) {
		usleep(20000);
		if (n == 0)
			rc = 0;
		else
			rc = db_user_set_status(u.uid, STATUS_DISABLED, DISABLED_PLAIN, now_us()) == DB_OK &&
			    db_commit() == DB_OK ? 1 : 2;
	}
	db_rollback();
	db_close();
	arena_free(&a);
	return rc;
}

/* Two admins, each disabled by a process that checks first that another active admin remains: write skew that
   only one writer at a time prevents. Some admin stays active, every round. */
static void
test_pg_guard(const char *uri)
{
	struct arena	 a;
	struct user	 u[2];
	static const char *const names[2] = { "guard-a", "guard-b" };
	pid_t		 p[2];
	int		 round, i, st, left_none = 0, failed = 0;
	long long	 n;

	arena_init(&a, 1 << 20);
	if (db_open(uri, 0) == -1)
		return;
	for (i = 0; i < 2; i++) {
		memset(&u[i], 0, sizeof(u[i]));
		u[i].username = (char *)names[i];
		u[i].status = STATUS_ACTIVE;
		u[i].roles = ROLE_BIT(ROLE_ADMIN);
		u[i].created_at = now_us();
		if (db_begin() != DB_OK || db_user_insert(&a, &u[i], "$y$j9T$x$y") != DB_OK || db_commit() != DB_OK)
			failed++;
	}
	/* The writer test's users are viewers: these two are the only admins. */
	for (round = 0; round < 10 && !failed; round++) {
		db_close();	/* each process has its own connection */
		for (i = 0; i < 2; i++)
			if ((p[i] = fork()) == 0)
				_exit(disable_other(uri, names[1 - i]));
		for (i = 0; i < 2; i++)
			if (p[i] < 0 || waitpid(p[i], &st, 0) == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 2)
				failed++;
		if (db_open(uri, 0) == -1 || db_viable_admins_except(0, &n) != DB_OK || n == 0)
			left_none++;
		for (i = 0; i < 2; i++)
			if (db_begin() != DB_OK || db_user_set_status(u[i].uid, STATUS_ACTIVE, DISABLED_PLAIN, now_us()) !=
			    DB_OK || db_commit() != DB_OK)
				failed++;
	}
	CHECK(failed == 0 && left_none == 0,
	    "two processes disabling each other's admin at once always leave one active (%d rounds of 10 left none,"
	    " %d failures)", left_none, failed);
	db_close();
	arena_free(&a);
}

static void
test_pg_lock(const char *uri)
{
	enum { CHILDREN = 4, ROUNDS = 25 };
	pid_t		 pids[CHILDREN];
	int		 i, st, made = 0, ok = 1;
	long long	 users = 0, rows = 0;
	int64_t		 bad = 0;
	const char	*why = NULL;
	unsigned char	 key[32];

	memset(key, 7, sizeof(key));
	audit_key_set(key);
	CHECK(db_open(uri, 1) == 0, "the PostgreSQL engine opens %s and creates its schema", db_display(uri));
	db_close();
	for (i = 0; i < CHILDREN; i++)
		if ((pids[i] = fork()) == 0)
			_exit(writer(uri, i, ROUNDS));
	for (i = 0; i < CHILDREN; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &st, 0) == -1 || !WIFEXITED(st) || WEXITSTATUS(st) > ROUNDS)
			ok = 0;
		else
			made += WEXITSTATUS(st);
	}
	CHECK(ok, "%d processes wrote at once without an error", CHILDREN);
	CHECK(db_open(uri, 0) == 0 && db_count_users(&users) == DB_OK, "the database answers afterwards");
	CHECK(made == ROUNDS && users == ROUNDS,
	    "each name was created once in whatever case (%d created, %lld users, %d names)", made, users, ROUNDS);
	CHECK(audit_verify(&rows, &bad, &why) == 0 && rows == ROUNDS,
	    "the audit chain written by every process at once is one unbroken line (%lld rows%s%s)", rows,
	    why != NULL ? ": " : "", why != NULL ? why : "");
	db_close();
	test_pg_guard(uri);
}
#endif

int
main(void)
{
	size_t		 i;
	const char	*uri = getenv("GATEHOUSE_TEST_PG_URI");

	if (sodium_init() < 0)
		return 1;
	config_defaults(&cfg);
	log_open(NULL, LOG_ERR, "test-store");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(db_is_postgresql(cases[i].setting) == cases[i].pg, "%s is %s", cases[i].shown,
		    cases[i].pg ? "PostgreSQL" : "an SQLite path");
		CHECK(strcmp(db_display(cases[i].setting), cases[i].shown) == 0 &&
		    strstr(db_display(cases[i].setting), "s3cret") == NULL && strstr(db_display(cases[i].setting),
		    "other") == NULL, "shown as %s (got %s)", cases[i].shown, db_display(cases[i].setting));
	}
#ifdef HAVE_LIBPQ
	if (uri != NULL && uri[0] != '\0')
		test_pg_lock(uri);
	else
		printf("# GATEHOUSE_TEST_PG_URI unset: the PostgreSQL engine's lock is tested by the bats suite only\n");
#else
	(void)uri;
	CHECK(db_open("postgresql:///x", 0) == -1, "a build without PostgreSQL refuses a URI");
#endif
	return unit_done();
}
