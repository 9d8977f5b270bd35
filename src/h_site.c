/*
 * h_site.c: browsers and forward authentication. The site session (the gatehouse_session cookie a login made with
 * X-Gatehouse-Auth-Mode: session sets), the same-origin check that guards it on unsafe methods, GET /auth/verify
 * for nginx's auth_request, and the FastCGI authorizer role for lighttpd. Both forward-authentication doors take
 * one decision, verify_decide.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse.h"

#define SESSION_COOKIE	"gatehouse_session"

static int
method_is_safe(const char *m)
{
	/* RFC 9110 §9.2.1 */
	return m == NULL || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0 ||
	    strcmp(m, "TRACE") == 0;
}

/* The host part of "host[:port]" or "[v6]:port": its length. */
static size_t
host_len(const char *h)
{
	const char *e;

	if (*h == '[')
		return (e = strchr(h, ']')) != NULL ? (size_t)(e - h) + 1 : strlen(h);
	return (e = strchr(h, ':')) != NULL ? (size_t)(e - h) : strlen(h);
}

/*
 * Cross-site request forgery defence for the session cookie, on top of SameSite=Lax (which already keeps the
 * cookie off cross-site POSTs): an unsafe method is accepted only from the same origin, following the OWASP CSRF
 * cheat sheet. Sec-Fetch-Site (Fetch Metadata), when the browser sends it, must be "same-origin". Otherwise Origin
 * must name this server's host (the Host the server passes); over https its scheme must be https. Ports are not
 * compared: cookies do not separate ports either (RFC 6265 §8.5), and Debian's nginx passes Host without one.
 * With neither header the request is refused: every browser that sends cookies on a POST sends one of them.
 * 1 when the request may proceed.
 */
static int
same_origin(const struct req *r, const char *method)
{
	const struct cgi_env	*env = r->env;
	const char		*o = env->origin, *h = env->host;
	size_t			 ol, hl;

	if (method_is_safe(method))
		return 1;
	if (env->fetch_site != NULL && *env->fetch_site != '\0')
		return header_is(env->fetch_site, "same-origin");
	if (o == NULL || h == NULL || *h == '\0')
		return 0;
	if (strncasecmp(o, "https://", 8) == 0)
		o += 8;
	else if (strncasecmp(o, "http://", 7) == 0 && !r->secure)
		o += 7;
	else
		return 0;
	ol = host_len(o);
	hl = host_len(h);
	/* After the host, the origin may only carry a port. */
	if (o[ol] != '\0' && (o[ol] != ':' || o[ol + 1 + strspn(o + ol + 1, "0123456789")] != '\0'))
		return 0;
	return ol > 0 && ol == hl && strncasecmp(o, h, ol) == 0;
}

/* The method the forward-authenticated request itself was made with. */
static const char *
original_method(const struct req *r)
{
	if (header_is(r->env->fcgi_role, "AUTHORIZER"))
		return r->method_name;
	/* nginx's auth_request subrequest is always a GET: the shipped configuration passes the real method. */
	if (r->env->original_method != NULL && *r->env->original_method != '\0')
		return r->env->original_method;
	return r->method_name;
}

/* A site session of an active user, within its absolute and idle lifetimes. */
static int
site_live(const struct req *r, const struct site_session *ss, const struct user *u)
{
	return u->status == STATUS_ACTIVE && ss->expires_at > r->now &&
	    ss->used_at + (int64_t)cfg.session_idle * 1000000 > r->now;
}

/*
 * auth_recheck's read for a caller authenticated by the session cookie, inside the write transaction: DB_OK and
 * the user when the session is still live, DB_NONE when it was revoked or ran out meanwhile.
 */
enum db_rc
site_recheck(struct req *r, struct user *u)
{
	struct site_session	 ss;
	enum db_rc		 rc;

	if ((rc = db_site_by_digest(r->arena, r->cred_digest, &ss, u)) == DB_OK && !site_live(r, &ss, u))
		rc = DB_NONE;
	return rc;
}

/*
 * The gatehouse_session cookie, when exactly one is sent: 1 and r->who set when it names a live session of an
 * active user (not revoked, within its absolute and idle lifetimes), 0 when not, -1 with *e set when the database
 * failed or an unsafe request came from another origin. Last use is written at most once a minute (or twice per
 * idle lifetime when that is shorter), so a page of many requests stays one write.
 */
