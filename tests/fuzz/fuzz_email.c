/*
 * fuzz_email.c: email_normalize on arbitrary bytes (its callers pass valid UTF-8, but it promises to cope with
 * anything), with the buffer sizes validate.c uses and with tiny ones. On success the address is valid UTF-8,
 * holds exactly one @ outside the local part's quotes... (no quotes are allowed here), and normalising it again
 * gives it back unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in = malloc(size > 0 ? size : 1);
	char	 out[1024], reason[256], out2[1024], reason2[256], tiny[8], tinyr[8];
	int	 rc;

	if (in == NULL)
		fuzz_abort();
	memcpy(in, data, size);
	rc = email_normalize(in, size, out, sizeof(out), reason, sizeof(reason));
	if (rc == 0) {
		size_t n = strnlen(out, sizeof(out));
		if (n == sizeof(out) || utf8_check(out, n, NULL) == -1 || strchr(out, '@') == NULL)
			fuzz_abort();
		if (email_normalize(out, n, out2, sizeof(out2), reason2, sizeof(reason2)) != 0) {
			fprintf(stderr, "oracle: normalised \"%s\" is refused: %s\n", out, reason2);
			fuzz_abort();
		}
		if (strcmp(out, out2) != 0) {
			fprintf(stderr, "oracle: normalising is not idempotent: \"%s\" -> \"%s\"\n", out, out2);
			fuzz_abort();
		}
	} else if (rc == -1) {
		if (strnlen(reason, sizeof(reason)) == sizeof(reason))
			fuzz_abort();
	} else
		fuzz_abort();
	(void)email_normalize(in, size, tiny, sizeof(tiny), tinyr, sizeof(tinyr));
	(void)email_normalize(in, size, NULL, 0, NULL, 0);
	free(in);
	return 0;
}
