/*
 * fuzz_auth.c: the Authorization header (a CGI variable: it ends at the first NUL) through auth_resolve
 * against a real database holding an admin and a viewer session and an expired one. Only the exact tokens
 * (scheme case-insensitive, blanks around the token) may authenticate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

FUZZ_INITIALIZE(1)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*z = memchr(data, '\0', size);
	char		*h = fuzz_strndup(data, z != NULL ? (size_t)(z - data) : size);
	struct req	 r;
	struct reply	 rep;
	enum err	 e = ERR_OK;
	int		 rc;

	memset(&rep, 0, sizeof(rep));
	fuzz_req_init(&r);
	r.authorization = h;
	rc = auth_resolve(&r, &rep, &e);
	if (rc == 0) {
		if (e != ERR_OK || !r.authed || (strstr(h, FUZZ_ADMIN_TOKEN) == NULL && strstr(h, FUZZ_VIEWER_TOKEN) == NULL)
		    || strncasecmp(h, "bearer ", 7) != 0) {
			fprintf(stderr, "oracle: authenticated by \"%s\"\n", h);
			fuzz_abort();
		}
	} else if (rc == -1) {
		if (e != ERR_UNAUTHORIZED && e != ERR_TOKEN_EXPIRED) {
			fprintf(stderr, "oracle: auth_resolve failed with error %d for \"%s\"\n", (int)e, h);
			fuzz_abort();
		}
		if (e == ERR_TOKEN_EXPIRED && strstr(h, FUZZ_EXPIRED_TOKEN) == NULL)
			fuzz_abort();
	} else
		fuzz_abort();
	fuzz_req_done(&r);
	fuzz_db_restore();
	free(h);
	return 0;
}
