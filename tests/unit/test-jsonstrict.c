/*
 * test-jsonstrict.c: a JSON body is read exactly as strictly as Python's json.loads reads it (issue 14 §2).
 *
 * Source: nst/JSONTestSuite (https://github.com/nst/JSONTestSuite, MIT, commit 1ef36fa0), whose test_parsing
 * folder is copied as data under tests/data/JSONTestSuite/. Every n_ file must be refused with one json_invalid
 * entry, every y_ file accepted, and every i_ file ("implementation defined") answered as the table below says,
 * next to what Python 3 does with it. A y_ file's value echoed back (as a 422 echoes input) must be valid UTF-8
 * and valid JSON again. Then a table of single inputs: the examples, with Python's message and offset.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <sodium.h>

#include "../../src/gatehouse.h"
#include "unit.h"

/* What we do with each implementation-defined file, and why where we differ from Python. */
static const struct {
	const char	*file;
	int		 accept;
	const char	*why;
} i_files[] = {
	/* Numbers: Python accepts all (floats overflow to inf or underflow to 0, ints are unbounded); so do we. */
	{ "i_number_double_huge_neg_exp.json", 1, "Python: 0.0" },
	{ "i_number_huge_exp.json", 1, "Python: inf" },
	{ "i_number_neg_int_huge_exp.json", 1, "Python: -0.0" },
	{ "i_number_pos_double_huge_exp.json", 1, "Python: inf" },
	{ "i_number_real_neg_overflow.json", 1, "Python: -inf" },
	{ "i_number_real_pos_overflow.json", 1, "Python: inf" },
	{ "i_number_real_underflow.json", 1, "Python: 0.0" },
	{ "i_number_too_big_neg_int.json", 1, "Python: a big int" },
	{ "i_number_too_big_pos_int.json", 1, "Python: a big int" },
	{ "i_number_very_big_negative_int.json", 1, "Python: a big int" },
	/* Unpaired surrogate escapes: Python builds a str that is not Unicode; we refuse (no invalid UTF-8 out). */
	{ "i_object_key_lone_2nd_surrogate.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_1st_surrogate_but_2nd_missing.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_1st_valid_surrogate_2nd_invalid.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_incomplete_surrogate_and_escape_valid.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_incomplete_surrogate_pair.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_incomplete_surrogates_escape_valid.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_invalid_lonely_surrogate.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_invalid_surrogate.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_inverted_surrogates_U+1D11E.json", 0, "Python accepts; unpaired surrogate" },
	{ "i_string_lone_second_surrogate.json", 0, "Python accepts; unpaired surrogate" },
	/* Bytes that are not UTF-8: SPEC says json_invalid "Invalid UTF-8" (the reference answers 400). */
	{ "i_string_UTF-8_invalid_sequence.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_invalid_utf-8.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_iso_latin_1.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_lone_utf8_continuation_byte.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_not_in_unicode_range.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_overlong_sequence_2_bytes.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_overlong_sequence_6_bytes.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_overlong_sequence_6_bytes_null.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_truncated-utf-8.json", 0, "Python refuses (UnicodeDecodeError)" },
	{ "i_string_UTF8_surrogate_U+D800.json", 0, "Python accepts (surrogatepass); UTF-8 has no surrogates" },
	/* UTF-16: Python guesses the encoding; RFC 8259 section 8.1 and SPEC take UTF-8 only. */
	{ "i_string_UTF-16LE_with_BOM.json", 0, "Python accepts; not UTF-8" },
	{ "i_string_utf16BE_no_BOM.json", 0, "Python accepts; not UTF-8" },
	{ "i_string_utf16LE_no_BOM.json", 0, "Python accepts; not UTF-8" },
	/* Structure: as Python. */
	{ "i_structure_500_nested_arrays.json", 1, "Python accepts (below its recursion limit); our limit is 512" },
	{ "i_structure_UTF-8_BOM_empty_object.json", 1, "Python skips a UTF-8 BOM when given bytes" },
};

/* Single inputs: the examples and their kin, with Python's message and (byte) offset. */
static const struct {
	const char	*body;
	const char	*error;		/* NULL: accepted */
	int		 off;
} inputs[] = {
	{ "{\"username\":\"long\tenough1\"}", "Invalid control character at", 17 },
	{ "\"a\nb\"", "Invalid control character at", 2 },
	{ "\"\x1f\"", "Invalid control character at", 1 },
	{ "\"\x7f\"", NULL, 0 },			/* DEL is not a control character to JSON */
	{ "1.", "Extra data", 1 },
	{ "[1.]", "Expecting ',' delimiter", 2 },
	{ "1.e5", "Extra data", 1 },
	{ "-01", "Extra data", 2 },
	{ "01", "Extra data", 1 },
	{ "+1", "Expecting value", 0 },
	{ ".5", "Expecting value", 0 },
	{ "1e", "Extra data", 1 },
	{ "1e+", "Extra data", 1 },
	{ "-", "Expecting value", 0 },
	{ "0x10", "Extra data", 1 },
	{ "NaN", "Expecting value", 0 },
	{ "{\"a\":NaN}", "Expecting value", 5 },
	{ "Infinity", "Expecting value", 0 },
	{ "-Infinity", "Expecting value", 0 },
	{ "[-NaN]", "Expecting value", 1 },
	{ "nul", "Expecting value", 0 },
	{ "True", "Expecting value", 0 },
	{ "'a'", "Expecting value", 0 },
	{ "", "Expecting value", 0 },
	{ " \t\r\n", "Expecting value", 4 },
	{ "\f{}", "Expecting value", 0 },		/* form feed is not JSON whitespace */
	{ "{\"a\":1,}", "Expecting property name enclosed in double quotes", 7 },
	{ "[1,]", "Expecting value", 3 },
	{ "{'a':1}", "Expecting property name enclosed in double quotes", 1 },
	{ "{\"a\" 1}", "Expecting ':' delimiter", 5 },
	{ "{\"a\":1 \"b\":2}", "Expecting ',' delimiter", 7 },
	{ "\"abc", "Unterminated string starting at", 0 },
	{ "\"\\", "Unterminated string starting at", 0 },
	{ "\"\\x41\"", "Invalid \\escape", 1 },
	{ "\"\\u12\"", "Invalid \\uXXXX escape", 2 },
	{ "\"\\ud800\"", "Unpaired surrogate in \\uXXXX escape", 1 },
	{ "\"\\udc00\\ud800\"", "Unpaired surrogate in \\uXXXX escape", 1 },
	{ "\"\\ud83d\\ude00\"", NULL, 0 },
	{ "\"\\u0000\"", NULL, 0 },
	{ "{} x", "Extra data", 3 },
	{ "{}\n", NULL, 0 },
	{ "\xef\xbb\xbf{}", NULL, 0 },
	{ "-0.0e-0", NULL, 0 },
	{ "123456789012345678901234567890", NULL, 0 },
	{ "1e400", NULL, 0 },
	{ "{\"a\":1,\"a\":2}", NULL, 0 },
};

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*p = NULL;
	long	 n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

