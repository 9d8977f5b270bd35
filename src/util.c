/*
 * util.c: small bounded helpers shared by every module: UTF-8, time, randomness and digests (libsodium),
 * percent-decoding and strict number parsing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <unicase.h>
#include <unictype.h>
#include <uniname.h>
#include <uninorm.h>
#include <unistr.h>

#include "gatehouse.h"

/* Decodes one code point at s (n bytes left); returns its length, or 0 when the sequence is invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t	 len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
utf8_check(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_decode(p + i, n - i, &cp)) == 0) {
			if (bad != NULL)
				*bad = i;
			return -1;
		}
		i += k;
	}
	return 0;
}

size_t
utf8_len(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

int
utf8_has_control(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 1;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

/*
 * The keys behind uniqueness and search, built by GNU libunistring (Unicode 14 in Debian 12's 1.0), never by
 * tables of our own.
 *
 * Unique key: Unicode default case folding (The Unicode Standard 14, section 3.13, toCasefold) followed by NFC,
 * as RFC 8265 section 3.3.2 maps the UsernameCaseMapped class: "Jürgen" precomposed, "Ju\u0308rgen" decomposed
 * and "JÜRGEN" share one key. Folding is full, so "Straße" and "STRASSE" share one too.
 *
 * Search key: compatibility decomposition (NFKD), case folding, every non-spacing and enclosing mark (Mn, Me)
 * removed, then NFC: "Zoë Müller" becomes "zoe muller", "ﬁ" becomes "fi". It plays the part of PostgreSQL's
 * lower(unaccent(x)) in the reference; unaccent's rules for letters that have no decomposition (ø, ł, đ, æ, œ)
 * are not applied.
 *
 * Both take s (n bytes, UTF-8; NUL allowed) and return a NUL-terminated malloc'd string the caller frees, with
 * its length in *outlen; NULL when out of memory. Bytes that are not valid UTF-8 are copied unchanged.
 */
static char *
copy_raw(const char *s, size_t n, size_t *outlen)
{
	char *r = malloc(n + 1);

	if (r != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
		*outlen = n;
	}
	return r;
}

static char *
nul_terminate(uint8_t *u, size_t len, size_t *outlen)
{
	char *r = realloc(u, len + 1);

	if (r == NULL) {
		free(u);
		return NULL;
	}
	r[len] = '\0';
	*outlen = len;
	return r;
}

char *
unicode_unique_key(const char *s, size_t n, size_t *outlen)
{
	uint8_t	*u;
	size_t	 len;

	if (u8_check((const uint8_t *)s, n) != NULL)
		return copy_raw(s, n, outlen);
	if ((u = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFC, NULL, &len)) == NULL)
		return NULL;
	return nul_terminate(u, len, outlen);
}

char *
unicode_search_key(const char *s, size_t n, size_t *outlen)
{
	uint8_t	*d, *u;
	size_t	 len, i = 0, k = 0;
	ucs4_t	 c;
	int	 step;

	if (u8_check((const uint8_t *)s, n) != NULL)
		return copy_raw(s, n, outlen);
	if ((d = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKD, NULL, &len)) == NULL)
		return NULL;
	while (i < len) {
		step = u8_mbtouc(&c, d + i, len - i);
		if (!uc_is_general_category(c, UC_NON_SPACING_MARK) && !uc_is_general_category(c, UC_ENCLOSING_MARK)) {
			memmove(d + k, d + i, (size_t)step);
			k += (size_t)step;
		}
		i += (size_t)step;
	}
	u = u8_normalize(UNINORM_NFC, d, k, NULL, &len);
	free(d);
	if (u == NULL)
		return NULL;
	return nul_terminate(u, len, outlen);
}

/*
 * Look-alike usernames (issue 9): white space at either end, and characters that show as nothing or change how
 * their neighbours show, make a name that looks like another one ("admin\u200b", " admin", bidi overrides). The
 * classes come from libunistring: White_Space at the ends; anywhere, the general categories Cf (format: soft
 * hyphen, zero-width and bidi controls, tags), Zl, Zp and Co (private use: no glyph anyone can check), and
 * Default_Ignorable_Code_Point (Unicode 14 section 5.21: variation selectors, Hangul fillers, combining grapheme
 * joiner, ...). One code point no property marks is added by hand: U+2800 BRAILLE PATTERN BLANK, a symbol (So)
 * drawn as a blank. Control characters are the caller's concern (utf8_has_control()).
 *
 * s is n bytes of valid UTF-8. Returns NULL when the name is fine; otherwise the reason, a static string, and
 * the first offending code point in *bad.
 */
const char *
username_lookalike(const char *s, size_t n, uint32_t *bad)
{
	const uint8_t	*u = (const uint8_t *)s, *end = u + n, *p;
	ucs4_t		 c, last = 0;
	int		 k;

	if (n == 0)
		return NULL;
	if (u8_mbtouc(&c, u, n) > 0 && uc_is_property_white_space(c)) {
		*bad = c;
		return "must not start or end with white space";
	}
	if (u8_prev(&last, end, u) != NULL && uc_is_property_white_space(last)) {
		*bad = last;
		return "must not start or end with white space";
	}
	for (p = u; p < end; p += k) {
		k = u8_mbtouc(&c, p, (size_t)(end - p));
		if (uc_is_general_category(c, UC_FORMAT) || uc_is_general_category(c, UC_LINE_SEPARATOR) ||
		    uc_is_general_category(c, UC_PARAGRAPH_SEPARATOR) || uc_is_general_category(c, UC_PRIVATE_USE) ||
		    uc_is_property_default_ignorable_code_point(c) || c == 0x2800) {
			*bad = c;
			return "must not contain invisible or format characters";
		}
	}
	return NULL;
}

