/*
 * validate.c: one generic validator for every request body. It reads a schema's field table, collects every
 * problem into pydantic v2-shaped entries (type, loc, msg, input, ctx) in field order, and hands the handler
 * values that passed. Secret fields are never echoed: their input is masked, also inside a whole-body echo.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "gatehouse.h"

#define JSON_MAX_DEPTH 512	/* Python's limit is its recursion limit (1000); JSONTestSuite nests 500 */

struct verr *
verr_add(struct verrs *vs, const char *type, const char *msg)
{
	struct verr *e;

	if (vs->n >= VERR_MAX)
		return NULL;
	e = &vs->e[vs->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->msg = msg;
	e->loc_index = -1;
	e->input_kind = VIN_NULL;
	return e;
}

/* application/json, or application/<anything>+json; parameters allowed. */
int
is_json_type(const char *ct)
{
	size_t n;
	const char *semi;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	semi = strchr(ct, ';');
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	if (n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0)
		return memchr(ct + 12, '/', n - 12) == NULL;
	return 0;
}

static int
is_form_type(const char *ct)
{
	size_t n = strlen("application/x-www-form-urlencoded");

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static const char *
tokener_reason(enum json_tokener_error e)
{
	switch (e) {
	case json_tokener_error_depth:
		return "Nesting too deep";
	case json_tokener_error_parse_object_key_name:
		return "Expecting property name enclosed in double quotes";
	case json_tokener_error_parse_object_key_sep:
		return "Expecting ':' delimiter";
	case json_tokener_error_parse_object_value_sep:
	case json_tokener_error_parse_array:
		return "Expecting ',' delimiter";
	case json_tokener_error_parse_string:
		return "Invalid string";
	case json_tokener_error_parse_utf8_string:
		return "Invalid UTF-8";
	default:
		return "Expecting value";
	}
}

static void
json_invalid(struct req *r, size_t off, const char *reason)
{
	struct verr *e = verr_add(&r->verrs, "json_invalid", "JSON decode error");

	if (e == NULL)
		return;
	e->loc[0] = "body";
	e->loc_index = (int)off;
	e->input_kind = VIN_EMPTY_OBJECT;
	e->ctx = jw_object(r->arena, "error", reason, (const char *)NULL);	/* "Invalid \\escape" needs escaping */
}

/*
 * Parses a JSON body (the content type is JSON and the body is not empty). Runs before authentication, as the
 * reference does: a malformed body is a 422 whoever sends it. Offsets are in bytes.
 */
int
json_parse_body(struct req *r)
{
	struct json_tokener	*tok;
	enum json_tokener_error	 jerr;
	size_t			 bad, end;
	const char		*why;

	if (utf8_check(r->body, r->body_len, &bad) == -1) {
		json_invalid(r, bad, "Invalid UTF-8");
		return -1;
	}
	/* A UTF-8 byte order mark is not part of the document, as Python's decoder sees it. */
	if (r->body_len >= 3 && memcmp(r->body, "\xef\xbb\xbf", 3) == 0) {
		r->body += 3;
		r->body_len -= 3;
	}
	/* Python's grammar first (jsonstrict.c says why json-c's own strict mode is not enough). */
	if (jsonstrict_check(r->body, r->body_len, JSON_MAX_DEPTH, &bad, &why) == -1) {
		json_invalid(r, bad, why);
		return -1;
	}
	if (r->body_len > (size_t)INT32_MAX || (tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL) {
		json_invalid(r, 0, "Expecting value");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	/* The body is NUL-terminated; handing json-c the terminator too lets it finish a bare literal. */
	r->json = json_tokener_parse_ex(tok, r->body, (int)r->body_len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		json_invalid(r, r->body_len, "Expecting value");
		return -1;
	}
	if (jerr != json_tokener_success) {
		json_invalid(r, end < r->body_len ? end : r->body_len, tokener_reason(jerr));
		return -1;
	}
	while (end < r->body_len && strchr(" \t\r\n", r->body[end]) != NULL && r->body[end] != '\0')
		end++;
	if (end < r->body_len) {
		json_object_put(r->json);
		r->json = NULL;
		json_invalid(r, end, "Extra data");
		return -1;
	}
	r->body_json_ok = 1;
	return 0;
}

/* Where one field's raw value came from. */
enum src_kind { SRC_ABSENT, SRC_NULL, SRC_STRING, SRC_OTHER };

struct src {
	enum src_kind		 kind;
	const char		*s;
	size_t			 len;
	struct json_object	*j;
};

struct verr *
verr_at(struct verrs *vs, const char *where, const char *name, const char *type, const char *msg)
{
	struct verr *e = verr_add(vs, type, msg);

	if (e != NULL) {
		e->loc[0] = where;
		e->loc[1] = name;
	}
	return e;
}

static struct verr *
field_err(struct req *r, const char *where, const struct field *f, const struct src *v, const char *type,
    const char *msg)
{
	struct verr *e = verr_at(&r->verrs, where, f->name, type, msg);

	if (e == NULL)
		return NULL;
	if (f->type == FT_SECRET || f->type == FT_PASSWORD)
		e->input_kind = VIN_MASK;
	else if (v->j != NULL) {
		e->input_kind = VIN_JSON;
		e->input = v->j;
	} else if (v->kind == SRC_STRING) {
		e->input_kind = VIN_RAW;
		e->input_raw = v->s;
		e->input_raw_len = v->len;
	}
	return e;
}

/* "'a', 'b' or 'c'", as pydantic writes the expected values of a Literal. */
static const char *
literal_expected(struct arena *a, const char *const *lit)
{
	struct buf	 b = { 0 };
	const char	*out;
	size_t		 i, n;

	for (n = 0; lit[n] != NULL; n++)
		;
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, i == n - 1 ? " or " : ", ");
		buf_printf(&b, "'%s'", lit[i]);
	}
	out = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static void
literal_err(struct req *r, const char *where, const struct field *f, const struct src *v)
{
	const char	*exp = literal_expected(r->arena, f->lit);
	struct verr	*e = field_err(r, where, f, v, "literal_error", NULL);
	struct buf	 ctx = { 0 };

	if (e == NULL || exp == NULL)
		return;
	e->msg = arena_printf(r->arena, "Input should be %s", exp);
	buf_puts(&ctx, "{\"expected\":");
	jw_str(&ctx, exp, strlen(exp));
	buf_putc(&ctx, '}');
	e->ctx = arena_strdup(r->arena, buf_cstr(&ctx));
	buf_free(&ctx);
}

/*
 * UserUpdate.status (issue 14 §6). The literal_error names the values of the configured vocabulary: the
 * published page's ('active' or 'disabled') or the reference's current one ('active', 'suspended' or
 * 'deactivated', where "disabled" is refused as the reference refuses it). "suspended" and "deactivated" are
 * accepted in both. The value's i is an enum status_input.
 */
static const char *const status_inputs[] = { "active", "disabled", "suspended", "deactivated", NULL };

static void
status_err(struct req *r, const char *where, const struct field *f, const struct src *v)
{
	static const char *const published[] = { "active", "disabled", NULL };
	static const char *const current[] = { "active", "suspended", "deactivated", NULL };
	struct field shown = *f;

	shown.lit = cfg.status_names == STATUS_NAMES_CURRENT ? current : published;
	literal_err(r, where, &shown, v);
}

/*
 * pydantic's lax integer from a string: surrounding whitespace, a sign, underscores between digits and a
 * fraction of zeros are accepted. Returns 0 with the value (saturated at the int64 range), -1 when it does
 * not parse, -2 when it has more than 4300 digits.
 */
static int
lax_int(const char *s, size_t n, long long *out)
{
	size_t		 i = 0, digits = 0;
	int		 neg = 0, prev_digit = 0;
	unsigned long long v = 0, lim;

	while (n > 0 && strchr(" \t\n\r\f\v", s[n - 1]) != NULL)
		n--;
	while (i < n && strchr(" \t\n\r\f\v", s[i]) != NULL)
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digits++;
			v = v > (lim - (unsigned)(s[i] - '0')) / 10 ? lim : v * 10 + (unsigned)(s[i] - '0');
			prev_digit = 1;
		} else if (s[i] == '_' && prev_digit && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
			prev_digit = 0;
		else
			break;
	}
	if (digits == 0)
		return -1;
	if (i < n && s[i] == '.') {
		size_t zeros = 0;

		for (i++; i < n && s[i] == '0'; i++)
			zeros++;
		if (zeros == 0)
			return -1;	/* "1." is not an integer to pydantic; "1.0" is */
	}
	if (i != n)
		return -1;
	if (digits > 4300)
		return -2;
	*out = neg ? (v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v) : (long long)v;
	return 0;
}

static int
days_from_civil(int y, int m, int d, long long *days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	y -= m <= 2;
	{
		long long era = (y >= 0 ? y : y - 399) / 400;
		unsigned yoe = (unsigned)(y - era * 400);
		unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
		unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		*days = era * 146097 + (long long)doe - 719468;
	}
	return 0;
}

static int
num(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * The date at the start of s as speedate's Date parser judges it, for the message pydantic gives when a whole
 * datetime does not parse (it then tries a date, and reports that error as datetime_from_date_parsing).
 */
static const char *
date_reason(const char *s, size_t n)
{
	int y, mo, d;
	long long days;

	if (n < 10)
		return "input is too short";
	if (num(s, 4, &y) == -1)
		return "invalid character in year";
	if (s[4] != '-')
		return "invalid date separator, expected `-`";
	if (num(s + 5, 2, &mo) == -1)
		return "invalid character in month";
	if (s[7] != '-')
		return "invalid date separator, expected `-`";
	if (num(s + 8, 2, &d) == -1)
		return "invalid character in day";
	if (mo < 1 || mo > 12)
		return "month value is outside expected range of 1-12";
	if (days_from_civil(y, mo, d, &days) == -1)
		return "day value is outside expected range";
	return "unexpected extra characters at the end of the input";
}

/*
 * A unix timestamp as speedate reads one from a string: [+-]digits, or [+-]digits.digits with an optional
 * exponent after the fraction ("1.5e9"; "1e3" is not a number to it); more than 2e10 in magnitude counts in
 * milliseconds. Returns 0 with microseconds since the epoch, -1 when s is not such a number, -2 (with *why)
 * when the time is outside the years 0000-9999.
 */
static int
parse_timestamp(const char *s, size_t n, int64_t *out, const char **why)
{
	char		 buf[64], *end;
	size_t		 i = 0, digits = 0;
	int		 dot = 0;
	double		 v;
	long long	 iv = 0;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.') {
		dot = 1;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			if (i == n || s[i] < '0' || s[i] > '9')
				return -1;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	if (i != n || digits == 0)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!dot) {
		if (parse_long(buf[0] == '+' ? buf + 1 : buf, INT64_MIN, INT64_MAX, &iv) == -1)
			return -1;	/* past i64: not a number to speedate either */
		v = (double)iv;
	} else if ((v = strtod(buf, &end)) >= 9.2e18 || v <= -9.2e18)
		return -1;	/* past i64: speedate gives up on it as a number */
	if (v > 2e10 || v < -2e10)
		v /= 1000;	/* milliseconds */
	if (v > 253402300799.0 || v != v) {
		*why = "dates after 9999 are not supported as unix timestamps";
		return -2;
	}
	if (v < -62167219200.0) {
		*why = "dates before 0000 are not supported as unix timestamps";
		return -2;
	}
	v *= 1e6;	/* microseconds, rounded half away from zero (no libm) */
	*out = !dot && (iv > 20000000000LL || iv < -20000000000LL) ? (int64_t)iv * 1000 :
	    (int64_t)(v >= 0 ? v + 0.5 : v - 0.5);
	return 0;
}

/*
 * A datetime as pydantic (speedate) reads a string: YYYY-MM-DD, optionally followed by T, t, a space or _ and
 * HH:MM[:SS[.f...]], optionally followed by Z or an offset +-HH:MM or +-HHMM (under 24 hours); a date alone is
 * midnight; no offset is UTC. Else a unix timestamp (parse_timestamp), which has an offset (UTC). Returns 0
 * with microseconds since the epoch, or -1 with *why and *type: pydantic's error type and reason.
 */
static int
parse_datetime(const char *s, size_t n, int64_t *out, int *has_tz, const char **why, const char **type)
{
	int		 y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign, k;
	long long	 days, us = 0, scale = 100000;
	size_t		 i = 10;

	*type = "datetime_from_date_parsing";
	if (n < 10 || num(s, 4, &y) == -1 || s[4] != '-' || num(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    num(s + 8, 2, &d) == -1 || days_from_civil(y, mo, d, &days) == -1)
		goto other;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ' || s[i] == '_')) {
		if (n < i + 6 || num(s + i + 1, 2, &h) == -1 || s[i + 3] != ':' || num(s + i + 4, 2, &mi) == -1)
			goto other;
		i += 6;
		if (i < n && s[i] == ':') {
			if (n < i + 3 || num(s + i + 1, 2, &sec) == -1)
				goto other;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				for (i++, k = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++) {
					us += (s[i] - '0') * scale;
					scale /= 10;
				}
				if (k == 0)
					goto other;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			goto other;
	}
	*has_tz = i < n;
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (n >= i + 6 && s[i + 3] == ':' && num(s + i + 1, 2, &oh) == 0 && num(s + i + 4, 2, &om) == 0)
			i += 6;
		else if (n >= i + 5 && num(s + i + 1, 2, &oh) == 0 && num(s + i + 3, 2, &om) == 0)
			i += 5;
		else
			goto other;
		if (oh > 23 || om > 59)
			goto other;
		us -= (long long)sign * (oh * 3600 + om * 60) * 1000000LL;
	}
	if (i != n)
		goto other;
	if (y == 0) {
		/* Parsed, but Python's datetime has no year 0. */
		*type = "datetime_parsing";
		*why = "year 0 is out of range";
		return -1;
	}
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000LL) + us;
	return 0;
other:
	switch (parse_timestamp(s, n, out, why)) {
	case 0:
		*has_tz = 1;
		return 0;
	case -2:
		return -1;
	default:
		*why = date_reason(s, n);
		return -1;
	}
}

/* pydantic's lax booleans (reference §8.4); -1 when not one of them. */
static int
lax_bool_str(const char *s, size_t n)
{
	static const char *const t[] = { "1", "t", "y", "yes", "on", "true", NULL };
	static const char *const f[] = { "0", "f", "n", "no", "off", "false", NULL };
	size_t i;

	for (i = 0; t[i] != NULL; i++)
		if (strlen(t[i]) == n && strncasecmp(s, t[i], n) == 0)
			return 1;
	for (i = 0; f[i] != NULL; i++)
		if (strlen(f[i]) == n && strncasecmp(s, f[i], n) == 0)
			return 0;
	return -1;
}

static void
check_bool(struct req *r, const char *where, const struct field *f, const struct src *v, struct value *out)
{
	int b = -1;

	if (v->kind == SRC_STRING)
		b = lax_bool_str(v->s, v->len);
	else
		switch (json_object_get_type(v->j)) {
		case json_type_boolean:
			b = json_object_get_boolean(v->j);
			break;
		case json_type_int:
			b = json_object_get_int64(v->j) == 1 ? 1 : json_object_get_int64(v->j) == 0 ? 0 : -1;
			break;
		case json_type_double:
			/* pydantic: 0.0 and 1.0 are booleans, any other float is not even a candidate (bool_type) */
			b = json_object_get_double(v->j) == 1.0 ? 1 : json_object_get_double(v->j) == 0.0 ? 0 : -2;
			break;
		default:
			field_err(r, where, f, v, "bool_type", "Input should be a valid boolean");
			return;
		}
	if (b == -2) {
		field_err(r, where, f, v, "bool_type", "Input should be a valid boolean");
		return;
	}
	if (b == -1) {
		field_err(r, where, f, v, "bool_parsing", "Input should be a valid boolean, unable to interpret input");
		return;
	}
	out->present = 1;
	out->i = b;
}

static void
check_string(struct req *r, const char *where, const struct field *f, const struct src *v, struct value *out)
{
	size_t		 cps = utf8_len(v->s, v->len);
	struct verr	*e;
	char		 norm[1024], reason[256], why[128];
	const char	*dwhy, *dtype, *lwhy;
	uint32_t	 lbad;
	long long	 n;
	int64_t		 t;
	int		 role, rc, tz = 0;
	size_t		 k;

	switch (f->type) {
	case FT_INT:
		if ((rc = lax_int(v->s, v->len, &n)) == -1) {
			field_err(r, where, f, v, "int_parsing",
			    "Input should be a valid integer, unable to parse string as an integer");
			return;
		}
		if (rc == -2) {
			field_err(r, where, f, v, "int_parsing_size",
			    "Unable to parse input string as an integer, exceeded maximum size");
			return;
		}
		if (n < f->imin) {
			if ((e = field_err(r, where, f, v, "greater_than_equal", NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Input should be greater than or equal to %lld", f->imin);
				e->ctx = arena_printf(r->arena, "{\"ge\":%lld}", f->imin);
			}
			return;
		}
		if (n > f->imax) {
			if ((e = field_err(r, where, f, v, "less_than_equal", NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Input should be less than or equal to %lld", f->imax);
				e->ctx = arena_printf(r->arena, "{\"le\":%lld}", f->imax);
			}
			return;
		}
		out->present = 1;
		out->i = n;
		return;
	case FT_LITERAL:
		for (k = 0; f->lit[k] != NULL; k++)
			if (strlen(f->lit[k]) == v->len && memcmp(f->lit[k], v->s, v->len) == 0)
				break;
		if (f->lit[k] == NULL) {
			literal_err(r, where, f, v);
			return;
		}
		out->present = 1;
		out->i = (long long)k;
		out->s = f->lit[k];
		out->len = v->len;
		return;
	case FT_STATUS:
		for (k = 0; status_inputs[k] != NULL; k++)
			if (strlen(status_inputs[k]) == v->len && memcmp(status_inputs[k], v->s, v->len) == 0)
				break;
		if (status_inputs[k] == NULL || (k == SI_DISABLED && cfg.status_names == STATUS_NAMES_CURRENT)) {
			status_err(r, where, f, v);
			return;
		}
		out->present = 1;
		out->i = (long long)k;
		out->s = status_inputs[k];
		out->len = v->len;
		return;
	case FT_BOOL:
		check_bool(r, where, f, v, out);
		return;
	case FT_UUID:
		if ((out->s = arena_alloc(r->arena, 37)) == NULL)
			return;
		if (uuid_parse(v->s, v->len, (char *)out->s, why, sizeof(why)) == -1) {
			if ((e = field_err(r, where, f, v, "uuid_parsing", NULL)) != NULL) {
				struct buf ctx = { 0 };
				e->msg = arena_printf(r->arena, "Input should be a valid UUID, %s", why);
				buf_puts(&ctx, "{\"error\":");
				jw_str(&ctx, why, strlen(why));
				buf_putc(&ctx, '}');
				e->ctx = arena_strdup(r->arena, buf_cstr(&ctx));
				buf_free(&ctx);
			}
			out->s = NULL;
			return;
		}
		out->present = 1;
		out->len = 36;
		return;
	case FT_DATETIME:
		if (parse_datetime(v->s, v->len, &t, &tz, &dwhy, &dtype) == -1) {
			if ((e = field_err(r, where, f, v, dtype, NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Input should be a valid datetime%s, %s",
				    strcmp(dtype, "datetime_parsing") == 0 ? "" : " or date", dwhy);
				e->ctx = arena_printf(r->arena, "{\"error\":\"%s\"}", dwhy);
			}
			return;
		}
		if (f->aware && !tz) {
			field_err(r, where, f, v, "timezone_aware", "Input should have timezone info");
			return;
		}
		if (f->future && t <= r->now) {
			if ((e = field_err(r, where, f, v, "value_error", NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Value error, %s must be in the future", f->name);
				e->ctx = "{\"error\":{}}";
			}
			return;
		}
		out->present = 1;
		out->i = t;
		return;
	default:
		break;
	}

	if (f->max > 0 && cps > f->max) {
		if ((e = field_err(r, where, f, v, "string_too_long", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should have at most %zu character%s", f->max,
			    f->max == 1 ? "" : "s");
			e->ctx = arena_printf(r->arena, "{\"max_length\":%zu}", f->max);
		}
		return;
	}
	if (cps < f->min) {
		if ((e = field_err(r, where, f, v, "string_too_short", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should have at least %zu character%s", f->min,
			    f->min == 1 ? "" : "s");
			e->ctx = arena_printf(r->arena, "{\"min_length\":%zu}", f->min);
		}
		return;
	}
	if (f->exact != NULL && (v->len != strlen(f->exact) || memcmp(v->s, f->exact, v->len) != 0)) {
		if ((e = field_err(r, where, f, v, "string_pattern_mismatch", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should match pattern '^%s$'", f->exact);
			e->ctx = arena_printf(r->arena, "{\"pattern\":\"^%s$\"}", f->exact);
		}
		return;
	}
	if (f->nocontrol && utf8_has_control(v->s, v->len)) {
		if ((e = field_err(r, where, f, v, "value_error",
		    "Value error, must not contain control characters")) != NULL)
			e->ctx = "{\"error\":{}}";
		return;
	}
	if (f->lookalike && (lwhy = username_lookalike(v->s, v->len, &lbad)) != NULL) {
		if ((e = field_err(r, where, f, v, "value_error", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "Value error, %s (%s)", lwhy, unicode_describe(r->arena, lbad));
			e->ctx = "{\"error\":{}}";
		}
		return;
	}
	switch (f->type) {
	case FT_PASSWORD:
		if (memchr(v->s, '\0', v->len) != NULL) {
			if ((e = field_err(r, where, f, v, "value_error",
			    "Value error, Password must not contain NUL characters")) != NULL)
				e->ctx = "{\"error\":{}}";
			return;
		}
		if (cps < (size_t)cfg.password_min_length) {
			if ((e = field_err(r, where, f, v, "value_error", NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Value error, Password must be at least %d characters",
				    cfg.password_min_length);
				e->ctx = "{\"error\":{}}";
			}
			return;
		}
		break;
	case FT_ROLE:
		if ((role = role_parse(v->s)) == 0 || strlen(v->s) != v->len) {
			if ((e = field_err(r, where, f, v, "value_error",
			    "Value error, Role must be one of: admin, editor, viewer")) != NULL)
				e->ctx = "{\"error\":{}}";
			return;
		}
		out->i = role;
		break;
	case FT_EMAIL:
		if (email_normalize(v->s, v->len, norm, sizeof(norm), reason, sizeof(reason)) == -1) {
			if ((e = field_err(r, where, f, v, "value_error", NULL)) != NULL) {
				struct buf ctx = { 0 };
				e->msg = arena_printf(r->arena, "value is not a valid email address: %s", reason);
				buf_puts(&ctx, "{\"reason\":");
				jw_str(&ctx, reason, strlen(reason));
				buf_putc(&ctx, '}');
				e->ctx = arena_strdup(r->arena, buf_cstr(&ctx));
				buf_free(&ctx);
			}
			return;
		}
		out->present = 1;
		out->s = arena_strdup(r->arena, norm);
		out->len = strlen(norm);
		return;
	default:
		break;
	}
	out->present = 1;
	out->s = v->s;
	out->len = v->len;
}

static const char *
type_error_name(enum ftype t)
{
	switch (t) {
	case FT_BOOL:
		return "bool_type";
	case FT_UUID:
		return "uuid_type";
	case FT_INT:
		return "int_type";
	case FT_DATETIME:
		return "datetime_type";
	default:
		return "string_type";
	}
}

static const char *
type_error_msg(enum ftype t)
{
	switch (t) {
	case FT_BOOL:
		return "Input should be a valid boolean";
	case FT_UUID:
		return "UUID input should be a string, bytes or UUID object";
	case FT_INT:
		return "Input should be a valid integer";
	case FT_DATETIME:
		return "Input should be a valid datetime";
	default:
		return "Input should be a valid string";
	}
}

static void
check_field(struct req *r, const char *where, const struct field *f, const struct src *v,
    struct json_object *whole, struct value *out)
{
	struct verr *e;

	memset(out, 0, sizeof(*out));
	switch (v->kind) {
	case SRC_ABSENT:
		if (f->required) {
			if ((e = verr_at(&r->verrs, where, f->name, "missing", "Field required")) != NULL &&
			    whole != NULL) {
				e->input_kind = VIN_JSON;
				e->input = whole;
			}
		} else if (f->dflt != NULL) {
			struct src d = { SRC_STRING, f->dflt, strlen(f->dflt), NULL };
			check_string(r, where, f, &d, out);
		}
		return;
	case SRC_NULL:
		if (f->nullable)
			return;
		if (f->type == FT_LITERAL)	/* pydantic's Literal: None is just another value not in the set */
			literal_err(r, where, f, v);
		else
			field_err(r, where, f, v, type_error_name(f->type), type_error_msg(f->type));
		return;
	case SRC_OTHER:
		if (f->type == FT_BOOL)
			check_bool(r, where, f, v, out);
		else if (f->type == FT_LITERAL)
			literal_err(r, where, f, v);
		else if (f->type == FT_STATUS)
			status_err(r, where, f, v);
		else
			field_err(r, where, f, v, type_error_name(f->type), type_error_msg(f->type));
		return;
	case SRC_STRING:
		check_string(r, where, f, v, out);
		return;
	}
}

/* Whether the raw (still percent-encoded) key equals name once decoded; no copy is made. */
static int
key_equals(const char *k, size_t n, const char *name)
{
	size_t i = 0;

	for (; i < n; name++) {
		int c = (unsigned char)k[i];

		if (c == '%' && i + 2 < n && isxdigit((unsigned char)k[i + 1]) && isxdigit((unsigned char)k[i + 2])) {
			char hex[3] = { k[i + 1], k[i + 2], '\0' };
			c = (int)strtol(hex, NULL, 16);
			i += 3;
		} else {
			if (c == '+')
				c = ' ';
			i++;
		}
		if (*name == '\0' || (unsigned char)*name != c)
			return 0;
	}
	return *name == '\0';
}

/*
 * The last value of a field in an urlencoded string (a form body or a query), decoded into the arena. Keys are
 * compared without copying and only the winning value is copied, so a body of many pairs costs no memory.
 */
static void
urlencoded_get(struct req *r, const char *p, const char *end, const char *name, int empty_is_absent,
    struct src *out)
{
	const char	*val = NULL, *vend = NULL;
	char		*v;
	size_t		 vlen;

	out->kind = SRC_ABSENT;
	out->j = NULL;
	while (p < end) {
		const char	*amp = memchr(p, '&', (size_t)(end - p));
		const char	*pe = amp != NULL ? amp : end;
		const char	*eq = memchr(p, '=', (size_t)(pe - p));
		const char	*ke = eq != NULL ? eq : pe;

		if (key_equals(p, (size_t)(ke - p), name)) {
			val = eq != NULL ? eq + 1 : pe;
			vend = pe;
		}
		p = pe + 1;
	}
	if (val == NULL || (v = arena_strndup(r->arena, val, (size_t)(vend - val))) == NULL)
		return;
	vlen = pct_decode(v, (size_t)(vend - val), 1);	/* the whole value, a raw NUL included */
	v[vlen] = '\0';
	if (vlen == 0 && empty_is_absent)
		return;
	out->kind = SRC_STRING;
	out->s = v;
	out->len = vlen;
}

/* The boundary parameter of a multipart/form-data content type, or NULL. */
static const char *
multipart_boundary(struct req *r, size_t *len)
{
	const char	*ct = r->content_type, *b, *e;
	size_t		 n = strlen("multipart/form-data");

	if (ct == NULL)
		return NULL;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "multipart/form-data", n) != 0 || (b = strcasestr(ct + n, "boundary=")) == NULL)
		return NULL;
	b += 9;
	if (*b == '"') {
		e = strchr(++b, '"');
	} else
		for (e = b; *e != '\0' && *e != ';' && *e != ' '; e++)
			;
	if (e == NULL || e == b || e - b > 70)
		return NULL;
	*len = (size_t)(e - b);
	return b;
}

/*
 * The last part named name in a multipart/form-data body (RFC 7578), as browsers send a FormData login. A body
 * that does not parse yields no fields, so the login answers 422 for the missing ones.
 */
static void
multipart_get(struct req *r, const char *name, int empty_is_absent, struct src *out)
{
	const char	*bnd, *p = r->body, *end = r->body + r->body_len, *val = NULL, *vend = NULL;
	char		 delim[80], want[160];
	size_t		 blen, dlen, wlen;

	out->kind = SRC_ABSENT;
	out->j = NULL;
	if ((bnd = multipart_boundary(r, &blen)) == NULL)
		return;
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)blen, bnd);
	wlen = (size_t)snprintf(want, sizeof(want), "name=\"%s\"", name);
	if (wlen >= sizeof(want))
		return;
	/* The first delimiter may stand at the very start, without the CRLF before it. */
	if ((size_t)(end - p) >= dlen - 2 && memcmp(p, delim + 2, dlen - 2) == 0)
		p += dlen - 2;
	else if ((p = memmem(p, (size_t)(end - p), delim, dlen)) == NULL)
		return;
	else
		p += dlen;
	while (end - p >= 2 && memcmp(p, "\r\n", 2) == 0) {
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4), *next;

		if (hend == NULL || (next = memmem(hend + 4, (size_t)(end - hend - 4), delim, dlen)) == NULL)
			return;
		/* Only the Content-Disposition header names the part; match name="..." exactly. */
		{
			const char *h = memmem(p, (size_t)(hend - p), want, wlen);
			if (h != NULL && (h[-1] == ' ' || h[-1] == ';')) {
				val = hend + 4;
				vend = next;
			}
		}
		p = next + dlen;
	}
	if (val == NULL)
		return;
	if ((out->s = arena_strndup(r->arena, val, (size_t)(vend - val))) == NULL)
		return;
	out->len = (size_t)(vend - val);
	if (out->len == 0 && empty_is_absent)
		return;
	out->kind = SRC_STRING;
}

static int
schema_has_secret(const struct schema *s)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].type == FT_SECRET || s->fields[i].type == FT_PASSWORD)
			return 1;
	return 0;
}

/* Where form fields come from: an urlencoded string (a form body or a query) or a multipart body. */
struct fields_from {
	const char	*p;		/* urlencoded: the string */
	size_t		 n;
	int		 multipart;
	int		 empty_is_absent;
};

/* Fields read from a form or a query string, each under the same checks. */
static void
validate_fields(struct req *r, const struct schema *s, const char *where, const struct fields_from *from,
    struct value *vals)
{
	size_t i, bad;

	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		struct src v;

		if (from->multipart)
			multipart_get(r, f->name, from->empty_is_absent, &v);
		else
			urlencoded_get(r, from->p, from->p + from->n, f->name, from->empty_is_absent, &v);
		if (v.kind == SRC_STRING && utf8_check(v.s, v.len, &bad) == -1) {
			struct verr *e = field_err(r, where, f, &v, "string_unicode",
			    "Input should be a valid string, unable to parse raw data as a unicode string");
			if (e != NULL && e->input_kind == VIN_RAW)
				e->input_kind = VIN_NULL;
			continue;
		}
		check_field(r, where, f, &v, NULL, &vals[i]);
	}
}

int
query_get(struct req *r, const char *name, const char **value, size_t *len)
{
	struct src v;

	urlencoded_get(r, r->query, r->query + strlen(r->query), name, 0, &v);
	if (v.kind != SRC_STRING)
		return 0;
	*value = v.s;
	*len = v.len;
	return 1;
}

void
validate_query(struct req *r, const struct schema *s)
{
	struct fields_from from = { r->query, strlen(r->query), 0, 0 };

	validate_fields(r, s, "query", &from, r->q);
}

/*
 * The path as Starlette sees it: percent-decoded as UTF-8 with errors="replace", so every byte that starts no
 * valid sequence becomes U+FFFD. NULL when the arena is full.
 */
static char *
utf8_replace(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	size_t	 i = 0, o = 0, bad;
	char	*out;

	if (n > (SIZE_MAX - 1) / 3 || (out = arena_alloc(a, n * 3 + 1)) == NULL)
		return NULL;
	while (i < n) {
		if (utf8_check(s + i, n - i, &bad) == 0)
			bad = n - i;
		memcpy(out + o, s + i, bad);
		o += bad;
		i += bad;
		if (i < n) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* A path id: UUID forms as pydantic accepts them, else 422 uuid_parsing at ["path", name]. */
void
validate_path_uuid(struct req *r, const char *name, const char *value, char out[37])
{
	static const struct field f = { .name = NULL, .type = FT_UUID };
	struct field	 pf = f;
	struct src	 v = { SRC_STRING, value, strlen(value), NULL };
	struct value	 val;
	size_t		 bad;

	if (utf8_check(v.s, v.len, &bad) == -1 && (v.s = utf8_replace(r->arena, value, v.len, &v.len)) == NULL) {
		v.s = "\xef\xbf\xbd";
		v.len = 3;
	}
	pf.name = name;
	memset(&val, 0, sizeof(val));
	check_string(r, "path", &pf, &v, &val);
	if (val.present)
		memcpy(out, val.s, 37);
}

void
validate_body(struct req *r, const struct schema *s)
{
	struct verr	*e;
	size_t		 i, before = r->verrs.n;

	memset(r->v, 0, sizeof(r->v));
	if (s->form && !is_json_type(r->content_type)) {
		struct fields_from from = { "", 0, 0, 1 };
		size_t blen;

		if (multipart_boundary(r, &blen) != NULL)
			from.multipart = 1;
		else if (is_form_type(r->content_type)) {
			from.p = r->body;
			from.n = r->body_len;
		}
		validate_fields(r, s, "body", &from, r->v);
		return;
	}
	if (r->body_len == 0 || (r->body_json_ok && json_object_get_type(r->json) == json_type_null)) {
		if (!s->optional)
			verr_at(&r->verrs, "body", NULL, "missing", "Field required");
		return;
	}
	if (!r->body_json_ok) {
		/* Not JSON by its content type: the raw bytes reach the model, as in FastAPI. */
		if ((e = verr_at(&r->verrs, "body", NULL, "model_attributes_type",
		    "Input should be a valid dictionary or object to extract fields from")) != NULL) {
			if (schema_has_secret(s) || utf8_check(r->body, r->body_len, NULL) == -1)
				e->input_kind = VIN_MASK;
			else {
				e->input_kind = VIN_RAW;
				e->input_raw = r->body;
				e->input_raw_len = r->body_len;
			}
		}
		return;
	}
	if (json_object_get_type(r->json) != json_type_object) {
		if ((e = verr_at(&r->verrs, "body", NULL, "model_attributes_type",
		    "Input should be a valid dictionary or object to extract fields from")) != NULL) {
			e->input_kind = VIN_JSON;
			e->input = r->json;
		}
		return;
	}
	for (i = 0; i < s->nfields; i++) {
		const struct field	*f = &s->fields[i];
		struct json_object	*j;
		struct src		 v = { SRC_ABSENT, NULL, 0, NULL };

		if (json_object_object_get_ex(r->json, f->name, &j)) {
			v.j = j;
			switch (json_object_get_type(j)) {
			case json_type_null:
				v.kind = SRC_NULL;
				break;
			case json_type_string:
				v.kind = SRC_STRING;
				v.s = json_object_get_string(j);
				v.len = (size_t)json_object_get_string_len(j);
				break;
			default:
				v.kind = SRC_OTHER;
				break;
			}
		}
		check_field(r, "body", f, &v, r->json, &r->v[i]);
	}
	if (s->check != NULL && r->verrs.n == before)
		s->check(r);
}

static void
render_input(struct buf *b, const struct verr *e)
{
	switch (e->input_kind) {
	case VIN_JSON:
		jw_echo(b, e->input);
		break;
	case VIN_RAW:
		jw_str(b, e->input_raw, e->input_raw_len);
		break;
	case VIN_MASK:
		jw_str(b, SECRET_MASK, sizeof(SECRET_MASK) - 1);
		break;
	case VIN_EMPTY_OBJECT:
		buf_put(b, "{}", 2);
		break;
	default:
		buf_put(b, "null", 4);
		break;
	}
}

void
verrs_render(struct buf *b, const struct verrs *vs)
{
	size_t i, k;

	buf_putc(b, '[');
	for (i = 0; i < vs->n; i++) {
		const struct verr *e = &vs->e[i];

		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"type\":");
		jw_cstr(b, e->type);
		buf_puts(b, ",\"loc\":[");
		for (k = 0; k < 3 && e->loc[k] != NULL; k++) {
			if (k > 0)
				buf_putc(b, ',');
			jw_cstr(b, e->loc[k]);
		}
		if (e->loc_index >= 0)
			buf_printf(b, "%s%d", k > 0 ? "," : "", e->loc_index);
		buf_puts(b, "],\"msg\":");
		jw_cstr(b, e->msg != NULL ? e->msg : "");
		buf_puts(b, ",\"input\":");
		render_input(b, e);
		if (e->ctx != NULL) {
			buf_puts(b, ",\"ctx\":");
			buf_puts(b, e->ctx);
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}
