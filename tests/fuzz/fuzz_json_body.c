/*
 * fuzz_json_body.c: a JSON request body through json_parse_body, then validate_body for every body schema of
 * schemas.c, as the dispatcher runs them; the same bytes also as a body with a non-JSON content type. Each
 * collected 422 detail is rendered and must be valid UTF-8 and one JSON value. No database: the schemas'
 * validation never reads it. The two parsers must agree: a UTF-8 body that jsonstrict.c's grammar (Python's)
 * accepts must be built by json-c, and one it refuses must be refused with its own message (issue 14 §2).
 */
#include <string.h>
#include <stdlib.h>

#include "fuzz.h"

static const struct schema *const schemas[] = {
	&schema_admin_user_create, &schema_login, &schema_user_update, &schema_approve, &schema_reset_password,
};

FUZZ_INITIALIZE(0)

static void
one(const char *body, size_t n, const char *ct, const struct schema *s)
{
	struct req r;

	fuzz_req_init(&r);
	r.body = body;
	r.body_len = n;
	r.content_type = ct;
	if (n > 0 && is_json_type(ct) && json_parse_body(&r) == -1) {
		if (r.verrs.n != 1 || strcmp(r.verrs.e[0].type, "json_invalid") != 0)
			fuzz_abort();
		fuzz_check_verrs(&r);
		fuzz_req_done(&r);
		return;
	}
	validate_body(&r, s);
	fuzz_check_verrs(&r);
	fuzz_req_done(&r);
}

/* The grammar's verdict against the whole body path's: the same, and json-c never has the last word. */
static void
agree(const char *body, size_t n)
{
	struct req	 r;
	size_t		 bad, off, skip = 0;
	const char	*why;
	int		 strict;

	if (n == 0 || utf8_check(body, n, &bad) == -1)
		return;
	if (n >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	strict = jsonstrict_check(body + skip, n - skip, 512, &off, &why);
	fuzz_req_init(&r);
	r.body = body;
	r.body_len = n;
	r.content_type = "application/json";
	if (json_parse_body(&r) != strict)
		fuzz_abort();
	if (strict == -1 && (r.verrs.n != 1 || r.verrs.e[0].loc_index != (int)off))
		fuzz_abort();
	fuzz_req_done(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*body = fuzz_strndup(data, size);
	size_t	 i;

	agree(body, size);

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		one(body, size, "application/json", schemas[i]);
	one(body, size, "text/plain", &schema_admin_user_create);
	one(body, size, "application/merge-patch+json; charset=utf-8", &schema_user_update);
	free(body);
	return 0;
}
