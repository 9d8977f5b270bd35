/*
 * ceiling.c: ceiling (b) of bench/run. The least a FastCGI responder behind the same nginx can do per request
 * with one indexed SQLite point lookup: accept (libfcgi), read ?id=<uuid> from QUERY_STRING, one prepared
 * SELECT on the users table's unique id index, a small JSON body, finish. No configuration, no
 * authentication, no arena, no logging.
 *
 * It serves the FastCGI socket on fd 0 (spawn-fcgi -F N -- ceiling DB), as gatehouse's workers do.
 * Built by bench/run: cc -O2 -o ceiling ceiling.c -lfcgi -lsqlite3
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <sqlite3.h>

static void
put_json_str(FCGX_Stream *out, const unsigned char *s)
{
	if (s == NULL) {
		FCGX_PutS("null", out);
		return;
	}
	FCGX_PutChar('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			FCGX_PutChar('\\', out);
		if (*s >= 0x20)
			FCGX_PutChar(*s, out);
	}
	FCGX_PutChar('"', out);
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 req;
	sqlite3		*db;
	sqlite3_stmt	*st;
	const char	*q, *id;

	if (argc != 2) {
		fprintf(stderr, "usage: ceiling DATABASE   (FastCGI socket on fd 0)\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "SELECT id, username, email, status, created_at, last_login_at FROM users"
	    " WHERE id = ?1", -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "ceiling: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_busy_timeout(db, 5000);
	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		q = FCGX_GetParam("QUERY_STRING", req.envp);
		id = (q != NULL && strncmp(q, "id=", 3) == 0) ? q + 3 : "";
		sqlite3_bind_text(st, 1, id, 36, SQLITE_STATIC);
		if (strlen(id) >= 36 && sqlite3_step(st) == SQLITE_ROW) {
			FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"id\":", req.out);
			put_json_str(req.out, sqlite3_column_text(st, 0));
			FCGX_PutS(",\"username\":", req.out);
			put_json_str(req.out, sqlite3_column_text(st, 1));
			FCGX_PutS(",\"email\":", req.out);
			put_json_str(req.out, sqlite3_column_text(st, 2));
			FCGX_PutS(",\"status\":", req.out);
			put_json_str(req.out, sqlite3_column_text(st, 3));
			FCGX_FPrintF(req.out, ",\"created_at\":%lld,\"last_login_at\":%lld}",
			    (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5));
		} else
			FCGX_PutS("Status: 404 Not Found\r\nContent-Type: application/json\r\n\r\n"
			    "{\"detail\":\"User not found\"}", req.out);
		sqlite3_reset(st);
		FCGX_Finish_r(&req);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}
