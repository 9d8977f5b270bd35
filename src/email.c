/*
 * email.c: email address validation and normalisation matching pydantic's EmailStr.
 *
 * Behaviour reproduced: pydantic 2.13 networks.validate_email() (2048-character limit, the
 * "pretty" `Name <addr>` regex, str.strip()) followed by email-validator 2.3.0
 * validate_email(email, check_deliverability=False) with every other option at its default
 * (allow_smtputf8=True, allow_quoted_local=False, allow_domain_literal=False,
 * allow_display_name=False, allow_empty_local=False, strict=False, globally_deliverable=True,
 * test_environment=False).  The checks run in the library's order and the failure reasons are
 * the library's texts, so our 422 messages match pydantic's
 * ("value is not a valid email address: <reason>"; only <reason> is produced here).
 *
 * Notes on 2.3.0 that differ from older email-validator releases:
 *   - the 64-character local-part limit is only enforced with strict=True, so it is NOT applied
 *     here (the overall 254-octet limit still is);
 *   - a missing @-sign is reported specially when U+FF20 or U+FE6B is present;
 *   - the domain limit is 253 octets of IDNA ASCII.
 *
 * Unicode comes from GNU libunistring (Unicode 14.0, the version of Python 3.11's unicodedata): general
 * categories, character names, scripts, decompositions, NFC/NFKC and case folding. On top of it:
 *   - the local part is returned in NFC and the NFC form is validated again ("After Unicode normalization: ...");
 *   - the domain's UTS-46 mapping is NFKC_Casefold per code point (the deviations ß, ς, ZWNJ and ZWJ kept, as
 *     transitional=False keeps them), then NFC of the whole; the code points UTS-46 ignores or disallows where
 *     NFKC_Casefold says nothing are the two small tables below (README, "Unicode");
 *   - IDNA 2008 code point classes are derived as RFC 5892 section 3 orders its rules, from libunistring's
 *     properties, with the RFC's own exception list, so that a refusal names the code point and its position
 *     as the idna package does; labels must be in NFC; CONTEXTO rules are exact; the Bidi rule (RFC 5893) uses
 *     libunistring's bidi classes and the idna package's texts;
 *   - then libidn2 looks every U-label up (IDNA 2008, RFC 5891) and encodes its Punycode. Its tables in Debian 12
 *     are older than libunistring's: a code point it calls unassigned has passed the checks above on Unicode 14
 *     data, so that label is encoded here (RFC 3492) instead of refused. Decoding an A-label stays here too
 *     (puny_decode()): libidn2 decodes only inside its own lookup, whose refusals are not the idna package's.
 *
 * tests/unicode-oracle/ compares this file with email-validator 2.3.0 itself on generated addresses.
 *
 * Memory: no mutable globals; about 50 KiB of stack per call; libunistring allocates and this file frees.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <unictype.h>
#include <uniname.h>
#include <uninorm.h>
#include <unistr.h>

/*
 * Validates the email address in (len bytes, valid UTF-8 guaranteed by the caller, may contain any code point
 * including NUL) as pydantic's EmailStr does. On success returns 0 and writes the normalised address,
 * NUL-terminated, to out (outsz bytes; 1024 is always enough because inputs longer than 2048 chars are refused
 * earlier -- but still bound every write). On failure returns -1 and writes the email-validator reason text
 * (e.g. "An email address must have an @-sign."), NUL-terminated, to reason (reasonsz bytes).
 */
int email_normalize(const char *in, size_t len, char *out, size_t outsz, char *reason, size_t reasonsz);

typedef uint32_t cp_t;

/* ------------------------------------------------------------------------------------------ */
/* The two hand-made tables left (README, "Unicode"): UTS-46 statuses that neither library exposes */
/* ------------------------------------------------------------------------------------------ */

/* UTS-46 ignored (removed) code points outside categories C and Z: {first, last}. */
static const uint32_t uts46_ignored[9][2] = {
	{0x0034F,0x0034F}, {0x0115F,0x01160}, {0x017B4,0x017B5}, {0x0180B,0x0180D}, {0x0180F,0x0180F}, {0x03164,0x03164},
	{0x0FE00,0x0FE0F}, {0x0FFA0,0x0FFA0}, {0xE0100,0xE01EF},
};

/* UTS-46 disallowed code points outside categories C and Z: {first, last}. */
static const uint32_t uts46_disallowed[12][2] = {
	{0x02024,0x02026}, {0x02488,0x0249B}, {0x02FF0,0x02FFB}, {0x033C2,0x033C2}, {0x033C7,0x033C7}, {0x033D8,0x033D8},
	{0x0FE12,0x0FE12}, {0x0FE19,0x0FE19}, {0x0FE30,0x0FE30}, {0x0FE52,0x0FE52}, {0x0FFFC,0x0FFFD}, {0x1F100,0x1F100},
};

#define PY_MAX_EMAIL_LENGTH 2048  /* pydantic.networks.MAX_EMAIL_LENGTH (code points) */
#define EMAIL_MAX_LENGTH 254      /* octets, UTF-8 */
#define DOMAIN_MAX_LENGTH 253     /* octets of IDNA ASCII */
#define DNS_LABEL_LENGTH_LIMIT 63 /* octets */
#define ASCII_DOMAIN_CAP 256      /* room kept for the IDNA ASCII domain (longer is refused) */
#define DISPLAY_MAX 160           /* longest safe_character_display() text, with margin */

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Category groups (low three bits of a class). */
#define G_C 0    /* Cc Cf Cs Co Cn */
#define G_WORD 1 /* L or N with str.isalnum(), and "_": Python's \w */
#define G_SYM 2  /* the rest of L N P S */
#define G_MARK 3 /* M */
#define G_ZS 4   /* Zs */
#define G_ZLP 5  /* Zl Zp */
/* IDNA 2008 property (bits 3-4 of a class). */
#define IDNA_DISALLOWED 0
#define IDNA_PVALID 1
#define IDNA_CONTEXT 2

/* Scratch space for one call; lives on the caller's stack. */
struct ws {
	cp_t text[PY_MAX_EMAIL_LENGTH];  /* the decoded input */
	cp_t local[PY_MAX_EMAIL_LENGTH]; /* display name, then the unquoted local part */
	cp_t set[PY_MAX_EMAIL_LENGTH];   /* character sets for error messages */
	cp_t dom[PY_MAX_EMAIL_LENGTH];   /* the UTS-46 remapped domain */
	cp_t lab[PY_MAX_EMAIL_LENGTH];   /* a Punycode-decoded label */
	cp_t nfc[PY_MAX_EMAIL_LENGTH];   /* the local part in NFC, when it was not */
	cp_t i18n[ASCII_DOMAIN_CAP];     /* the Unicode form of the domain */
	char ascii[ASCII_DOMAIN_CAP + 1];
	size_t ascii_len; /* full length of the IDNA ASCII domain (may exceed what is stored) */
	size_t i18n_len;
};

/* ------------------------------------------------------------------------------------------ */
/* Bounded string builder                                                                      */
/* ------------------------------------------------------------------------------------------ */

struct sbuf {
	char *p;
	size_t cap; /* bytes, including the terminating NUL */
	size_t len;
	int trunc;
};

static void
sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = (p != NULL) ? cap : 0;
	b->len = 0;
	b->trunc = 0;
	if (b->cap > 0)
		b->p[0] = '\0';
}

