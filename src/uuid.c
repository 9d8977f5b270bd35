/*
 * uuid.c: new ids (UUIDv7: a millisecond timestamp, then randomness, so new rows land at the end of the index),
 * request ids (v4), and the parser for ids in paths and bodies, which accepts the forms pydantic accepts and
 * reports failures in the words of the uuid crate it uses (reference §8.6).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>

#include "gatehouse.h"

static void
uuid_format(const unsigned char b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void
uuid_v7(char out[37])
{
	unsigned char	 b[16];
	uint64_t	 ms = (uint64_t)(now_us() / 1000);
	int		 i;

	random_bytes(b + 6, 10);
	for (i = 5; i >= 0; i--) {
		b[i] = (unsigned char)(ms & 0xff);
		ms >>= 8;
	}
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	uuid_format(b, out);
}

void
uuid_v4(char out[37])
{
	unsigned char b[16];

	random_fast(b, 16);
	b[6] = (unsigned char)(0x40 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	uuid_format(b, out);
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The code point count up to byte i, 1-based: the uuid crate reports character positions. */
static size_t
char_pos(const char *s, size_t i)
{
	return utf8_len(s, i) + 1;
}

int
uuid_parse(const char *in, size_t n, char out[37], char *why, size_t whysz)
{
	static const size_t group_len[5] = { 8, 4, 4, 4, 12 };
	const char	*s = in;
	size_t		 len = n, i, o = 0, groups = 1, glen = 0;
	char		 hex[32];
	size_t		 off = 0;

	/* As the uuid crate's error path: braces and the URN prefix are taken off whatever the length, and what
	   they hold must be the hyphenated form. */
	if (len >= 9 && strncmp(s, "urn:uuid:", 9) == 0) {
		s += 9;
		len -= 9;
		off = 9;
	} else if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
		s += 1;
		len -= 2;
		off = 1;
	}
	/* First pass: the first character that is neither hex nor a hyphen. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_hex(c) && c != '-') {
			size_t cl = 1;
			if (c >= 0x80)
				while (i + cl < len && ((unsigned char)s[i + cl] & 0xc0) == 0x80)
					cl++;
			snprintf(why, whysz, "invalid character: found `%.*s` at %zu", (int)cl, s + i,
			    char_pos(in, off + i));
			return -1;
		}
	}
	if (memchr(s, '-', len) == NULL) {
		if (off > 0) {
			snprintf(why, whysz, "invalid group count: expected 5, found 1");
			return -1;
		}
		if (len != 32) {
			snprintf(why, whysz, "invalid length: expected length 32 for simple format, found %zu", len);
			return -1;
		}
		memcpy(hex, s, 32);
	} else {
		for (i = 0; i < len; i++)
			if (s[i] == '-')
				groups++;
		if (groups != 5) {
			snprintf(why, whysz, "invalid group count: expected 5, found %zu", groups);
			return -1;
		}
		groups = 0;
		for (i = 0; i <= len; i++) {
			if (i == len || s[i] == '-') {
				if (glen != group_len[groups]) {
					/* The crate measures the last group to the end of the whole input, so braces and
					   the URN prefix count there ("found 15" for 13 digits in braces). */
					snprintf(why, whysz, "invalid group length in group %zu: expected %zu, found %zu",
					    groups, group_len[groups], groups == 4 ? glen + (n - len) : glen);
					return -1;
				}
				groups++;
				glen = 0;
			} else
				glen++;
		}
		/* Every group has its length now, so exactly 32 hex digits remain. */
		for (i = 0; i < len; i++)
			if (s[i] != '-')
				hex[o++] = s[i];
	}
	o = 0;
	for (i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = (hex[i] >= 'A' && hex[i] <= 'F') ? (char)(hex[i] + 32) : hex[i];
	}
	out[o] = '\0';
	return 0;
}
