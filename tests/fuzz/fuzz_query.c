/*
 * fuzz_query.c: a query string (a CGI variable, so it ends at the first NUL) through validate_query for every
 * query schema of schemas.c, and the path id validator on the same bytes. Rendered 422 details must be valid
 * UTF-8 and one JSON value; an accepted value must respect its field's bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const struct schema *const schemas[] = {
	&query_users_list, &query_users_names, &query_audit_list, &query_audit_export,
};

FUZZ_INITIALIZE(0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*z = memchr(data, '\0', size);
	char		*q = fuzz_strndup(data, z != NULL ? (size_t)(z - data) : size);
	struct req	 r;
	size_t		 i, k;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		const struct schema *s = schemas[i];

		fuzz_req_init(&r);
		r.query = q;
		validate_query(&r, s);
		fuzz_check_verrs(&r);
		for (k = 0; k < s->nfields && r.verrs.n == 0; k++) {
			const struct field *f = &s->fields[k];
			const struct value *v = &r.q[k];

			if (!v->present)
				continue;
			if (f->type == FT_INT && (v->i < f->imin || v->i > f->imax)) {
				fprintf(stderr, "oracle: %s=%lld accepted outside [%lld, %lld]\n", f->name, v->i, f->imin,
				    f->imax);
				fuzz_abort();
			}
			if (f->type == FT_STRING && f->max > 0 && utf8_len(v->s, v->len) > f->max)
				fuzz_abort();
			if (f->type == FT_UUID && (v->s == NULL || strlen(v->s) != 36))
				fuzz_abort();
		}
		fuzz_req_done(&r);
	}
	/* The same bytes as a path id. */
	{
		char id[37];

		fuzz_req_init(&r);
		memset(id, 0, sizeof(id));
		validate_path_uuid(&r, "user_id", q, id);
		fuzz_check_verrs(&r);
		fuzz_req_done(&r);
	}
	free(q);
	return 0;
}
