/*
 * openapi.c: the OpenAPI 3.1 document of the API (https://spec.openapis.org/oas/v3.1.0), built from the route
 * table (routes.c: paths, methods, who may call, path parameters) and the field tables (schemas.c: request
 * bodies and query parameters, with their types, bounds, literals and defaults). What the tables do not hold,
 * the success answer of each handler and the shapes of the response bodies, is in the one table below, keyed by
 * handler; a route missing from it is still documented, with a generic answer. Served at /openapi.json and
 * printed by "gatehouse --openapi" (installed with the documentation).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gatehouse.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"	/* built without config.h (the fuzz harnesses) */
#endif

/* Success answer and extra error statuses of a handler; schema names a component, media a non-JSON body. */
struct op_doc {
	handler_fn	 h;
	const char	*summary;
	int		 status;
	const char	*schema;	/* components/schemas name, NULL for no body */
	const char	*media;		/* NULL: application/json */
	const char	*errors;	/* further statuses this handler answers, comma separated */
	int		 nodb;		/* never reads the database, so never answers 503 */
};

static const struct op_doc docs[] = {
	{ h_login, "Log in with a password (OAuth2 password form)", 200, "LoginResponse", NULL, "401,403,429", 0 },
	{ h_me, "The caller", 200, "UserResponse", NULL, "", 0 },
	{ h_permissions, "The caller's capabilities", 200, "Permissions", NULL, "", 0 },
	{ h_verify, "Forward authentication: the caller, if it meets ?role= and ?cap=", 200, "UserResponse", NULL, "403",
	    0 },
	{ h_refresh, "A new token pair for a refresh token", 200, "TokenResponse", NULL, "401,403", 0 },
	{ h_logout, "Revoke every session of the caller", 204, NULL, NULL, "401,403", 0 },
	{ h_config, "Public settings", 200, "AuthConfig", NULL, "", 1 },
	{ h_change_password, "Change one's own password", 204, NULL, NULL, "400,429", 0 },
	{ h_register, "Register (when enabled): a pending account", 201, "RegisterResponse", NULL, "403", 0 },
	{ h_keys_list, "One's own API keys", 200, "ApiKeyList", NULL, "", 0 },
	{ h_keys_create, "Create an API key (shown once)", 201, "ApiKeyCreated", NULL, "409", 0 },
	{ h_keys_delete, "Delete one's own API key", 204, NULL, NULL, "404", 0 },
	{ h_admin_keys_list, "Every API key", 200, "ApiKeyList", NULL, "", 0 },
	{ h_admin_keys_create, "Create an API key for a user", 201, "ApiKeyCreated", NULL, "404,409", 0 },
	{ h_admin_keys_delete, "Delete an API key", 204, NULL, NULL, "404", 0 },
	{ h_users_create, "Create a user", 201, "UserResponse", NULL, "409", 0 },
	{ h_users_list, "List users", 200, "UserList", NULL, "", 0 },
	{ h_users_names, "User names and ids", 200, "UserNames", NULL, "", 0 },
	{ h_users_export, "Export users as CSV", 200, NULL, "text/csv", "", 0 },
	{ h_users_get, "One user", 200, "UserResponse", NULL, "404", 0 },
	{ h_users_update, "Change a user", 200, "UserResponse", NULL, "404,409,422", 0 },
	{ h_users_delete, "Delete a user", 204, NULL, NULL, "400,404", 0 },
	{ h_users_deactivate, "Disable a user", 200, "UserResponse", NULL, "400,404,409", 0 },
	{ h_users_approve, "Approve a pending user with a role", 200, "UserResponse", NULL, "404,409", 0 },
	{ h_users_reject, "Reject (delete) a pending user", 204, NULL, NULL, "404,409", 0 },
	{ h_users_reset_password, "Set a user's password", 204, NULL, NULL, "404,422", 0 },
	{ h_stats, "User counts", 200, "Stats", NULL, "", 0 },
	{ h_audit_list, "The audit trail", 200, "AuditLogList", NULL, "", 0 },
	{ h_audit_export, "Export the audit trail (csv or json)", 200, NULL, "text/csv", "", 0 },
	{ h_audit_verify, "The audit chain's verification state", 200, "AuditVerify", NULL, "", 0 },
	{ h_health, "Liveness: the database answers a read and the audit key is loaded (503 otherwise)", 200,
	    "Health", NULL, "", 0 },
	{ h_openapi, "This document", 200, "OpenAPI", NULL, "", 1 },
	{ h_setup, "The first admin of an empty database, with the configured setup_token", 201, "UserResponse", NULL,
	    "403,404,409", 0 },
};

