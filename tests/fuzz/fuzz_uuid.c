/*
 * fuzz_uuid.c: uuid_parse on arbitrary bytes (length-delimited, no NUL after them). On success the output is
 * the canonical lower-case form and parses again to itself; on failure the reason is a NUL-terminated string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in = malloc(size > 0 ? size : 1);
	char	 out[37], again[37], why[128], why2[128];
	size_t	 i;

	if (in == NULL)
		fuzz_abort();
	memcpy(in, data, size);
	memset(out, 'X', sizeof(out));
	memset(why, 'X', sizeof(why));
	if (uuid_parse(in, size, out, why, sizeof(why)) == 0) {
		if (out[36] != '\0' || strlen(out) != 36)
			fuzz_abort();
		for (i = 0; i < 36; i++) {
			int hy = i == 8 || i == 13 || i == 18 || i == 23;
			if (hy ? out[i] != '-' : strchr("0123456789abcdef", out[i]) == NULL || out[i] == '\0')
				fuzz_abort();
		}
		if (uuid_parse(out, 36, again, why2, sizeof(why2)) != 0 || memcmp(out, again, 37) != 0)
			fuzz_abort();
	} else if (memchr(why, '\0', sizeof(why)) == NULL)
		fuzz_abort();
	/* A small reason buffer must truncate, never overflow. */
	(void)uuid_parse(in, size, out, why, 8);
	free(in);
	return 0;
}