static void
sb_putn(struct sbuf *b, const char *s, size_t n)
{
	size_t room;

	if (n == 0)
		return;
	if (b->cap == 0) {
		b->trunc = 1;
		return;
	}
	room = b->cap - 1 - b->len;
	if (n > room) {
		n = room;
		/* Never cut a UTF-8 sequence in half. */
		while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u)
			n--;
		b->trunc = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void
sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static size_t
utf8_encode(cp_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | ((c >> 18) & 0x07));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

static size_t
utf8_len(cp_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static void
sb_putcp(struct sbuf *b, cp_t c)
{
	char tmp[4];
	size_t n = utf8_encode(c, tmp);

	sb_putn(b, tmp, n);
}

static void
sb_putcps(struct sbuf *b, const cp_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_putcp(b, s[i]);
}

static void
sb_putu(struct sbuf *b, unsigned long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lu", v);

	if (n > 0)
		sb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void
sb_puthex(struct sbuf *b, const char *prefix, int width, int upper, unsigned long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), upper ? "%0*lX" : "%0*lx", width, v);

	sb_puts(b, prefix);
	if (n > 0)
		sb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Character properties                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int
is_ascii_alpha(cp_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_ascii_digit(cp_t c)
{
	return c >= '0' && c <= '9';
}

static cp_t
ascii_lower(cp_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* The general category, grouped as the checks below read it (libunistring, Unicode 14 as Python 3.11). */
static unsigned
cat_group(cp_t c)
{
	if (c < 0x80) {
		if (c < 0x20 || c == 0x7F)
			return G_C;
		if (c == 0x20)
			return G_ZS;
		if (is_ascii_alpha(c) || is_ascii_digit(c) || c == '_')
			return G_WORD;
		return G_SYM;
	}
	if (c > 0x10FFFF)
		return G_C;
	/* Python's str.isalnum(): every L and N character (each N character has a numeric type). */
	if (uc_is_general_category(c, UC_LETTER) || uc_is_general_category(c, UC_NUMBER))
		return G_WORD;
	if (uc_is_general_category(c, UC_PUNCTUATION) || uc_is_general_category(c, UC_SYMBOL))
		return G_SYM;
	if (uc_is_general_category(c, UC_MARK))
		return G_MARK;
	if (uc_is_general_category(c, UC_SPACE_SEPARATOR))
		return G_ZS;
	if (uc_is_general_category(c, UC_LINE_SEPARATOR) || uc_is_general_category(c, UC_PARAGRAPH_SEPARATOR))
		return G_ZLP;
	return G_C;
}

/* One code point through NFKC, case folding and NFKC again (libunistring); 0 when it stays itself. */
static int
nfkc_casefold_changes(cp_t c)
{
	uint32_t	 in = c, *k, *f;
	size_t		 kn, fn;
	int		 changed = 1;

	if ((k = u32_normalize(UNINORM_NFKC, &in, 1, NULL, &kn)) == NULL)
		return 1;
	if ((f = u32_casefold(k, kn, NULL, UNINORM_NFKC, NULL, &fn)) != NULL) {
		changed = !(fn == 1 && f[0] == c);
		free(f);
	}
	free(k);
	return changed;
}

static int
in_block(cp_t c, const char *name)
{
	const uc_block_t *b = uc_block(c);

	return b != NULL && strcmp(b->name, name) == 0;
}

/*
 * The IDNA 2008 derived property of a code point, computed as RFC 5892 section 3 orders its rules, from
 * libunistring's Unicode data. Exceptions (F) are RFC 5892 section 2.6's own list; BackwardCompatible (G) is
 * empty. UNASSIGNED counts as DISALLOWED; CONTEXTJ and CONTEXTO are both IDNA_CONTEXT (check_label() tells them
 * apart).
 */
static unsigned
idna_prop(cp_t c)
{
	switch (c) {	/* (F) Exceptions */
	case 0x00DF: case 0x03C2: case 0x06FD: case 0x06FE: case 0x0F0B: case 0x3007:
		return IDNA_PVALID;
	case 0x00B7: case 0x0375: case 0x05F3: case 0x05F4: case 0x30FB:
		return IDNA_CONTEXT;
	case 0x0640: case 0x07FA: case 0x302E: case 0x302F: case 0x3031: case 0x3032: case 0x3033: case 0x3034:
	case 0x3035: case 0x303B:
		return IDNA_DISALLOWED;
	default:
		break;
	}
	if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9))
		return IDNA_CONTEXT;
	if (c < 0x80)	/* (K) LDH */
		return ((c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '-') ? IDNA_PVALID : IDNA_DISALLOWED;
	if (c > 0x10FFFF || uc_is_general_category(c, UC_UNASSIGNED))	/* (J) Unassigned, noncharacters too */
		return IDNA_DISALLOWED;
	if (c == 0x200C || c == 0x200D)	/* (H) JoinControl */
		return IDNA_CONTEXT;
	if (nfkc_casefold_changes(c) ||	/* (B) Unstable */
	    uc_is_property_default_ignorable_code_point(c) || uc_is_property_white_space(c) ||
	    uc_is_property_not_a_character(c) ||	/* (C) IgnorableProperties */
	    in_block(c, "Combining Diacritical Marks for Symbols") || in_block(c, "Musical Symbols") ||
	    in_block(c, "Ancient Greek Musical Notation") ||	/* (D) IgnorableBlocks */
	    in_block(c, "Hangul Jamo") || in_block(c, "Hangul Jamo Extended-A") ||
	    in_block(c, "Hangul Jamo Extended-B"))	/* (I) OldHangulJamo */
		return IDNA_DISALLOWED;
	if (uc_is_general_category(c, UC_LOWERCASE_LETTER) || uc_is_general_category(c, UC_UPPERCASE_LETTER) ||
	    uc_is_general_category(c, UC_OTHER_LETTER) || uc_is_general_category(c, UC_DECIMAL_DIGIT_NUMBER) ||
	    uc_is_general_category(c, UC_MODIFIER_LETTER) || uc_is_general_category(c, UC_NON_SPACING_MARK) ||
	    uc_is_general_category(c, UC_COMBINING_SPACING_MARK))	/* (A) LetterDigits */
		return IDNA_PVALID;
	return IDNA_DISALLOWED;
}

static int
in_script(cp_t c, const char *name)
{
	const uc_script_t *sc = uc_script(c);

	return sc != NULL && strcmp(sc->name, name) == 0;
}

/* str.isspace() */
static int
py_isspace(cp_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* str.isprintable() for one character. */
static int
py_isprintable(cp_t c)
{
	unsigned g = cat_group(c);

	return c == ' ' || g == G_WORD || g == G_SYM || g == G_MARK;
}

/* RFC 5322 atext (ASCII). */
static int
is_atext(cp_t c)
{
	return is_ascii_alpha(c) || is_ascii_digit(c) ||
	    (c > 0 && c < 0x80 && strchr("!#$%&'*+-/=?^_`{|}~", (int)c) != NULL);
}

static int
in_ranges(cp_t c, const uint32_t (*r)[2], size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c < r[mid][0])
			hi = mid;
		else if (c > r[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* unicodedata.name(c), or NULL where Python has none (controls, unassigned, private use...): libunistring. */
static const char *
ucd_name_of(cp_t c, char *tmp, size_t tmpsz)
{
	(void)tmpsz;	/* tmp holds UNINAME_MAX bytes (see safe_character_display()) */
	return unicode_character_name(c, tmp);
}

/* ------------------------------------------------------------------------------------------ */
/* Python text renderings                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* repr(str) */
static void
py_repr(struct sbuf *b, const cp_t *s, size_t n)
{
	int has_sq = 0, has_dq = 0;
	char q;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			has_sq = 1;
		else if (s[i] == '"')
			has_dq = 1;
	}
	q = (has_sq && !has_dq) ? '"' : '\'';
	sb_putc(b, q);
	for (i = 0; i < n; i++) {
		cp_t c = s[i];

		if (c == (cp_t)q || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c == '\t') {
			sb_puts(b, "\\t");
		} else if (c == '\n') {
			sb_puts(b, "\\n");
		} else if (c == '\r') {
			sb_puts(b, "\\r");
		} else if (c < 0x20 || c == 0x7F) {
			sb_puthex(b, "\\x", 2, 0, c);
		} else if (c < 0x7F) {
			sb_putc(b, (char)c);
		} else if (py_isprintable(c)) {
			sb_putcp(b, c);
		} else if (c <= 0xFF) {
			sb_puthex(b, "\\x", 2, 0, c);
		} else if (c <= 0xFFFF) {
			sb_puthex(b, "\\u", 4, 0, c);
		} else {
			sb_puthex(b, "\\U", 8, 0, c);
		}
	}
	sb_putc(b, q);
}

/* email_validator safe_character_display() */
static void
safe_character_display(struct sbuf *b, cp_t c)
{
	unsigned g;
	char tmp[UNINAME_MAX];
	const char *name;

	if (c == '\\') {
		sb_puts(b, "\"\\\"");
		return;
	}
	g = cat_group(c);
	if (g == G_WORD || g == G_SYM) {
		py_repr(b, &c, 1);
		return;
	}
	name = ucd_name_of(c, tmp, sizeof(tmp));
	if (name != NULL)
		sb_puts(b, name);
	else if (c < 0xFFFF)
		sb_puthex(b, "U+", 4, 1, c);
	else
		sb_puthex(b, "U+", 8, 1, c);
}

/* "U+{:04X}" as idna's _unot() */
static void
put_unot(struct sbuf *b, cp_t c)
{
	sb_puthex(b, "U+", 4, 1, c);
}

/* ------------------------------------------------------------------------------------------ */
/* Character sets for messages                                                                 */
/* ------------------------------------------------------------------------------------------ */

static int
display_cmp(cp_t x, cp_t y)
{
	char bx[DISPLAY_MAX], by[DISPLAY_MAX];
	struct sbuf sx, sy;

	sb_init(&sx, bx, sizeof(bx));
	sb_init(&sy, by, sizeof(by));
	safe_character_display(&sx, x);
	safe_character_display(&sy, y);
	/* strcmp compares as unsigned char: UTF-8 byte order is code point order, as in Python. */
	return strcmp(bx, by);
}

static int
set_less(cp_t x, cp_t y, int by_display)
{
	return by_display ? display_cmp(x, y) < 0 : x < y;
}

static void
sift_down(cp_t *a, size_t root, size_t end, int by_display)
{
	for (;;) {
		size_t child = 2 * root + 1, big = root;
		cp_t t;

		if (child < end && set_less(a[big], a[child], by_display))
			big = child;
		if (child + 1 < end && set_less(a[big], a[child + 1], by_display))
			big = child + 1;
		if (big == root)
			return;
		t = a[root];
		a[root] = a[big];
		a[big] = t;
		root = big;
	}
}

static void
heap_sort(cp_t *a, size_t n, int by_display)
{
	size_t i;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n, by_display);
	for (i = n - 1; i > 0; i--) {
		cp_t t = a[0];

		a[0] = a[i];
		a[i] = t;
		sift_down(a, 0, i, by_display);
	}
}

/* Sorts by code point and removes duplicates (Python set + sorted over characters). */
static size_t
set_normalize(cp_t *a, size_t n)
{
	size_t i, k = 0;

	heap_sort(a, n, 0);
	for (i = 0; i < n; i++)
		if (k == 0 || a[k - 1] != a[i])
			a[k++] = a[i];
	return k;
}

static void
put_display_list(struct sbuf *b, const cp_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_puts(b, ", ");
		safe_character_display(b, a[i]);
	}
}

typedef int (*cp_pred)(cp_t c);

/*
 * bad_chars = {safe_character_display(c) for c in s if not ok(c)}; when not empty, writes
 * prefix + ", ".join(sorted(bad_chars)) + "." and returns -1.
 */
static int
refuse_bad_chars(const cp_t *s, size_t n, cp_pred ok, cp_t *set, size_t setcap, const char *prefix,
							struct sbuf *err)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!ok(s[i]) && k < setcap)
			set[k++] = s[i];
	if (k == 0)
		return 0;
	k = set_normalize(set, k);
	heap_sort(set, k, 1);
	sb_puts(err, prefix);
	put_display_list(err, set, k);
	sb_putc(err, '.');
	return -1;
}

/* email_validator check_unsafe_chars() */
static int
check_unsafe_chars(const cp_t *s, size_t n, int allow_space, cp_t *set, size_t setcap, struct sbuf *err)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned g = cat_group(s[i]);
		int bad;

		switch (g) {
		case G_WORD:
		case G_SYM:
			bad = 0;
			break;
		case G_MARK:
			bad = (i == 0);
			break;
		case G_ZS:
			bad = !allow_space;
			break;
		default: /* G_ZLP, G_C */
			bad = 1;
			break;
		}
		if (bad && k < setcap)
			set[k++] = s[i];
	}
	if (k == 0)
		return 0;
	k = set_normalize(set, k);
	sb_puts(err, "The email address contains unsafe characters: ");
	put_display_list(err, set, k);
	sb_putc(err, '.');
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* pydantic pre-processing                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Python's \w plus the other characters of pydantic's name_chars class. */
static int
is_name_char(cp_t c)
{
	return cat_group(c) == G_WORD || (c < 0x80 && c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", (int)c) != NULL);
}

/*
 * pretty_email_regex.fullmatch(value), i.e.
 *     \s*(?:((?:N+\s+)*N+)|"((?:[^"]|\")+)")?\s*<(.+)>\s*
 * with Python's backtracking semantics.  On a match sets [*a, *b) to the third group.
 *
 * The final ">" must be the last non-space character q; "(.+)" then runs from the chosen "<" at
 * p to q and must not hold a newline.  p is fixed by the prefix: the "<" right after leading
 * space, the first "<" after an unquoted name, or -- for a quoted name -- the "<" after the
 * right-most closing quote for which the rest matches (the greedy group backtracks from the
 * right).
 */
static int
pretty_suffix_ok(const cp_t *s, size_t p, size_t q)
{
	size_t i;

	if (s[p] != '<' || p + 1 >= q)
		return 0;
	for (i = p + 1; i < q; i++)
		if (s[i] == '\n')
			return 0;
	return 1;
}

static int
pretty_match(const cp_t *s, size_t n, size_t *a, size_t *b)
{
	size_t k = 0, t = n, q, p;

	while (k < n && py_isspace(s[k]))
		k++;
	while (t > 0 && py_isspace(s[t - 1]))
		t--;
	if (t == 0 || k >= t || s[t - 1] != '>')
		return 0;
	q = t - 1;

	if (s[k] == '<') {
		p = k;
	} else if (s[k] == '"') {
		size_t c;

		for (c = q; c-- > k + 2;) {
			size_t j;

			if (s[c] != '"')
				continue;
			j = c + 1;
			while (j < n && py_isspace(s[j]))
				j++;
			if (j < q && pretty_suffix_ok(s, j, q)) {
				*a = j + 1;
				*b = q;
				return 1;
			}
		}
		return 0;
	} else if (is_name_char(s[k])) {
		p = k;
		while (p < n && (is_name_char(s[p]) || py_isspace(s[p])))
			p++;
		if (p >= n)
			return 0;
	} else {
		return 0;
	}
	if (p >= q || !pretty_suffix_ok(s, p, q))
		return 0;
	*a = p + 1;
	*b = q;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Splitting (email_validator split_email)                                                     */
/* ------------------------------------------------------------------------------------------ */

/* s[0, n) is already in NFC (libunistring); an error counts as "no". */
static int
is_nfc(const cp_t *s, size_t n)
{
	uint32_t	*r;
	size_t		 rn;
	int		 same;

	if ((r = u32_normalize(UNINORM_NFC, s, n, NULL, &rn)) == NULL)
		return 0;
	same = rn == n && memcmp(r, s, n * sizeof(*s)) == 0;
	free(r);
	return same;
}

/*
 * unicodedata.normalize("NFC", text[i:])[0] != text[i]: the character composes with what follows ("<" and
 * U+0338 make U+226E). Only the specials' answer matters to the caller; the window holds a character's whole
 * run of combining marks in any text that passes the later checks.
 */
static int
lt_composes(const cp_t *t, size_t i, size_t n)
{
	uint32_t	*r;
	size_t		 rn, len = n - i < 64 ? n - i : 64;
	int		 differs;

	if ((r = u32_normalize(UNINORM_NFC, t + i, len, NULL, &rn)) == NULL)
		return 0;
	differs = rn == 0 || r[0] != t[i];
	free(r);
	return differs;
}

/* split_string_at_unquoted_special(); *pos is the index of the special character. */
static int
split_at_special(const cp_t *t, size_t n, int with_lt, size_t *pos, struct sbuf *err)
{
	int inside_quote = 0, escaped = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		cp_t c = t[i];

		if ((c == '<' || c == '@' || c == '"' || c == '\\') && lt_composes(t, i, n))
			continue;
		if (inside_quote) {
			if (c == '\\' && !escaped) {
				escaped = 1;
			} else if (c == '"' && !escaped) {
				inside_quote = 0;
				escaped = 0;
			} else {
				escaped = 0;
			}
		} else if (c == '"') {
			inside_quote = 1;
		} else if (c == '@' || (with_lt && c == '<')) {
			*pos = i;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i] == 0xFF20) {
			sb_puts(err, "The email address has the \"full-width\" at-sign (@) character instead of a regular at-sign.");
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i] == 0xFE6B) {
			sb_puts(err, "The email address has the \"small commercial at\" character instead of a regular at-sign.");
			return -1;
		}
	}
	sb_puts(err, "An email address must have an @-sign.");
	return -1;
}

