/*
 * config.c: the configuration file, "key = value" lines with "#" comments, read once per process at start-up.
 * Unknown keys and out-of-range values stop the start with the file name and line, so a typo never turns
 * silently into a default.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

struct config cfg;

enum ckind { C_PATH, C_INT, C_LEVEL, C_BOOL, C_CAPS, C_NETS, C_HEADER, C_STATUS_NAMES };

static const struct ckey {
	const char	*name;
	enum ckind	 kind;
	size_t		 off;
	long long	 min, max;
	int		 size;		/* of the member: sizeof(int) or sizeof(long) */
	long long	 scale;
} ckeys[] = {
	{ "database", C_PATH, offsetof(struct config, database), 0, 0, 0, 1 },
	{ "log_file", C_PATH, offsetof(struct config, log_file), 0, 0, 0, 1 },
	{ "setup_token", C_PATH, offsetof(struct config, setup_token), 0, 0, 0, 1 },
	{ "log_level", C_LEVEL, offsetof(struct config, log_level), 0, 0, sizeof(int), 1 },
	{ "hash_cost", C_INT, offsetof(struct config, hash_cost), 1, 11, sizeof(int), 1 },
	{ "access_token_lifetime", C_INT, offsetof(struct config, access_ttl), 1, 86400, sizeof(long), 1 },
	{ "refresh_token_lifetime", C_INT, offsetof(struct config, refresh_ttl), 1, 31536000, sizeof(long), 1 },
	{ "body_limit", C_INT, offsetof(struct config, body_limit), 1024, 16 * 1024 * 1024, sizeof(long), 1 },
	{ "busy_timeout_ms", C_INT, offsetof(struct config, busy_timeout_ms), 0, 600000, sizeof(int), 1 },
	{ "password_min_length", C_INT, offsetof(struct config, password_min_length), 8, 256, sizeof(int), 1 },
	{ "workers", C_INT, offsetof(struct config, workers), 1, 256, sizeof(int), 1 },
	{ "registration", C_BOOL, offsetof(struct config, registration), 0, 0, sizeof(int), 1 },
	{ "api_key_query", C_BOOL, offsetof(struct config, api_key_query), 0, 0, sizeof(int), 1 },
	{ "login_failures_per_account", C_INT, offsetof(struct config, throttle_account), 1, 1000, sizeof(int), 1 },
	{ "login_failures_per_account_total", C_INT, offsetof(struct config, throttle_account_total), 1, 100000,
	    sizeof(int), 1 },
	{ "login_failures_per_address", C_INT, offsetof(struct config, throttle_address), 1, 100000, sizeof(int), 1 },
	{ "login_known_address_lifetime", C_INT, offsetof(struct config, known_lifetime), 0, 31536000, sizeof(long),
	    1 },
	{ "trusted_proxies", C_NETS, offsetof(struct config, trusted_proxies), 0, 0, 0, 1 },
	{ "client_address_header", C_HEADER, offsetof(struct config, client_header), 0, 0, sizeof(int), 1 },
	{ "rate_limit_admin_writes", C_INT, offsetof(struct config, rate_admin_writes), 0, 1000000, sizeof(int), 1 },
	{ "rate_limit_refresh", C_INT, offsetof(struct config, rate_refresh), 0, 1000000, sizeof(int), 1 },
	{ "rate_limit_register", C_INT, offsetof(struct config, rate_register), 0, 1000000, sizeof(int), 1 },
	{ "max_sessions_per_user", C_INT, offsetof(struct config, max_sessions), 1, 100000, sizeof(int), 1 },
	{ "max_api_keys_per_user", C_INT, offsetof(struct config, max_api_keys), 1, 100000, sizeof(int), 1 },
	{ "prune_interval", C_INT, offsetof(struct config, prune_interval), 0, 86400, sizeof(long), 1 },
	{ "audit_key_file", C_PATH, offsetof(struct config, audit_key_file), 0, 0, 0, 1 },
	{ "audit_anchor_interval", C_INT, offsetof(struct config, audit_anchor_interval), 0, 604800, sizeof(long),
	    1 },
	{ "login_failure_window", C_INT, offsetof(struct config, throttle_window), 1, 86400, sizeof(long), 1 },
	{ "login_absolute_lifetime", C_INT, offsetof(struct config, login_ttl), 1, 315360000, sizeof(long), 1 },
	{ "refresh_reuse_grace", C_INT, offsetof(struct config, refresh_grace), 0, 3600, sizeof(long), 1 },
	{ "session_idle_timeout", C_INT, offsetof(struct config, session_idle), 1, 31536000, sizeof(long), 1 },
	{ "session_lifetime", C_INT, offsetof(struct config, session_lifetime), 1, 31536000, sizeof(long), 1 },
	{ "status_names", C_STATUS_NAMES, offsetof(struct config, status_names), 0, 0, sizeof(int), 1 },
	{ "login_block_time", C_INT, offsetof(struct config, throttle_block), 1, 3600, sizeof(long), 1 },
	{ "permissions_admin", C_CAPS, offsetof(struct config, role_caps) + ROLE_ADMIN * sizeof(unsigned), 0, 0, 0, 1 },
	{ "permissions_editor", C_CAPS, offsetof(struct config, role_caps) + ROLE_EDITOR * sizeof(unsigned), 0, 0, 0, 1 },
	{ "permissions_viewer", C_CAPS, offsetof(struct config, role_caps) + ROLE_VIEWER * sizeof(unsigned), 0, 0, 0, 1 },
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->database, sizeof(c->database), "%s/lib/gatehouse/gatehouse.db", LOCALSTATEDIR);
	c->log_level = LOG_INFO;
	c->hash_cost = 5;		/* libxcrypt's default for yescrypt */
	c->access_ttl = 15 * 60;
	c->refresh_ttl = 7 * 86400;
	c->login_ttl = 30 * 86400;	/* OWASP session management: an absolute timeout */
	c->session_idle = 8 * 3600;
	c->session_lifetime = 7 * 86400;
	c->body_limit = 64 * 1024;
	c->busy_timeout_ms = 5000;
	c->password_min_length = 8;
	c->workers = 2;
	c->registration = 0;
	c->api_key_query = 1;
	c->throttle_account = 5;
	c->throttle_account_total = 20;
	c->throttle_address = 50;
	c->known_lifetime = 30 * 86400;
	c->rate_admin_writes = 30;	/* the reference's limits (slowapi): 30/minute, 30/minute, 5/minute */
	c->rate_refresh = 30;
	c->rate_register = 5;
	c->max_sessions = 10;
	c->max_api_keys = 100;
	c->prune_interval = 60;
	c->audit_anchor_interval = 3600;
	c->throttle_window = 300;
	c->throttle_block = 60;
	c->refresh_grace = 30;
	c->status_names = STATUS_NAMES_PUBLISHED;
	/* The default role matrix (reference §2.7, the eight DOCS-ERA capabilities). */
	c->role_caps[ROLE_ADMIN] = CAP_BIT(CAP_UPLOAD) | CAP_BIT(CAP_CREATE_LAYERS) | CAP_BIT(CAP_EXPORT) |
	    CAP_BIT(CAP_EDIT_METADATA) | CAP_BIT(CAP_MANAGE_COLLECTIONS) | CAP_BIT(CAP_USE_AI_CHAT) |
	    CAP_BIT(CAP_MANAGE_USERS) | CAP_BIT(CAP_MANAGE_SETTINGS);
	c->role_caps[ROLE_EDITOR] = CAP_BIT(CAP_UPLOAD) | CAP_BIT(CAP_CREATE_LAYERS) | CAP_BIT(CAP_EXPORT) |
	    CAP_BIT(CAP_EDIT_METADATA) | CAP_BIT(CAP_MANAGE_COLLECTIONS) | CAP_BIT(CAP_USE_AI_CHAT);
	c->role_caps[ROLE_VIEWER] = CAP_BIT(CAP_EXPORT);
}

