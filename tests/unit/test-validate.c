/*
 * test-validate.c: the validator, table-driven: a request body and content type in, the whole 422 detail out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>

#include <json-c/json.h>
#include <sodium.h>

#include "../../src/gatehouse.h"
#include "unit.h"

struct vcase {
	const char	*name;
	const struct schema *schema;
	const char	*ctype;
	const char	*body;
	const char	*want;		/* the detail array; "" when the body is valid */
};

#define CT "application/json"
#define S (&schema_admin_user_create)
#define L (&schema_login)

static const struct vcase cases[] = {
	{ "empty object: both required fields missing, input is the object", S, CT, "{}",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\",\"input\":{}},"
	  "{\"type\":\"missing\",\"loc\":[\"body\",\"password\"],\"msg\":\"Field required\",\"input\":{}}]" },
	{ "too short, password masked", S, CT, "{\"username\":\"ab\",\"password\":\"short\"}",
	  "[{\"type\":\"string_too_short\",\"loc\":[\"body\",\"username\"],\"msg\":\"String should have at least 3 characters\",\"input\":\"ab\",\"ctx\":{\"min_length\":3}},"
	  "{\"type\":\"string_too_short\",\"loc\":[\"body\",\"password\"],\"msg\":\"String should have at least 8 characters\",\"input\":\"********\",\"ctx\":{\"min_length\":8}}]" },
	{ "a number is not a string", S, CT, "{\"username\":123,\"password\":\"longenough\"}",
	  "[{\"type\":\"string_type\",\"loc\":[\"body\",\"username\"],\"msg\":\"Input should be a valid string\",\"input\":123}]" },
	{ "unknown role", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"role\":\"boss\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"role\"],\"msg\":\"Value error, Role must be one of: admin, editor, viewer\",\"input\":\"boss\",\"ctx\":{\"error\":{}}}]" },
	{ "role is case-sensitive", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"role\":\"Admin\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"role\"],\"msg\":\"Value error, Role must be one of: admin, editor, viewer\",\"input\":\"Admin\",\"ctx\":{\"error\":{}}}]" },
	{ "role null is a type error, not the default", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"role\":null}",
	  "[{\"type\":\"string_type\",\"loc\":[\"body\",\"role\"],\"msg\":\"Input should be a valid string\",\"input\":null}]" },
	{ "email null is none", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"email\":null}", "" },
	{ "invalid email", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"email\":\"foo\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a valid email address: An email address must have an @-sign.\",\"input\":\"foo\",\"ctx\":{\"reason\":\"An email address must have an @-sign.\"}}]" },
	{ "special-use email domain", S, CT, "{\"username\":\"good\",\"password\":\"longenough\",\"email\":\"a@b.test\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.\",\"input\":\"a@b.test\",\"ctx\":{\"reason\":\"The part after the @-sign is a special-use or reserved name that cannot be used with email.\"}}]" },
	{ "array body", S, CT, "[1,2]",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":[1,2]}]" },
	{ "string body", S, CT, "\"x\"",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":\"x\"}]" },
	{ "JSON null body", S, CT, "null",
	  "[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}]" },
	{ "empty body", S, CT, "",
	  "[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}]" },
	{ "truncated JSON", S, CT, "{\"username\":",
	  "[{\"type\":\"json_invalid\",\"loc\":[\"body\",12],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":{\"error\":\"Expecting value\"}}]" },
	{ "invalid UTF-8 at byte 14", S, CT, "{\"username\":\"a\xff\"}",
	  "[{\"type\":\"json_invalid\",\"loc\":[\"body\",14],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":{\"error\":\"Invalid UTF-8\"}}]" },
	{ "overlong UTF-8 is invalid", S, CT, "{\"username\":\"\xc0\xaf\"}",
	  "[{\"type\":\"json_invalid\",\"loc\":[\"body\",13],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":{\"error\":\"Invalid UTF-8\"}}]" },
	{ "extra data", S, CT, "{} x",
	  "[{\"type\":\"json_invalid\",\"loc\":[\"body\",3],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":{\"error\":\"Extra data\"}}]" },
	{ "text/plain body is raw bytes, masked on a route with a secret", S, "text/plain",
	  "{\"username\":\"good\",\"password\":\"longenough\"}",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":\"********\"}]" },
	{ "no content type", S, NULL, "{\"username\":\"good\",\"password\":\"longenough\"}",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":\"********\"}]" },
	{ "vendor +json type is JSON", S, "application/vnd.api+json; charset=utf-8",
	  "{\"username\":\"good\",\"password\":\"longenough\"}", "" },
	{ "whole-body echo masks the password", S, CT, "{\"password\":\"secretpass\"}",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\",\"input\":{\"password\":\"********\"}}]" },
	{ "password null is masked", S, CT, "{\"username\":\"good\",\"password\":null}",
	  "[{\"type\":\"string_type\",\"loc\":[\"body\",\"password\"],\"msg\":\"Input should be a valid string\",\"input\":\"********\"}]" },
	{ "control character in a username", S, CT, "{\"username\":\"ab\\u0001c\",\"password\":\"longenough\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"username\"],\"msg\":\"Value error, must not contain control characters\",\"input\":\"ab\\u0001c\",\"ctx\":{\"error\":{}}}]" },
	{ "lengths count code points", S, CT, "{\"username\":\"a\xf0\x9f\x98\x80\",\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	  "[{\"type\":\"string_too_short\",\"loc\":[\"body\",\"username\"],\"msg\":\"String should have at least 3 characters\",\"input\":\"a\xf0\x9f\x98\x80\",\"ctx\":{\"min_length\":3}}]" },
	{ "NUL inside a password", S, CT, "{\"username\":\"good\",\"password\":\"longen\\u0000ough\"}",
	  "[{\"type\":\"value_error\",\"loc\":[\"body\",\"password\"],\"msg\":\"Value error, Password must not contain NUL characters\",\"input\":\"********\",\"ctx\":{\"error\":{}}}]" },
	{ "the seed's example body is valid", S, CT,
	  "{ \"username\": \"example\", \"password\": \"example1\", \"email\": \"user@example.com\", \"role\": \"viewer\" }", "" },
	{ "login form: empty values count as missing", L, "application/x-www-form-urlencoded", "username=&password=",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\",\"input\":null},"
	  "{\"type\":\"missing\",\"loc\":[\"body\",\"password\"],\"msg\":\"Field required\",\"input\":null}]" },
	{ "login form: wrong grant_type", L, "application/x-www-form-urlencoded", "username=a&password=b&grant_type=client",
	  "[{\"type\":\"string_pattern_mismatch\",\"loc\":[\"body\",\"grant_type\"],\"msg\":\"String should match pattern '^password$'\",\"input\":\"client\",\"ctx\":{\"pattern\":\"^password$\"}}]" },
	{ "login form: percent-encoding", L, "application/x-www-form-urlencoded", "username=a%20b&password=x+y&grant_type=password", "" },
	{ "login as JSON", L, CT, "{\"username\":\"a\",\"password\":\"b\"}", "" },
	{ "login as multipart/form-data", L, "multipart/form-data; boundary=XyZ",
	  "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nadmin\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret pw\r\n--XyZ--\r\n", "" },
	{ "multipart: a missing part is missing, a filename= part is not a name= part", L,
	  "multipart/form-data; boundary=\"XyZ\"",
	  "--XyZ\r\nContent-Disposition: form-data; name=\"u\"; filename=\"username\"\r\n\r\nadmin\r\n"
	  "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n\r\n--XyZ--\r\n",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\",\"input\":null},"
	  "{\"type\":\"missing\",\"loc\":[\"body\",\"password\"],\"msg\":\"Field required\",\"input\":null}]" },
	{ "multipart that does not parse gives no fields", L, "multipart/form-data; boundary=XyZ", "garbage",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\",\"input\":null},"
	  "{\"type\":\"missing\",\"loc\":[\"body\",\"password\"],\"msg\":\"Field required\",\"input\":null}]" },
};

static void
run_case(const struct vcase *c)
{
	struct arena	 a;
	struct req	 r;
	struct buf	 out = { 0 };

	arena_init(&a, 1 << 20);
	memset(&r, 0, sizeof(r));
	r.arena = &a;
	r.content_type = c->ctype;
	r.body = c->body;
	r.body_len = strlen(c->body);
	if (r.body_len > 0 && is_json_type(c->ctype))
		(void)json_parse_body(&r);
	if (r.verrs.n == 0)
		validate_body(&r, c->schema);
	if (r.verrs.n > 0)
		verrs_render(&out, &r.verrs);
	CHECK_STR(out.len ? buf_cstr(&out) : "", c->want, "%s", c->name);
	json_object_put(r.json);
	buf_free(&out);
	arena_free(&a);
}

/*
 * Query strings and lax values against what pydantic 2.13 answers (pydantic-core 2.46, speedate), found by
 * running pydantic on each input (issue 14 section 2: nothing accepted that pydantic rejects, nothing rejected
 * that it accepts). want: "" accepted, else the first entry's type and msg.
 */
static const struct {
	const struct schema	*schema;	/* a query schema, or schema_user_update for a JSON body */
	const char		*input;
	const char		*want;
} lax[] = {
	{ &query_users_list, "skip=1.", "int_parsing|Input should be a valid integer, unable to parse string as an integer" },
	{ &query_users_list, "skip=1.0", "" },
	{ &query_users_list, "skip=1_000", "" },
	{ &query_audit_list, "date_from=1704067200", "" },
	{ &query_audit_list, "date_from=-1", "" },
	{ &query_audit_list, "date_from=1.5e9", "" },
	{ &query_audit_list, "date_from=.5", "" },
	{ &query_audit_list, "date_from=5.", "" },
	{ &query_audit_list, "date_from=20240101", "" },
	{ &query_audit_list, "date_from=1704067200123", "" },
	{ &query_audit_list, "date_from=1e3", "datetime_from_date_parsing|Input should be a valid datetime or date, input is too short" },
	{ &query_audit_list, "date_from=99999999999999999", "datetime_from_date_parsing|Input should be a valid datetime or date, dates after 9999 are not supported as unix timestamps" },
	{ &query_audit_list, "date_from=-99999999999999999", "datetime_from_date_parsing|Input should be a valid datetime or date, dates before 0000 are not supported as unix timestamps" },
	{ &query_audit_list, "date_from=12345678901234567890123", "datetime_from_date_parsing|Input should be a valid datetime or date, invalid date separator, expected `-`" },
	{ &query_audit_list, "date_from=2024-01-01T00:00:00%2B24:00", "datetime_from_date_parsing|Input should be a valid datetime or date, unexpected extra characters at the end of the input" },
	{ &query_audit_list, "date_from=2024-01-01T00:00:00%2B23:59", "" },
	{ &query_audit_list, "date_from=2024-01-01T00:00:00%2B01:60", "datetime_from_date_parsing|Input should be a valid datetime or date, unexpected extra characters at the end of the input" },
	{ &query_audit_list, "date_from=2024-01-01T00:00:00.", "datetime_from_date_parsing|Input should be a valid datetime or date, unexpected extra characters at the end of the input" },
	{ &query_audit_list, "date_from=2024-01-01T25:00", "datetime_from_date_parsing|Input should be a valid datetime or date, unexpected extra characters at the end of the input" },
	{ &query_audit_list, "date_from=2024-13-01", "datetime_from_date_parsing|Input should be a valid datetime or date, month value is outside expected range of 1-12" },
	{ &query_audit_list, "date_from=2024-02-30", "datetime_from_date_parsing|Input should be a valid datetime or date, day value is outside expected range" },
	{ &query_audit_list, "date_from=2024/01/01", "datetime_from_date_parsing|Input should be a valid datetime or date, invalid date separator, expected `-`" },
	{ &query_audit_list, "date_from=0000-01-01", "datetime_parsing|Input should be a valid datetime, year 0 is out of range" },
	{ &schema_user_update, "{\"is_active\":1.5}", "bool_type|Input should be a valid boolean" },
	{ &schema_user_update, "{\"is_active\":2}", "bool_parsing|Input should be a valid boolean, unable to interpret input" },
	{ &schema_user_update, "{\"is_active\":1.0}", "" },
};

static void
lax_values(void)
{
	struct arena	 a;
	struct req	 r;
	size_t		 i;
	char		 got[512];

	for (i = 0; i < sizeof(lax) / sizeof(lax[0]); i++) {
		arena_init(&a, 1 << 20);
		memset(&r, 0, sizeof(r));
		r.arena = &a;
		r.now = 0;
		if (lax[i].schema == &schema_user_update) {
			r.content_type = CT;
			r.body = lax[i].input;
			r.body_len = strlen(lax[i].input);
			if (json_parse_body(&r) == 0)
				validate_body(&r, lax[i].schema);
		} else {
			r.query = lax[i].input;
			validate_query(&r, lax[i].schema);
		}
		if (r.verrs.n == 0)
			got[0] = '\0';
		else
			snprintf(got, sizeof(got), "%s|%s", r.verrs.e[0].type, r.verrs.e[0].msg);
		CHECK_STR(got, lax[i].want, "as pydantic: %s", lax[i].input);
		json_object_put(r.json);
		arena_free(&a);
	}
}

/* JSON nested 10,000 deep is refused with json_invalid, not a crash. */
static void
deep_nesting(void)
{
	struct arena	 a;
	struct req	 r;
	size_t		 n = 10000, i;
	char		*body = malloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		body[i] = '[';
		body[n + i] = ']';
	}
	body[2 * n] = '\0';
	arena_init(&a, 1 << 20);
	memset(&r, 0, sizeof(r));
	r.arena = &a;
	r.content_type = CT;
	r.body = body;
	r.body_len = 2 * n;
	CHECK(json_parse_body(&r) == -1 && r.verrs.n == 1 && strcmp(r.verrs.e[0].type, "json_invalid") == 0,
	    "10,000 nested arrays give json_invalid");
	free(body);
	arena_free(&a);
}

int
main(void)
{
	size_t i;

	if (sodium_init() < 0)
		return 1;
	config_defaults(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	deep_nesting();
	lax_values();
	return unit_done();
}
