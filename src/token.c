/*
 * token.c: bearer tokens. 32 random bytes, base64url, behind a prefix that names the kind ("gat_" access,
 * "grt_" refresh). Only the SHA-256 digest of the whole token is ever stored.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <string.h>

#include "gatehouse.h"

void
token_new(const char *prefix, char out[TOKEN_LEN + 1], unsigned char digest[32])
{
	unsigned char	 rnd[32];
	size_t		 plen = strlen(prefix);

	random_bytes(rnd, sizeof(rnd));
	memcpy(out, prefix, plen);
	b64url_encode(rnd, sizeof(rnd), out + plen, TOKEN_LEN + 1 - plen);
	wipe(rnd, sizeof(rnd));
	token_digest(out, strlen(out), digest);
}

void
token_digest(const char *t, size_t n, unsigned char digest[32])
{
	sha256(t, n, digest);
}
