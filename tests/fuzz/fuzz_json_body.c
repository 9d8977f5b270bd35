/*
 * fuzz_json_body.c: a JSON request body through json_parse_body, then validate_body for every body schema of
 * schemas.c, as the dispatcher runs them; the same bytes also as a body with a non-JSON content type. Each
 * collected 422 detail is rendered and must be valid UTF-8 and one JSON value. No database: the schemas'
 * validation never reads it.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*body = fuzz_strndup(data, size);
	size_t	 i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		one(body, size, "application/json", schemas[i]);
	one(body, size, "text/plain", &schema_admin_user_create);
	one(body, size, "application/merge-patch+json; charset=utf-8", &schema_user_update);
	free(body);
	return 0;
}