/* "U+XXXX NAME" (or "U+XXXX" when the code point has no name) in the arena. */
char *
unicode_describe(struct arena *a, uint32_t c)
{
	char name[UNINAME_MAX];

	if (unicode_character_name(c, name) != NULL)
		return arena_printf(a, "U+%04X %s", (unsigned)c, name);
	return arena_printf(a, "U+%04X", (unsigned)c);
}

/* The two keys in the arena; NULL when out of memory. */
static char *
key_in_arena(struct arena *a, char *(*key)(const char *, size_t, size_t *), const char *s, size_t n)
{
	size_t	 len;
	char	*m = key(s, n, &len), *r;

	if (m == NULL)
		return NULL;
	if ((r = arena_alloc(a, len + 1)) != NULL)
		memcpy(r, m, len + 1);
	free(m);
	return r;
}

char *
utf8_fold(struct arena *a, const char *s, size_t n)
{
	return key_in_arena(a, unicode_unique_key, s, n);
}

char *
utf8_search_key(struct arena *a, const char *s, size_t n)
{
	return key_in_arena(a, unicode_search_key, s, n);
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *
put_digits(char *p, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", written digit by digit (this is on every user a reply carries). */
void
time_iso(int64_t us, char out[32])
{
	int64_t		 sec = us / 1000000, rem = us % 1000000;
	time_t		 t;
	unsigned	 frac;
	struct tm	 tm;
	char		*p = out;

	/* Floor, not truncation: before 1970 the fraction is still 0..999999 and the second the one before. */
	if (rem < 0) {
		rem += 1000000;
		sec--;
	}
	t = (time_t)sec;
	frac = (unsigned)rem;
	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		memcpy(out, "9999-12-31T23:59:59Z", 21);
		return;
	}
	p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
	if (frac != 0) {
		*p++ = '.';
		p = put_digits(p, frac, 6);
	}
	*p++ = 'Z';
	*p = '\0';
}

void
random_bytes(void *p, size_t n)
{
	randombytes_buf(p, n);
}

/*
 * Bytes that must be unique but need not be secret (request ids): a ChaCha20 stream keyed once per process
 * from the system's randomness, so a request costs no system call for its id.
 */
void
random_fast(void *p, size_t n)
{
	static unsigned char	 seed[randombytes_SEEDBYTES];
	static uint64_t		 counter;
	static pid_t		 owner;
	unsigned char		 k[randombytes_SEEDBYTES];
	size_t			 i;

	if (owner != getpid()) {	/* a forked worker must not repeat its parent's stream */
		randombytes_buf(seed, sizeof(seed));
		owner = getpid();
	}
	memcpy(k, seed, sizeof(k));
	counter++;
	for (i = 0; i < 8; i++)
		k[i] ^= (unsigned char)(counter >> (8 * i));
	randombytes_buf_deterministic(p, n, k);
}

void
sha256(const void *p, size_t n, unsigned char out[32])
{
	crypto_hash_sha256(out, p, n);
}

size_t
b64url_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	if (outsz < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return 0;
	sodium_bin2base64(out, outsz, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return strlen(out);
}

int
ct_equal(const char *a, const char *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
wipe(void *p, size_t n)
{
	if (p != NULL)
		sodium_memzero(p, n);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
pct_decode(char *s, size_t n, int plus_is_space)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 && (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space)
			s[o++] = ' ';
		else
			s[o++] = s[i];
	}
	if (o < n)
		s[o] = '\0';
	return o;
}

/* Strict decimal: optional sign, digits only, within [min, max]; 0 or -1. */
int
parse_long(const char *s, long long min, long long max, long long *out)
{
	long long	 v;
	char		*end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Cookie header parsing (RFC 6265 §5.4 as user agents send it: "a=1; b=2"). Counts the cookies called name and
 * points *val and *len at the value of the first one, without a pair of surrounding double quotes. Returns the count:
 * the reference treats two cookies of the same name as none (an attacker who can set a cookie for a parent domain
 * could otherwise shadow the real one), so callers use the value only when the count is 1.
 */
int
cookie_get(const char *header, const char *name, const char **val, size_t *len)
{
	size_t		 nlen = strlen(name);
	const char	*p = header, *e, *eq, *v;
	int		 n = 0;

	if (header == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if ((e = strchr(p, ';')) == NULL)
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq != NULL) {
			const char *ne = eq;

			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if ((size_t)(ne - p) == nlen && memcmp(p, name, nlen) == 0) {
				const char *ve = e;

				v = eq + 1;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				if (ve - v >= 2 && *v == '"' && ve[-1] == '"')
					v++, ve--;
				if (n++ == 0) {
					*val = v;
					*len = (size_t)(ve - v);
				}
			}
		}
		p = e;
	}
	return n;
}

/* 1 when a header value, trimmed of spaces and tabs, equals word ignoring ASCII case. */
int
header_is(const char *value, const char *word)
{
	size_t n;

	if (value == NULL)
		return 0;
	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	return n == strlen(word) && strncasecmp(value, word, n) == 0;
}

/*
 * Percent-encodes s for use as one query-string value (RFC 3986 §2.3: only unreserved characters and the slash stay as
 * they are), into the arena. NULL when the arena is exhausted.
 */
char *
pct_encode(struct arena *a, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 i, o = 0, n = strlen(s);
	char			*out = arena_alloc(a, n * 3 + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~' || c == '/')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