static const char *const reasons[][2] = {
	{ "400", "Bad Request" }, { "401", "Not authenticated" }, { "403", "Forbidden" }, { "404", "Not Found" },
	{ "409", "Conflict" }, { "413", "Request body too large" }, { "422", "Validation Error" },
	{ "429", "Too many failed logins; wait Retry-After seconds" },
	{ "503", "The database is busy or unavailable; retry after Retry-After seconds" },
};

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *
ref(const char *component)
{
	json_object	*o = json_object_new_object();
	char		 path[128];

	snprintf(path, sizeof(path), "#/components/schemas/%s", component);
	json_object_object_add(o, "$ref", jstr(path));
	return o;
}

/* Parses a small JSON literal (the response shapes below); they are constants, so a failure is a bug. */
static json_object *
lit(const char *json)
{
	json_object *o = json_tokener_parse(json);

	if (o == NULL) {
		log_err("openapi: invalid built-in schema %.40s", json);
		o = json_object_new_object();
	}
	return o;
}

/* The JSON Schema of one field of a body or query (schemas.c's struct field). */
static json_object *
field_schema(const struct field *f)
{
	json_object	*s = json_object_new_object(), *e;
	const char	*type = "string";

	switch (f->type) {
	case FT_BOOL: type = "boolean"; break;
	case FT_INT: type = "integer"; break;
	default: break;
	}
	if (f->nullable) {
		json_object *t = json_object_new_array();
		json_object_array_add(t, jstr(type));
		json_object_array_add(t, jstr("null"));
		json_object_object_add(s, "type", t);
	} else
		json_object_object_add(s, "type", jstr(type));
	switch (f->type) {
	case FT_STRING:
		if (f->exact != NULL) {
			char pat[128];
			snprintf(pat, sizeof(pat), "^%s$", f->exact);
			json_object_object_add(s, "pattern", jstr(pat));
		}
		break;
	case FT_SECRET:
		json_object_object_add(s, "format", jstr("password"));
		json_object_object_add(s, "writeOnly", json_object_new_boolean(1));
		break;
	case FT_PASSWORD:
		json_object_object_add(s, "format", jstr("password"));
		json_object_object_add(s, "writeOnly", json_object_new_boolean(1));
		json_object_object_add(s, "minLength", json_object_new_int64((int64_t)cfg.password_min_length));
		json_object_object_add(s, "maxLength", json_object_new_int64(256));
		break;
	case FT_EMAIL:
		json_object_object_add(s, "format", jstr("email"));
		break;
	case FT_ROLE:
		e = json_object_new_array();
		for (int r = 1; r < ROLE__MAX; r++)
			json_object_array_add(e, jstr(role_name((enum role)r)));
		json_object_object_add(s, "enum", e);
		break;
	case FT_LITERAL:
		e = json_object_new_array();
		for (const char *const *l = f->lit; l != NULL && *l != NULL; l++)
			json_object_array_add(e, jstr(*l));
		json_object_object_add(s, "enum", e);
		break;
	case FT_STATUS:
		/* What PATCH accepts under the configured status_names (validate.c): "disabled" only under published. */
		e = json_object_new_array();
		json_object_array_add(e, jstr("active"));
		if (cfg.status_names == STATUS_NAMES_PUBLISHED)
			json_object_array_add(e, jstr("disabled"));
		json_object_array_add(e, jstr("suspended"));
		json_object_array_add(e, jstr("deactivated"));
		json_object_object_add(s, "enum", e);
		break;
	case FT_INT:
		json_object_object_add(s, "minimum", json_object_new_int64(f->imin));
		json_object_object_add(s, "maximum", json_object_new_int64(f->imax));
		break;
	case FT_UUID:
		json_object_object_add(s, "format", jstr("uuid"));
		break;
	case FT_DATETIME:
		json_object_object_add(s, "format", jstr("date-time"));
		break;
	default:
		break;
	}
	if ((f->type == FT_STRING || f->type == FT_SECRET) && f->max > 0) {
		json_object_object_add(s, "minLength", json_object_new_int64((int64_t)f->min));
		json_object_object_add(s, "maxLength", json_object_new_int64((int64_t)f->max));
	}
	if (f->dflt != NULL) {
		if (f->type == FT_INT)
			json_object_object_add(s, "default", json_object_new_int64(strtoll(f->dflt, NULL, 10)));
		else if (f->type == FT_BOOL)
			json_object_object_add(s, "default", json_object_new_boolean(strcmp(f->dflt, "true") == 0));
		else
			json_object_object_add(s, "default", jstr(f->dflt));
	}
	return s;
}

