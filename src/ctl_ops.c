/*
 * ctl_ops.c: gatehousectl's operator commands (user ..., create-admin, backup, prune, import, export). Every
 * change is made by running the API's own request through the dispatcher in this process (app_handle with
 * cli_actor set), so it passes the same validation, invariants (last admin, unique names), transactions and
 * audit trail as the web; the audit actor is "cli:<unix user>". Nothing here writes to the database by itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "gatehouse.h"
#include "ctl.h"

static struct app	 app;
static char		 actor[96];

static void
sink_buf(void *ctx, const char *p, size_t n)
{
	buf_put(ctx, p, n);
}

const char *
ctl_actor(void)
{
	struct passwd *pw;

	if (actor[0] == '\0') {
		pw = getpwuid(getuid());
		if (pw != NULL)
			snprintf(actor, sizeof(actor), "cli:%s", pw->pw_name);
		else
			snprintf(actor, sizeof(actor), "cli:%ld", (long)getuid());
	}
	return actor;
}

/*
 * Runs one API request as the operator; returns the HTTP status (0 when the response could not be read) and,
 * in *resp, the parsed JSON body (NULL when none; the caller puts it).
 */
static int
call(const char *method, const char *path, const char *query, const char *body, struct json_object **resp)
{
	static struct buf	 out;
	struct sink		 sink = { sink_buf, &out };
	struct cgi_env		 env;
	char			 clen[24];
	const char		*p;
	int			 status = 0;

	memset(&env, 0, sizeof(env));
	if (app.arena.cap == 0)
		arena_init(&app.arena, 64 * 1024 * 1024);
	buf_reset(&out);
	env.method = method;
	env.path_info = path;
	env.query = query != NULL ? query : "";
	env.cli_actor = ctl_actor();
	if (body != NULL) {
		env.content_type = "application/json";
		snprintf(clen, sizeof(clen), "%zu", strlen(body));
		env.content_length = clen;
	}
	app_handle(&app, &env, body, body != NULL ? strlen(body) : 0, BODY_OK, &sink);
	arena_reset(&app.arena);
	*resp = NULL;
	p = buf_cstr(&out);
	if (strncmp(p, "Status: ", 8) == 0)
		status = atoi_safe(p + 8);
	if ((p = strstr(p, "\r\n\r\n")) != NULL && p[4] != '\0')
		*resp = json_tokener_parse(p + 4);
	return status;
}

