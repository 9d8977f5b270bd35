/*
 * ceiling-pg.c: ceiling (c) of bench/run --database postgresql. Ceiling (b) with PostgreSQL in place of SQLite:
 * accept (libfcgi), read ?id=<uuid> from QUERY_STRING, one prepared SELECT on the users table's unique id index
 * over one libpq connection opened at start (as a gatehouse worker holds one), a small JSON body, finish. No
 * configuration, no authentication, no arena, no logging. The gap between (b) and (c) is what a round trip to
 * the server costs a point read.
 *
 * It serves the FastCGI socket on fd 0 (spawn-fcgi -F N -- ceiling-pg URI), as gatehouse's workers do; each
 * process connects after spawn-fcgi forked it.
 * Built by bench/run: cc -O2 -I$(pg_config --includedir) -o ceiling-pg ceiling-pg.c -lfcgi -lpq
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

static void
put_json_str(FCGX_Stream *out, const char *s)
{
	FCGX_PutChar('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			FCGX_PutChar('\\', out);
		if ((unsigned char)*s >= 0x20)
			FCGX_PutChar(*s, out);
	}
	FCGX_PutChar('"', out);
}

static void
put_field(FCGX_Stream *out, const char *name, PGresult *res, int col, int quoted)
{
	FCGX_PutS(name, out);
	if (PQgetisnull(res, 0, col))
		FCGX_PutS("null", out);
	else if (quoted)
		put_json_str(out, PQgetvalue(res, 0, col));
	else
		FCGX_PutS(PQgetvalue(res, 0, col), out);
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 req;
	PGconn		*c;
	PGresult	*res;
	const char	*q, *id;

	if (argc != 2) {
		fprintf(stderr, "usage: ceiling-pg URI   (FastCGI socket on fd 0)\n");
		return 2;
	}
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ceiling-pg: %s", PQerrorMessage(c));
		return 1;
	}
	res = PQprepare(c, "get", "SELECT id, username, email, status, created_at, last_login_at FROM users"
	    " WHERE id = $1", 1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ceiling-pg: %s", PQerrorMessage(c));
		return 1;
	}
	PQclear(res);
	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		q = FCGX_GetParam("QUERY_STRING", req.envp);
		id = (q != NULL && strncmp(q, "id=", 3) == 0) ? q + 3 : "";
		res = strlen(id) == 36 ? PQexecPrepared(c, "get", 1, &id, NULL, NULL, 0) : NULL;
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{", req.out);
			put_field(req.out, "\"id\":", res, 0, 1);
			put_field(req.out, ",\"username\":", res, 1, 1);
			put_field(req.out, ",\"email\":", res, 2, 1);
			put_field(req.out, ",\"status\":", res, 3, 1);
			put_field(req.out, ",\"created_at\":", res, 4, 0);
			put_field(req.out, ",\"last_login_at\":", res, 5, 0);
			FCGX_PutS("}", req.out);
		} else
			FCGX_PutS("Status: 404 Not Found\r\nContent-Type: application/json\r\n\r\n"
			    "{\"detail\":\"User not found\"}", req.out);
		PQclear(res);
		FCGX_Finish_r(&req);
	}
	PQfinish(c);
	return 0;
}
