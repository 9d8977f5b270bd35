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

enum ckind { C_PATH, C_INT, C_CHOICE, C_CAPS, C_NETS };

/* A setting that takes one of a few words (compared without regard to case); the error message offers the words
 * not marked `synonym`. A list ends with a NULL name. */
struct choice {
	const char	*name;
	int		 value;
	int		 synonym;
};

static const struct choice levels[] = {
	{ "error", LOG_ERR, 0 }, { "warning", LOG_WARN, 0 }, { "info", LOG_INFO, 0 }, { "debug", LOG_DEBUG, 0 },
	{ NULL, 0, 0 }
};
static const struct choice bools[] = {
	{ "on", 1, 0 }, { "off", 0, 0 }, { "yes", 1, 1 }, { "no", 0, 1 }, { "true", 1, 1 }, { "false", 0, 1 },
	{ NULL, 0, 0 }
};
static const struct choice client_headers[] = {
	{ "x-forwarded-for", CLIENT_HEADER_FORWARDED_FOR, 0 }, { "x-real-ip", CLIENT_HEADER_REAL_IP, 0 },
	{ NULL, 0, 0 }
};
static const struct choice status_name_sets[] = {
	{ "published", STATUS_NAMES_PUBLISHED, 0 }, { "current", STATUS_NAMES_CURRENT, 0 }, { NULL, 0, 0 }
};