/* Prints an error response: the detail, or each 422 entry as "field: message". */
static void
print_error(const char *what, int status, struct json_object *resp)
{
	struct json_object	*detail = NULL, *e, *loc, *msg;
	size_t			 i, j;

	if (resp == NULL || !json_object_object_get_ex(resp, "detail", &detail)) {
		fprintf(stderr, "gatehousectl: %s: failed (status %d)\n", what, status);
		return;
	}
	if (!json_object_is_type(detail, json_type_array)) {
		fprintf(stderr, "gatehousectl: %s: %s\n", what, json_object_get_string(detail));
		return;
	}
	for (i = 0; i < json_object_array_length(detail); i++) {
		e = json_object_array_get_idx(detail, i);
		fprintf(stderr, "gatehousectl: %s: ", what);
		if (json_object_object_get_ex(e, "loc", &loc) && json_object_is_type(loc, json_type_array))
			for (j = 1; j < json_object_array_length(loc); j++)
				fprintf(stderr, "%s%s", j > 1 ? "." : "",
				    json_object_get_string(json_object_array_get_idx(loc, j)));
		if (json_object_object_get_ex(e, "msg", &msg))
			fprintf(stderr, ": %s", json_object_get_string(msg));
		fputc('\n', stderr);
	}
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

/* A user named by id (any UUID form) or by name (as login finds it); the id in out. 0, or -1 with a message. */
static int
resolve(const char *who, char out[37])
{
	struct arena	 a;
	struct user	 u;
	char		 why[128];
	enum db_rc	 rc;

	if (uuid_parse(who, strlen(who), out, why, sizeof(why)) == 0)
		return 0;
	arena_init(&a, 1024 * 1024);
	rc = db_user_by_login(&a, who, strlen(who), &u);
	if (rc == DB_OK)
		memcpy(out, u.id, 37);
	arena_free(&a);
	if (rc == DB_NONE)
		fprintf(stderr, "gatehousectl: no user named \"%s\"\n", who);
	else if (rc != DB_OK)
		fprintf(stderr, "gatehousectl: cannot look up \"%s\" (see the messages above)\n", who);
	return rc == DB_OK ? 0 : -1;
}

static void
print_user(struct json_object *u)
{
	struct json_object	*roles;
	const char		*role = "-";

	if (json_object_object_get_ex(u, "roles", &roles) && json_object_is_type(roles, json_type_array) &&
	    json_object_array_length(roles) > 0)
		role = json_object_get_string(json_object_array_get_idx(roles, 0));
	else if (jstr(u, "role") != NULL)
		role = jstr(u, "role");
	printf("%-36s  %-20s  %-30s  %-8s  %-6s  %s\n", jstr(u, "id"), jstr(u, "username"),
	    jstr(u, "email") != NULL ? jstr(u, "email") : "-", jstr(u, "status"), role,
	    jstr(u, "last_login_at") != NULL ? jstr(u, "last_login_at") : "never");
}

/* Reads a password: a file's first line, one line of standard input, or generated (then printed once). */
static int
get_password(const struct ctl_opts *o, char *pw, size_t sz, int *generated)
{
	*generated = 0;
	if (o->pwfile != NULL) {
		FILE *f = fopen(o->pwfile, "re");
		if (f == NULL || ctl_read_line(f, pw, sz) == -1) {
			fprintf(stderr, "gatehousectl: cannot read a password from %s\n", o->pwfile);
			if (f != NULL)
				fclose(f);
			return -1;
		}
		fclose(f);
	} else if (o->pwstdin) {
		if (ctl_read_line(stdin, pw, sz) == -1) {
			fprintf(stderr, "gatehousectl: no password on standard input\n");
			return -1;
		}
	} else {
		password_generate(pw, sz);
		*generated = 1;
	}
	return 0;
}

static int
user_list(const struct ctl_opts *o)
{
	struct json_object	*resp, *users, *all = json_object_new_array();
	char			*q;
	long long		 skip = 0, total = 0;
	size_t			 i;
	int			 status, rc = 0;

	for (;;) {
		struct json_object *t;
		char *s = NULL, *st = NULL, *so = NULL;

		if (o->search != NULL && (s = ctl_urlencode(o->search)) == NULL)
			return 1;
		st = o->status != NULL ? ctl_urlencode(o->status) : NULL;
		so = o->sort != NULL ? ctl_urlencode(o->sort) : NULL;
		if (asprintf(&q, "skip=%lld&limit=200%s%s%s%s%s%s%s", skip, s ? "&search=" : "", s ? s : "",
		    st ? "&status=" : "", st ? st : "", so ? "&sort=" : "", so ? so : "",
		    o->desc ? "&order=desc" : "") == -1)
			q = NULL;
		free(s);
		free(st);
		free(so);
		if (q == NULL)
			return 1;
		status = call("GET", "/admin/users/", q, NULL, &resp);
		free(q);
		if (status != 200) {
			print_error("user list", status, resp);
			json_object_put(resp);
			rc = 1;
			break;
		}
		if (json_object_object_get_ex(resp, "total", &t))
			total = json_object_get_int64(t);
		if (!json_object_object_get_ex(resp, "users", &users) || json_object_array_length(users) == 0) {
			json_object_put(resp);
			break;
		}
		for (i = 0; i < json_object_array_length(users); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(users, i)));
		skip += (long long)json_object_array_length(users);
		json_object_put(resp);
		if (skip >= total)
			break;
	}
	if (rc == 0) {
		if (o->json)
			printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		else {
			printf("%-36s  %-20s  %-30s  %-8s  %-6s  %s\n", "ID", "USERNAME", "EMAIL", "STATUS", "ROLE",
			    "LAST LOGIN");
			for (i = 0; i < json_object_array_length(all); i++)
				print_user(json_object_array_get_idx(all, i));
		}
	}
	json_object_put(all);
	return rc;
}

