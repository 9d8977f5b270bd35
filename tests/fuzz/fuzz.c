/*
 * fuzz.c: start-up and oracles shared by the harnesses. The database lives in a temporary folder (under
 * /dev/shm when it exists, so that synchronous = FULL costs nothing) holding an admin, a viewer and a pending
 * user with fixed ids, and sessions with fixed tokens (one of them expired). A snapshot taken at start-up is
 * copied back (sqlite3_backup) after every input that changed a row, so every input meets the same state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>
#include <sanitizer/common_interface_defs.h>
#include <sqlite3.h>

#include "fuzz.h"

struct arena	 fuzz_arena;
static char	 dir[256];
static sqlite3	*snapshot;
static int	 changes_seen;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz set-up: %s\n", what);
	fuzz_abort();
}

/* Removes the temporary folder; safe to call from a crash (no SQLite call, no allocation). */
static void
remove_dir(void)
{
	static const char *const files[] = { "g.db", "g.db-wal", "g.db-shm", "g.db-journal" };
	char	 path[512];
	size_t	 i;

	if (dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	dir[0] = '\0';
}

static void
cleanup(void)
{
	if (snapshot != NULL)
		sqlite3_close(snapshot);
	snapshot = NULL;
	if (dir[0] != '\0')
		db_close();
	remove_dir();
}

void
fuzz_abort(void)
{
	remove_dir();
	abort();
}

static void
add_user(const char *id, const char *name, const char *email, enum status st, unsigned roles, const char *pw)
{
	struct user	 u;
	char		 hash[256];
	sqlite3_stmt	*s;

	memset(&u, 0, sizeof(u));
	u.username = (char *)name;
	u.email = (char *)email;
	u.status = st;
	u.roles = roles;
	u.created_at = now_us();
	if (password_hash(pw, strlen(pw), cfg.hash_cost, hash, sizeof(hash)) == -1)
		die("password_hash");
	if (db_begin() != DB_OK || db_user_insert(&fuzz_arena, &u, hash) != DB_OK || db_commit() != DB_OK)
		die("insert user");
	if (sqlite3_prepare_v2(db_handle(), "UPDATE users SET id = ?1 WHERE uid = ?2", -1, &s, NULL) != SQLITE_OK)
		die("prepare");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, u.uid);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("set id");
	sqlite3_finalize(s);
}

