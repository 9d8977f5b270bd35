/*
 * jsonstrict.c: the grammar check a JSON request body passes before json-c builds it.
 *
 * Why our own and not a json-c flag: json-c 0.16, even with JSON_TOKENER_STRICT, accepts what Python's
 * json.loads (the reference's parser, strict=True) refuses: raw control characters inside strings, "1.",
 * "1.e5", "-01", a leading "+", "NaN", "Infinity", and it silently turns an unpaired UTF-16 surrogate escape into
 * U+FFFD. No Debian JSON library offers Python's exact grammar and its error messages, and the grammar
 * (RFC 8259 section 2-7) is small: this file is that grammar, nothing else; json-c still builds the values.
 *
 * What we take from Python (CPython Modules/_json.c, Lib/json/scanner.py): the number shape
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? matched greedily with whatever follows left to the caller (so
 * "1." is "Extra data" at the dot, as in Python); the whitespace set (space, TAB, LF, CR); the messages and the
 * positions of each error. Where we are stricter than Python, on purpose:
 *   - NaN, Infinity and -Infinity: Python accepts them, but the reference cannot answer them (its encoder
 *     refuses non-finite floats), and a value we echo must stay valid JSON. "Expecting value", as for any bad
 *     literal.
 *   - An unpaired surrogate in a \u escape: Python builds a str that is not Unicode; pydantic then refuses it and
 *     the reply cannot be encoded. We never let it reach a field, since an answer must never carry invalid
 *     UTF-8: "Unpaired surrogate in \\uXXXX escape".
 *   - Nesting deeper than max_depth (Python's limit is its recursion limit): "Nesting too deep".
 * Positions are byte offsets into the body (SPEC: json_invalid at ["body", <byte offset>]); Python's are
 * character offsets, equal for ASCII.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>
#include <string.h>

#include "gatehouse.h"

#define JSONSTRICT_STACK 1024

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int
hex4(const char *s, size_t n, size_t i, unsigned *cp)
{
	unsigned v = 0;
	size_t k;

	if (i + 4 > n)
		return -1;
	for (k = i; k < i + 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*cp = v;
	return 0;
}

/* A string starting at s[i] == '"'. Returns the offset past its closing quote, or (size_t)-1 with the error. */
static size_t
scan_string(const char *s, size_t n, size_t i, size_t *off, const char **why)
{
	size_t		 start = i;
	unsigned char	 c;
	unsigned	 cp, lo;

	for (i++; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20) {
			*off = i;
			*why = "Invalid control character at";
			return (size_t)-1;
		}
		if (c != '\\')
			continue;
		if (i + 1 >= n)
			break;
		c = (unsigned char)s[++i];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u') {
			*off = i - 1;
			*why = "Invalid \\escape";
			return (size_t)-1;
		}
		if (hex4(s, n, i + 1, &cp) == -1) {
			*off = i;	/* Python points at the u here, at the backslash for other escapes */
			*why = "Invalid \\uXXXX escape";
			return (size_t)-1;
		}
		if (cp >= 0xd800 && cp <= 0xdbff && i + 6 < n && s[i + 5] == '\\' && s[i + 6] == 'u' &&
		    hex4(s, n, i + 7, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
			i += 10;
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			*off = i - 1;
			*why = "Unpaired surrogate in \\uXXXX escape";
			return (size_t)-1;
		}
		i += 4;
	}
	*off = start;
	*why = "Unterminated string starting at";
	return (size_t)-1;
}

/* A number at s[i]; returns the offset past it, or i itself when none starts here (Python's StopIteration). */
static size_t
scan_number(const char *s, size_t n, size_t i)
{
	size_t start = i, e;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return start;
	if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9')
		for (i += 2; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		e = i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i < n && s[i] >= '0' && s[i] <= '9')
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		else
			i = e;
	}
	return i;
}

/*
 * Checks that s[0..n) (UTF-8 already checked by the caller) is exactly one JSON text under the grammar above,
 * with containers nested at most max_depth deep (capped at 1024). Returns 0, or -1 with *off the byte offset of
 * the first error and *why Python's message for it (a static string). Iterative: no recursion on client input.
 */
int
jsonstrict_check(const char *s, size_t n, size_t max_depth, size_t *off, const char **why)
{
	char	 stack[JSONSTRICT_STACK];
	size_t	 depth = 0, i, j;

	if (max_depth > JSONSTRICT_STACK)
		max_depth = JSONSTRICT_STACK;
	i = skip_ws(s, n, 0);
value:
	if (i >= n)
		goto expecting_value;
	switch (s[i]) {
	case '{':
	case '[':
		if (depth >= max_depth) {
			*off = i;
			*why = "Nesting too deep";
			return -1;
		}
		stack[depth++] = s[i];
		i = skip_ws(s, n, i + 1);
		if (i < n && s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
			depth--;
			i++;
			goto after_value;
		}
		if (stack[depth - 1] == '[')
			goto value;
		goto key;
	case '"':
		if ((i = scan_string(s, n, i, off, why)) == (size_t)-1)
			return -1;
		goto after_value;
	case 't':
		if (n - i >= 4 && memcmp(s + i, "true", 4) == 0) {
			i += 4;
			goto after_value;
		}
		goto expecting_value;
	case 'f':
		if (n - i >= 5 && memcmp(s + i, "false", 5) == 0) {
			i += 5;
			goto after_value;
		}
		goto expecting_value;
	case 'n':
		if (n - i >= 4 && memcmp(s + i, "null", 4) == 0) {
			i += 4;
			goto after_value;
		}
		goto expecting_value;
	default:
		if ((j = scan_number(s, n, i)) == i)
			goto expecting_value;
		i = j;
		goto after_value;
	}
key:
	if (i >= n || s[i] != '"') {
		*off = i;
		*why = "Expecting property name enclosed in double quotes";
		return -1;
	}
	if ((i = scan_string(s, n, i, off, why)) == (size_t)-1)
		return -1;
	i = skip_ws(s, n, i);
	if (i >= n || s[i] != ':') {
		*off = i;
		*why = "Expecting ':' delimiter";
		return -1;
	}
	i = skip_ws(s, n, i + 1);
	goto value;
after_value:
	i = skip_ws(s, n, i);
	if (depth == 0) {
		if (i < n) {
			*off = i;
			*why = "Extra data";
			return -1;
		}
		return 0;
	}
	if (i < n && s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
		depth--;
		i++;
		goto after_value;
	}
	if (i < n && s[i] == ',') {
		i = skip_ws(s, n, i + 1);
		if (stack[depth - 1] == '[')
			goto value;
		goto key;
	}
	*off = i;
	*why = "Expecting ',' delimiter";
	return -1;
expecting_value:
	*off = i;
	*why = "Expecting value";
	return -1;
}