/* One request on a user named on the command line; prints the user (or "done") on success. */
static int
user_call(const char *what, const char *method, const char *who, const char *suffix, const char *body,
    const struct ctl_opts *o, int expect)
{
	struct json_object	*resp;
	char			 id[37], path[128];
	int			 status;

	if (resolve(who, id) == -1)
		return 1;
	snprintf(path, sizeof(path), "/admin/users/%s%s", id, suffix);
	status = call(method, path, NULL, body, &resp);
	if (status != expect) {
		print_error(what, status, resp);
		json_object_put(resp);
		return 1;
	}
	if (resp != NULL && o->json)
		printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (resp != NULL)
		print_user(resp);
	else
		printf("%s: done (%s)\n", what, id);
	json_object_put(resp);
	return 0;
}

static char *
json_body(const char *k1, const char *v1, const char *k2, const char *v2, const char *k3, const char *v3,
    const char *k4, const char *v4)
{
	struct json_object	*o = json_object_new_object();
	char			*s;

	if (k1 != NULL && v1 != NULL)
		json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2 != NULL && v2 != NULL)
		json_object_object_add(o, k2, json_object_new_string(v2));
	if (k3 != NULL && v3 != NULL)
		json_object_object_add(o, k3, json_object_new_string(v3));
	if (k4 != NULL && v4 != NULL)
		json_object_object_add(o, k4, json_object_new_string(v4));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	/* The body may hold a password: wipe json-c's copy too. */
	json_object_put(o);
	return s;
}

/*
 * user add, user reset-password and create-admin: POST /admin/users/ (role: o->role, else "viewer"; create-admin
 * passes "admin") or POST /admin/users/{id}/reset-password/, so that a user made here passes the API's validation
 * and lands with its user.create audit row in the same transaction. what: the command, in messages. 0 or 1.
 */
static int
user_add_or_reset(const struct ctl_opts *o, const char *what, const char *name, const char *role, int reset)
{
	struct json_object	*resp;
	char			 pw[1024], id[37], path[128], *body;
	int			 generated, status, rc = 1;

	if (reset && resolve(name, id) == -1)
		return 1;
	if (get_password(o, pw, sizeof(pw), &generated) == -1)
		return 1;
	if (reset) {
		body = json_body("password", pw, NULL, NULL, NULL, NULL, NULL, NULL);
		snprintf(path, sizeof(path), "/admin/users/%s/reset-password/", id);
	} else {
		body = json_body("username", name, "password", pw, "email", o->email, "role", role);
		snprintf(path, sizeof(path), "/admin/users/");
	}
	if (body == NULL)
		goto done;
	status = call("POST", path, NULL, body, &resp);
	wipe(body, strlen(body));
	free(body);
	if (status == 409 && !reset && jstr(resp, "detail") != NULL) {
		/* Which value is taken: "Username already taken" or "Email already registered". */
		fprintf(stderr, "gatehousectl: %s: %s: \"%s\"\n", what, jstr(resp, "detail"),
		    strncmp(jstr(resp, "detail"), "Email", 5) == 0 && o->email != NULL ? o->email : name);
		json_object_put(resp);
		goto done;
	}
	if (status != (reset ? 204 : 201)) {
		print_error(what, status, resp);
		json_object_put(resp);
		goto done;
	}
	if (reset)
		printf("password of %s reset; its sessions and API keys are revoked\n", name);
	else {
		printf("created %s%s (id %s)\n", strcmp(role, "admin") == 0 ? "admin " : "", jstr(resp, "username"),
		    jstr(resp, "id"));
		json_object_put(resp);
	}
	if (generated)
		printf("password: %s\n(shown only this once)\n", pw);
	rc = 0;
done:
	wipe(pw, sizeof(pw));
	return rc;
}

int
ctl_create_admin(const struct ctl_opts *o, const char *name)
{
	return user_add_or_reset(o, "create-admin", name, "admin", 0);
}

