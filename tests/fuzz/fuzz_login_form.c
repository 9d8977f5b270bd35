/*
 * fuzz_login_form.c: a POST /auth/login body decoded as application/x-www-form-urlencoded (validate_body with
 * schema_login), and the same bytes as JSON. Rendered 422 details must be valid UTF-8 and one JSON value, and
 * no entry about the password may echo its value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

FUZZ_INITIALIZE(0)

static void
one(const char *body, size_t n, const char *ct)
{
	struct req	 r;
	size_t		 i;

	fuzz_req_init(&r);
	r.body = body;
	r.body_len = n;
	r.content_type = ct;
	if (n > 0 && is_json_type(ct) && json_parse_body(&r) == -1) {
		fuzz_check_verrs(&r);
		fuzz_req_done(&r);
		return;
	}
	validate_body(&r, &schema_login);
	fuzz_check_verrs(&r);
	if (r.verrs.n == 0 && (!r.v[1].present || !r.v[2].present))
		fuzz_abort();	/* username and password (fields 1 and 2) are required */
	/* No entry about the password may carry its value (a missing one echoes the whole body, masked). */
	for (i = 0; i < r.verrs.n; i++) {
		const struct verr *e = &r.verrs.e[i];
		if (e->loc[1] != NULL && strcmp(e->loc[1], "password") == 0 && e->input_kind != VIN_MASK &&
		    e->input_kind != VIN_NULL && !(strcmp(e->type, "missing") == 0 && e->input == r.json)) {
			fprintf(stderr, "oracle: a password entry echoes its input (%s)\n", e->type);
			fuzz_abort();
		}
	}
	fuzz_req_done(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_strndup(data, size);

	one(body, size, "application/x-www-form-urlencoded");
	one(body, size, "application/x-www-form-urlencoded; charset=UTF-8");
	one(body, size, "application/json");
	free(body);
	return 0;
}