const char *
config_default_path(void)
{
	const char *e = getenv("GATEHOUSE_CONFIG");

	return (e != NULL && *e != '\0') ? e : SYSCONFDIR "/gatehouse.conf";
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "upload, export, ..." into a set of capabilities; "none" or an empty value is the empty set. */
static int
parse_caps(const char *v, unsigned *out, const char *path, int line, const char *key)
{
	char	 copy[1024], *tok, *save = NULL;
	int	 c;

	*out = 0;
	if (strlen(v) >= sizeof(copy)) {
		log_err("%s:%d: %s is too long", path, line, key);
		return -1;
	}
	memcpy(copy, v, strlen(v) + 1);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(tok, "none") == 0)
			continue;
		for (c = CAP_UPLOAD; c < CAP__MAX; c++)
			if (strcmp(tok, cap_name((enum cap)c)) == 0)
				break;
		if (c == CAP__MAX) {
			log_err("%s:%d: %s: unknown capability \"%s\"", path, line, key, tok);
			return -1;
		}
		*out |= CAP_BIT(c);
	}
	return 0;
}

/* "addr, addr/bits, ..." into cfg.trusted_proxies; "none" or an empty value is no proxy. */
static int
parse_nets(const char *v, struct config *c, const char *path, int line, const char *key)
{
	const char	*p = v, *e;
	size_t		 n;

	c->trusted_proxies_n = 0;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		e = p + n;
		if (n == 4 && strncmp(p, "none", 4) == 0) {
			p = e;
			continue;
		}
		if (c->trusted_proxies_n == TRUSTED_PROXIES_MAX) {
			log_err("%s:%d: %s: at most %d addresses or ranges", path, line, key, TRUSTED_PROXIES_MAX);
			return -1;
		}
		if (net_parse(p, n, &c->trusted_proxies[c->trusted_proxies_n]) == -1) {
			log_err("%s:%d: %s: \"%.*s\" is not an IPv4 or IPv6 address or CIDR range", path, line, key,
			    (int)n, p);
			return -1;
		}
		c->trusted_proxies_n++;
		p = e;
	}
	return 0;
}

