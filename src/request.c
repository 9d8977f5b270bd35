/*
 * request.c: turns what the web server handed over (CGI variables and the body) into a struct req, runs the
 * dispatcher, and writes the CGI response (Status line, headers, body) into one buffer. Nothing here touches
 * the socket, so tests and fuzzers drive the whole request path in process.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "gatehouse.h"

/* A decoded path: no C0 control or DEL, and UTF-8. 0 or -1. */
static int
decoded_path_ok(const char *p, size_t n)
{
	size_t i, bad;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	return utf8_check(p, n, &bad);
}

/*
 * The request path as the client sent it (REQUEST_URI before '?'), judged alike in every deployment (issue 14
 * section 4): nginx refuses a malformed percent-escape and a decoded NUL with 400, lighttpd (url-ctrls-reject)
 * any decoded control character and some invalid UTF-8. Whatever reaches us is held to the union of both: a
 * malformed escape, a decoded C0 control or DEL, or bytes that are not UTF-8 make the path invalid. 0 or -1.
 */
static int
raw_path_ok(struct arena *a, const char *s, size_t n)
{
	char	*p;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2])))
			return -1;
	if ((p = arena_strndup(a, s, n)) == NULL)
		return -1;
	return decoded_path_ok(p, pct_decode(p, n, 0));
}

/*
 * Removes dot segments (RFC 3986 section 5.2.4) and merges repeated slashes of a decoded path, in place, as nginx
 * (merge_slashes) and lighttpd (url-path-dotseg-remove) do before a path reaches us. -1 when ".." climbs above
 * the root, which nginx answers 400. A path that does not start with '/' is left alone.
 */
static int
path_normalize(char *p)
{
	char	*in = p, *out = p;	/* out never passes in */
	size_t	 len;

	if (*p != '/')
		return 0;
	while (*in == '/') {
		while (in[1] == '/')
			in++;
		len = strcspn(in + 1, "/");
		if (len == 1 && in[1] == '.') {
			in += 2;
			if (*in == '\0')
				*out++ = '/';	/* "/a/." is "/a/" */
			continue;
		}
		if (len == 2 && in[1] == '.' && in[2] == '.') {
			if (out == p)
				return -1;
			while (out > p && *--out != '/')
				;	/* out is back on the '/' that began the last segment */
			in += 3;
			if (*in == '\0')
				*out++ = '/';
			continue;
		}
		memmove(out, in, len + 1);
		out += len + 1;
		in += len + 1;
	}
	*out = '\0';
	return 0;
}

/*
 * The route path: PATH_INFO when the server sets it (already decoded and normalised by the server), else the
 * request path minus SCRIPT_NAME, percent-decoded and normalised as a server would (SPEC §1). Either way the
 * path as sent (REQUEST_URI) must pass raw_path_ok, and PATH_INFO must hold no control character: otherwise
 * r->bad_path, a 400 in every deployment (tests/bats/37-one-route.bats).
 */
void
request_route_path(struct req *r, const struct cgi_env *env)
{
	const char	*uri, *q;
	char		*p;
	size_t		 n, sn;

	uri = env->request_uri != NULL ? env->request_uri : "";
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	r->path = "/";
	if (raw_path_ok(r->arena, uri, n) == -1) {
		r->bad_path = 1;
		return;
	}
	if (env->path_info != NULL && env->path_info[0] != '\0') {
		if (decoded_path_ok(env->path_info, strlen(env->path_info)) == -1)
			r->bad_path = 1;
		else
			r->path = env->path_info;
		return;
	}
	if ((p = arena_strndup(r->arena, uri, n)) == NULL)
		return;
	n = pct_decode(p, n, 0);
	p[n] = '\0';
	if (path_normalize(p) == -1) {
		r->bad_path = 1;
		return;
	}
	sn = env->script_name != NULL ? strlen(env->script_name) : 0;
	if (sn > 0 && strncmp(p, env->script_name, sn) == 0 && (p[sn] == '/' || p[sn] == '\0'))
		p += sn;
	r->path = *p != '\0' ? p : "/";
}
/* Overwrites the values of secret fields inside the parsed body before it is freed. */
static void
json_wipe_secrets(struct json_object *o)
{
	if (o == NULL || json_object_get_type(o) != json_type_object)
		return;
	json_object_object_foreach(o, k, v) {
		if (jw_is_secret_key(k) && json_object_get_type(v) == json_type_string)
			wipe((void *)(uintptr_t)json_object_get_string(v), (size_t)json_object_get_string_len(v));
	}
}