/* Runs the whole body path (UTF-8, strict grammar, json-c). Returns 1 accepted, 0 one json_invalid entry. */
static int
parse(const char *body, size_t len, const char **error, int *off, int *echo_ok)
{
	struct arena	 a;
	struct req	 r;
	struct buf	 out = { 0 };
	size_t		 bad;
	int		 rc;

	arena_init(&a, 1 << 20);
	memset(&r, 0, sizeof(r));
	r.arena = &a;
	r.content_type = "application/json";
	r.body = body;
	r.body_len = len;
	rc = json_parse_body(&r) == 0 && r.verrs.n == 0;
	*error = NULL;
	*off = -1;
	if (!rc && r.verrs.n == 1 && strcmp(r.verrs.e[0].type, "json_invalid") == 0) {
		/* The ctx is {"error":"..."}: keep the message, unescaped. */
		struct json_object *ctx = json_tokener_parse(r.verrs.e[0].ctx), *m;

		if (ctx != NULL && json_object_object_get_ex(ctx, "error", &m)) {
			static char msg[128];

			snprintf(msg, sizeof(msg), "%s", json_object_get_string(m));
			*error = msg;
		}
		json_object_put(ctx);
		*off = r.verrs.e[0].loc_index;
	} else if (!rc)
		*error = "(not one json_invalid entry)";
	if (echo_ok != NULL) {
		*echo_ok = 1;
		if (rc && r.json != NULL) {
			jw_echo(&out, r.json);
			*echo_ok = !out.failed && utf8_check(out.p, out.len, &bad) == 0 &&
			    jsonstrict_check(out.p, out.len, 512, &bad, error) == 0;
		}
	}
	json_object_put(r.json);
	buf_free(&out);
	arena_free(&a);
	return rc;
}

static void
suite(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		 path[8192], *body;
	size_t		 len, i, seen_y = 0, seen_n = 0, seen_i = 0;
	const char	*error;
	int		 off, echo_ok, ok;

	CHECK(d != NULL, "JSONTestSuite data at %s", dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *f = de->d_name;

		if (strlen(f) < 2 || f[1] != '_' || strchr("yni", f[0]) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		if ((body = slurp(path, &len)) == NULL) {
			CHECK(0, "read %s", f);
			continue;
		}
		ok = parse(body, len, &error, &off, &echo_ok);
		if (f[0] == 'y') {
			seen_y++;
			CHECK(ok && echo_ok, "%s parsed, and its echo is valid UTF-8 and JSON%s%s", f,
			    error ? ": " : "", error ? error : "");
		} else if (f[0] == 'n') {
			seen_n++;
			CHECK(!ok && error != NULL && error[0] != '(', "%s refused with json_invalid (%s at %d)", f,
			    error ? error : "accepted", off);
		} else {
			seen_i++;
			for (i = 0; i < sizeof(i_files) / sizeof(i_files[0]); i++)
				if (strcmp(i_files[i].file, f) == 0)
					break;
			if (i == sizeof(i_files) / sizeof(i_files[0]))
				CHECK(0, "%s is in the i_ table", f);
			else
				CHECK(ok == i_files[i].accept && (!ok || echo_ok) && (ok || error[0] != '('),
				    "%s %s (%s)", f, i_files[i].accept ? "accepted" : "refused", i_files[i].why);
		}
		free(body);
	}
	closedir(d);
	CHECK(seen_y == 95 && seen_n == 188 && seen_i == 35, "all 318 files seen (y %zu, n %zu, i %zu)", seen_y,
	    seen_n, seen_i);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir"), *error;
	char		 dir[4096];
	size_t		 i;
	int		 off, ok;

	if (sodium_init() < 0)
		return 1;
	config_defaults(&cfg);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		ok = parse(inputs[i].body, strlen(inputs[i].body), &error, &off, NULL);
		if (inputs[i].error == NULL)
			CHECK(ok, "accepted: input %zu", i);
		else
			CHECK(!ok && error != NULL && strcmp(error, inputs[i].error) == 0 && off == inputs[i].off,
			    "refused: input %zu -> %s at %d (got %s at %d)", i, inputs[i].error, inputs[i].off,
			    error ? error : "accepted", off);
	}
	snprintf(dir, sizeof(dir), "%s/tests/data/JSONTestSuite/test_parsing", top != NULL ? top : ".");
	suite(dir);
	return unit_done();
}