int
site_resolve(struct req *r, struct reply *rep, enum err *e)
{
	struct site_session	 ss;
	unsigned char		 digest[32];
	const char		*v;
	size_t			 n;
	enum db_rc		 rc;
	int64_t			 step;

	if (r->site == SITE_NONE || r->env == NULL ||
	    cookie_get(r->env->cookie, SESSION_COOKIE, &v, &n) != 1 || n != TOKEN_LEN ||
	    strncmp(v, TOKEN_SESSION_PREFIX, strlen(TOKEN_SESSION_PREFIX)) != 0)
		return 0;
	token_digest(v, n, digest);
	if ((rc = db_site_by_digest(r->arena, digest, &ss, &r->who)) != DB_OK) {
		if (rc == DB_NONE)
			return 0;
		*e = db_err(rc);
		return -1;
	}
	if (!site_live(r, &ss, &r->who))
		return 0;
	if (!same_origin(r, r->site == SITE_FORWARD ? original_method(r) : r->method_name)) {
		*e = reply_error(rep, ERR_FORBIDDEN, "Cross-origin request refused");
		return -1;
	}
	step = cfg.session_idle * 1000000 / 2 < 60 * 1000000LL ? cfg.session_idle * 1000000 / 2 : 60 * 1000000LL;
	if (r->now - ss.used_at >= step)
		(void)db_site_touch(ss.id, r->now);
	memcpy(r->cred_digest, digest, sizeof(digest));
	r->via_site = 1;
	return 1;
}

/* X-Gatehouse-Auth-Mode: session, trimmed and case-folded. */
int
site_mode(const struct req *r)
{
	return r->env != NULL && header_is(r->env->session_mode, "session");
}

/*
 * A new site session for u in the caller's transaction, its cookie in the reply (HttpOnly, SameSite=Lax, Path=/,
 * Secure over https; Max-Age the absolute lifetime), and the body {"token_type":"session","expires_in",
 * "user"}. The token is 32 random bytes behind "gss_"; only its SHA-256 is stored.
 */
enum db_rc
site_mint(struct req *r, struct reply *rep, const struct user *u)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 digest[32];
	enum db_rc	 rc;

	token_new(TOKEN_SESSION_PREFIX, tok, digest);
	rc = db_site_insert(u->uid, digest, r->now + (int64_t)cfg.session_lifetime * 1000000, r->now);
	if (rc == DB_OK) {
		reply_json_begin(rep, 200);
		buf_printf(&rep->body, "{\"token_type\":\"session\",\"expires_in\":%ld,\"user\":", cfg.session_lifetime);
		user_json(&rep->body, u, 0);
		buf_putc(&rep->body, '}');
		buf_printf(&rep->hdr, "Set-Cookie: " SESSION_COOKIE "=%s; HttpOnly; Max-Age=%ld; Path=/; SameSite=Lax%s\r\n",
		    tok, cfg.session_lifetime, r->secure ? "; Secure" : "");
	}
	wipe(tok, sizeof(tok));
	return rc;
}

/* The session cookie's deletion. */
void
site_clear(struct req *r, struct reply *rep)
{
	buf_printf(&rep->hdr, "Set-Cookie: " SESSION_COOKIE "=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
	    "Max-Age=0; Path=/; SameSite=Lax%s\r\n", r->secure ? "; Secure" : "");
}

/* The capability called name, or CAP__MAX. */
static enum cap
cap_parse(const char *name, size_t len)
{
	int c;

	for (c = CAP_UPLOAD; c < CAP__MAX; c++)
		if (strlen(cap_name((enum cap)c)) == len && strncmp(cap_name((enum cap)c), name, len) == 0)
			return (enum cap)c;
	return CAP__MAX;
}

/*
 * The requirements of a protected location: role (any of a comma-separated list) and cap (one capability). An
 * unknown role or capability is the operator's mistake: refused (403), never waved through, and logged.
 */