static void
write_head(struct req *r, struct reply *rep, struct buf *out)
{
	char num[24];

	buf_puts(out, "Status: ");
	buf_put(out, num, (size_t)snprintf(num, sizeof(num), "%d ", rep->status));
	buf_puts(out, http_reason(rep->status));
	if (rep->status != 204) {
		buf_puts(out, "\r\nContent-Type: ");
		buf_puts(out, rep->content_type != NULL ? rep->content_type : "application/json");
		if (rep->stream == NULL) {
			buf_puts(out, "\r\nContent-Length: ");
			buf_put(out, num, (size_t)snprintf(num, sizeof(num), "%zu", rep->body.len));
		}
	}
	buf_puts(out, "\r\n");
	if (rep->disposition != NULL)
		buf_printf(out, "Content-Disposition: %s\r\n", rep->disposition);
	buf_puts(out, "X-Request-ID: ");
	buf_puts(out, r->request_id);
	buf_puts(out, "\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Cache-Control: no-store\r\n"
	    "Referrer-Policy: strict-origin-when-cross-origin\r\n"
	    "Content-Security-Policy: frame-ancestors 'self'\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n");
	/* RFC 6797 §7.2: only over a secure transport; the reference's value. */
	if (r->secure)
		buf_puts(out, "Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n");
	buf_put(out, rep->hdr.p, rep->hdr.len);
	buf_puts(out, "\r\n");
}

/*
 * The web server's own request id (nginx: fastcgi_param REQUEST_ID $request_id), so that its access log and ours
 * name the same request. Only what the server sets: a client's X-Request-ID arrives as HTTP_X_REQUEST_ID and is
 * never read. 1 to 36 characters of [A-Za-z0-9._-]; anything else is replaced by our own UUID.
 */
