/*
 * routes.c: the route table, which carries the policy of every endpoint (method, path, handler, required
 * capability, body schema), and the dispatcher that applies it in one order for every request:
 * route (404, 405) -> malformed JSON (422, before authentication, as the reference) -> credentials (401) ->
 * capability (403) -> validation (422) -> handler.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "gatehouse.h"

#define U CAP_MANAGE_USERS
#define S CAP_MANAGE_SETTINGS

/* First match wins among routes with the request's method; fixed segments come before "{}" where they overlap. */
static const struct route routes[] = {
	{ M_GET, "/health", h_health, CAP_NONE, NULL, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/auth/login", h_login, CAP_NONE, &schema_login, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/auth/me", h_me, CAP_USER, NULL, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/auth/me/permissions", h_permissions, CAP_USER, NULL, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/auth/refresh", h_refresh, CAP_NONE, &schema_refresh, NULL, P_NONE, RATE_REFRESH },
	{ M_POST, "/auth/logout", h_logout, CAP_NONE, &schema_refresh, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/auth/config", h_config, CAP_NONE, NULL, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/auth/change-password", h_change_password, CAP_USER, &schema_change_password, NULL,
	    P_NONE, RATE_NONE },
	{ M_GET, "/auth/verify", h_verify, CAP_USER, NULL, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/auth/register", h_register, CAP_NONE, &schema_register, NULL, P_NONE, RATE_REGISTER },
	{ M_GET, "/auth/api-keys", h_keys_list, CAP_USER, NULL, &query_page, P_NONE, RATE_NONE },
	{ M_POST, "/auth/api-keys", h_keys_create, CAP_USER, &schema_api_key_create, NULL, P_NONE,
	    RATE_ADMIN_WRITE },
	{ M_DELETE, "/auth/api-keys/{}", h_keys_delete, CAP_USER, NULL, NULL, P_KEY_ID, RATE_NONE },
	{ M_GET, "/admin/api-keys", h_admin_keys_list, U, NULL, &query_admin_keys, P_NONE, RATE_NONE },
	{ M_POST, "/admin/api-keys", h_admin_keys_create, U, &schema_admin_api_key_create, NULL,
	    P_NONE, RATE_ADMIN_WRITE },
	{ M_DELETE, "/admin/api-keys/{}", h_admin_keys_delete, U, NULL, NULL, P_KEY_ID, RATE_ADMIN_WRITE },
	{ M_POST, "/admin/users", h_users_create, U, &schema_admin_user_create, NULL, P_NONE, RATE_ADMIN_WRITE },
	{ M_GET, "/admin/users", h_users_list, U, NULL, &query_users_list, P_NONE, RATE_NONE },
	{ M_GET, "/admin/users/names", h_users_names, U, NULL, &query_users_names, P_NONE, RATE_NONE },
	{ M_GET, "/admin/users/export.csv", h_users_export, U, NULL, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/admin/users/{}", h_users_get, U, NULL, NULL, P_USER_ID, RATE_NONE },
	{ M_PATCH, "/admin/users/{}", h_users_update, U, &schema_user_update, NULL, P_USER_ID, RATE_ADMIN_WRITE },
	{ M_DELETE, "/admin/users/{}", h_users_delete, U, NULL, NULL, P_USER_ID, RATE_ADMIN_WRITE },
	{ M_POST, "/admin/users/{}/deactivate", h_users_deactivate, U, NULL, NULL, P_USER_ID, RATE_ADMIN_WRITE },
	{ M_POST, "/admin/users/{}/approve", h_users_approve, U, &schema_approve, NULL, P_USER_ID, RATE_ADMIN_WRITE },
	{ M_POST, "/admin/users/{}/reject", h_users_reject, U, NULL, NULL, P_USER_ID, RATE_ADMIN_WRITE },
	{ M_POST, "/admin/users/{}/reset-password", h_users_reset_password, U, &schema_reset_password, NULL,
	    P_USER_ID, RATE_ADMIN_WRITE },
	{ M_GET, "/admin/stats", h_stats, U, NULL, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/admin/audit-logs", h_audit_list, S, NULL, &query_audit_list, P_NONE, RATE_NONE },
	{ M_GET, "/admin/audit-logs/verify", h_audit_verify, S, NULL, NULL, P_NONE, RATE_NONE },
	{ M_GET, "/admin/audit-logs/export/{}", h_audit_export, S, NULL, &query_audit_export, P_FORMAT, RATE_NONE },
	{ M_GET, "/openapi.json", h_openapi, CAP_NONE, NULL, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/setup", h_setup, CAP_NONE, &schema_setup, NULL, P_NONE, RATE_NONE },
};

/*
 * Operations only gatehousectl reaches (struct req's cli_actor is set by nothing from the web): they go through
 * the same dispatcher, validation, transactions and audit trail as the API.
 */
static const struct route cli_routes[] = {
	{ M_POST, "/admin/users/{}/revoke", h_users_revoke, U, NULL, NULL, P_USER_ID, RATE_NONE },
	{ M_POST, "/admin/users/import", h_users_import, U, &schema_user_import, NULL, P_NONE, RATE_NONE },
	{ M_POST, "/admin/users/export-hashes", h_users_export_hashes, U, NULL, NULL, P_NONE, RATE_NONE },
};

#undef U
#undef S

const struct route *
route_at(size_t i)
{
	return i < sizeof(routes) / sizeof(routes[0]) ? &routes[i] : NULL;
}

/*
 * The routes the site session cookie (gatehouse_session) may authenticate, after API keys and bearer tokens: what
 * the sign-in and change-password pages and forward authentication need, and nothing of the admin API. Every other
 * route ignores the cookie, so a browser's ambient credential reaches no admin write at all.
 */
static const struct {
	handler_fn	 handler;
	enum site	 site;
} site_routes[] = {
	{ h_verify, SITE_FORWARD },
	{ h_me, SITE_API },
	{ h_permissions, SITE_API },
	{ h_logout, SITE_API },
	{ h_change_password, SITE_API },
};

static enum site
route_site(const struct route *rt)
{
	size_t i;

	for (i = 0; i < sizeof(site_routes) / sizeof(site_routes[0]); i++)
		if (site_routes[i].handler == rt->handler)
			return site_routes[i].site;
	return SITE_NONE;
}

static const char *const cap_names[CAP__MAX] = {
	[CAP_NONE] = "", [CAP_USER] = "",
	[CAP_UPLOAD] = "upload", [CAP_CREATE_LAYERS] = "create_layers", [CAP_EXPORT] = "export",
	[CAP_EDIT_METADATA] = "edit_metadata", [CAP_MANAGE_COLLECTIONS] = "manage_collections",
	[CAP_USE_AI_CHAT] = "use_ai_chat", [CAP_MANAGE_USERS] = "manage_users",
	[CAP_MANAGE_SETTINGS] = "manage_settings",
};


const char *
cap_name(enum cap c)
{
	return c < CAP__MAX ? cap_names[c] : "";
}

int
cap_granted(unsigned roles, enum cap c)
{
	if (c == CAP_NONE || c == CAP_USER)
		return 1;
	if (c >= CAP__MAX)
		return 0;
	for (int r = 1; r < ROLE__MAX; r++)
		if ((roles & ROLE_BIT(r)) && (cfg.role_caps[r] & CAP_BIT(c)))
			return 1;
	return 0;
}

static const char *const method_names[M__MAX] = {
	[M_GET] = "GET", [M_POST] = "POST", [M_PATCH] = "PATCH", [M_DELETE] = "DELETE", [M_PUT] = "PUT",
	[M_HEAD] = "HEAD", [M_OPTIONS] = "OPTIONS", [M_OTHER] = "",
};

enum method
method_parse(const char *s)
{
	int m;

	for (m = 0; m < M_OTHER; m++)
		if (s != NULL && strcmp(s, method_names[m]) == 0)
			return (enum method)m;
	return M_OTHER;
}

const char *
method_str(enum method m)
{
	return m < M__MAX ? method_names[m] : "";
}

/*
 * Matches a path against a pattern segment by segment; "{}" matches one non-empty segment, whose text goes to
 * params. One trailing slash on the path is ignored: every route answers with and without it.
 */
static int
route_match(const char *pattern, const char *path, const char *params[2], struct arena *a)
{
	size_t	 plen = strlen(path), np = 0;
	const char *p = pattern, *q = path;

	if (plen > 1 && path[plen - 1] == '/')
		plen--;
	while (*p != '\0') {
		const char *pe, *qe, *qend = path + plen;

		if (*p != '/' || q >= qend || *q != '/')
			return 0;
		p++, q++;
		pe = strchr(p, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		qe = memchr(q, '/', (size_t)(qend - q));
		if (qe == NULL)
			qe = qend;
		if (pe - p == 2 && p[0] == '{' && p[1] == '}') {
			if (qe == q || np >= 2)
				return 0;
			if (params != NULL)
				params[np] = arena_strndup(a, q, (size_t)(qe - q));
			np++;
		} else if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0)
			return 0;
		p = pe;
		q = qe;
	}
	return q == path + plen;
}

void
reply_json_begin(struct reply *rep, int status)
{
	rep->status = status;
	rep->content_type = "application/json";
	buf_reset(&rep->body);
}

enum err
reply_error(struct reply *rep, enum err e, const char *detail)
{
	rep->detail = detail;
	return e;
}

/*
 * A route the configuration switched off does not exist for the web: 404 whatever the method or body, before any
 * validation could reveal it. POST /setup exists only while setup_token is set.
 */
static int
route_enabled(const struct route *rt)
{
	return rt->handler != h_setup || cfg.setup_token[0] != '\0';
}

static void
dispatch_route(struct req *r, struct reply *rep)
{
	const struct route	*rt = NULL;
	size_t			 i, n = sizeof(routes) / sizeof(routes[0]);
	unsigned		 allow = 0;
	enum err		 e;

	if (r->bad_path) {
		reply_finish(r, rep, reply_error(rep, ERR_BAD_REQUEST, "Invalid request path"));
		return;
	}
	for (i = 0; i < n; i++) {
		if (!route_enabled(&routes[i]) || !route_match(routes[i].pattern, r->path, NULL, NULL))
			continue;
		allow |= 1u << routes[i].method;
		if (rt == NULL && routes[i].method == r->method)
			rt = &routes[i];
	}
	for (i = 0; r->cli_actor != NULL && rt == NULL && i < sizeof(cli_routes) / sizeof(cli_routes[0]); i++)
		if (cli_routes[i].method == r->method && route_match(cli_routes[i].pattern, r->path, NULL, NULL))
			rt = &cli_routes[i];
	if (rt == NULL) {
		if (allow == 0) {
			reply_finish(r, rep, ERR_NOT_FOUND);
			return;
		}
		buf_puts(&rep->hdr, "Allow: ");
		for (i = 0; i < M_OTHER; i++)
			if (allow & (1u << i)) {
				buf_puts(&rep->hdr, method_str((enum method)i));
				allow &= ~(1u << i);
				buf_puts(&rep->hdr, allow ? ", " : "\r\n");
			}
		reply_finish(r, rep, ERR_METHOD);
		return;
	}
	route_match(rt->pattern, r->path, r->params, r->arena);
	r->site = route_site(rt);

	if (rt->schema != NULL && r->body_len > 0 && is_json_type(r->content_type) && json_parse_body(r) == -1) {
		reply_finish(r, rep, ERR_VALIDATION);
		return;
	}
	r->cap = rt->cap;
	if (rt->cap != CAP_NONE && r->cli_actor != NULL) {
		/* The operator at the console: every capability, no user id (so no self rule applies). */
		memset(&r->who, 0, sizeof(r->who));
		r->who.username = (char *)r->cli_actor;
		r->who.status = STATUS_ACTIVE;
		r->who.roles = ROLE_BIT(ROLE_ADMIN);
		r->who.last_login_at = -1;
		r->authed = 1;
	} else if (rt->cap != CAP_NONE) {
		if (auth_resolve(r, rep, &e) == -1) {
			reply_finish(r, rep, e);
			if (r->site == SITE_FORWARD && (e == ERR_UNAUTHORIZED || e == ERR_TOKEN_EXPIRED))
				verify_unauthorized(r, rep);
			return;
		}
		if (!cap_granted(r->who.roles, rt->cap)) {
			reply_finish(r, rep, reply_error(rep, ERR_FORBIDDEN,
			    arena_printf(r->arena, "Missing permission: %s", cap_name(rt->cap))));
			return;
		}
	}
	/* Path, then query, then body: every problem of the request in one 422. */
	if (rt->param == P_USER_ID || rt->param == P_KEY_ID)
		validate_path_uuid(r, rt->param == P_USER_ID ? "user_id" : "key_id", r->params[0], r->id);
	if (rt->query != NULL)
		validate_query(r, rt->query);
	if (rt->schema != NULL)
		validate_body(r, rt->schema);
	if (r->verrs.n > 0) {
		reply_finish(r, rep, ERR_VALIDATION);
		return;
	}
	/* As the reference's limiter, which runs once the request has passed authentication and validation. The
	   operator at the console is not a client to limit. */
	if (rt->rate != RATE_NONE && r->cli_actor == NULL && (e = throttle_rate(r, rep, rt->rate)) != ERR_OK) {
		reply_finish(r, rep, e);
		return;
	}
	e = rt->handler(r, rep);
	reply_finish(r, rep, e);
}

void
dispatch(struct req *r, struct reply *rep)
{
	/* lighttpd's authorizer mode: the protected request itself, whatever its path. */
	if (r->env != NULL && header_is(r->env->fcgi_role, "AUTHORIZER"))
		authorize(r, rep);
	else
		dispatch_route(r, rep);
}

/*
 * Writes the error body for e (unless the handler already wrote a success body) and the headers that depend on
 * the outcome. Error bodies: {"type":"about:blank","title","status","detail"}; detail is the 422 array.
 */
void
reply_finish(struct req *r, struct reply *rep, enum err e)
{
	if (e == ERR_OK)
		return;
	if (rep->detail == NULL)
		rep->detail = err_detail(e);
	rep->status = err_status(e);
	rep->content_type = "application/json";
	buf_reset(&rep->body);
	buf_puts(&rep->body, "{\"type\":\"about:blank\",\"title\":");
	jw_cstr(&rep->body, err_title(e));
	buf_printf(&rep->body, ",\"status\":%d,\"detail\":", rep->status);
	if (e == ERR_VALIDATION)
		verrs_render(&rep->body, &r->verrs);
	else
		jw_cstr(&rep->body, rep->detail);
	buf_putc(&rep->body, '}');
	switch (e) {
	case ERR_UNAUTHORIZED:
	case ERR_LOGIN_FAILED:
	case ERR_NOT_AUTHENTICATED:
		buf_puts(&rep->hdr, "WWW-Authenticate: Bearer\r\n");
		break;
	case ERR_TOKEN_EXPIRED:
		buf_puts(&rep->hdr, "WWW-Authenticate: Bearer error=\"invalid_token\", "
		    "error_description=\"The access token expired\"\r\n");
		break;
	case ERR_UNAVAILABLE:
		buf_puts(&rep->hdr, "Retry-After: 1\r\n");
		break;
	default:
		break;
	}
}