/* A request body's object schema from its field table. */
static json_object *
body_schema(const struct schema *sc)
{
	json_object	*o = json_object_new_object(), *props = json_object_new_object(),
			*req = json_object_new_array();

	json_object_object_add(o, "type", jstr("object"));
	for (size_t i = 0; i < sc->nfields; i++) {
		json_object_object_add(props, sc->fields[i].name, field_schema(&sc->fields[i]));
		if (sc->fields[i].required)
			json_object_array_add(req, jstr(sc->fields[i].name));
	}
	json_object_object_add(o, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(o, "required", req);
	else
		json_object_put(req);
	return o;
}

static const struct op_doc *
doc_of(handler_fn h)
{
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		if (docs[i].h == h)
			return &docs[i];
	return NULL;
}

/*
 * Adds the error answer status to responses unless present. A 422 is the validation list (HTTPValidationError);
 * with handler_422 also the problem shape with a string detail, which a handler's own 422 guard sends
 * (ERR_UNPROCESSABLE, err.c): the handler-specific statuses are added first, so theirs wins.
 */
static void
add_error(json_object *responses, const char *status, int handler_422)
{
	json_object *r, *c, *m, *schema;

	if (json_object_object_get_ex(responses, status, NULL))
		return;
	r = json_object_new_object();
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i][0], status) == 0)
			json_object_object_add(r, "description", jstr(reasons[i][1]));
	if (!json_object_object_get_ex(r, "description", NULL))
		json_object_object_add(r, "description", jstr("Error"));
	c = json_object_new_object();
	m = json_object_new_object();
	if (strcmp(status, "422") != 0)
		schema = ref("Problem");
	else if (!handler_422)
		schema = ref("HTTPValidationError");
	else {
		json_object *one = json_object_new_array();

		json_object_array_add(one, ref("HTTPValidationError"));
		json_object_array_add(one, ref("Problem"));
		schema = json_object_new_object();
		json_object_object_add(schema, "oneOf", one);
	}
	json_object_object_add(m, "schema", schema);
	json_object_object_add(c, "application/json", m);
	json_object_object_add(r, "content", c);
	json_object_object_add(responses, status, r);
}