static int
request_id_ok(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	n = strspn(id, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ._-");
	return n > 0 && n <= 36 && id[n] == '\0';
}

/*
 * The request's security event at warning level, once its outcome is known: failed logins and throttle blocks
 * always, revocations when they were committed. The address comes before the name, which a client chooses, so a
 * filter (fail2ban) anchored on "from <address>:" cannot be fooled by a crafted name.
 */
static void
log_event(const struct req *r, const struct reply *rep)
{
	const char *addr = r->remote_addr != NULL && r->remote_addr[0] != '\0' ? r->remote_addr : "-";
	const char *name = r->event_name != NULL ? r->event_name : "";

	if (r->event == NULL)
		return;
	/* A wrong current password on change-password is a password guess too (reason invalid_current_password). */
	if (strcmp(r->event, "user.login.failure") == 0 || strcmp(r->event, "user.change_password.failure") == 0)
		log_warn("login failure from %s: user \"%.600s\": %s", addr, name,
		    r->event_detail != NULL ? r->event_detail : "-");
	else if (strcmp(r->event, "login.throttled") == 0)
		log_warn("login throttled from %s: user \"%.600s\": %s", addr, name, rep->detail != NULL ?
		    rep->detail : "-");
	else if (rep->status < 400 || strcmp(r->event, "user.refresh.reuse_detected") == 0)
		log_warn("revocation from %s: %s of user \"%.600s\" (%s) by %s", addr, r->event, name,
		    r->event_detail != NULL ? r->event_detail : "-", r->authed && r->who.id[0] != '\0' ?
		    r->who.id : r->cli_actor != NULL ? r->cli_actor : "-");
}

void
app_handle(struct app *app, const struct cgi_env *env, const char *body, size_t body_len, int body_state,
    struct sink *sink)
{
	struct req	 r;
	struct reply	*rep = &app->reply;
	struct buf	*out = &app->out;
	int64_t		 t0 = now_us();
	long		 rows = 0;

	memset(&r, 0, sizeof(r));
	r.arena = &app->arena;
	r.now = t0;
	r.method_name = env->method != NULL ? env->method : "";
	r.method = method_parse(env->method);
	r.query = env->query != NULL ? env->query : "";
	r.content_type = env->content_type;
	r.authorization = env->authorization;
	r.api_key = env->api_key;
	r.remote_addr = net_client(r.arena, env->remote_addr, env->forwarded_for, env->real_ip);
	r.cli_actor = env->cli_actor;
	r.env = env;
	/* https: HTTPS=on from the server itself, or X-Forwarded-Proto: https added by a trusted proxy (TLS ended in
	   front of the web server). From any other peer that header is the client's own word, and ignored. */
	r.secure = header_is(env->https, "on") || header_is(env->https, "1") ||
	    (header_is(env->forwarded_proto, "https") && net_peer_trusted(env->remote_addr));
	r.body = body != NULL ? body : "";
	r.body_len = body_len;
	if (request_id_ok(env->request_id))
		memcpy(r.request_id, env->request_id, strlen(env->request_id) + 1);
	else
		uuid_v4(r.request_id);
	log_set_request(r.request_id);
	request_route_path(&r, env);

	rep->status = 200;
	rep->content_type = "application/json";
	rep->detail = NULL;
	rep->verrs = NULL;
	rep->stream = NULL;
	rep->stream_ctx = NULL;
	rep->disposition = NULL;
	buf_reset(&rep->hdr);
	buf_reset(&rep->body);
	buf_reset(out);

	if (body_state == BODY_TOO_LARGE)
		reply_finish(&r, rep, ERR_TOO_LARGE);
	else if (body_state == BODY_BAD_LENGTH)
		reply_finish(&r, rep, reply_error(rep, ERR_BAD_REQUEST, "Invalid Content-Length"));
	else if (body_state == BODY_SHORT)
		reply_finish(&r, rep, reply_error(rep, ERR_BAD_REQUEST,
		    "The request body is shorter than its Content-Length"));
	else
		dispatch(&r, rep);

	if (rep->body.failed || rep->hdr.failed) {
		log_err("out of memory building the response");
		buf_reset(&rep->hdr);
		buf_reset(&rep->body);
		rep->stream = NULL;
		rep->disposition = NULL;
		reply_finish(&r, rep, ERR_UNAVAILABLE);
	}
	write_head(&r, rep, out);
	if (rep->stream == NULL && rep->status != 204)
		buf_put(out, rep->body.p, rep->body.len);
	sink->write(sink->ctx, out->p, out->len);
	if (rep->stream != NULL && (rows = rep->stream(&r, rep, sink)) < 0)
		log_err("%s %s: the streamed response failed part way", r.method_name, r.path);
	log_event(&r, rep);
	/* The access line: client, user id or -, method and route, status, microseconds. */
	log_msg(rep->status >= 500 ? LOG_WARN : LOG_INFO, "%s %s \"%s %s\" %d %lldus",
	    r.remote_addr != NULL && r.remote_addr[0] != '\0' ? r.remote_addr : "-", r.authed && r.who.id[0] != '\0' ? r.who.id :
	    r.cli_actor != NULL ? r.cli_actor : "-",
	    r.method_name[0] != '\0' ? r.method_name : "-", r.path, rep->status, (long long)(now_us() - t0));
	json_wipe_secrets(r.json);
	json_object_put(r.json);
	log_set_request(NULL);
}
