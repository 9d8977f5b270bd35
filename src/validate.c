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
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "gatehouse.h"

#define JSON_MAX_DEPTH 64

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
	e->ctx = arena_printf(r->arena, "{\"error\":\"%s\"}", reason);
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

	if (utf8_check(r->body, r->body_len, &bad) == -1) {
		json_invalid(r, bad, "Invalid UTF-8");
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

static struct verr *
field_err(struct req *r, const struct field *f, const struct src *v, const char *type, const char *msg)
{
	struct verr *e = verr_add(&r->verrs, type, msg);

	if (e == NULL)
		return NULL;
	e->loc[0] = "body";
	e->loc[1] = f->name;
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

static void
check_string(struct req *r, const struct field *f, const struct src *v, struct value *out)
{
	size_t		 cps = utf8_len(v->s, v->len);
	struct verr	*e;
	char		 norm[1024], reason[256];
	int		 role;

	if (f->max > 0 && cps > f->max) {
		if ((e = field_err(r, f, v, "string_too_long", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should have at most %zu character%s", f->max,
			    f->max == 1 ? "" : "s");
			e->ctx = arena_printf(r->arena, "{\"max_length\":%zu}", f->max);
		}
		return;
	}
	if (cps < f->min) {
		if ((e = field_err(r, f, v, "string_too_short", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should have at least %zu character%s", f->min,
			    f->min == 1 ? "" : "s");
			e->ctx = arena_printf(r->arena, "{\"min_length\":%zu}", f->min);
		}
		return;
	}
	if (f->exact != NULL && (v->len != strlen(f->exact) || memcmp(v->s, f->exact, v->len) != 0)) {
		if ((e = field_err(r, f, v, "string_pattern_mismatch", NULL)) != NULL) {
			e->msg = arena_printf(r->arena, "String should match pattern '^%s$'", f->exact);
			e->ctx = arena_printf(r->arena, "{\"pattern\":\"^%s$\"}", f->exact);
		}
		return;
	}
	if (f->nocontrol && utf8_has_control(v->s, v->len)) {
		if ((e = field_err(r, f, v, "value_error",
		    "Value error, must not contain control characters")) != NULL)
			e->ctx = "{\"error\":{}}";
		return;
	}
	switch (f->type) {
	case FT_PASSWORD:
		if (memchr(v->s, '\0', v->len) != NULL) {
			if ((e = field_err(r, f, v, "value_error",
			    "Value error, Password must not contain NUL characters")) != NULL)
				e->ctx = "{\"error\":{}}";
			return;
		}
		if (cps < (size_t)cfg.password_min_length) {
			if ((e = field_err(r, f, v, "value_error", NULL)) != NULL) {
				e->msg = arena_printf(r->arena, "Value error, Password must be at least %d characters",
				    cfg.password_min_length);
				e->ctx = "{\"error\":{}}";
			}
			return;
		}
		break;
	case FT_ROLE:
		if ((role = role_parse(v->s)) == 0 || strlen(v->s) != v->len) {
			if ((e = field_err(r, f, v, "value_error",
			    "Value error, Role must be one of: admin, editor, viewer")) != NULL)
				e->ctx = "{\"error\":{}}";
			return;
		}
		out->i = role;
		break;
	case FT_EMAIL:
		if (email_normalize(v->s, v->len, norm, sizeof(norm), reason, sizeof(reason)) == -1) {
			if ((e = field_err(r, f, v, "value_error", NULL)) != NULL) {
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

static void
check_field(struct req *r, const struct field *f, const struct src *v, struct json_object *whole,
    struct value *out)
{
	struct verr *e;

	memset(out, 0, sizeof(*out));
	switch (v->kind) {
	case SRC_ABSENT:
		if (f->required) {
			if ((e = verr_add(&r->verrs, "missing", "Field required")) != NULL) {
				e->loc[0] = "body";
				e->loc[1] = f->name;
				if (whole != NULL) {
					e->input_kind = VIN_JSON;
					e->input = whole;
				}
			}
		} else if (f->dflt != NULL) {
			struct src d = { SRC_STRING, f->dflt, strlen(f->dflt), NULL };
			check_string(r, f, &d, out);
		}
		return;
	case SRC_NULL:
		if (!f->nullable)
			field_err(r, f, v, "string_type", "Input should be a valid string");
		return;
	case SRC_OTHER:
		field_err(r, f, v, "string_type", "Input should be a valid string");
		return;
	case SRC_STRING:
		check_string(r, f, v, out);
		return;
	}
}

/* The last value of a form field (an empty value counts as absent, as FastAPI does); arena copies. */
static void
form_get(struct req *r, const char *name, struct src *out)
{
	const char	*p = r->body, *end = r->body + r->body_len;
	size_t		 nlen = strlen(name);

	out->kind = SRC_ABSENT;
	out->j = NULL;
	while (p < end) {
		const char	*amp = memchr(p, '&', (size_t)(end - p));
		const char	*pe = amp != NULL ? amp : end;
		const char	*eq = memchr(p, '=', (size_t)(pe - p));
		char		*k, *v;
		size_t		 klen, vlen;

		if (eq != NULL) {
			k = arena_strndup(r->arena, p, (size_t)(eq - p));
			v = arena_strndup(r->arena, eq + 1, (size_t)(pe - eq - 1));
			if (k != NULL && v != NULL) {
				klen = pct_decode(k, strlen(k), 1);
				vlen = pct_decode(v, strlen(v), 1);
				if (klen == nlen && memcmp(k, name, nlen) == 0) {
					if (vlen == 0)
						out->kind = SRC_ABSENT;
					else {
						out->kind = SRC_STRING;
						out->s = v;
						out->len = vlen;
					}
				}
			}
		}
		p = pe + 1;
	}
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

static void
validate_form(struct req *r, const struct schema *s)
{
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		struct src v;
		size_t bad;

		if (is_form_type(r->content_type))
			form_get(r, f->name, &v);
		else
			v.kind = SRC_ABSENT;
		if (v.kind == SRC_STRING && utf8_check(v.s, v.len, &bad) == -1) {
			struct verr *e = field_err(r, f, &v, "string_unicode",
			    "Input should be a valid string, unable to parse raw data as a unicode string");
			if (e != NULL && e->input_kind == VIN_RAW)
				e->input_kind = VIN_NULL;
			continue;
		}
		check_field(r, f, &v, NULL, &r->v[i]);
	}
}

void
validate_body(struct req *r, const struct schema *s)
{
	struct verr	*e;
	size_t		 i;

	memset(r->v, 0, sizeof(r->v));
	if (s->form && !is_json_type(r->content_type)) {
		validate_form(r, s);
		return;
	}
	if (r->body_len == 0 || (r->body_json_ok && json_object_get_type(r->json) == json_type_null)) {
		if ((e = verr_add(&r->verrs, "missing", "Field required")) != NULL)
			e->loc[0] = "body";
		return;
	}
	if (!r->body_json_ok) {
		/* Not JSON by its content type: the raw bytes reach the model, as in FastAPI. */
		if ((e = verr_add(&r->verrs, "model_attributes_type",
		    "Input should be a valid dictionary or object to extract fields from")) != NULL) {
			e->loc[0] = "body";
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
		if ((e = verr_add(&r->verrs, "model_attributes_type",
		    "Input should be a valid dictionary or object to extract fields from")) != NULL) {
			e->loc[0] = "body";
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
		check_field(r, f, &v, r->json, &r->v[i]);
	}
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