/* "/admin/users/{}" -> "/admin/users/{user_id}", and an operationId from the method and the path. */
static void
path_names(const struct route *rt, char *path, size_t psz, char *opid, size_t osz)
{
	const char	*name = rt->param == P_USER_ID ? "{user_id}" : rt->param == P_KEY_ID ? "{key_id}" : "{format}";
	size_t		 n = 0, o = 0;
	const char	*m = method_str(rt->method);

	for (; *m != '\0' && o + 1 < osz; m++)
		opid[o++] = (char)(*m >= 'A' && *m <= 'Z' ? *m - 'A' + 'a' : *m);
	for (const char *p = rt->pattern; *p != '\0' && n + 12 < psz; p++) {
		if (p[0] == '{' && p[1] == '}') {
			n += (size_t)snprintf(path + n, psz - n, "%s", name);
			for (const char *q = name + 1; *q != '}' && o + 1 < osz; q++)
				opid[o++] = *q;
			p++;
			continue;
		}
		path[n++] = *p;
		if (o + 1 < osz)
			opid[o++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
	}
	path[n] = '\0';
	opid[o] = '\0';
}

static json_object *
operation(const struct route *rt)
{
	const struct op_doc	*d = doc_of(rt->handler);
	json_object		*op = json_object_new_object(), *responses = json_object_new_object(), *ok, *params;
	char			 path[256], opid[256], code[8];

	path_names(rt, path, sizeof(path), opid, sizeof(opid));
	json_object_object_add(op, "operationId", jstr(opid));
	json_object_object_add(op, "summary", jstr(d != NULL ? d->summary : path));
	{
		json_object	*tags = json_object_new_array();
		char		 tag[32];
		const char	*s = rt->pattern + 1, *e = strchr(s, '/');
		size_t		 len = e != NULL ? (size_t)(e - s) : strlen(s);

		snprintf(tag, sizeof(tag), "%.*s", (int)(len < sizeof(tag) ? len : sizeof(tag) - 1), s);
		json_object_array_add(tags, jstr(tag));
		json_object_object_add(op, "tags", tags);
	}
	if (rt->cap != CAP_NONE) {
		static const char *const schemes[] = { "bearer", "apiKeyHeader", "apiKeyQuery" };
		json_object *sec = json_object_new_array();

		for (size_t i = 0; i < 3; i++) {
			json_object *one = json_object_new_object();
			json_object_object_add(one, schemes[i], json_object_new_array());
			json_object_array_add(sec, one);
		}
		json_object_object_add(op, "security", sec);
		if (rt->cap > CAP_USER) {
			char desc[96];
			snprintf(desc, sizeof(desc), "Needs the capability %s.", cap_name(rt->cap));
			json_object_object_add(op, "description", jstr(desc));
			/* The same, for tools (tests/openapi-sweep.py): an OpenAPI specification extension. */
			json_object_object_add(op, "x-capability", jstr(cap_name(rt->cap)));
		}
	} else if (rt->handler == h_refresh || rt->handler == h_logout) {
		json_object *sec = json_object_new_array(), *none = json_object_new_object(),
		    *cookie = json_object_new_object();
		json_object_object_add(cookie, "refreshCookie", json_object_new_array());
		json_object_array_add(sec, none);
		json_object_array_add(sec, cookie);
		json_object_object_add(op, "security", sec);
	} else
		json_object_object_add(op, "security", json_object_new_array());

	if (rt->rate != RATE_NONE) {
		/* The per-client limit that applies (429 past it), named as its setting rate_limit_<name>. */
		static const char *const rate_names[RATE__MAX] = {
			[RATE_ADMIN_WRITE] = "admin_writes", [RATE_REFRESH] = "refresh", [RATE_REGISTER] = "register",
		};
		json_object_object_add(op, "x-rate-limit", jstr(rate_names[rt->rate]));
	}

	params = json_object_new_array();
	if (rt->param != P_NONE) {
		json_object *p = json_object_new_object(), *s;

		json_object_object_add(p, "name", jstr(rt->param == P_USER_ID ? "user_id" :
		    rt->param == P_KEY_ID ? "key_id" : "format"));
		json_object_object_add(p, "in", jstr("path"));
		json_object_object_add(p, "required", json_object_new_boolean(1));
		if (rt->param == P_FORMAT)
			s = lit("{\"type\":\"string\",\"enum\":[\"csv\",\"json\"]}");
		else
			s = lit("{\"type\":\"string\",\"format\":\"uuid\"}");
		json_object_object_add(p, "schema", s);
		json_object_array_add(params, p);
	}
	if (rt->query != NULL)
		for (size_t i = 0; i < rt->query->nfields; i++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "name", jstr(rt->query->fields[i].name));
			json_object_object_add(p, "in", jstr("query"));
			json_object_object_add(p, "required", json_object_new_boolean(rt->query->fields[i].required));
			json_object_object_add(p, "schema", field_schema(&rt->query->fields[i]));
			json_object_array_add(params, p);
		}
	if (json_object_array_length(params) > 0)
		json_object_object_add(op, "parameters", params);
	else
		json_object_put(params);

	if (rt->schema != NULL) {
		json_object *rb = json_object_new_object(), *content = json_object_new_object(), *m;

		json_object_object_add(rb, "required", json_object_new_boolean(!rt->schema->optional));
		m = json_object_new_object();
		json_object_object_add(m, "schema", ref(rt->schema->name));
		json_object_object_add(content, "application/json", m);
		if (rt->schema->form) {
			m = json_object_new_object();
			json_object_object_add(m, "schema", ref(rt->schema->name));
			json_object_object_add(content, "application/x-www-form-urlencoded", m);
			m = json_object_new_object();
			json_object_object_add(m, "schema", ref(rt->schema->name));
			json_object_object_add(content, "multipart/form-data", m);
		}
		json_object_object_add(rb, "content", content);
		json_object_object_add(op, "requestBody", rb);
	}

	ok = json_object_new_object();
	json_object_object_add(ok, "description", jstr(d != NULL ? d->summary : "Success"));
	if (d == NULL || d->schema != NULL || d->media != NULL) {
		json_object *c = json_object_new_object(), *m = json_object_new_object();

		if (d != NULL && d->media != NULL)
			json_object_object_add(m, "schema", lit("{\"type\":\"string\"}"));
		else
			json_object_object_add(m, "schema", d != NULL ? ref(d->schema) : json_object_new_object());
		json_object_object_add(c, d != NULL && d->media != NULL ? d->media : "application/json", m);
		if (rt->handler == h_audit_export) {
			m = json_object_new_object();
			json_object_object_add(m, "schema", lit("{\"type\":\"array\",\"items\":{\"type\":\"object\"}}"));
			json_object_object_add(c, "application/json", m);
		}
		json_object_object_add(ok, "content", c);
	}
	snprintf(code, sizeof(code), "%d", d != NULL ? d->status : 200);
	json_object_object_add(responses, code, ok);
	if (d != NULL && d->errors[0] != '\0') {
		char list[64], *save = NULL;

		snprintf(list, sizeof(list), "%s", d->errors);
		for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
			add_error(responses, t, 1);
	}
	/*
	 * 403: a caller without the route's capability (routes.c), or, where any signed-in user may call, a read-only
	 * API key on a write (auth_resolve); a read that only needs a signed-in user has no 403.
	 */
	if (rt->cap != CAP_NONE) {
		add_error(responses, "401", 0);
		if (rt->cap > CAP_USER || (rt->method != M_GET && rt->method != M_HEAD))
			add_error(responses, "403", 0);
	}
	if (rt->param != P_NONE)
		add_error(responses, "404", 0);
	if (rt->schema != NULL)
		add_error(responses, "413", 0);
	if (rt->rate != RATE_NONE)
		add_error(responses, "429", 0);
	if (rt->schema != NULL || rt->query != NULL || rt->param != P_NONE)
		add_error(responses, "422", 0);
	if (d == NULL || !d->nodb)
		add_error(responses, "503", 0);
	json_object_object_add(op, "responses", responses);
	return op;
}