/* unquote_quoted_string(); out has room for n code points. */
static int
unquote(const cp_t *t, size_t n, cp_t *out, size_t *outn, int *quoted, struct sbuf *err)
{
	int q = 0, escaped = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		cp_t c = t[i];

		if (q) {
			if (escaped) {
				out[k++] = c;
				escaped = 0;
			} else if (c == '\\') {
				escaped = 1;
			} else if (c == '"') {
				if (i != n - 1) {
					sb_puts(err, "Extra character(s) found after close quote: ");
					put_display_list(err, t + i + 1, n - i - 1);
					return -1;
				}
				break;
			} else {
				out[k++] = c;
			}
		} else if (i == 0 && c == '"') {
			q = 1;
		} else {
			out[k++] = c;
		}
	}
	*outn = k;
	*quoted = q;
	return 0;
}

static int
ok_display_name_char(cp_t c)
{
	return is_atext(c) || c == ' ';
}

static int
contains(const cp_t *s, size_t n, cp_t c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == c)
			return 1;
	return 0;
}

struct parts {
	const cp_t *local; /* unquoted local part (in ws->local) */
	size_t nlocal;
	int quoted;
	const cp_t *domain;
	size_t ndomain;
	int has_display_name;
};

static int
split_email(struct ws *w, const cp_t *t, size_t n, struct parts *pp, struct sbuf *err)
{
	size_t at, nl, nr;
	const cp_t *lp = t, *rp;

	if (split_at_special(t, n, 1, &at, err) != 0)
		return -1;
	nl = at;
	rp = t + at;
	nr = n - at;
	pp->has_display_name = 0;

	if (rp[0] == '<') {
		size_t nname, na, at2;
		int name_quoted;
		const cp_t *as;

		while (nl > 0 && py_isspace(lp[nl - 1]))
			nl--;
		if (unquote(lp, nl, w->local, &nname, &name_quoted, err) != 0)
			return -1;
		if (!name_quoted &&
		    refuse_bad_chars(w->local, nname, ok_display_name_char, w->set, N_ELEMS(w->set),
		    "The display name contains invalid characters when not quoted: ", err) != 0)
			return -1;
		if (check_unsafe_chars(w->local, nname, 1, w->set, N_ELEMS(w->set), err) != 0)
			return -1;
		if (!contains(rp, nr, '>')) {
			sb_puts(err, "An open angle bracket at the start of the email address has to be followed by a close "
			    "angle bracket at the end.");
			return -1;
		}
		while (nr > 0 && rp[nr - 1] == ' ')
			nr--;
		if (nr == 0 || rp[nr - 1] != '>') {
			sb_puts(err, "There can't be anything after the email address.");
			return -1;
		}
		as = rp + 1;
		na = nr - 1;
		while (na > 0 && as[na - 1] == '>')
			na--;
		if (split_at_special(as, na, 0, &at2, err) != 0)
			return -1;
		lp = as;
		nl = at2;
		rp = as + at2;
		nr = na - at2;
		pp->has_display_name = 1;
	}
	if (nr > 0 && rp[0] == '@') {
		rp++;
		nr--;
	}
	if (unquote(lp, nl, w->local, &pp->nlocal, &pp->quoted, err) != 0)
		return -1;
	pp->local = w->local;
	pp->domain = rp;
	pp->ndomain = nr;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Local part                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* DOT_ATOM_TEXT / DOT_ATOM_TEXT_INTL: non-empty atoms separated by single periods. */
static int
is_dot_atom(const cp_t *s, size_t n, int intl)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext(s[i]) && !(intl && s[i] >= 0x80)) {
			return 0;
		}
	}
	return 1;
}

static int
ok_qtext_intl(cp_t c)
{
	return (c >= 0x20 && c <= 0x7E) || c >= 0x80;
}

static int
ok_atext_intl_dot(cp_t c)
{
	return is_atext(c) || c == '.' || c >= 0x80;
}

