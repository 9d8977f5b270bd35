/*
 * password.c: yescrypt hashes through libxcrypt. The cost comes from the configuration; verification compares
 * in constant time; an unknown user still costs one full hash, so timing does not tell who exists.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "gatehouse.h"

/*
 * crypt_rn wants a NUL-terminated passphrase of at most CRYPT_MAX_PASSPHRASE_SIZE bytes, and a password may be
 * 256 code points (1024 bytes). A password longer than PW_DIRECT_MAX bytes is therefore first reduced to
 * "gh-prehash:" and the base64 of SHA-512 over a label and the password, always, for hashing and verifying
 * alike. The label keeps a plain SHA-512 of the same password, leaked from elsewhere, from being usable here.
 * Shorter passwords go to yescrypt as they are, so hashes made by other yescrypt users verify unchanged.
 */
#define PW_DIRECT_MAX	256
#define PW_BUF		1024
#define PREHASH_LABEL	"gatehouse password pre-hash v1"

static int
pw_copy(const char *pw, size_t len, char *out, size_t outsz)
{
	crypto_hash_sha512_state h;
	unsigned char		 d[crypto_hash_sha512_BYTES];
	static const char	 tag[] = "gh-prehash:";

	if (memchr(pw, '\0', len) != NULL)
		return -1;
	if (len > PW_DIRECT_MAX) {
		crypto_hash_sha512_init(&h);
		crypto_hash_sha512_update(&h, (const unsigned char *)PREHASH_LABEL, sizeof(PREHASH_LABEL));
		crypto_hash_sha512_update(&h, (const unsigned char *)pw, len);
		crypto_hash_sha512_final(&h, d);
		memcpy(out, tag, sizeof(tag) - 1);
		sodium_bin2base64(out + sizeof(tag) - 1, outsz - (sizeof(tag) - 1), d, sizeof(d),
		    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		wipe(d, sizeof(d));
		wipe(&h, sizeof(h));
		return 0;
	}
	if (len >= outsz)
		return -1;
	memcpy(out, pw, len);
	out[len] = '\0';
	return 0;
}

static int
gensalt(int cost, char *setting, size_t sz)
{
	unsigned char rnd[32];

	random_bytes(rnd, sizeof(rnd));
	if (crypt_gensalt_rn("$y$", (unsigned long)cost, (const char *)rnd, sizeof(rnd), setting, (int)sz) == NULL)
		return -1;
	return 0;
}

int
password_hash(const char *pw, size_t len, int cost, char *out, size_t outsz)
{
	struct crypt_data	 cd;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char			 plain[PW_BUF];
	int			 rc = -1;

	if (pw_copy(pw, len, plain, sizeof(plain)) == -1 || gensalt(cost, setting, sizeof(setting)) == -1)
		goto fail;
	memset(&cd, 0, sizeof(cd));
	if (crypt_rn(plain, setting, &cd, sizeof(cd)) == NULL || cd.output[0] == '*')
		goto fail;
	if (strlen(cd.output) >= outsz)
		goto fail;
	memcpy(out, cd.output, strlen(cd.output) + 1);
	rc = 0;
fail:
	wipe(plain, sizeof(plain));
	wipe(&cd, sizeof(cd));
	return rc;
}

int
password_verify(const char *pw, size_t len, const char *stored)
{
	struct crypt_data	 cd;
	char			 plain[PW_BUF];
	size_t			 n;
	int			 ok = 0;

	if (stored == NULL || stored[0] != '$' || pw_copy(pw, len, plain, sizeof(plain)) == -1) {
		/* Still spend the time of one hash. */
		password_dummy_verify(pw, len, cfg.hash_cost);
		return 0;
	}
	memset(&cd, 0, sizeof(cd));
	if (crypt_rn(plain, stored, &cd, sizeof(cd)) != NULL && cd.output[0] != '*') {
		n = strlen(stored);
		ok = strlen(cd.output) == n && ct_equal(cd.output, stored, n);
	} else
		password_dummy_verify(pw, len, cfg.hash_cost);	/* an unusable stored hash costs the same */
	wipe(plain, sizeof(plain));
	wipe(&cd, sizeof(cd));
	return ok;
}

/* Hashes the password with a fresh setting at the given cost and throws the result away. */
void
password_dummy_verify(const char *pw, size_t len, int cost)
{
	struct crypt_data	 cd;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char			 plain[PW_BUF];

	if (pw_copy(pw, len, plain, sizeof(plain)) == -1)
		plain[0] = '\0';
	if (gensalt(cost, setting, sizeof(setting)) == 0) {
		memset(&cd, 0, sizeof(cd));
		(void)crypt_rn(plain, setting, &cd, sizeof(cd));
		wipe(&cd, sizeof(cd));
	}
	wipe(plain, sizeof(plain));
}

/*
 * A stored hash needs upgrading when it is not yescrypt or its parameters differ from what the configured cost
 * produces. The parameters are the field after "$y$", e.g. "j9T" for cost 5.
 */
int
password_needs_rehash(const char *stored, int cost)
{
	char		 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*p, *q;

	if (stored == NULL || strncmp(stored, "$y$", 3) != 0)
		return 1;
	if (gensalt(cost, setting, sizeof(setting)) == -1)
		return 0;
	p = strchr(setting + 3, '$');
	q = strchr(stored + 3, '$');
	if (p == NULL || q == NULL)
		return 1;
	return (p - setting) != (q - stored) || memcmp(setting, stored, (size_t)(p - setting)) != 0;
}

/* A generated password: 20 characters from an alphabet without look-alikes. */
void
password_generate(char *out, size_t outsz)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t i;

	for (i = 0; i + 1 < outsz && i < 20; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[i] = '\0';
}