/* Response shapes (the handlers' writers in h_*.c) and the error bodies (err.c). */
static const char *const components[][2] = {
	{ "Problem", "{\"type\":\"object\",\"required\":[\"type\",\"title\",\"status\",\"detail\"],\"properties\":{"
	    "\"type\":{\"const\":\"about:blank\"},\"title\":{\"type\":\"string\"},\"status\":{\"type\":\"integer\"},"
	    "\"detail\":{\"type\":\"string\"}}}" },
	{ "ValidationError", "{\"type\":\"object\",\"required\":[\"type\",\"loc\",\"msg\",\"input\"],\"properties\":{"
	    "\"type\":{\"type\":\"string\"},\"loc\":{\"type\":\"array\",\"items\":{\"type\":[\"string\",\"integer\"]}},"
	    "\"msg\":{\"type\":\"string\"},\"input\":{},\"ctx\":{\"type\":\"object\"}}}" },
	{ "HTTPValidationError", "{\"type\":\"object\",\"required\":[\"type\",\"title\",\"status\",\"detail\"],"
	    "\"properties\":{\"type\":{\"const\":\"about:blank\"},\"title\":{\"const\":\"Validation Error\"},"
	    "\"status\":{\"const\":422},\"detail\":{\"type\":\"array\",\"items\":"
	    "{\"$ref\":\"#/components/schemas/ValidationError\"}}}}" },
	{ "TokenResponse", "{\"type\":\"object\",\"required\":[\"access_token\",\"refresh_token\",\"token_type\","
	    "\"expires_in\"],\"properties\":{\"access_token\":{\"type\":\"string\"},\"refresh_token\":{\"type\":"
	    "[\"string\",\"null\"]},\"token_type\":{\"const\":\"bearer\"},\"expires_in\":{\"type\":\"integer\"}}}" },
	{ "UserResponse", "{\"type\":\"object\",\"required\":[\"id\",\"username\",\"email\",\"is_active\",\"status\","
	    "\"last_login_at\",\"created_at\",\"roles\"],\"properties\":{\"id\":{\"type\":\"string\",\"format\":"
	    "\"uuid\"},\"username\":{\"type\":\"string\"},\"email\":{\"type\":[\"string\",\"null\"]},\"is_active\":"
	    "{\"type\":\"boolean\"},\"status\":{\"type\":\"string\"},\"last_login_at\":{\"type\":[\"string\",\"null\"],"
	    "\"format\":\"date-time\"},\"created_at\":{\"type\":\"string\",\"format\":\"date-time\"},\"roles\":{\"type\":"
	    "\"array\",\"items\":{\"type\":\"string\"}},\"quota_usage\":{\"type\":[\"object\",\"null\"]}}}" },
	{ "SiteSession", "{\"type\":\"object\",\"required\":[\"token_type\",\"expires_in\",\"user\"],\"properties\":"
	    "{\"token_type\":{\"const\":\"session\"},\"expires_in\":{\"type\":\"integer\"},\"user\":{\"$ref\":"
	    "\"#/components/schemas/UserResponse\"}}}" },
	{ "LoginResponse", "{\"oneOf\":[{\"$ref\":\"#/components/schemas/TokenResponse\"},{\"$ref\":"
	    "\"#/components/schemas/SiteSession\"}],\"description\":\"A token pair; a login posted through a protected "
	    "site's session mode answers with the session cookie and SiteSession instead.\"}" },
	{ "UserList", "{\"type\":\"object\",\"required\":[\"users\",\"total\"],\"properties\":{\"users\":{\"type\":"
	    "\"array\",\"items\":{\"$ref\":\"#/components/schemas/UserResponse\"}},\"total\":{\"type\":\"integer\"}}}" },
	{ "UserNames", "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"id\",\"username\"],"
	    "\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},\"username\":{\"type\":\"string\"}}}}" },
	{ "Permissions", "{\"type\":\"object\",\"required\":[\"permissions\"],\"properties\":{\"permissions\":"
	    "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"boolean\"}}}}" },
	{ "AuthConfig", "{\"type\":\"object\",\"required\":[\"registration_enabled\"],\"properties\":{"
	    "\"registration_enabled\":{\"type\":\"boolean\"},\"allow_signup\":{\"type\":\"boolean\"},"
	    "\"password_login_enabled\":{\"type\":\"boolean\"}}}" },
	{ "RegisterResponse", "{\"type\":\"object\",\"required\":[\"message\",\"next_step\"],\"properties\":{"
	    "\"message\":{\"type\":\"string\"},\"next_step\":{\"type\":\"string\"}}}" },
	{ "ApiKeyListItem", "{\"type\":\"object\",\"required\":[\"id\",\"name\",\"fingerprint\",\"is_active\","
	    "\"expires_at\",\"scope\",\"created_at\",\"last_used_at\"],\"properties\":{\"id\":{\"type\":\"string\","
	    "\"format\":\"uuid\"},\"user_id\":{\"type\":\"string\",\"format\":\"uuid\"},\"name\":{\"type\":\"string\"},"
	    "\"fingerprint\":{\"type\":\"string\"},\"is_active\":{\"type\":\"boolean\"},\"expires_at\":{\"type\":"
	    "[\"string\",\"null\"]},\"scope\":{\"enum\":[\"full\",\"read_only\"]},\"created_at\":{\"type\":\"string\"},"
	    "\"last_used_at\":{\"type\":[\"string\",\"null\"]}}}" },
	{ "ApiKeyList", "{\"type\":\"object\",\"required\":[\"items\",\"total\"],\"properties\":{\"items\":{\"type\":"
	    "\"array\",\"items\":{\"$ref\":\"#/components/schemas/ApiKeyListItem\"}},\"total\":{\"type\":\"integer\"}}}" },
	{ "ApiKeyCreated", "{\"type\":\"object\",\"required\":[\"id\",\"key\",\"fingerprint\",\"name\",\"expires_at\","
	    "\"scope\",\"created_at\"],\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},\"key\":"
	    "{\"type\":\"string\",\"pattern\":\"^gak_\"},\"fingerprint\":{\"type\":\"string\"},\"name\":{\"type\":"
	    "\"string\"},\"expires_at\":{\"type\":[\"string\",\"null\"]},\"scope\":{\"enum\":[\"full\",\"read_only\"]},"
	    "\"created_at\":{\"type\":\"string\"}}}" },
	{ "Stats", "{\"type\":\"object\",\"required\":[\"users_by_status\",\"total_users\"],\"properties\":{"
	    "\"users_by_status\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}},"
	    "\"total_users\":{\"type\":\"integer\"}}}" },
	{ "AuditLog", "{\"type\":\"object\",\"required\":[\"id\",\"user_id\",\"username\",\"action\",\"resource_type\","
	    "\"resource_id\",\"resource_name\",\"details\",\"ip_address\",\"created_at\"],\"properties\":{\"id\":"
	    "{\"type\":[\"string\",\"null\"]},\"user_id\":{\"type\":[\"string\",\"null\"]},\"username\":{\"type\":"
	    "[\"string\",\"null\"]},\"action\":{\"type\":\"string\"},\"resource_type\":{\"type\":[\"string\",\"null\"]},"
	    "\"resource_id\":{\"type\":[\"string\",\"null\"]},\"resource_name\":{\"type\":[\"string\",\"null\"]},"
	    "\"details\":{},\"ip_address\":{\"type\":[\"string\",\"null\"]},\"created_at\":{\"type\":\"string\"}}}" },
	{ "AuditLogList", "{\"type\":\"object\",\"required\":[\"logs\",\"total\"],\"properties\":{\"logs\":{\"type\":"
	    "\"array\",\"items\":{\"$ref\":\"#/components/schemas/AuditLog\"}},\"total\":{\"type\":\"integer\"}}}" },
	{ "AuditVerify", "{\"type\":\"object\",\"required\":[\"valid\",\"rows\",\"head\",\"broken_at_row\","
	    "\"reason\"],\"properties\":{\"valid\":{\"type\":\"boolean\"},\"rows\":{\"type\":\"integer\"},"
	    "\"head\":{\"type\":\"string\",\"pattern\":\"^[0-9]+:[0-9a-f]{64}$\"},\"broken_at_row\":{\"type\":"
	    "[\"integer\",\"null\"]},\"reason\":{\"type\":[\"string\",\"null\"]}}}" },
	{ "Health", "{\"type\":\"object\",\"required\":[\"status\"],\"properties\":{\"status\":{\"type\":"
	    "\"string\"}}}" },
	{ "OpenAPI", "{\"type\":\"object\",\"required\":[\"openapi\",\"info\",\"paths\"],\"properties\":{"
	    "\"openapi\":{\"const\":\"3.1.0\"},\"info\":{\"type\":\"object\"},\"paths\":{\"type\":\"object\"}}}" },
};

