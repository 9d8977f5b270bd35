/*
 * fuzz_request.c: the whole request path in process, through app_handle, against a real database.
 *
 * Input: one flags byte, then up to five NUL-terminated fields -- method, path, query, content type,
 * authorization -- and the rest is the body (it may hold NULs). A missing field is an absent CGI variable.
 *   flags & 1: the path is PATH_INFO (decoded, as nginx passes it); else REQUEST_URI, with SCRIPT_NAME=/api.
 *   (flags >> 1) & 3: 2 the body was shorter than its Content-Length, 3 the Content-Length was invalid.
 *   An authorization of "A", "V" or "E" stands for the admin's, the viewer's or an expired bearer token.
 *
 * FUZZ_VERBOSE=1 prints each request and the start of its response.
 *
 * Oracles: no status >= 500; headers are printable ASCII lines; Content-Length is the body's length; every
 * application/json body is valid UTF-8 and one JSON value; every error body is
 * {"type":"about:blank","title":string,"status":N,"detail":...} with N the response status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"

static struct app	 app;
static struct buf	 out;
static int		 verbose;	/* FUZZ_VERBOSE=1: each request and the start of its response on stderr */

static void
sink_buf(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	buf_put(&out, p, n);
}

static void
fail(const char *why, const char *in)
{
	fprintf(stderr, "oracle: %s\n--- request: %s\n--- response (%zu bytes):\n%.*s\n", why, in, out.len,
	    (int)(out.len > 4000 ? 4000 : out.len), out.p != NULL ? out.p : "");
	fuzz_abort();
}

static void
check_problem(const char *body, size_t n, int status, const char *in)
{
	struct json_tokener	*tok = json_tokener_new_ex(256);
	struct json_object	*o, *v;

	if (tok == NULL)
		fuzz_abort();
	o = json_tokener_parse_ex(tok, body, (int)n);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		fail("an error body is not a JSON object", in);
	if (json_object_object_length(o) != 4 ||
	    !json_object_object_get_ex(o, "type", &v) || strcmp(json_object_get_string(v), "about:blank") != 0 ||
	    !json_object_object_get_ex(o, "title", &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(o, "status", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != status || !json_object_object_get_ex(o, "detail", &v))
		fail("an error body is not in the contract's shape", in);
	if (status == 422 && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0)
		fail("a 422 with an empty detail array", in);
	json_object_put(o);
}

static void
check_response(const char *in)
{
	const char	*p, *end, *line, *eol, *body;
	long		 clen = -1;
	int		 status = 0, json = 0;
	size_t		 blen;

	if (out.failed || out.len == 0)
		fail("no response", in);
	buf_cstr(&out);
	p = out.p;
	end = out.p + out.len;
	if (sscanf(p, "Status: %d ", &status) != 1)
		fail("no Status line", in);
	if (status >= 500)
		fail("a 5xx", in);
	if (status < 200 || status > 499)
		fail("a status out of range", in);
	for (line = p;; line = eol + 2) {
		const char *q;

		if ((eol = strstr(line, "\r\n")) == NULL)
			fail("the head does not end", in);
		if (eol == line)
			break;
		for (q = line; q < eol; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
				fail("a header holds a control or non-ASCII byte", in);
		if (memchr(line, ':', (size_t)(eol - line)) == NULL)
			fail("a header line without a colon", in);
		if (strncmp(line, "Content-Length: ", 16) == 0)
			clen = strtol(line + 16, NULL, 10);
		if (strncmp(line, "Content-Type: application/json", 30) == 0)
			json = 1;
	}
	body = eol + 2;
	blen = (size_t)(end - body);
	if (clen >= 0 && (size_t)clen != blen)
		fail("Content-Length differs from the body's length", in);
	if (status == 204 && blen != 0)
		fail("a 204 with a body", in);
	if (json && status != 204)
		fuzz_check_json("the response body", body, blen);
	if (status >= 400) {
		if (!json)
			fail("an error that is not application/json", in);
		check_problem(body, blen, status, in);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init(1);
	verbose = getenv("FUZZ_VERBOSE") != NULL && *getenv("FUZZ_VERBOSE") == '1';
	arena_init(&app.arena, (size_t)cfg.body_limit * 8 + 1024 * 1024);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_env	 env;
	struct sink	 sink = { sink_buf, NULL };
	char		*field[5] = { NULL, NULL, NULL, NULL, NULL }, *body, desc[512];
	size_t		 i, nf = 0, pos = 1, blen;
	int		 flags, state;

	if (size < 1)
		return 0;
	flags = data[0];
	while (nf < 5 && pos < size) {
		const uint8_t *z = memchr(data + pos, '\0', size - pos);
		if (z == NULL)
			break;
		field[nf++] = fuzz_strndup(data + pos, (size_t)(z - (data + pos)));
		pos = (size_t)(z - data) + 1;
	}
	blen = size - pos;
	body = fuzz_strndup(data + pos, blen);
	if (field[4] != NULL && strlen(field[4]) == 1 && strchr("AVE", field[4][0]) != NULL) {
		const char *t = field[4][0] == 'A' ? FUZZ_ADMIN_TOKEN : field[4][0] == 'V' ? FUZZ_VIEWER_TOKEN :
		    FUZZ_EXPIRED_TOKEN;
		free(field[4]);
		field[4] = fuzz_strndup((const uint8_t *)"Bearer ", 7);
		field[4] = realloc(field[4], 7 + TOKEN_LEN + 1);
		memcpy(field[4] + 7, t, TOKEN_LEN + 1);
	}

	memset(&env, 0, sizeof(env));
	env.method = field[0];
	if (flags & 1)
		env.path_info = field[1];
	else {
		env.request_uri = field[1];
		env.script_name = "/api";
	}
	env.query = field[2];
	env.content_type = field[3];
	env.authorization = field[4];
	env.remote_addr = "127.0.0.1";

	state = BODY_OK;
	if ((long)blen > cfg.body_limit)
		state = BODY_TOO_LARGE;
	else if (((flags >> 1) & 3) == 2)
		state = BODY_SHORT;
	else if (((flags >> 1) & 3) == 3)
		state = BODY_BAD_LENGTH;

	buf_reset(&out);
	app_handle(&app, &env, body, state == BODY_OK ? blen : 0, state, &sink);
	snprintf(desc, sizeof(desc), "flags=%d method=%.40s path=%.200s query=%.100s type=%.60s body=%zu bytes",
	    flags, field[0] ? field[0] : "(none)", field[1] ? field[1] : "(none)", field[2] ? field[2] : "(none)",
	    field[3] ? field[3] : "(none)", blen);
	if (verbose) {
		buf_cstr(&out);
		fprintf(stderr, "%s\n  -> %.*s\n", desc, (int)(strcspn(out.p, "\r")), out.p);
		if (strstr(out.p, "\r\n\r\n") != NULL)
			fprintf(stderr, "  -> %.3000s\n", strstr(out.p, "\r\n\r\n") + 4);
	}
	check_response(desc);

	arena_reset(&app.arena);
	fuzz_db_restore();
	for (i = 0; i < 5; i++)
		free(field[i]);
	free(body);
	return 0;
}