int
ctl_user(const struct ctl_opts *o, int argc, char **argv)
{
	const char	*sub = argc > 0 ? argv[0] : "";
	char		*body;
	int		 rc;

	if (strcmp(sub, "list") == 0 && argc == 1)
		return user_list(o);
	if (strcmp(sub, "show") == 0 && argc == 2)
		return user_call("user show", "GET", argv[1], "", NULL, o, 200);
	if (strcmp(sub, "add") == 0 && argc == 2)
		return user_add_or_reset(o, "user add", argv[1], o->role != NULL ? o->role : "viewer", 0);
	if (strcmp(sub, "reset-password") == 0 && argc == 2)
		return user_add_or_reset(o, "user reset-password", argv[1], NULL, 1);
	if (strcmp(sub, "disable") == 0 && argc == 2)
		return user_call("user disable", "POST", argv[1], "/deactivate/", NULL, o, 200);
	if (strcmp(sub, "enable") == 0 && argc == 2)
		return user_call("user enable", "PATCH", argv[1], "", "{\"status\":\"active\"}", o, 200);
	if (strcmp(sub, "delete") == 0 && argc == 2)
		return user_call("user delete", "DELETE", argv[1], "", NULL, o, 204);
	if (strcmp(sub, "revoke") == 0 && argc == 2)
		return user_call("user revoke", "POST", argv[1], "/revoke", NULL, o, 204);
	if (strcmp(sub, "set-role") == 0 && argc == 3) {
		if ((body = json_body("role", argv[2], NULL, NULL, NULL, NULL, NULL, NULL)) == NULL)
			return 1;
		rc = user_call("user set-role", "PATCH", argv[1], "", body, o, 200);
		free(body);
		return rc;
	}
	fprintf(stderr, "gatehousectl: user: unknown subcommand or wrong arguments: %s\n", sub);
	return 2;
}

int
ctl_backup(const char *path)
{
	struct stat st;

	umask(077);
	if (db_backup(path) == -1)
		return 1;
	if (stat(path, &st) == 0)
		printf("backup written to %s (%lld bytes); check it with: sqlite3 %s 'PRAGMA integrity_check'\n", path,
		    (long long)st.st_size, path);
	return 0;
}

/* Reads a whole file ("-": standard input) into a NUL-terminated buffer. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char	*p = NULL;
	size_t	 cap = 0, n = 0, got;

	if (f == NULL) {
		fprintf(stderr, "gatehousectl: cannot open %s as %s: %s\n", path, priv_who(), strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 + 1 > cap) {
			char *q = realloc(p, cap = (n + 65536 + 1) * 2);
			if (q == NULL) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
		}
		got = fread(p + n, 1, 65536, f);
		n += got;
	} while (got > 0);
	if (f != stdin)
		fclose(f);
	if (p != NULL) {
		p[n] = '\0';
		*len = n;
	}
	return p;
}

/* One CSV record (RFC 4180: quoted fields, doubled quotes, CRLF or LF); fields point into the line. */
static int
csv_record(char **cur, char *fields[], int max)
{
	char	*p = *cur, *w;
	int	 n = 0;

	if (*p == '\0')
		return -1;
	for (;;) {
		if (n == max)
			return -2;
		fields[n++] = w = p;
		if (*p == '"') {
			for (p++;;) {
				if (*p == '\0')
					return -2;
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else
					*w++ = *p++;
			}
		} else
			while (*p != ',' && *p != '\n' && *p != '\r' && *p != '\0')
				*w++ = *p++;
		if (*p == ',') {
			*w = '\0';
			p++;
			continue;
		}
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
		else if (*p != '\0')
			return -2;
		*w = '\0';
		*cur = p;
		return n;
	}
}

static const char *const import_keys[] = { "username", "email", "role", "status", "password_hash" };
#define NKEYS (sizeof(import_keys) / sizeof(import_keys[0]))

