/*
 * store/store.c: the storage interface. db_open() chooses the engine from the database setting, once per process
 * (and again at each reopen): a path is an SQLite file (the default), a postgresql:// or postgres:// URI a
 * PostgreSQL database through libpq. Every other db_* function forwards to that engine, so the handlers never
 * know which one runs. Also here: what both engines share (role and status names, db_err).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <string.h>
#include <strings.h>

#include "store/store.h"

static const struct store *engine = &store_sqlite;

int
db_is_postgresql(const char *database)
{
	return strncasecmp(database, "postgresql://", 13) == 0 || strncasecmp(database, "postgres://", 11) == 0;
}

/* Appends n bytes of s to out (size 1024), truncating. */
static void
append(char *out, size_t *o, const char *s, size_t n)
{
	if (*o + n >= 1024)
		n = *o < 1023 ? 1023 - *o : 0;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/*
 * The database setting as messages may show it: an SQLite path as it is; a PostgreSQL URI without its password
 * (the password of user:password@, and any password= parameter, are left out). A static buffer.
 */
const char *
db_display(const char *database)
{
	static char	 out[1024];
	const char	*p, *at, *colon, *q, *amp;
	size_t		 o = 0, auth;
	int		 first = 1;

	if (!db_is_postgresql(database))
		return database;
	out[0] = '\0';
	p = strstr(database, "://") + 3;
	append(out, &o, database, (size_t)(p - database));
	auth = strcspn(p, "/?");		/* [user[:password]@]host[:port],... */
	if ((at = memchr(p, '@', auth)) != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		append(out, &o, p, (size_t)((colon != NULL ? colon : at) - p));
		append(out, &o, "@", 1);
		p = at + 1;
	}
	q = p + strcspn(p, "?");
	append(out, &o, p, (size_t)(q - p));	/* the hosts and the database name */
	for (q += *q == '?'; *q != '\0'; q = amp + (*amp == '&')) {
		amp = q + strcspn(q, "&");
		if (amp > q && strncmp(q, "password=", 9) != 0) {
			append(out, &o, first ? "?" : "&", 1);
			append(out, &o, q, (size_t)(amp - q));
			first = 0;
		}
	}
	return out;
}

const char *
db_engine_name(void)
{
	return engine->name;
}

/* Picks the engine by the form of the setting, then opens it (see gatehouse.h). */
int
db_open(const char *database, int create)
{
	if (db_is_postgresql(database)) {
#ifdef HAVE_LIBPQ
		engine = &store_pg;
#else
		log_err("database is a PostgreSQL URI, but this gatehouse was built without PostgreSQL support"
		    " (configure --without-postgresql, or libpq was not found); use an SQLite file path");
		return -1;
#endif
	} else
		engine = &store_sqlite;
	return engine->open(database, create);
}

/* Every other operation goes to the engine chosen by the last db_open (SQLite before any). */
#define STORE_FORWARD(ret, name, params, args) \
	ret db_##name params { return engine->name args; }
#define STORE_FORWARDV(name, params, args) \
	void db_##name params { engine->name args; }
STORE_OPS(STORE_FORWARD, STORE_FORWARDV)

static const char *const role_names[ROLE__MAX] = {
	[ROLE_ADMIN] = "admin", [ROLE_EDITOR] = "editor", [ROLE_VIEWER] = "viewer",
};
static const char *const status_names[STATUS__MAX] = {
	[STATUS_ACTIVE] = "active", [STATUS_PENDING] = "pending", [STATUS_DISABLED] = "disabled",
};

const char *
role_name(enum role r)
{
	return (r > 0 && r < ROLE__MAX) ? role_names[r] : "";
}

int
role_parse(const char *s)
{
	int r;

	for (r = 1; r < ROLE__MAX; r++)
		if (strcmp(s, role_names[r]) == 0)
			return r;
	return 0;
}

const char *
status_name(enum status s)
{
	return s < STATUS__MAX ? status_names[s] : "";
}

/* The name an answer gives a status: the published "disabled", or under status_names = current "suspended"
   when that was asked and "deactivated" otherwise (a plain deactivate is "deactivated"). */
const char *
status_wire(enum status s, enum disabled_as how)
{
	if (s != STATUS_DISABLED || cfg.status_names == STATUS_NAMES_PUBLISHED)
		return status_name(s);
	return how == DISABLED_SUSPENDED ? "suspended" : "deactivated";
}

/* The same from the text coalesce(disabled_as, status). */
const char *
status_wire_text(const char *stored)
{
	int s;

	if (stored != NULL && strcmp(stored, "suspended") == 0)
		return status_wire(STATUS_DISABLED, DISABLED_SUSPENDED);
	if (stored != NULL && strcmp(stored, "deactivated") == 0)
		return status_wire(STATUS_DISABLED, DISABLED_DEACTIVATED);
	s = stored != NULL ? status_parse(stored) : -1;
	return status_wire(s < 0 ? STATUS_DISABLED : (enum status)s, DISABLED_PLAIN);
}

int
status_parse(const char *s)
{
	int i;

	for (i = 0; i < STATUS__MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}


enum err
db_err(enum db_rc rc)
{
	switch (rc) {
	case DB_OK:
		return ERR_OK;
	case DB_NONE:
		return ERR_NOT_FOUND;
	case DB_EXISTS_USERNAME:
	case DB_EXISTS_EMAIL:
		return ERR_CONFLICT;
	default:
		/* Busy past the timeout, disk full, read-only file: the client may retry later. */
		return ERR_UNAVAILABLE;
	}
}
