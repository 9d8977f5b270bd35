/*
 * jsonw.c: compact JSON output written straight into a buffer, keys in the order the caller writes them, and the
 * echo of client input inside 422 entries with every secret field masked.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "gatehouse.h"

void
jw_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i, run = 0;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		buf_put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15];
			buf_put(b, u, 6);
			continue;
		}
		buf_puts(b, esc);
	}
	buf_put(b, s + run, n - run);
	buf_putc(b, '"');
}

void
jw_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_put(b, "null", 4);
	else
		jw_str(b, s, strlen(s));
}

void
jw_int(struct buf *b, long long v)
{
	buf_printf(b, "%lld", v);
}

void
jw_bool(struct buf *b, int v)
{
	if (v)
		buf_put(b, "true", 4);
	else
		buf_put(b, "false", 5);
}

void
jw_time(struct buf *b, int64_t us)
{
	char t[32];

	if (us < 0) {
		buf_put(b, "null", 4);
		return;
	}
	time_iso(us, t);
	buf_putc(b, '"');
	buf_puts(b, t);
	buf_putc(b, '"');
}

/* The request fields whose values are never echoed back (SPEC §3). */
int
jw_is_secret_key(const char *k)
{
	static const char *const secret[] = {
		"password", "current_password", "new_password", "refresh_token", "api_key", "key", "setup_token",
		"password_hash", NULL
	};
	size_t i;

	for (i = 0; secret[i] != NULL; i++)
		if (strcmp(k, secret[i]) == 0)
			return 1;
	return 0;
}


/* A flat JSON object of string values (NULL values become null), for audit details. */
char *
jw_object(struct arena *a, ...)
{
	struct buf	 b = { 0 };
	va_list		 ap;
	const char	*k, *v;
	char		*out;
	int		 first = 1;

	buf_putc(&b, '{');
	va_start(ap, a);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (!first)
			buf_putc(&b, ',');
		first = 0;
		jw_cstr(&b, k);
		buf_putc(&b, ':');
		jw_cstr(&b, v);
	}
	va_end(ap);
	buf_putc(&b, '}');
	out = b.failed ? NULL : arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static void
py_str(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_putc(b, '"');
	while (i < n) {
		uint32_t c = p[i];
		size_t k = 1;

		if (c >= 0xf0 && i + 3 < n) {
			c = ((c & 7) << 18) | ((p[i + 1] & 63u) << 12) | ((p[i + 2] & 63u) << 6) | (p[i + 3] & 63u);
			k = 4;
		} else if (c >= 0xe0 && i + 2 < n) {
			c = ((c & 15) << 12) | ((p[i + 1] & 63u) << 6) | (p[i + 2] & 63u);
			k = 3;
		} else if (c >= 0xc0 && i + 1 < n) {
			c = ((c & 31) << 6) | (p[i + 1] & 63u);
			k = 2;
		}
		i += k;
		if (c == '"')
			buf_puts(b, "\\\"");
		else if (c == '\\')
			buf_puts(b, "\\\\");
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\r')
			buf_puts(b, "\\r");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c >= 0x20 && c < 0x7f)
			buf_putc(b, (char)c);
		else if (c >= 0x10000) {
			c -= 0x10000;
			buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
		} else
			buf_printf(b, "\\u%04x", c);
	}
	buf_putc(b, '"');
}


/* How a JSON value is written: compact for our replies, Python's json.dumps for exports. */
struct jstyle {
	const char	*item_sep;
	const char	*key_sep;
	void		(*str)(struct buf *, const char *, size_t);
	int		 mask_secrets;
};

static void
jw_value(struct buf *b, struct json_object *o, const struct jstyle *st)
{
	size_t	 i, n;
	int	 first = 1;

	switch (json_object_get_type(o)) {
	case json_type_null:
		buf_put(b, "null", 4);
		break;
	case json_type_boolean:
		jw_bool(b, json_object_get_boolean(o));
		break;
	case json_type_string:
		st->str(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_int:
	case json_type_double:
		buf_puts(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_array:
		buf_putc(b, '[');
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(b, st->item_sep);
			jw_value(b, json_object_array_get_idx(o, i), st);
		}
		buf_putc(b, ']');
		break;
	case json_type_object: {
		buf_putc(b, '{');
		json_object_object_foreach(o, k, v) {
			if (!first)
				buf_puts(b, st->item_sep);
			first = 0;
			st->str(b, k, strlen(k));
			buf_puts(b, st->key_sep);
			if (st->mask_secrets && jw_is_secret_key(k))
				st->str(b, SECRET_MASK, sizeof(SECRET_MASK) - 1);
			else
				jw_value(b, v, st);
		}
		buf_putc(b, '}');
		break;
	}
	}
}

/* Client input echoed in a 422: compact, every secret field masked. */
void
jw_echo(struct buf *b, struct json_object *o)
{
	static const struct jstyle compact = { ",", ":", jw_str, 1 };

	jw_value(b, o, &compact);
}

/* JSON text re-written with json.dumps's defaults: ", " and ": " separators, non-ASCII as \uXXXX. */
void
jw_python(struct buf *b, const char *json)
{
	struct json_object *o;
	static const struct jstyle python = { ", ", ": ", py_str, 0 };

	if (json == NULL || (o = json_tokener_parse(json)) == NULL) {
		buf_puts(b, "null");
		return;
	}
	jw_value(b, o, &python);
	json_object_put(o);
}
