/*
 * password.c: yescrypt hashes through libxcrypt. The cost comes from the configuration; verification compares
 * in constant time; an unknown user still costs one full hash, so timing does not tell who exists.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
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

/*
 * A generated password from an alphabet without look-alikes: 20 characters (about 116 bits), or
 * password_min_length when that is longer, so that it is always accepted; at most outsz - 1 characters.
 */
void
password_generate(char *out, size_t outsz)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t i, n = cfg.password_min_length > 20 ? (size_t)cfg.password_min_length : 20;

	for (i = 0; i + 1 < outsz && i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[i] = '\0';
}

/* The value of an itoa64 character ("./0-9A-Za-z", as crypt(3) encodes numbers), or -1. */
static int
itoa64(char c)
{
	static const char a[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *p = c != '\0' ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

/* A little-endian 30-bit number in five itoa64 characters (scrypt's r and p in $7$). */
static long
itoa64_30(const char *s)
{
	long	 v = 0;
	int	 i, d;

	for (i = 0; i < 5; i++) {
		if ((d = itoa64(s[i])) < 0)
			return -1;
		v |= (long)d << (6 * i);
	}
	return v;
}

int
password_import_check(const char *h, char *why, size_t whysz)
{
	static const char *const methods[] = { "$2b$", "$2y$", "$6$", "$5$", "$y$", "$gy$", "$7$" };
	size_t		 i;
	int		 cs;
	const char	*p;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strncmp(h, methods[i], strlen(methods[i])) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0])) {
		snprintf(why, whysz, "not a hash gatehouse accepts (bcrypt $2b$/$2y$, SHA-crypt $6$/$5$, yescrypt $y$, "
		    "gost-yescrypt $gy$, scrypt $7$)");
		return -1;
	}
	/* libxcrypt must know the method and the setting must be well-formed; $5$ is "legacy" to it, still
	   verified. */
	cs = crypt_checksalt(h);
	if (cs != CRYPT_SALT_OK && !(cs == CRYPT_SALT_METHOD_LEGACY && i == 3)) {
		snprintf(why, whysz, "a malformed %s hash, or one this system's libxcrypt cannot verify", methods[i]);
		return -1;
	}
	/* Costs a login would pay: refuse what would stall a worker or exhaust its memory. */
	if (i <= 1) {
		long cost = (h[4] >= '0' && h[4] <= '9' && h[5] >= '0' && h[5] <= '9') ? (h[4] - '0') * 10 + h[5] - '0' : -1;
		if (cost < 4 || cost > 16 || h[6] != '$' || strlen(h) != 60) {
			snprintf(why, whysz, "bcrypt cost must be 4 to 16 and the hash 60 characters");
			return -1;
		}
	} else if (i <= 3) {
		p = h + 3;
		if (strncmp(p, "rounds=", 7) == 0) {
			long long r;
			char num[16];
			size_t n = strspn(p + 7, "0123456789");
			if (n == 0 || n >= sizeof(num) || p[7 + n] != '$') {
				snprintf(why, whysz, "malformed rounds= in a SHA-crypt hash");
				return -1;
			}
			memcpy(num, p + 7, n);
			num[n] = '\0';
			if (parse_long(num, 1000, 1000000, &r) == -1) {
				snprintf(why, whysz, "SHA-crypt rounds must be 1000 to 1000000");
				return -1;
			}
		}
	} else if (i <= 5) {
		/* yescrypt "$y$" flags, N (log2 N - 1), r, ...: at most N = 2^18 (hash_cost 11, 1 GiB). */
		int nlog = itoa64(h[i == 4 ? 4 : 5]) + 1;
		if (nlog < 2 || nlog > 18) {
			snprintf(why, whysz, "yescrypt N must be at most 2^18");
			return -1;
		}
	} else {
		/* scrypt "$7$" N (log2 N), r and p in five characters each: at most 1 GiB, p at most 16. */
		int nlog = itoa64(h[3]);
		long r = itoa64_30(h + 4), pp = strlen(h) > 14 ? itoa64_30(h + 9) : -1;
		if (nlog < 1 || nlog > 20 || r < 1 || pp < 1 || pp > 16 || (128.0 * (double)r * (double)(1L << nlog)) >
		    1024.0 * 1024 * 1024) {
			snprintf(why, whysz, "scrypt parameters past 1 GiB of memory or p above 16");
			return -1;
		}
	}
	return 0;
}