/* The reference's invariants: admin keeps manage_users and manage_settings; no other role has either. */
static int
config_check(const struct config *c, const char *path)
{
	unsigned admin_only = CAP_BIT(CAP_MANAGE_USERS) | CAP_BIT(CAP_MANAGE_SETTINGS);

	if ((c->role_caps[ROLE_ADMIN] & admin_only) != admin_only) {
		log_err("%s: permissions_admin must keep manage_users and manage_settings", path);
		return -1;
	}
	if ((c->role_caps[ROLE_EDITOR] | c->role_caps[ROLE_VIEWER]) & admin_only) {
		log_err("%s: only the admin role may have manage_users or manage_settings", path);
		return -1;
	}
	/* A guessable token would hand the first admin account to whoever guesses it (NIST SP 800-63B 5.1.1.2). */
	if (c->setup_token[0] != '\0' && strlen(c->setup_token) < 32) {
		log_err("%s: setup_token must be at least 32 characters (try: head -c 24 /dev/urandom | base64)", path);
		return -1;
	}
	return 0;
}

static int
config_set(struct config *c, const struct ckey *k, const char *v, const char *path, int line)
{
	char		*dst = (char *)c + k->off;
	long long	 n;

	switch (k->kind) {
	case C_PATH:
		if (strlen(v) >= sizeof(c->database)) {
			log_err("%s:%d: %s is too long", path, line, k->name);
			return -1;
		}
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case C_LEVEL:
		if (strcmp(v, "error") == 0)
			n = LOG_ERR;
		else if (strcmp(v, "warning") == 0)
			n = LOG_WARN;
		else if (strcmp(v, "info") == 0)
			n = LOG_INFO;
		else if (strcmp(v, "debug") == 0)
			n = LOG_DEBUG;
		else {
			log_err("%s:%d: log_level must be error, warning, info or debug", path, line);
			return -1;
		}
		*(int *)(void *)dst = (int)n;
		return 0;
	case C_BOOL:
		if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			n = 1;
		else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			n = 0;
		else {
			log_err("%s:%d: %s must be on or off", path, line, k->name);
			return -1;
		}
		*(int *)(void *)dst = (int)n;
		return 0;
	case C_HEADER:
		if (strcasecmp(v, "x-forwarded-for") == 0)
			n = CLIENT_HEADER_FORWARDED_FOR;
		else if (strcasecmp(v, "x-real-ip") == 0)
			n = CLIENT_HEADER_REAL_IP;
		else {
			log_err("%s:%d: %s must be x-forwarded-for or x-real-ip", path, line, k->name);
			return -1;
		}
		*(int *)(void *)dst = (int)n;
		return 0;
	case C_STATUS_NAMES:
		if (strcmp(v, "published") == 0)
			n = STATUS_NAMES_PUBLISHED;
		else if (strcmp(v, "current") == 0)
			n = STATUS_NAMES_CURRENT;
		else {
			log_err("%s:%d: status_names must be published or current", path, line);
			return -1;
		}
		*(int *)(void *)dst = (int)n;
		return 0;
	case C_CAPS:
		return parse_caps(v, (unsigned *)(void *)dst, path, line, k->name);
	case C_NETS:
		return parse_nets(v, c, path, line, k->name);
	case C_INT:
		if (parse_long(v, k->min, k->max, &n) == -1) {
			log_err("%s:%d: %s must be a whole number from %lld to %lld", path, line, k->name,
			    k->min, k->max);
			return -1;
		}
		n *= k->scale;
		if (k->size == sizeof(int))
			*(int *)(void *)dst = (int)n;
		else
			*(long *)(void *)dst = (long)n;
		return 0;
	}
	return -1;
}

int
config_load(struct config *c, const char *path, int must_exist)
{
	FILE	*f;
	char	 line[2048];
	int	 lineno = 0, rc = 0;
	size_t	 i;

	/* The audit key lives beside the configuration unless the configuration says otherwise. */
	if (c->audit_key_file[0] == '\0') {
		const char *slash = strrchr(path, '/');

		if (slash == NULL)
			snprintf(c->audit_key_file, sizeof(c->audit_key_file), "gatehouse-audit.key");
		else
			snprintf(c->audit_key_file, sizeof(c->audit_key_file), "%.*s/gatehouse-audit.key",
			    (int)(slash - path), path);
	}
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		log_err("cannot read configuration %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *val;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_err("%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			log_err("%s:%d: expected key = value", path, lineno);
			rc = -1;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++)
			if (strcmp(ckeys[i].name, key) == 0)
				break;
		if (i == sizeof(ckeys) / sizeof(ckeys[0])) {
			log_err("%s:%d: unknown setting \"%s\"", path, lineno, key);
			rc = -1;
			continue;
		}
		if (config_set(c, &ckeys[i], val, path, lineno) == -1)
			rc = -1;
	}
	fclose(f);
	if (rc == 0)
		rc = config_check(c, path);
	return rc;
}