static const struct ckey {
	const char	*name;
	enum ckind	 kind;
	size_t		 off;
	long long	 min, max;
	int		 size;		/* of the member: sizeof(int) or sizeof(long) */
	long long	 scale;
	const struct choice *choices;	/* C_CHOICE only */
} ckeys[] = {
	{ "database", C_PATH, offsetof(struct config, database), 0, 0, 0, 1, NULL },
	{ "log_file", C_PATH, offsetof(struct config, log_file), 0, 0, 0, 1, NULL },
	{ "setup_token", C_PATH, offsetof(struct config, setup_token), 0, 0, 0, 1, NULL },
	{ "log_level", C_CHOICE, offsetof(struct config, log_level), 0, 0, sizeof(int), 1, levels },
	{ "hash_cost", C_INT, offsetof(struct config, hash_cost), 1, 11, sizeof(int), 1, NULL },
	{ "access_token_lifetime", C_INT, offsetof(struct config, access_ttl), 1, 86400, sizeof(long), 1, NULL },
	{ "refresh_token_lifetime", C_INT, offsetof(struct config, refresh_ttl), 1, 31536000, sizeof(long), 1, NULL },
	{ "body_limit", C_INT, offsetof(struct config, body_limit), 1024, 16 * 1024 * 1024, sizeof(long), 1, NULL },
	{ "busy_timeout_ms", C_INT, offsetof(struct config, busy_timeout_ms), 0, 600000, sizeof(int), 1, NULL },
	{ "password_min_length", C_INT, offsetof(struct config, password_min_length), 8, 256, sizeof(int), 1, NULL },
	{ "workers", C_INT, offsetof(struct config, workers), 1, 256, sizeof(int), 1, NULL },
	{ "registration", C_CHOICE, offsetof(struct config, registration), 0, 0, sizeof(int), 1, bools },
	{ "api_key_query", C_CHOICE, offsetof(struct config, api_key_query), 0, 0, sizeof(int), 1, bools },
	{ "login_failures_per_account", C_INT, offsetof(struct config, throttle_account), 1, 1000, sizeof(int), 1,
	    NULL },
	{ "login_failures_per_account_total", C_INT, offsetof(struct config, throttle_account_total), 1, 100000,
	    sizeof(int), 1, NULL },
	{ "login_failures_per_address", C_INT, offsetof(struct config, throttle_address), 1, 100000, sizeof(int), 1,
	    NULL },
	{ "login_known_address_lifetime", C_INT, offsetof(struct config, known_lifetime), 0, 31536000, sizeof(long),
	    1, NULL },
	{ "trusted_proxies", C_NETS, offsetof(struct config, trusted_proxies), 0, 0, 0, 1, NULL },
	{ "client_address_header", C_CHOICE, offsetof(struct config, client_header), 0, 0, sizeof(int), 1,
	    client_headers },
	{ "rate_limit_admin_writes", C_INT, offsetof(struct config, rate_admin_writes), 0, 1000000, sizeof(int), 1,
	    NULL },
	{ "rate_limit_refresh", C_INT, offsetof(struct config, rate_refresh), 0, 1000000, sizeof(int), 1, NULL },
	{ "rate_limit_register", C_INT, offsetof(struct config, rate_register), 0, 1000000, sizeof(int), 1, NULL },
	{ "max_sessions_per_user", C_INT, offsetof(struct config, max_sessions), 1, 100000, sizeof(int), 1, NULL },
	{ "max_api_keys_per_user", C_INT, offsetof(struct config, max_api_keys), 1, 100000, sizeof(int), 1, NULL },
	{ "prune_interval", C_INT, offsetof(struct config, prune_interval), 0, 86400, sizeof(long), 1, NULL },
	{ "audit_key_file", C_PATH, offsetof(struct config, audit_key_file), 0, 0, 0, 1, NULL },
	{ "audit_anchor_interval", C_INT, offsetof(struct config, audit_anchor_interval), 0, 604800, sizeof(long),
	    1, NULL },
	{ "audit_retention", C_INT, offsetof(struct config, audit_retention), 0, 3153600000LL, sizeof(long), 1, NULL },
	{ "login_failure_window", C_INT, offsetof(struct config, throttle_window), 1, 86400, sizeof(long), 1, NULL },
	{ "login_absolute_lifetime", C_INT, offsetof(struct config, login_ttl), 1, 315360000, sizeof(long), 1, NULL },
	{ "refresh_reuse_grace", C_INT, offsetof(struct config, refresh_grace), 0, 3600, sizeof(long), 1, NULL },
	{ "session_idle_timeout", C_INT, offsetof(struct config, session_idle), 1, 31536000, sizeof(long), 1, NULL },
	{ "session_lifetime", C_INT, offsetof(struct config, session_lifetime), 1, 31536000, sizeof(long), 1, NULL },
	{ "status_names", C_CHOICE, offsetof(struct config, status_names), 0, 0, sizeof(int), 1,
	    status_name_sets },
	{ "login_block_time", C_INT, offsetof(struct config, throttle_block), 1, 3600, sizeof(long), 1, NULL },
	{ "permissions_admin", C_CAPS, offsetof(struct config, role_caps) + ROLE_ADMIN * sizeof(unsigned), 0, 0, 0, 1,
	    NULL },
	{ "permissions_editor", C_CAPS, offsetof(struct config, role_caps) + ROLE_EDITOR * sizeof(unsigned), 0, 0, 0, 1,
	    NULL },
	{ "permissions_viewer", C_CAPS, offsetof(struct config, role_caps) + ROLE_VIEWER * sizeof(unsigned), 0, 0, 0, 1,
	    NULL },
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

/* Stores the value of the word v among k's choices in *dst; otherwise logs "<name> must be a, b or c" with the
 * file and line and returns -1. */
static int
set_choice(const struct ckey *k, const char *v, int *dst, const char *path, int line)
{
	const struct choice	*c;
	char			 offered[256];
	size_t			 len = 0, n = 0, shown = 0;

	for (c = k->choices; c->name != NULL; c++)
		if (strcasecmp(v, c->name) == 0) {
			*dst = c->value;
			return 0;
		}
	for (c = k->choices; c->name != NULL; c++)
		shown += !c->synonym;
	offered[0] = '\0';
	for (c = k->choices; c->name != NULL && len < sizeof(offered); c++) {
		if (c->synonym)
			continue;
		n++;
		len += (size_t)snprintf(offered + len, sizeof(offered) - len, "%s%s",
		    n == 1 ? "" : n == shown ? " or " : ", ", c->name);
	}
	log_err("%s:%d: %s must be %s", path, line, k->name, offered);
	return -1;
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
	case C_CHOICE:
		return set_choice(k, v, (int *)(void *)dst, path, line);
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