static int
import_one(struct json_object *u, const char *where, long *ok, long *bad)
{
	struct json_object	*resp, *clean = json_object_new_object(), *v;
	size_t			 k;
	int			 status;
	const char		*name = jstr(u, "username");

	/* Only the known fields, so that a stray key cannot reach the API request. */
	for (k = 0; k < NKEYS; k++)
		if (json_object_object_get_ex(u, import_keys[k], &v) && !(json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) == 0 && k != 0 && k != 4))
			json_object_object_add(clean, import_keys[k], json_object_get(v));
	status = call("POST", "/admin/users/import", NULL, json_object_to_json_string_ext(clean,
	    JSON_C_TO_STRING_PLAIN), &resp);
	json_object_put(clean);
	if (status == 201) {
		printf("imported %s (id %s)\n", jstr(resp, "username"), jstr(resp, "id"));
		(*ok)++;
	} else {
		char what[256];
		snprintf(what, sizeof(what), "import %s: %s", where, name != NULL ? name : "(no username)");
		print_error(what, status, resp);
		(*bad)++;
	}
	json_object_put(resp);
	return 0;
}

int
ctl_import(const char *path, const char *format)
{
	struct json_object	*doc, *arr, *u;
	char			*text, *cur, *f[16], *hdr[16];
	size_t			 len, i;
	long			 ok = 0, bad = 0, line = 1;
	int			 n, nh, k, col[NKEYS], json;

	if ((text = slurp(path, &len)) == NULL)
		return 1;
	cur = text + strspn(text, " \t\r\n");
	json = format != NULL ? strcmp(format, "json") == 0 : (*cur == '[' || *cur == '{');
	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		fprintf(stderr, "gatehousectl: --format is csv or json\n");
		free(text);
		return 2;
	}
	if (json) {
		if ((doc = json_tokener_parse(cur)) == NULL) {
			fprintf(stderr, "gatehousectl: %s is not valid JSON\n", path);
			free(text);
			return 1;
		}
		arr = doc;
		if (json_object_is_type(doc, json_type_object))
			json_object_object_get_ex(doc, "users", &arr);
		if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
			fprintf(stderr, "gatehousectl: %s: a JSON array of users (or {\"users\": [...]}) expected\n",
			    path);
			json_object_put(doc);
			free(text);
			return 1;
		}
		for (i = 0; i < json_object_array_length(arr); i++) {
			char where[32];
			u = json_object_array_get_idx(arr, i);
			snprintf(where, sizeof(where), "entry %zu", i + 1);
			if (!json_object_is_type(u, json_type_object)) {
				fprintf(stderr, "gatehousectl: import %s: an object expected\n", where);
				bad++;
				continue;
			}
			import_one(u, where, &ok, &bad);
		}
		json_object_put(doc);
	} else {
		/* CSV with a header naming the columns: username and password_hash required, email, role, status. */
		if ((nh = csv_record(&cur, hdr, 16)) < 0) {
			fprintf(stderr, "gatehousectl: %s: a CSV header line expected\n", path);
			free(text);
			return 1;
		}
		for (k = 0; k < (int)NKEYS; k++) {
			col[k] = -1;
			for (n = 0; n < nh; n++)
				if (strcmp(hdr[n] + (n == 0 && strncmp(hdr[n], "\xef\xbb\xbf", 3) == 0 ? 3 : 0),
				    import_keys[k]) == 0)
					col[k] = n;
		}
		if (col[0] == -1 || col[4] == -1) {
			fprintf(stderr, "gatehousectl: %s: the CSV header must name username and password_hash\n", path);
			free(text);
			return 1;
		}
		while ((n = csv_record(&cur, f, 16)) != -1) {
			char where[32];
			line++;
			snprintf(where, sizeof(where), "line %ld", line);
			if (n == -2 || n != nh) {
				fprintf(stderr, "gatehousectl: import %s: %d fields where the header has %d\n", where,
				    n < 0 ? 0 : n, nh);
				bad++;
				if (n == -2)
					break;
				continue;
			}
			u = json_object_new_object();
			for (k = 0; k < (int)NKEYS; k++)
				if (col[k] >= 0)
					json_object_object_add(u, import_keys[k], json_object_new_string(f[col[k]]));
			import_one(u, where, &ok, &bad);
			json_object_put(u);
		}
	}
	wipe(text, len);
	free(text);
	printf("%ld imported, %ld refused\n", ok, bad);
	return bad > 0 ? 1 : 0;
}