/* validate_email_local_part(); *smtputf8 tells that the part is not ASCII. */
static int
validate_local_part(struct ws *w, const cp_t *l, size_t n, int quoted, int *smtputf8, struct sbuf *err)
{
	size_t i;

	*smtputf8 = 0;
	if (n == 0) {
		sb_puts(err, "There must be something before the @-sign.");
		return -1;
	}
	/* (The 64-character local-part limit applies only with strict=True.) */
	if (is_dot_atom(l, n, 0))
		return 0;
	if (is_dot_atom(l, n, 1)) {
		*smtputf8 = 1;
		return check_unsafe_chars(l, n, 0, w->set, N_ELEMS(w->set), err);
	}
	if (quoted) {
		if (refuse_bad_chars(l, n, ok_qtext_intl, w->set, N_ELEMS(w->set),
		    "The email address contains invalid characters in quotes before the @-sign: ", err) != 0)
			return -1;
		for (i = 0; i < n; i++)
			if (l[i] < 32 || l[i] > 126)
				*smtputf8 = 1;
		return check_unsafe_chars(l, n, 1, w->set, N_ELEMS(w->set), err);
	}
	if (refuse_bad_chars(l, n, ok_atext_intl_dot, w->set, N_ELEMS(w->set),
	    "The email address contains invalid characters before the @-sign: ", err) != 0)
		return -1;
	if (l[n - 1] == '.') {
		sb_puts(err, "An email address cannot have a period immediately before the @-sign.");
		return -1;
	}
	if (l[0] == '.') {
		sb_puts(err, "An email address cannot start with a period.");
		return -1;
	}
	for (i = 0; i + 1 < n; i++) {
		if (l[i] == '.' && l[i + 1] == '.') {
			sb_puts(err, "An email address cannot have two periods in a row.");
			return -1;
		}
	}
	sb_puts(err, "The email address contains invalid characters before the @-sign.");
	return -1;
}