static json_object *
build(void)
{
	json_object	*doc = json_object_new_object(), *paths = json_object_new_object(),
			*comps = json_object_new_object(), *schemas = json_object_new_object();
	const struct route *rt;

	json_object_object_add(doc, "openapi", jstr("3.1.0"));
	json_object_object_add(doc, "info", lit("{\"title\":\"gatehouse\",\"version\":\"" PACKAGE_VERSION "\","
	    "\"summary\":\"User administration and login, wire-compatible with the GeoLens user-administration API\","
	    "\"description\":\"Every path answers with and without a trailing slash. Errors are "
	    "{type, title, status, detail}; a 422's detail lists every problem of the request.\","
	    "\"license\":{\"name\":\"ISC\",\"identifier\":\"ISC\"}}"));
	json_object_object_add(doc, "servers", lit("[{\"url\":\"/api\",\"description\":\"the usual mount point\"}]"));
	for (size_t i = 0; (rt = route_at(i)) != NULL; i++) {
		char		 path[256], opid[256], m[16];
		json_object	*item;
		const char	*ms = method_str(rt->method);
		size_t		 k;

		path_names(rt, path, sizeof(path), opid, sizeof(opid));
		if (!json_object_object_get_ex(paths, path, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, path, item);
		}
		for (k = 0; ms[k] != '\0' && k + 1 < sizeof(m); k++)
			m[k] = (char)(ms[k] - 'A' + 'a');
		m[k] = '\0';
		json_object_object_add(item, m, operation(rt));
		if (rt->schema != NULL && !json_object_object_get_ex(schemas, rt->schema->name, NULL))
			json_object_object_add(schemas, rt->schema->name, body_schema(rt->schema));
	}
	json_object_object_add(doc, "paths", paths);
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
		json_object_object_add(schemas, components[i][0], lit(components[i][1]));
	json_object_object_add(comps, "schemas", schemas);
	json_object_object_add(comps, "securitySchemes", lit("{"
	    "\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\",\"description\":\"An access token from /auth/login "
	    "(gat_...).\"},"
	    "\"apiKeyHeader\":{\"type\":\"apiKey\",\"in\":\"header\",\"name\":\"X-Api-Key\",\"description\":"
	    "\"An API key (gak_...); read first.\"},"
	    "\"apiKeyQuery\":{\"type\":\"apiKey\",\"in\":\"query\",\"name\":\"api_key\",\"description\":"
	    "\"Deprecated: an API key in the URL (api_key_query = off refuses it).\"},"
	    "\"refreshCookie\":{\"type\":\"apiKey\",\"in\":\"cookie\",\"name\":\"geolens_refresh\",\"description\":"
	    "\"Cookie mode: the refresh token, with the geolens_csrf cookie repeated in X-CSRF-Token.\"}}"));
	json_object_object_add(doc, "components", comps);
	return doc;
}

const char *
openapi_json(void)
{
	static char	*text;
	json_object	*doc;

	if (text != NULL)
		return text;
	doc = build();
	text = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return text != NULL ? text : "{}";
}

enum err
h_openapi(struct req *r, struct reply *rep)
{
	(void)r;
	reply_json_begin(rep, 200);
	buf_puts(&rep->body, openapi_json());
	return ERR_OK;
}