static void
add_session(const char *id, const char *token, int64_t access_exp)
{
	unsigned char	 ad[32], rd[32];
	char		 rt[TOKEN_LEN + 1];
	sqlite3_stmt	*s;
	int64_t		 uid;

	if (strlen(token) != TOKEN_LEN)
		die("token length");
	if (sqlite3_prepare_v2(db_handle(), "SELECT uid FROM users WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		die("prepare");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		die("no such user");
	uid = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	token_digest(token, strlen(token), ad);
	token_new(TOKEN_REFRESH_PREFIX, rt, rd);
	if (db_session_insert(uid, ad, access_exp, rd, now_us() + 86400LL * 1000000 * 365, now_us(), 0, now_us()) != DB_OK)
		die("insert session");
}

void
fuzz_init(int with_db)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char		 path[512];
	int64_t		 year = 86400LL * 1000000 * 365;

	if (sodium_init() < 0)
		die("sodium_init");
	config_defaults(&cfg);
	cfg.hash_cost = 1;
	{
		static const unsigned char key[32] = { 0x5a };	/* the audit chain's key: any fixed one */

		audit_key_set(key);
	}
	log_open("/dev/null", LOG_ERR, "fuzz");
	/* As loop.c sizes it. */
	arena_init(&fuzz_arena, (size_t)cfg.body_limit * 8 + 1024 * 1024);
	if (!with_db)
		return;
	snprintf(dir, sizeof(dir), "%s/gatehouse-fuzz.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	atexit(cleanup);
	__sanitizer_set_death_callback(remove_dir);	/* a sanitizer report ends the process without atexit */
	snprintf(path, sizeof(path), "%s/g.db", dir);
	snprintf(cfg.database, sizeof(cfg.database), "%s", path);
	if (db_open(cfg.database, 1) == -1)
		die("db_open");
	add_user(FUZZ_ADMIN_ID, "admin", "admin@example.com", STATUS_ACTIVE, ROLE_BIT(ROLE_ADMIN), FUZZ_ADMIN_PASSWORD);
	add_user(FUZZ_VIEWER_ID, "viewer", NULL, STATUS_ACTIVE, ROLE_BIT(ROLE_VIEWER), "viewer-password");
	add_user(FUZZ_PENDING_ID, "pending", "pending@example.org", STATUS_PENDING, ROLE_BIT(ROLE_VIEWER),
	    "pending-password");
	add_session(FUZZ_ADMIN_ID, FUZZ_ADMIN_TOKEN, now_us() + year);
	add_session(FUZZ_VIEWER_ID, FUZZ_VIEWER_TOKEN, now_us() + year);
	add_session(FUZZ_ADMIN_ID, FUZZ_EXPIRED_TOKEN, now_us() - 1000000);
	arena_reset(&fuzz_arena);

	/* The snapshot every input starts from. */
	{
		sqlite3_backup *b;

		if (sqlite3_open(":memory:", &snapshot) != SQLITE_OK ||
		    (b = sqlite3_backup_init(snapshot, "main", db_handle(), "main")) == NULL ||
		    sqlite3_backup_step(b, -1) != SQLITE_DONE || sqlite3_backup_finish(b) != SQLITE_OK)
			die("snapshot");
	}
	changes_seen = sqlite3_total_changes(db_handle());
}

void
fuzz_db_restore(void)
{
	sqlite3_backup *b;

	if (snapshot == NULL)
		return;
	db_ensure_idle();
	if (sqlite3_total_changes(db_handle()) == changes_seen)
		return;
	if ((b = sqlite3_backup_init(db_handle(), "main", snapshot, "main")) == NULL ||
	    sqlite3_backup_step(b, -1) != SQLITE_DONE || sqlite3_backup_finish(b) != SQLITE_OK)
		die("restore");
	changes_seen = sqlite3_total_changes(db_handle());
}

void
fuzz_req_init(struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->arena = &fuzz_arena;
	r->now = now_us();
	r->query = "";
	r->body = "";
	snprintf(r->request_id, sizeof(r->request_id), "00000000-0000-4000-8000-000000000000");
}

void
fuzz_req_done(struct req *r)
{
	json_object_put(r->json);
	r->json = NULL;
	arena_reset(&fuzz_arena);
}

char *
fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		fuzz_abort();
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
fuzz_check_json(const char *what, const char *p, size_t n)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 e;
	size_t			 bad = 0, end;
	char			*copy;
	const char		*why;

	if (utf8_check(p, n, &bad) == -1) {
		fprintf(stderr, "oracle: %s is not valid UTF-8 at byte %zu: %.*s\n", what, bad,
		    (int)(n > 2000 ? 2000 : n), p);
		fuzz_abort();
	}
	if (memchr(p, '\0', n) != NULL) {
		fprintf(stderr, "oracle: %s holds a NUL byte\n", what);
		fuzz_abort();
	}
	/* NUL-terminated and handed over with the NUL, so that a bare number can finish. */
	copy = fuzz_strndup((const uint8_t *)p, n);
	/* Python's grammar too: no NaN, no raw control character; an echo nests two deeper than its input. */
	if (jsonstrict_check(p, n, 1024, &bad, &why) == -1) {
		fprintf(stderr, "oracle: %s is not JSON to Python (%s at %zu): %.*s\n", what, why, bad,
		    (int)(n > 2000 ? 2000 : n), p);
		fuzz_abort();
	}
	if ((tok = json_tokener_new_ex(1024)) == NULL)
		fuzz_abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, copy, (int)n + 1);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e != json_tokener_success || end < n) {
		fprintf(stderr, "oracle: %s is not one JSON value (%s at %zu): %.*s\n", what,
		    json_tokener_error_desc(e), end, (int)(n > 2000 ? 2000 : n), p);
		fuzz_abort();
	}
	json_object_put(o);
	json_tokener_free(tok);
	free(copy);
}

void
fuzz_check_verrs(struct req *r)
{
	static struct buf b;

	buf_reset(&b);
	verrs_render(&b, &r->verrs);
	if (b.failed)
		return;
	fuzz_check_json("the rendered 422 detail", b.p, b.len);
}