/*
 * export: every user with its hash, in the format import reads (JSON), to a 0600 file or standard output. The
 * audit trail records the export first (user.export, password_hashes true); without that row nothing is written.
 */
int
ctl_export(const char *path)
{
	struct json_object	*resp, *users, *all = json_object_new_array(), *t;
	struct arena		 a;
	struct user		 u;
	long long		 skip = 0, total = 0;
	size_t			 i;
	char			 q[64];
	int			 status, fd = 1, rc = 1;
	FILE			*f = stdout;

	arena_init(&a, 16 * 1024 * 1024);
	if (path != NULL && strcmp(path, "-") != 0) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600)) == -1 ||
		    (f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "gatehousectl: cannot create %s as %s: %s\n", path, priv_who(), strerror(errno));
			if (fd != -1)
				close(fd);
			f = stdout;
			path = NULL;	/* not ours to remove */
			goto done;
		}
	}
	if ((status = call("POST", "/admin/users/export-hashes", NULL, NULL, &resp)) != 204) {
		print_error("export", status, resp);
		json_object_put(resp);
		goto done;
	}
	for (;;) {
		snprintf(q, sizeof(q), "skip=%lld&limit=200", skip);
		status = call("GET", "/admin/users/", q, NULL, &resp);
		if (status != 200) {
			print_error("export", status, resp);
			json_object_put(resp);
			goto done;
		}
		if (json_object_object_get_ex(resp, "total", &t))
			total = json_object_get_int64(t);
		if (!json_object_object_get_ex(resp, "users", &users) || json_object_array_length(users) == 0) {
			json_object_put(resp);
			break;
		}
		for (i = 0; i < json_object_array_length(users); i++) {
			struct json_object *src = json_object_array_get_idx(users, i), *o = json_object_new_object(), *v;
			const char *name = jstr(src, "username");
			json_object_object_add(o, "username", json_object_new_string(name));
			if (jstr(src, "email") != NULL)
				json_object_object_add(o, "email", json_object_new_string(jstr(src, "email")));
			if (json_object_object_get_ex(src, "roles", &v) && json_object_array_length(v) > 0)
				json_object_object_add(o, "role", json_object_get(json_object_array_get_idx(v, 0)));
			json_object_object_add(o, "status", json_object_new_string(jstr(src, "status")));
			if (db_user_by_login(&a, name, strlen(name), &u) == DB_OK && u.password_hash != NULL)
				json_object_object_add(o, "password_hash", json_object_new_string(u.password_hash));
			arena_reset(&a);
			json_object_array_add(all, o);
		}
		skip += (long long)json_object_array_length(users);
		json_object_put(resp);
		if (skip >= total)
			break;
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	if (f != stdout) {
		FILE *closing = f;

		f = stdout;
		if (fclose(closing) != 0) {
			fprintf(stderr, "gatehousectl: cannot write %s: %s\n", path, strerror(errno));
			goto done;
		}
		printf("%zu users exported to %s (with their password hashes: keep it private)\n",
		    json_object_array_length(all), path);
	}
	rc = 0;
done:
	if (f != stdout)
		fclose(f);
	if (rc != 0 && path != NULL && strcmp(path, "-") != 0)
		unlink(path);	/* no partial or empty copy left behind */
	json_object_put(all);
	arena_free(&a);
	return rc;
}

int
ctl_prune(void)
{
	long long	 s = 0, t = 0, a = 0;
	enum db_rc	 rc = throttle_prune_all(now_us(), &s, &t, &a);	/* the service's own prune, unbounded */

	if (rc != DB_OK) {
		fprintf(stderr, "gatehousectl: prune failed (see the messages above)\n");
		return 1;
	}
	printf("pruned %lld expired sessions and %lld throttle rows\n", s, t);
	if (cfg.audit_retention > 0)
		printf("pruned %lld audit rows older than audit_retention (%ld s)\n", a, cfg.audit_retention);
	return 0;
}