static enum err
requirements_met(struct req *r, struct reply *rep, const char *role, size_t rlen, const char *cap, size_t clen)
{
	const char	*p, *end, *comma;
	char		 name[64];
	int		 ok = 0, any = 0, ro;
	enum cap	 c;

	if (role != NULL) {
		for (p = role, end = role + rlen; p < end; p = comma + 1) {
			size_t n;

			if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
				comma = end;
			while (p < comma && (*p == ' ' || *p == '\t'))
				p++;
			for (n = (size_t)(comma - p); n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
				;
			if (n == 0)
				continue;
			any = 1;
			if (n >= sizeof(name) || (memcpy(name, p, n), name[n] = '\0', (ro = role_parse(name)) == 0)) {
				log_err("forward authentication: unknown role \"%.*s\" in the requirement",
				    (int)(n < 64 ? n : 64), p);
				return reply_error(rep, ERR_FORBIDDEN, "Unknown role in the requirement");
			}
			if (r->who.roles & ROLE_BIT(ro))
				ok = 1;
		}
		if (any && !ok)
			return reply_error(rep, ERR_FORBIDDEN, arena_printf(r->arena, "Missing role: %.*s",
			    (int)(rlen < 200 ? rlen : 200), role));
	}
	if (cap != NULL && clen > 0) {
		if ((c = cap_parse(cap, clen)) == CAP__MAX) {
			log_err("forward authentication: unknown capability \"%.*s\" in the requirement",
			    (int)(clen < 64 ? clen : 64), cap);
			return reply_error(rep, ERR_FORBIDDEN, "Unknown capability in the requirement");
		}
		if (!cap_granted(r->who.roles, c))
			return reply_error(rep, ERR_FORBIDDEN,
			    arena_printf(r->arena, "Missing permission: %s", cap_name(c)));
	}
	return ERR_OK;
}

/* The identity headers, with prefix "" (nginx copies them with auth_request_set) or "Variable-" (authorizer). */
static void
identity_headers(struct req *r, struct reply *rep, const char *prefix)
{
	int ro, first = 1;

	buf_printf(&rep->hdr, "%sX-Auth-User: %s\r\n", prefix, r->who.username);
	buf_printf(&rep->hdr, "%sX-Auth-User-Id: %s\r\n", prefix, r->who.id);
	buf_printf(&rep->hdr, "%sX-Auth-Email: %s\r\n", prefix, r->who.email != NULL ? r->who.email : "");
	buf_printf(&rep->hdr, "%sX-Auth-Roles: ", prefix);
	for (ro = 1; ro < ROLE__MAX; ro++)
		if (r->who.roles & ROLE_BIT(ro)) {
			buf_printf(&rep->hdr, "%s%s", first ? "" : ",", role_name((enum role)ro));
			first = 0;
		}
	buf_printf(&rep->hdr, "\r\n%sX-Auth-Request-Id: %s\r\n", prefix, r->request_id);
}

/*
 * GET /auth/verify: the dispatcher has resolved the caller (API key, bearer token or session cookie; 401
 * otherwise). 200 with the identity headers, 403 when ?role= or ?cap= is not met. No audit row: it runs on every
 * request of a protected location.
 */
enum err
h_verify(struct req *r, struct reply *rep)
{
	const char	*role = NULL, *cap = NULL;
	size_t		 rlen = 0, clen = 0;
	enum err	 e;

	(void)query_get(r, "role", &role, &rlen);
	(void)query_get(r, "cap", &cap, &clen);
	if ((e = requirements_met(r, rep, role, rlen, cap, clen)) != ERR_OK)
		return e;
	reply_json_begin(rep, 200);
	user_json(&rep->body, &r->who, 0);
	identity_headers(r, rep, "");
	return ERR_OK;
}

/* 1 when the client is a browser navigating (Accept names text/html), which gets a redirect instead of a 401. */
static int
wants_html(const struct req *r)
{
	return r->env->accept != NULL && strstr(r->env->accept, "text/html") != NULL;
}

/*
 * What a 401 of forward authentication adds: for nginx, X-Auth-Return-To with the original URI percent-encoded
 * for the sign-in page's rd parameter (nginx has no encoder of its own); for the authorizer role, the redirect
 * itself when a browser asked.
 */
void
verify_unauthorized(struct req *r, struct reply *rep)
{
	const char *uri, *signin;

	if (r->env == NULL)
		return;
	if (!header_is(r->env->fcgi_role, "AUTHORIZER")) {
		if ((uri = r->env->original_uri) != NULL && *uri == '/' && !utf8_has_control(uri, strlen(uri)))
			buf_printf(&rep->hdr, "X-Auth-Return-To: %s\r\n", pct_encode(r->arena, uri));
		return;
	}
	if (!wants_html(r))
		return;
	uri = r->env->request_uri != NULL && *r->env->request_uri == '/' ? r->env->request_uri : "/";
	signin = r->env->signin_url != NULL && *r->env->signin_url != '\0' ? r->env->signin_url : "/signin.html";
	if (utf8_has_control(signin, strlen(signin)) || utf8_has_control(uri, strlen(uri)))
		return;
	rep->status = 302;
	rep->content_type = "text/html";
	buf_reset(&rep->hdr);	/* a redirect, not a challenge: no WWW-Authenticate */
	buf_reset(&rep->body);
	buf_puts(&rep->body, "<!doctype html><title>Sign in</title><p>Sign in first.</p>\n");
	buf_printf(&rep->hdr, "Location: %s?rd=%s\r\n", signin, pct_encode(r->arena, uri));
}

/*
 * The FastCGI authorizer role (FastCGI 1.0 §6.3; lighttpd's "mode" => "authorizer"): the request is the protected
 * one itself. 200 with Variable-X-Auth-* headers lets it through; anything else goes to the client. Requirements
 * come from the server's environment for that location (GATEHOUSE_REQUIRE_ROLE, GATEHOUSE_REQUIRE_CAP).
 */
void
authorize(struct req *r, struct reply *rep)
{
	const char	*role = r->env->require_role, *cap = r->env->require_cap;
	enum err	 e;

	r->site = SITE_FORWARD;
	if (auth_resolve(r, rep, &e) == -1) {
		reply_finish(r, rep, e);
		if (e == ERR_UNAUTHORIZED || e == ERR_TOKEN_EXPIRED)
			verify_unauthorized(r, rep);
		return;
	}
	e = requirements_met(r, rep, role, role != NULL ? strlen(role) : 0, cap, cap != NULL ? strlen(cap) : 0);
	if (e != ERR_OK) {
		reply_finish(r, rep, e);
		return;
	}
	rep->status = 200;
	rep->content_type = "text/plain";
	buf_reset(&rep->body);
	identity_headers(r, rep, "Variable-");
}