/* RFC 2142 mailbox names, compared after ASCII lowercasing. */
static int
is_case_insensitive_mailbox(const cp_t *l, size_t n)
{
	static const char *const names[] = {
		"info", "marketing", "sales", "support",				/* section 3 */
		"abuse", "noc", "security",						/* section 4 */
		"postmaster", "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp",	/* section 5 */
	};
	size_t i, j;

	for (i = 0; i < N_ELEMS(names); i++) {
		const char *s = names[i];
		size_t sl = strlen(s);

		if (sl != n)
			continue;
		for (j = 0; j < n; j++)
			if (ascii_lower(l[j]) != (cp_t)(unsigned char)s[j])
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Domain literals (only their refusal texts matter: literals are never allowed here)          */
/* ------------------------------------------------------------------------------------------ */

/* str() of ipaddress.IPv4Address(s)'s AddressValueError; returns 0 when s is valid. */
static int
ipv4_error(const cp_t *s, size_t n, struct sbuf *e)
{
	size_t start = 0, i, octets = 1;

	if (n == 0) {
		sb_puts(e, "Address cannot be empty");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (s[i] == '.')
			octets++;
	if (octets != 4) {
		sb_puts(e, "Expected 4 octets in ");
		py_repr(e, s, n);
		return -1;
	}
	for (i = 0; i <= n; i++) {
		const cp_t *o;
		size_t ol, j;
		unsigned long v = 0;
		int digits = 1;

		if (i < n && s[i] != '.')
			continue;
		o = s + start;
		ol = i - start;
		start = i + 1;
		if (ol == 0) {
			sb_puts(e, "Empty octet not permitted");
		} else {
			for (j = 0; j < ol; j++)
				if (!is_ascii_digit(o[j]))
					digits = 0;
			if (!digits) {
				sb_puts(e, "Only decimal digits permitted in ");
				py_repr(e, o, ol);
			} else if (ol > 3) {
				sb_puts(e, "At most 3 characters permitted in ");
				py_repr(e, o, ol);
			} else if (ol > 1 && o[0] == '0') {
				sb_puts(e, "Leading zeros are not permitted in ");
				py_repr(e, o, ol);
			} else {
				for (j = 0; j < ol; j++)
					v = v * 10 + (o[j] - '0');
				if (v <= 255)
					continue;
				sb_puts(e, "Octet ");
				sb_putu(e, v);
				sb_puts(e, " (> 255) not permitted");
			}
		}
		sb_puts(e, " in ");
		py_repr(e, s, n);
		return -1;
	}
	return 0;
}

static int
is_hex(cp_t c)
{
	return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* _parse_hextet() (or int()'s error for an empty one); returns 0 when valid. */
static int
hextet_error(const cp_t *h, size_t n, struct sbuf *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_hex(h[i])) {
			sb_puts(e, "Only hex digits permitted in ");
			py_repr(e, h, n);
			return -1;
		}
	}
	if (n > 4) {
		sb_puts(e, "At most 4 characters permitted in ");
		py_repr(e, h, n);
		return -1;
	}
	if (n == 0) {
		sb_puts(e, "invalid literal for int() with base 16: ''");
		return -1;
	}
	return 0;
}

#define IPV6_MAX_PARTS 9 /* _HEXTET_COUNT + 1 */

/* str() of ipaddress.IPv6Address(s)'s AddressValueError; returns 0 when s is valid. */
static int
ipv6_error(const cp_t *s, size_t n, struct sbuf *e)
{
	size_t pstart[IPV6_MAX_PARTS + 3], plen[IPV6_MAX_PARTS + 3];
	size_t nparts = 0, start = 0, i, an = n, skip = 0, parts_hi, parts_lo;
	int have_skip = 0, v4tail = 0;
	const cp_t *ip = s;

	if (contains(s, n, '/')) {
		sb_puts(e, "Unexpected '/' in ");
		py_repr(e, s, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 1 == n || contains(s + i + 1, n - i - 1, '%')) {
				sb_puts(e, "Invalid IPv6 address: \"");
				py_repr(e, s, n);
				sb_putc(e, '"');
				return -1;
			}
			an = i;
			break;
		}
	}
	if (an == 0) {
		sb_puts(e, "Address cannot be empty");
		return -1;
	}
	if (an > 45) {
		sb_puts(e, "At most 45 characters expected in ");
		if (an > 100) {
			/* repr(f'{ip_str[:45]}({len(ip_str)-90} chars elided){ip_str[-45:]}') */
			cp_t tmp[45 + 40 + 45];
			char num[40];
			size_t k = 0, j;
			int nn = snprintf(num, sizeof(num), "(%lu chars elided)", (unsigned long)(an - 90));

			for (j = 0; j < 45; j++)
				tmp[k++] = ip[j];
			for (j = 0; nn > 0 && j < (size_t)nn && j < sizeof(num) - 1; j++)
				tmp[k++] = (cp_t)(unsigned char)num[j];
			for (j = an - 45; j < an; j++)
				tmp[k++] = ip[j];
			py_repr(e, tmp, k);
		} else {
			py_repr(e, ip, an);
		}
		return -1;
	}
	/* ip_str.split(':', maxsplit=_HEXTET_COUNT + 1) */
	for (i = 0; i <= an; i++) {
		if (i == an || (ip[i] == ':' && nparts < IPV6_MAX_PARTS)) {
			pstart[nparts] = start;
			plen[nparts] = i - start;
			nparts++;
			start = i + 1;
		}
	}
	if (nparts < 3) {
		sb_puts(e, "At least 3 parts expected in ");
		py_repr(e, ip, an);
		return -1;
	}
	if (contains(ip + pstart[nparts - 1], plen[nparts - 1], '.')) {
		struct sbuf sub;
		char tmp[256];

		sb_init(&sub, tmp, sizeof(tmp));
		if (ipv4_error(ip + pstart[nparts - 1], plen[nparts - 1], &sub) != 0) {
			sb_puts(e, tmp);
			sb_puts(e, " in ");
			py_repr(e, ip, an);
			return -1;
		}
		v4tail = 1; /* the tail becomes two valid hextets */
		nparts++;
	}
	if (nparts > IPV6_MAX_PARTS) {
		sb_puts(e, "At most 8 colons permitted in ");
		py_repr(e, ip, an);
		return -1;
	}
	for (i = 1; i + 1 < nparts; i++) {
		size_t l = (v4tail && i >= nparts - 2) ? 1 : plen[i];

		if (l == 0) {
			if (have_skip) {
				sb_puts(e, "At most one '::' permitted in ");
				py_repr(e, ip, an);
				return -1;
			}
			have_skip = 1;
			skip = i;
		}
	}
	if (have_skip) {
		parts_hi = skip;
		parts_lo = nparts - skip - 1;
		if (plen[0] == 0) {
			parts_hi--;
			if (parts_hi != 0) {
				sb_puts(e, "Leading ':' only permitted as part of '::' in ");
				py_repr(e, ip, an);
				return -1;
			}
		}
		if (!v4tail && plen[nparts - 1] == 0) {
			parts_lo--;
			if (parts_lo != 0) {
				sb_puts(e, "Trailing ':' only permitted as part of '::' in ");
				py_repr(e, ip, an);
				return -1;
			}
		}
		if (parts_hi + parts_lo >= 8) {
			sb_puts(e, "Expected at most 7 other parts with '::' in ");
			py_repr(e, ip, an);
			return -1;
		}
	} else {
		if (nparts != 8) {
			sb_puts(e, "Exactly 8 parts expected without '::' in ");
			py_repr(e, ip, an);
			return -1;
		}
		if (plen[0] == 0) {
			sb_puts(e, "Leading ':' only permitted as part of '::' in ");
			py_repr(e, ip, an);
			return -1;
		}
		if (!v4tail && plen[nparts - 1] == 0) {
			sb_puts(e, "Trailing ':' only permitted as part of '::' in ");
			py_repr(e, ip, an);
			return -1;
		}
		parts_hi = nparts;
		parts_lo = 0;
	}
	for (i = 0; i < nparts; i++) {
		struct sbuf sub;
		char tmp[256];

		if (!(i < parts_hi || i >= nparts - parts_lo))
			continue;
		if (v4tail && i >= nparts - 2)
			continue; /* the converted IPv4 tail */
		sb_init(&sub, tmp, sizeof(tmp));
		if (hextet_error(ip + pstart[i], plen[i], &sub) != 0) {
			sb_puts(e, tmp);
			sb_puts(e, " in ");
			py_repr(e, ip, an);
			return -1;
		}
	}
	return 0;
}

static int
ok_domain_literal_char(cp_t c)
{
	return (c >= 0x21 && c <= 0xFA) || (c >= 0x5E && c <= 0x7E);
}

/* validate_email_domain_literal() followed by the allow_domain_literal=False refusal. */
static int
refuse_domain_literal(struct ws *w, const cp_t *l, size_t n, struct sbuf *err)
{
	size_t body = n, i;
	int v4 = 1;
	char tmp[512];
	struct sbuf e;

	sb_init(&e, tmp, sizeof(tmp));
	/* re.match(r"^[0-9\.]+$", literal): "$" also matches before a final newline. */
	if (body > 0 && l[body - 1] == '\n')
		body--;
	if (body == 0)
		v4 = 0;
	for (i = 0; i < body && v4; i++)
		if (!is_ascii_digit(l[i]) && l[i] != '.')
			v4 = 0;
	if (v4) {
		if (ipv4_error(l, n, &e) != 0) {
			sb_puts(err, "The address in brackets after the @-sign is not valid: It is not an IPv4 address (");
			sb_puts(err, tmp);
			sb_puts(err, ") or is missing an address literal tag.");
			return -1;
		}
	} else if (n >= 5 && l[0] == 'I' && l[1] == 'P' && l[2] == 'v' && l[3] == '6' && l[4] == ':') {
		if (ipv6_error(l + 5, n - 5, &e) != 0) {
			sb_puts(err, "The IPv6 address in brackets after the @-sign is not valid (");
			sb_puts(err, tmp);
			sb_puts(err, ").");
			return -1;
		}
	} else {
		if (!contains(l, n, ':')) {
			sb_puts(err, "The part after the @-sign in brackets is not an IPv4 address and has no address literal tag.");
			return -1;
		}
		if (refuse_bad_chars(l, n, ok_domain_literal_char, w->set, N_ELEMS(w->set),
		    "The part after the @-sign contains invalid characters in brackets: ", err) != 0)
			return -1;
		sb_puts(err, "The part after the @-sign contains an invalid address literal tag in brackets.");
		return -1;
	}
	sb_puts(err, "A bracketed IP address after the @-sign is not allowed here.");
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Punycode (RFC 3492, as Python's "punycode" codec)                                           */
/* ------------------------------------------------------------------------------------------ */

static unsigned long
puny_adapt(unsigned long delta, int first, unsigned long numchars)
{
	unsigned long divisions = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / numchars;
	while (delta > 455) {
		delta /= 35;
		divisions += 36;
	}
	return divisions + (36 * delta) / (delta + 38);
}

static unsigned long
puny_t(unsigned long j, unsigned long bias)
{
	unsigned long k = 36 * (j + 1);

	if (k <= bias)
		return 1;
	if (k - bias > 26)
		return 26;
	return k - bias;
}

/* Encodes n code points; returns the output length, or (size_t)-1 when it exceeds cap. */
/* Encodes n code points; returns the output length, or (size_t)-1 when it exceeds cap. */
static size_t
puny_encode(const cp_t *in, size_t n, char *out, size_t cap)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned long long delta = 0;
	cp_t cur = 0x80;
	unsigned long bias = 72;
	size_t h, b = 0, o = 0, i;

	for (i = 0; i < n; i++) {
		if (in[i] < 0x80) {
			if (o >= cap)
				return (size_t)-1;
			out[o++] = (char)in[i];
			b++;
		}
	}
	if (b > 0) {
		if (o >= cap)
			return (size_t)-1;
		out[o++] = '-';
	}
	h = b;
	while (h < n) {
		cp_t m = 0x10FFFF + 1;

		for (i = 0; i < n; i++)
			if (in[i] >= cur && in[i] < m)
				m = in[i];
		delta += (unsigned long long)(m - cur) * (h + 1);
		cur = m;
		for (i = 0; i < n; i++) {
			if (in[i] < cur)
				delta++;
			if (in[i] == cur) {
				unsigned long long q = delta;
				unsigned long j;

				for (j = 0;; j++) {
					unsigned long t = puny_t(j, bias);

					if (q < t)
						break;
					if (o >= cap)
						return (size_t)-1;
					out[o++] = digits[t + (q - t) % (36 - t)];
					q = (q - t) / (36 - t);
				}
				if (o >= cap)
					return (size_t)-1;
				out[o++] = digits[q];
				bias = puny_adapt((unsigned long)delta, h == b, (unsigned long)h + 1);
				delta = 0;
				h++;
			}
		}
		delta++;
		cur++;
	}
	return o;
}

/*
 * Python's punycode decoding (errors="strict") of the ASCII text s[0..n); writes at most cap
 * code points to out.  Returns 0, or -1 for "Invalid A-label".
 */
static int
puny_decode(const char *s, size_t n, cp_t *out, size_t cap, size_t *outn)
{
	size_t dash = n, len = 0, pos_ext, i;
	unsigned long long cur = 0x80, pos = (unsigned long long)-1;
	unsigned long bias = 72;
	int first = 1;

	for (i = n; i-- > 0;) {
		if (s[i] == '-') {
			dash = i;
			break;
		}
	}
	if (dash == n) {
		pos_ext = 0;
	} else {
		if (dash > cap)
			return -1;
		for (i = 0; i < dash; i++)
			out[len++] = (cp_t)(unsigned char)s[i];
		pos_ext = dash + 1;
	}
	while (pos_ext < n) {
		unsigned long long result = 0, w = 1;
		unsigned long j;

		for (j = 0;; j++) {
			unsigned char ch;
			unsigned long digit, t;

			if (pos_ext >= n)
				return -1; /* incomplete punycode string */
			ch = (unsigned char)s[pos_ext++];
			if (ch >= 'a' && ch <= 'z')
				digit = ch - 'a';
			else if (ch >= 'A' && ch <= 'Z')
				digit = ch - 'A';
			else if (ch >= '0' && ch <= '9')
				digit = ch - '0' + 26;
			else
				return -1; /* invalid extended code point */
			t = puny_t(j, bias);
			result += digit * w;
			if (result > 0xFFFFFFFFull)
				return -1; /* the code point would exceed U+10FFFF */
			if (digit < t)
				break;
			w *= 36 - t;
			if (w > 0xFFFFFFFFull)
				return -1;
		}
		pos += result + 1;
		cur += pos / (len + 1);
		if (cur > 0x10FFFF)
			return -1;
		pos %= (len + 1);
		if (len >= cap)
			return -1;
		memmove(out + pos + 1, out + pos, (len - (size_t)pos) * sizeof(cp_t));
		out[pos] = (cp_t)cur;
		len++;
		bias = puny_adapt((unsigned long)result, first, (unsigned long)len);
		first = 0;
	}
	*outn = len;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* IDNA 2008 (idna package semantics)                                                          */
/* ------------------------------------------------------------------------------------------ */

static int
valid_contexto(const cp_t *l, size_t n, size_t pos)
{
	cp_t c = l[pos];
	size_t i;

	if (c == 0x00B7)
		return pos > 0 && pos + 1 < n && l[pos - 1] == 'l' && l[pos + 1] == 'l';
	if (c == 0x0375)
		return pos + 1 < n && n > 1 && in_script(l[pos + 1], "Greek");
	if (c == 0x05F3 || c == 0x05F4)
		return pos > 0 && in_script(l[pos - 1], "Hebrew");
	if (c == 0x30FB) {
		for (i = 0; i < n; i++) {
			if (l[i] == 0x30FB)
				continue;
			if (in_script(l[i], "Hiragana") || in_script(l[i], "Katakana") || in_script(l[i], "Han"))
				return 1;
		}
		return 0;
	}
	if (c >= 0x0660 && c <= 0x0669) {
		for (i = 0; i < n; i++)
			if (l[i] >= 0x06F0 && l[i] <= 0x06F9)
				return 0;
		return 1;
	}
	if (c >= 0x06F0 && c <= 0x06F9) {
		for (i = 0; i < n; i++)
			if (l[i] >= 0x0660 && l[i] <= 0x0669)
				return 0;
		return 1;
	}
	return 0;
}

/* idna check_bidi(): the Bidi rule of RFC 5893 section 2, with the idna package's texts (libunistring's classes). */
static int
check_bidi(const cp_t *l, size_t n, struct sbuf *e)
{
	size_t	 i;
	int	 bidi_label = 0, rtl, valid_ending = 0, number_type = -1, d;

	for (i = 0; i < n; i++) {
		d = uc_bidi_class(l[i]);
		if (d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_AN)
			bidi_label = 1;
	}
	if (!bidi_label)
		return 0;
	d = uc_bidi_class(l[0]);
	if (d == UC_BIDI_R || d == UC_BIDI_AL) {
		rtl = 1;
	} else if (d == UC_BIDI_L) {
		rtl = 0;
	} else {
		sb_puts(e, "First codepoint in label ");
		py_repr(e, l, n);
		sb_puts(e, " must be directionality L, R or AL");
		return -1;
	}
	for (i = 0; i < n; i++) {
		d = uc_bidi_class(l[i]);
		if (rtl) {	/* rules 2, 3 and 4 */
			if (d != UC_BIDI_R && d != UC_BIDI_AL && d != UC_BIDI_AN && d != UC_BIDI_EN && d != UC_BIDI_ES &&
			    d != UC_BIDI_CS && d != UC_BIDI_ET && d != UC_BIDI_ON && d != UC_BIDI_BN && d != UC_BIDI_NSM) {
				sb_puts(e, "Invalid direction for codepoint at position ");
				sb_putu(e, (unsigned long)(i + 1));
				sb_puts(e, " in a right-to-left label");
				return -1;
			}
			if (d == UC_BIDI_R || d == UC_BIDI_AL || d == UC_BIDI_EN || d == UC_BIDI_AN)
				valid_ending = 1;
			else if (d != UC_BIDI_NSM)
				valid_ending = 0;
			if (d == UC_BIDI_AN || d == UC_BIDI_EN) {
				if (number_type == -1) {
					number_type = d;
				} else if (number_type != d) {
					sb_puts(e, "Can not mix numeral types in a right-to-left label");
					return -1;
				}
			}
		} else {	/* rules 5 and 6 */
			if (d != UC_BIDI_L && d != UC_BIDI_EN && d != UC_BIDI_ES && d != UC_BIDI_CS && d != UC_BIDI_ET &&
			    d != UC_BIDI_ON && d != UC_BIDI_BN && d != UC_BIDI_NSM) {
				sb_puts(e, "Invalid direction for codepoint at position ");
				sb_putu(e, (unsigned long)(i + 1));
				sb_puts(e, " in a left-to-right label");
				return -1;
			}
			if (d == UC_BIDI_L || d == UC_BIDI_EN)
				valid_ending = 1;
			else if (d != UC_BIDI_NSM)
				valid_ending = 0;
		}
	}
	if (!valid_ending) {
		sb_puts(e, "Label ends with illegal codepoint directionality");
		return -1;
	}
	return 0;
}

/* idna check_label(); the message goes to e. */
static int
check_label(const cp_t *l, size_t n, struct sbuf *e)
{
	size_t i;

	if (n == 0) {
		sb_puts(e, "Empty Label");
		return -1;
	}
	if (!is_nfc(l, n)) {
		sb_puts(e, "Label must be in Normalization Form C");
		return -1;
	}
	if (n >= 4 && l[2] == '-' && l[3] == '-') {
		sb_puts(e, "Label has disallowed hyphens in 3rd and 4th position");
		return -1;
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		sb_puts(e, "Label must not start or end with a hyphen");
		return -1;
	}
	if (cat_group(l[0]) == G_MARK) {
		sb_puts(e, "Label begins with an illegal combining character");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned prop = idna_prop(l[i]);

		if (prop == IDNA_PVALID)
			continue;
		if (l[i] == 0x200C || l[i] == 0x200D) {
			/* CONTEXTJ: approximated as never valid. */
			sb_puts(e, "Joiner ");
			put_unot(e, l[i]);
			sb_puts(e, " not allowed at position ");
			sb_putu(e, (unsigned long)(i + 1));
			sb_puts(e, " in ");
			py_repr(e, l, n);
			return -1;
		}
		if (prop == IDNA_CONTEXT) {
			if (valid_contexto(l, n, i))
				continue;
			sb_puts(e, "Codepoint ");
			put_unot(e, l[i]);
			sb_puts(e, " not allowed at position ");
			sb_putu(e, (unsigned long)(i + 1));
			sb_puts(e, " in ");
			py_repr(e, l, n);
			return -1;
		}
		sb_puts(e, "Codepoint ");
		put_unot(e, l[i]);
		sb_puts(e, " at position ");
		sb_putu(e, (unsigned long)(i + 1));
		sb_puts(e, " of ");
		py_repr(e, l, n);
		sb_puts(e, " not allowed");
		return -1;
	}
	return check_bidi(l, n, e);
}

/*
 * The IDNA 2008 lookup of one U-label by libidn2 (RFC 5891 section 5.4, with libidn2's own TR46 step off, since
 * uts46_remap() has mapped the domain as the idna package does): on top of check_label() it applies the
 * CONTEXTJ and Bidi rules (RFC 5892 appendix A.1-A.2, RFC 5893) and encodes the Punycode (RFC 3492). Writes the
 * A-label, NUL-terminated, to out (cap bytes) when out is not NULL. On failure writes "Label too long" (the idna
 * package's text) or libidn2's reason to e and returns -1.
 */
static int
idn2_label(const cp_t *l, size_t n, char *out, size_t cap, struct sbuf *e)
{
	uint8_t	*u8, *z;
	char	*a = NULL;
	size_t	 u8n;
	int	 rc;

	if ((u8 = u32_to_u8(l, n, NULL, &u8n)) == NULL || (z = realloc(u8, u8n + 1)) == NULL) {
		free(u8);
		sb_puts(e, "Label too long");
		return -1;
	}
	z[u8n] = '\0';
	rc = idn2_lookup_u8(z, (uint8_t **)&a, IDN2_NO_TR46);
	free(z);
	if (rc == IDN2_UNASSIGNED) {
		/*
		 * libidn2's IDNA tables are older than libunistring's (Debian 12's call Unicode 12's U+1E296
		 * unassigned): a code point they do not know has passed check_label() on Unicode 14 data, as the
		 * reference's idna package passes it. Encode it here (RFC 3492) rather than refuse an address the
		 * reference takes.
		 */
		char	 buf[DNS_LABEL_LENGTH_LIMIT + 1];
		size_t	 plen;

		idn2_free(a);
		memcpy(buf, "xn--", 4);
		if ((plen = puny_encode(l, n, buf + 4, DNS_LABEL_LENGTH_LIMIT - 4)) == (size_t)-1) {
			sb_puts(e, "Label too long");
			return -1;
		}
		buf[4 + plen] = '\0';
		if (out != NULL) {
			if (4 + plen >= cap) {
				sb_puts(e, "Label too long");
				return -1;
			}
			memcpy(out, buf, 4 + plen + 1);
		}
		return 0;
	}
	if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_PUNYCODE_BIG_OUTPUT ||
	    rc == IDN2_PUNYCODE_OVERFLOW || (rc == IDN2_OK && out != NULL && strlen(a) >= cap)) {
		sb_puts(e, "Label too long");
		rc = IDN2_TOO_BIG_LABEL;
	} else if (rc != IDN2_OK) {
		sb_puts(e, idn2_strerror(rc));
	} else if (out != NULL) {
		memcpy(out, a, strlen(a) + 1);
	}
	idn2_free(a);
	return rc == IDN2_OK ? 0 : -1;
}

/*
 * idna ulabel() for an ASCII label (already lowercase): decodes an "xn--" label into out and
 * checks it; any other label is only checked.  *outn receives the Unicode label length.
 */
static int
ulabel_ascii(const char *a, size_t n, cp_t *out, size_t cap, size_t *outn, struct sbuf *e)
{
	size_t i;

	if (n >= 4 && memcmp(a, "xn--", 4) == 0) {
		if (n == 4) {
			sb_puts(e, "Malformed A-label, no Punycode eligible content found");
			return -1;
		}
		if (a[n - 1] == '-') {
			sb_puts(e, "A-label must not end with a hyphen");
			return -1;
		}
		if (puny_decode(a + 4, n - 4, out, cap, outn) != 0) {
			sb_puts(e, "Invalid A-label");
			return -1;
		}
		if (check_label(out, *outn, e) != 0)
			return -1;
		return idn2_label(out, *outn, NULL, 0, e);
	}
	if (n > cap) {
		sb_puts(e, "Label too long");
		return -1;
	}
	for (i = 0; i < n; i++)
		out[i] = (cp_t)(unsigned char)a[i];
	*outn = n;
	return check_label(out, n, e);
}

/* Appends to the IDNA ASCII domain, keeping at most ASCII_DOMAIN_CAP characters. */
static void
ascii_append(struct ws *w, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (w->ascii_len < ASCII_DOMAIN_CAP)
			w->ascii[w->ascii_len] = s[i];
		w->ascii_len++;
	}
	w->ascii[w->ascii_len < ASCII_DOMAIN_CAP ? w->ascii_len : ASCII_DOMAIN_CAP] = '\0';
}

/* idna alabel(label); appends the A-label to the ASCII domain. */
static int
alabel(struct ws *w, const cp_t *l, size_t n, struct sbuf *e)
{
	size_t i, outn;
	int ascii = 1;
	char buf[DNS_LABEL_LENGTH_LIMIT + 1];

	for (i = 0; i < n; i++)
		if (l[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		char a[PY_MAX_EMAIL_LENGTH];

		for (i = 0; i < n && i < sizeof(a); i++)
			a[i] = (char)l[i];
		if (ulabel_ascii(a, n, w->lab, N_ELEMS(w->lab), &outn, e) != 0)
			return -1;
		if (n > DNS_LABEL_LENGTH_LIMIT) {
			sb_puts(e, "Label too long");
			return -1;
		}
		ascii_append(w, a, n);
		return 0;
	}
	if (check_label(l, n, e) != 0 || idn2_label(l, n, buf, sizeof(buf), e) != 0)
		return -1;
	ascii_append(w, buf, strlen(buf));
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Domain name (email_validator validate_email_domain_name)                                    */
/* ------------------------------------------------------------------------------------------ */

static int
ok_hostname_intl(cp_t c)
{
	return is_ascii_alpha(c) || is_ascii_digit(c) || c == '-' || c == '.' || c >= 0x80;
}

/*
 * email-validator 2.3.0 uts46_valid_char(): 8-bit controls, C and Z categories (but a listed few) and every
 * character whose decomposition (unicodedata.decomposition(), one level: libunistring's uc_decomposition())
 * holds U+002E FULL STOP are refused before UTS-46 mapping.
 */
static int
ok_uts46_char(cp_t c)
{
	ucs4_t	 dec[UC_DECOMPOSITION_MAX_LENGTH];
	int	 type, n, i;

	if (c >= 0x80 && c <= 0x9F)
		return 0;
	if ((c >= 0x2010 && c <= 0x2060 && !(c >= 0x2024 && c <= 0x2026) && !(c >= 0x2028 && c <= 0x202E)) ||
	    c == 0x00AD || c == 0x2064 || c == 0xFF0E || (c >= 0x200B && c <= 0x200D) || (c >= 0x1BCA0 && c <= 0x1BCA3))
		return 1;
	if (c >= 0x80 && (uc_is_general_category(c, UC_FORMAT) || uc_is_general_category(c, UC_UNASSIGNED) ||
	    uc_is_general_category(c, UC_PRIVATE_USE) || uc_is_general_category(c, UC_SURROGATE) ||
	    uc_is_general_category(c, UC_SEPARATOR)))
		return 0;
	if ((n = uc_decomposition(c, &type, dec)) > 0)
		for (i = 0; i < n; i++)
			if (dec[i] == 0x2E)
				return 0;
	return 1;
}

/*
 * The UTS-46 mapping of one code point that is neither ignored nor disallowed: the deviations (ß, ς, ZWNJ,
 * ZWJ) stay, as transitional=False keeps them; every other code point maps to NFKC(casefold(NFKC(c))), the
 * NFKC_Casefold from which UTS-46 section 5 derives its table (libunistring). Writes at most cap code points to
 * out; returns how many, or (size_t)-1 when they do not fit.
 */
static size_t
uts46_map_cp(cp_t c, cp_t *out, size_t cap)
{
	uint32_t	 in = c, *k, *f;
	size_t		 kn, fn = 0;

	if (c == 0x00DF || c == 0x03C2 || c == 0x200C || c == 0x200D || c == 0x1E9E) {
		if (cap < 1)
			return (size_t)-1;
		out[0] = c == 0x1E9E ? 0x00DF : c;	/* UTS-46: capital sharp s maps to ß, not to "ss" */
		return 1;
	}
	if ((k = u32_normalize(UNINORM_NFKC, &in, 1, NULL, &kn)) == NULL)
		return (size_t)-1;
	f = u32_casefold(k, kn, NULL, UNINORM_NFKC, NULL, &fn);
	free(k);
	if (f == NULL || fn > cap) {
		free(f);
		return (size_t)-1;
	}
	for (kn = 0; kn < fn; kn++)	/* UTS-46 section 2.3: U+3002 IDEOGRAPHIC FULL STOP separates labels */
		out[kn] = f[kn] == 0x3002 ? '.' : f[kn];
	free(f);
	return fn;
}

/* idna.uts46_remap(domain, std3_rules=False, transitional=False): map each code point, then NFC the whole. */
static int
uts46_remap(const cp_t *d, size_t n, cp_t *r, size_t cap, size_t *rn, struct sbuf *err)
{
	size_t	 i, k = 0, m, nfc_len;
	uint32_t *nfc;

	for (i = 0; i < n; i++) {
		cp_t c = d[i];

		if (c < 0x80) {
			if (k >= cap)
				goto too_long;
			r[k++] = ascii_lower(c);
		} else if (in_ranges(c, uts46_ignored, N_ELEMS(uts46_ignored))) {
			continue;
		} else if (in_ranges(c, uts46_disallowed, N_ELEMS(uts46_disallowed))) {
			sb_puts(err, "The part after the @-sign contains invalid characters (Codepoint ");
			put_unot(err, c);
			sb_puts(err, " not allowed at position ");
			sb_putu(err, (unsigned long)(i + 1));
			sb_puts(err, " in ");
			py_repr(err, d, n);
			sb_puts(err, ").");
			return -1;
		} else {
			if ((m = uts46_map_cp(c, r + k, cap - k)) == (size_t)-1)
				goto too_long;
			k += m;
		}
	}
	if ((nfc = u32_normalize(UNINORM_NFC, r, k, NULL, &nfc_len)) == NULL || nfc_len > cap) {
		free(nfc);
		goto too_long;
	}
	memcpy(r, nfc, nfc_len * sizeof(*nfc));
	free(nfc);
	*rn = nfc_len;
	return 0;
too_long:	/* only a domain far over 253 octets gets here */
	sb_puts(err, "The email address is too long after the @-sign.");
	return -1;
}

/* DOT_ATOM_TEXT_HOSTNAME: labels of [a-zA-Z0-9-], not starting or ending with "-". */
static int
is_hostname_label(const cp_t *l, size_t n)
{
	size_t i;

	if (n == 0 || l[0] == '-' || l[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(is_ascii_alpha(l[i]) || is_ascii_digit(l[i]) || l[i] == '-'))
			return 0;
	return 1;
}

static int
is_hostname(const cp_t *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!is_hostname_label(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static void
put_length_reason(struct sbuf *b, unsigned long diff)
{
	sb_putc(b, '(');
	sb_putu(b, diff);
	sb_puts(b, diff > 1 ? " characters too many)" : " character too many)");
}

static int
validate_domain_name(struct ws *w, const cp_t *d, size_t n, struct sbuf *err)
{
	static const char *const special_use[] = {"arpa", "invalid", "local", "localhost", "onion", "test"};
	cp_t *r = w->dom;
	size_t rn, i, start;
	int direct;
	char etmp[1024];
	struct sbuf e;

	if (refuse_bad_chars(d, n, ok_hostname_intl, w->set, N_ELEMS(w->set),
	    "The part after the @-sign contains invalid characters: ", err) != 0)
		return -1;
	if (check_unsafe_chars(d, n, 0, w->set, N_ELEMS(w->set), err) != 0)
		return -1;
	if (refuse_bad_chars(d, n, ok_uts46_char, w->set, N_ELEMS(w->set),
	    "The part after the @-sign contains invalid characters: ", err) != 0)
		return -1;
	if (uts46_remap(d, n, r, N_ELEMS(w->dom), &rn, err) != 0)
		return -1;
	if (refuse_bad_chars(r, rn, ok_hostname_intl, w->set, N_ELEMS(w->set),
	    "The part after the @-sign contains invalid characters after Unicode normalization: ",
	    err) != 0)
		return -1;

	/* check_dot_atom(domain, ..., is_hostname=True) */
	if (rn > 0 && r[rn - 1] == '.') {
		sb_puts(err, "An email address cannot end with a period.");
		return -1;
	}
	if (rn > 0 && r[0] == '.') {
		sb_puts(err, "An email address cannot have a period immediately after the @-sign.");
		return -1;
	}
	for (i = 0; i + 1 < rn; i++) {
		if (r[i] == '.' && r[i + 1] == '.') {
			sb_puts(err, "An email address cannot have two periods in a row.");
			return -1;
		}
	}
	if (rn > 0 && r[rn - 1] == '-') {
		sb_puts(err, "An email address cannot end with a hyphen.");
		return -1;
	}
	if (rn > 0 && r[0] == '-') {
		sb_puts(err, "An email address cannot have a hyphen immediately after the @-sign.");
		return -1;
	}
	for (i = 0; i + 1 < rn; i++) {
		if ((r[i] == '.' && r[i + 1] == '-') || (r[i] == '-' && r[i + 1] == '.')) {
			sb_puts(err, "An email address cannot have a period and a hyphen next to each other.");
			return -1;
		}
	}

	/* RFC 5890 R-LDH labels: re.match(r"(?!xn)..--", label, re.I) */
	start = 0;
	for (i = 0; i <= rn; i++) {
		if (i == rn || r[i] == '.') {
			const cp_t *l = r + start;
			size_t ln = i - start;

			if (ln >= 4 && l[2] == '-' && l[3] == '-' && !(ascii_lower(l[0]) == 'x' && ascii_lower(l[1]) == 'n')) {
				sb_puts(err, "An email address cannot have two letters followed by two dashes immediately after "
				    "the @-sign or after a period, except Punycode.");
				return -1;
			}
			start = i + 1;
		}
	}

	w->ascii_len = 0;
	w->ascii[0] = '\0';
	direct = is_hostname(r, rn);
	if (direct) {
		for (i = 0; i < rn; i++) {
			char c = (char)r[i];

			ascii_append(w, &c, 1);
		}
	} else {
		start = 0;
		for (i = 0; i <= rn; i++) {
			if (i == rn || r[i] == '.') {
				if (start > 0)
					ascii_append(w, ".", 1);
				sb_init(&e, etmp, sizeof(etmp));
				if (alabel(w, r + start, i - start, &e) != 0) {
					sb_puts(err, "The part after the @-sign is invalid (");
					sb_puts(err, etmp);
					sb_puts(err, ").");
					return -1;
				}
				start = i + 1;
			}
		}
		/* (DOT_ATOM_TEXT_HOSTNAME always holds for what alabel() produces.) */
	}

	if (w->ascii_len > DOMAIN_MAX_LENGTH) {
		unsigned long diff = (unsigned long)(w->ascii_len - DOMAIN_MAX_LENGTH);
		/* ascii_domain == original_domain: only possible when the domain was already a lowercase
		 * ASCII host name (an A-label result always differs from its non-ASCII source). */
		int same = direct && rn == n;

		for (i = 0; same && i < n; i++)
			if (d[i] != r[i])
				same = 0;
		sb_puts(err, "The email address is too long after the @-sign ");
		if (same) {
			put_length_reason(err, diff);
		} else {
			sb_putc(err, '(');
			sb_putu(err, diff);
			sb_puts(err, diff == 1 ? " byte too many after IDNA encoding)" : " bytes too many after IDNA encoding)");
		}
		sb_putc(err, '.');
		return -1;
	}

	start = 0;
	for (i = 0; i <= w->ascii_len; i++) {
		if (i == w->ascii_len || w->ascii[i] == '.') {
			if (i - start > DNS_LABEL_LENGTH_LIMIT) {
				sb_puts(err, "After the @-sign, periods cannot be separated by so many characters ");
				put_length_reason(err, (unsigned long)(i - start - DNS_LABEL_LENGTH_LIMIT));
				sb_putc(err, '.');
				return -1;
			}
			start = i + 1;
		}
	}

	if (memchr(w->ascii, '.', w->ascii_len) == NULL) {
		sb_puts(err, "The part after the @-sign is not valid. It should have a period.");
		return -1;
	}
	if (w->ascii_len == 0 || !is_ascii_alpha((cp_t)(unsigned char)w->ascii[w->ascii_len - 1])) {
		sb_puts(err, "The part after the @-sign is not valid. It is not within a valid top-level domain.");
		return -1;
	}
	for (i = 0; i < N_ELEMS(special_use); i++) {
		size_t sl = strlen(special_use[i]);

		if ((w->ascii_len == sl && memcmp(w->ascii, special_use[i], sl) == 0) ||
		    (w->ascii_len > sl && w->ascii[w->ascii_len - sl - 1] == '.' &&
		    memcmp(w->ascii + w->ascii_len - sl, special_use[i], sl) == 0)) {
			sb_puts(err, "The part after the @-sign is a special-use or reserved name that cannot be used with email.");
			return -1;
		}
	}

	/* idna.decode(ascii_domain): the canonical Unicode form. */
	w->i18n_len = 0;
	start = 0;
	for (i = 0; i <= w->ascii_len; i++) {
		if (i == w->ascii_len || w->ascii[i] == '.') {
			size_t outn, j;

			sb_init(&e, etmp, sizeof(etmp));
			if (ulabel_ascii(w->ascii + start, i - start, w->lab, N_ELEMS(w->lab), &outn, &e) != 0) {
				sb_puts(err, "The part after the @-sign is not valid IDNA (");
				sb_puts(err, etmp);
				sb_puts(err, ").");
				return -1;
			}
			if (start > 0 && w->i18n_len < N_ELEMS(w->i18n))
				w->i18n[w->i18n_len++] = '.';
			for (j = 0; j < outn && w->i18n_len < N_ELEMS(w->i18n); j++)
				w->i18n[w->i18n_len++] = w->lab[j];
			start = i + 1;
		}
	}
	if (refuse_bad_chars(w->i18n, w->i18n_len, ok_hostname_intl, w->set, N_ELEMS(w->set),
	    "The part after the @-sign contains invalid characters: ", err) != 0)
		return -1;
	if (check_unsafe_chars(w->i18n, w->i18n_len, 0, w->set, N_ELEMS(w->set), err) != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Overall length (email_validator validate_email_length)                                      */
/* ------------------------------------------------------------------------------------------ */

static size_t
cps_utf8_len(const cp_t *s, size_t n, size_t *maxchar)
{
	size_t i, total = 0;

	for (i = 0; i < n; i++) {
		size_t l = utf8_len(s[i]);

		total += l;
		if (maxchar != NULL && l > *maxchar)
			*maxchar = l;
	}
	return total;
}

static int
validate_length(const struct ws *w, const struct parts *pp, const cp_t *local, size_t nlocal,
    struct sbuf *err)
{
	size_t mbpc = 1, blen, clen, diff;

	/* 1. The original address (local part as split, "@", domain part as given). */
	clen = pp->nlocal + 1 + pp->ndomain;
	blen = cps_utf8_len(pp->local, pp->nlocal, &mbpc) + 1 + cps_utf8_len(pp->domain, pp->ndomain, &mbpc);
	if (blen > EMAIL_MAX_LENGTH) {
		diff = blen - EMAIL_MAX_LENGTH;
		sb_puts(err, "The email address is too long ");
		if (clen == blen) {
			put_length_reason(err, (unsigned long)diff);
		} else {
			size_t mchars = diff / mbpc;

			if (mchars < 1)
				mchars = 1;
			sb_putc(err, '(');
			if (mchars != diff) {
				sb_putu(err, (unsigned long)mchars);
				sb_putc(err, '-');
			}
			sb_putu(err, (unsigned long)diff);
			sb_puts(err, diff > 1 ? " characters too many)" : " character too many)");
		}
		sb_putc(err, '.');
		return -1;
	}
	/* 2. The normalized address. */
	blen = cps_utf8_len(local, nlocal, NULL) + 1 + cps_utf8_len(w->i18n, w->i18n_len, NULL);
	if (blen > EMAIL_MAX_LENGTH) {
		diff = blen - EMAIL_MAX_LENGTH;
		sb_puts(err, "The email address is too long after normalization (");
		sb_putu(err, (unsigned long)diff);
		sb_puts(err, diff > 1 ? " bytes too many)." : " byte too many).");
		return -1;
	}
	/* 3. The address with the IDNA ASCII domain. */
	blen = cps_utf8_len(local, nlocal, NULL) + 1 + w->ascii_len;
	if (blen > EMAIL_MAX_LENGTH) {
		diff = blen - EMAIL_MAX_LENGTH;
		sb_puts(err, "The email address is too long when the part after the @-sign is converted to IDNA ASCII (");
		sb_putu(err, (unsigned long)diff);
		sb_puts(err, diff > 1 ? " bytes too many)." : " byte too many).");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Entry point                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Decodes one UTF-8 sequence (invalid bytes become U+FFFD); returns the bytes consumed. */
static size_t
utf8_decode(const unsigned char *s, size_t n, cp_t *c)
{
	cp_t v;
	size_t need, i;

	if (s[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 1;
		v = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 2;
		v = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 3;
		v = s[0] & 0x07u;
	} else {
		*c = 0xFFFD;
		return 1;
	}
	if (need >= n) {
		*c = 0xFFFD;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0u) != 0x80u) {
			*c = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if ((need == 2 && v < 0x800) || (need == 3 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) {
		*c = 0xFFFD;
		return 1;
	}
	*c = v;
	return need + 1;
}

static int
validate(struct ws *w, const cp_t *t, size_t n, struct sbuf *res, struct sbuf *err)
{
	struct parts pp;
	int smtputf8;
	cp_t *local;
	size_t i, nlocal;

	if (split_email(w, t, n, &pp, err) != 0)
		return -1;
	if (validate_local_part(w, pp.local, pp.nlocal, pp.quoted, &smtputf8, err) != 0)
		return -1;
	local = w->local; /* == pp.local */
	nlocal = pp.nlocal;
	/* RFC 6532 section 3.1: the local part is returned in NFC, and the NFC form is validated again. */
	if (!is_nfc(local, nlocal)) {
		uint32_t *nfc = u32_normalize(UNINORM_NFC, local, nlocal, NULL, &nlocal);
		int smtputf8_nfc;

		if (nfc == NULL || nlocal > N_ELEMS(w->nfc)) {
			free(nfc);
			sb_puts(err, "The email address is too long.");
			return -1;
		}
		memcpy(w->nfc, nfc, nlocal * sizeof(*nfc));
		free(nfc);
		local = w->nfc;
		sb_puts(err, "After Unicode normalization: ");
		if (validate_local_part(w, local, nlocal, pp.quoted, &smtputf8_nfc, err) != 0)
			return -1;
		err->len = 0;
		if (err->cap > 0)
			err->p[0] = '\0';
	}
	if (pp.quoted) {
		sb_puts(err, "Quoting the part before the @-sign is not allowed here.");
		return -1;
	}

	if (pp.ndomain == 0) {
		sb_puts(err, "There must be something after the @-sign.");
		return -1;
	}
	if (pp.domain[0] == '[' && pp.domain[pp.ndomain - 1] == ']' && pp.ndomain >= 2)
		return refuse_domain_literal(w, pp.domain + 1, pp.ndomain - 2, err);
	if (validate_domain_name(w, pp.domain, pp.ndomain, err) != 0)
		return -1;

	/* RFC 2142 mailbox names are lowercased only after the length check, which also reads the
	 * original local part (lowercasing does not change any length). */
	if (validate_length(w, &pp, local, nlocal, err) != 0)
		return -1;
	if (pp.has_display_name) {
		sb_puts(err, "A display name and angle brackets around the email address are not permitted here.");
		return -1;
	}

	if (!smtputf8 && is_case_insensitive_mailbox(local, nlocal)) {
		for (i = 0; i < nlocal; i++)
			local[i] = ascii_lower(local[i]);
	}
	sb_putcps(res, local, nlocal);
	sb_putc(res, '@');
	sb_putcps(res, w->i18n, w->i18n_len);
	return 0;
}

int
email_normalize(const char *in, size_t len, char *out, size_t outsz, char *reason, size_t reasonsz)
{
	struct ws w;
	struct sbuf res, err;
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0, i, a, b;

	sb_init(&res, out, outsz);
	sb_init(&err, reason, reasonsz);
	if (in == NULL && len > 0) {
		sb_puts(&err, "An email address must have an @-sign.");
		return -1;
	}

	/* pydantic: len(value) > MAX_EMAIL_LENGTH, counted in code points. */
	for (i = 0; i < len;) {
		cp_t c;

		i += utf8_decode(s + i, len - i, &c);
		if (n < PY_MAX_EMAIL_LENGTH)
			w.text[n] = c;
		n++;
	}
	if (n > PY_MAX_EMAIL_LENGTH) {
		sb_puts(&err, "Length must not exceed 2048 characters");
		return -1;
	}

	/* pydantic: the "pretty" form keeps only the address, then value.strip(). */
	if (!pretty_match(w.text, n, &a, &b)) {
		a = 0;
		b = n;
	}
	while (a < b && py_isspace(w.text[a]))
		a++;
	while (b > a && py_isspace(w.text[b - 1]))
		b--;

	if (validate(&w, w.text + a, b - a, &res, &err) != 0) {
		if (outsz > 0 && out != NULL)
			out[0] = '\0';
		return -1;
	}
	if (res.trunc || res.cap == 0) {
		if (outsz > 0 && out != NULL)
			out[0] = '\0';
		sb_puts(&err, "The normalized email address does not fit in the output buffer.");
		return -1;
	}
	return 0;
}
