/*
 * h_users.c: the admin API over users: create, list, names, CSV export, get, update, deactivate, approve,
 * reject, reset the password, delete. Every write that checks an invariant (unique names, the last active
 * admin, the caller's own account) checks and writes in one BEGIN IMMEDIATE transaction, with its audit row.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crypt.h>
#include <sodium.h>

#include "gatehouse.h"

/* The fields of each schema, by position (schemas.c). */
enum { CREATE_USERNAME, CREATE_PASSWORD, CREATE_EMAIL, CREATE_ROLE };
enum { UPDATE_EMAIL, UPDATE_IS_ACTIVE, UPDATE_STATUS, UPDATE_ROLE };
enum { APPROVE_ROLE };
enum { RESET_PASSWORD };
enum { LIST_SKIP, LIST_LIMIT, LIST_STATUS, LIST_SEARCH, LIST_SORT, LIST_ORDER };
enum { NAMES_SKIP, NAMES_LIMIT };

static enum err
conflict(struct reply *rep, enum db_rc rc)
{
	if (rc == DB_EXISTS_USERNAME)
		return reply_error(rep, ERR_CONFLICT, "Username already taken");
	if (rc == DB_EXISTS_EMAIL)
		return reply_error(rep, ERR_CONFLICT, "Email already registered");
	return db_err(rc);
}

/*
 * Runs body inside BEGIN IMMEDIATE, after checking under the lock that the caller's credential and capability
 * still hold (auth_recheck); commits when it succeeds, rolls back otherwise.
 */
static enum err
in_transaction(struct req *r, struct reply *rep, enum err (*body)(struct req *, struct reply *, void *), void *ctx)
{
	enum db_rc	 rc;
	enum err	 e;

	if ((e = tx_begin(r, rep)) != ERR_OK)
		return e;
	e = body(r, rep, ctx);
	if (e == ERR_OK && (rc = db_commit()) != DB_OK)
		e = db_err(rc);
	if (e != ERR_OK)
		db_rollback();
	return e;
}

/* The user named by the path, read inside the caller's transaction; 404 "User not found". */
static enum err
load_target(struct req *r, struct reply *rep, struct user *u)
{
	enum db_rc rc = db_user_get(r->arena, r->id, u);

	if (rc == DB_NONE)
		return reply_error(rep, ERR_NOT_FOUND, "User not found");
	return db_err(rc);
}

static int
is_viable_admin(const struct user *u)
{
	return u->status == STATUS_ACTIVE && (u->roles & ROLE_BIT(ROLE_ADMIN)) != 0;
}

/* 1 when u is the only active admin left (read inside the write transaction), 0 if not, -1 on error. */
static int
last_admin(const struct user *u, enum err *e)
{
	long long	 others = 0;
	enum db_rc	 rc;

	if (!is_viable_admin(u))
		return 0;
	if ((rc = db_viable_admins_except(u->uid, &others)) != DB_OK) {
		*e = db_err(rc);
		return -1;
	}
	return others == 0;
}

static int
is_self(const struct req *r)
{
	return strcmp(r->id, r->who.id) == 0;
}

static void
reply_user(struct reply *rep, int status, const struct user *u)
{
	reply_json_begin(rep, status);
	user_json(&rep->body, u, 0);
}

static void
reply_no_content(struct reply *rep)
{
	reply_json_begin(rep, 204);
	rep->content_type = NULL;
}

/* POST /admin/users/ */

struct create {
	struct user	*u;
	const char	*hash;
};

static enum err
create_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct create	*c = ctx;
	enum db_rc	 rc;

	if ((rc = db_user_insert(r->arena, c->u, c->hash)) != DB_OK)
		return conflict(rep, rc);
	rc = audit_log(r, "user.create", "user", c->u->id, jw_object(r->arena, "username", c->u->username,
	    "role", role_name((enum role)r->v[CREATE_ROLE].i), NULL));
	return db_err(rc);
}

/*
 * Uniqueness is checked twice: once before hashing, so a taken name answers 409 at once, and again inside the
 * transaction that inserts, so two concurrent creates cannot both win. The write lock is never held while
 * hashing.
 */
enum err
h_users_create(struct req *r, struct reply *rep)
{
	struct user	 u;
	struct create	 c = { &u, NULL };
	char		 hash[CRYPT_OUTPUT_SIZE];
	enum db_rc	 rc;
	enum err	 e;

	memset(&u, 0, sizeof(u));
	u.username = (char *)r->v[CREATE_USERNAME].s;
	u.email = r->v[CREATE_EMAIL].present ? (char *)r->v[CREATE_EMAIL].s : NULL;
	u.status = STATUS_ACTIVE;
	u.roles = ROLE_BIT(r->v[CREATE_ROLE].i);
	u.created_at = r->now;
	u.last_login_at = -1;

	if ((rc = db_user_conflict(r->arena, u.username, u.email)) != DB_NONE)
		return conflict(rep, rc);
	if (password_hash(r->v[CREATE_PASSWORD].s, r->v[CREATE_PASSWORD].len, cfg.hash_cost, hash,
	    sizeof(hash)) == -1) {
		log_err("cannot hash a password");
		return ERR_UNAVAILABLE;
	}
	c.hash = hash;
	e = in_transaction(r, rep, create_tx, &c);
	wipe(hash, sizeof(hash));
	if (e != ERR_OK)
		return e;
	log_info("user %s created by %s", u.id, r->who.id);
	reply_user(rep, 201, &u);
	return ERR_OK;
}

/* GET /admin/users/ */

struct list_out {
	struct buf	*b;
	int		 n;
};

static int
list_one(void *ctx, const struct user *u)
{
	struct list_out *o = ctx;

	if (o->n++ > 0)
		buf_putc(o->b, ',');
	user_json(o->b, u, 1);
	return 0;
}

/*
 * ?status=: the stored names, and in either mode the reference's current ones for a disabled account
 * (issue 14 §6). Under status_names = current, "suspended" and "deactivated" find what answers call so; under
 * published, where answers say "disabled", both find every disabled account. Other values match nothing.
 */
static void
list_status_filter(struct user_filter *f, const char *s)
{
	f->status = s;
	f->disabled_as = NULL;
	if (s == NULL || (strcmp(s, "suspended") != 0 && strcmp(s, "deactivated") != 0))
		return;
	f->status = status_name(STATUS_DISABLED);
	if (cfg.status_names == STATUS_NAMES_CURRENT)
		f->disabled_as = s;
}

enum err
h_users_list(struct req *r, struct reply *rep)
{
	struct user_filter	 f;
	struct list_out		 o;
	long long		 total = 0;
	enum db_rc		 rc;

	f.skip = r->q[LIST_SKIP].i;
	f.limit = r->q[LIST_LIMIT].i;
	list_status_filter(&f, r->q[LIST_STATUS].present ? r->q[LIST_STATUS].s : NULL);
	f.search = r->q[LIST_SEARCH].present && r->q[LIST_SEARCH].len > 0 ? r->q[LIST_SEARCH].s : NULL;
	f.sort = (int)r->q[LIST_SORT].i;
	f.desc = (int)r->q[LIST_ORDER].i;
	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"users\":[");
	o.b = &rep->body;
	o.n = 0;
	if ((rc = db_user_list(r->arena, &f, list_one, &o, &total)) != DB_OK)
		return db_err(rc);
	buf_printf(&rep->body, "],\"total\":%lld}", total);
	return ERR_OK;
}

/* GET /admin/users/names/ */

static int
names_one(void *ctx, const char *id, const char *name)
{
	struct list_out *o = ctx;

	if (o->n++ > 0)
		buf_putc(o->b, ',');
	buf_puts(o->b, "{\"id\":");
	jw_cstr(o->b, id);
	buf_puts(o->b, ",\"username\":");
	jw_cstr(o->b, name);
	buf_putc(o->b, '}');
	return 0;
}

enum err
h_users_names(struct req *r, struct reply *rep)
{
	struct list_out	 o;
	enum db_rc	 rc;

	reply_json_begin(rep, 200);
	buf_putc(&rep->body, '[');
	o.b = &rep->body;
	o.n = 0;
	if ((rc = db_user_names(r->q[NAMES_SKIP].i, r->q[NAMES_LIMIT].i, names_one, &o)) != DB_OK)
		return db_err(rc);
	buf_putc(&rep->body, ']');
	return ERR_OK;
}

/* GET /admin/users/export.csv: streamed in chunks as the rows are read. */

#define EXPORT_CHUNK (16 * 1024)

struct export {
	struct req	*r;
	struct buf	*b;
	struct sink	*sink;
	char		 op[37];
	const char	*details;	/* of the next audit row */
};

/*
 * CSV injection (OWASP, "CSV Injection"): a spreadsheet reads a cell as a formula when it starts with =, +, -, @,
 * TAB or CR, and a locale whose separator is ";" (or a reader that ignores quotes) starts a new cell after any
 * separator inside a cell. So every cell is quoted, with inner double quotes doubled; a single quote goes before
 * a leading trigger character and after every separator (",", ";", TAB, CR, LF) that a trigger follows. The
 * reference prefixes a TAB instead, which OWASP lists among the triggers.
 */
static int
csv_trigger(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static int
csv_separator(char c)
{
	return c == ',' || c == ';' || c == '\t' || c == '\r' || c == '\n';
}

/* One CSV cell, always quoted and neutralised as above; NULL and "" are an empty quoted cell. */
void
csv_cell(struct buf *b, const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;
	size_t	 i;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if ((i == 0 && csv_trigger(s[0])) || (i > 0 && csv_separator(s[i - 1]) && csv_trigger(s[i])))
			buf_putc(b, '\'');
		if (s[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

/* Python's datetime.isoformat() for a UTC time: ...+00:00, the fraction only when non-zero. */
void
time_isoformat(struct buf *b, int64_t us)
{
	char t[32];
	size_t n;

	time_iso(us, t);
	n = strlen(t);
	if (n > 0 && t[n - 1] == 'Z')
		t[n - 1] = '\0';
	buf_puts(b, t);
	buf_puts(b, "+00:00");
}

static void
flush_if_full(struct export *x, int force)
{
	if (x->b->len >= EXPORT_CHUNK || (force && x->b->len > 0)) {
		x->sink->write(x->sink->ctx, x->b->p, x->b->len);
		buf_reset(x->b);
	}
}

static int
export_row(void *ctx, const char *const cols[4], int64_t created_at)
{
	struct export	*x = ctx;
	int		 i;

	for (i = 0; i < 4; i++) {
		csv_cell(x->b, i == 3 ? status_wire_text(cols[i]) : cols[i]);
		buf_putc(x->b, ',');
	}
	buf_putc(x->b, '"');
	time_isoformat(x->b, created_at);
	buf_puts(x->b, "\"\r\n");
	flush_if_full(x, 0);
	return x->b->failed ? -1 : 0;
}

static char *
export_details(struct arena *a, const char *op, const char *outcome, long rows)
{
	if (rows < 0)
		return arena_printf(a, "{\"operation_id\":\"%s\",\"format\":\"csv\",\"mode\":\"stream\",\"filters\":{},"
		    "\"outcome\":\"%s\"}", op, outcome);
	return arena_printf(a, "{\"operation_id\":\"%s\",\"format\":\"csv\",\"mode\":\"stream\",\"filters\":{},"
	    "\"outcome\":\"%s\",\"selected_rows\":%ld}", op, outcome, rows);
}

static enum err
export_audit_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct export *x = ctx;

	(void)rep;
	return db_err(audit_log(r, "user.export", "user", x->op, x->details));
}

static long
export_stream(struct req *r, struct reply *rep, struct sink *sink)
{
	struct export	*x = rep->stream_ctx;
	long		 rows = 0;
	enum db_rc	 rc;

	x->b = &rep->body;
	x->sink = sink;
	buf_reset(x->b);
	buf_puts(x->b, "email,display_name,auth_provider,status,created_at\r\n");
	rc = db_user_export(export_row, x, &rows);
	flush_if_full(x, 1);
	x->details = export_details(r->arena, x->op, rc == DB_OK ? "completed" : "failed", rows);
	if (rc != DB_OK)
		log_err("user export %s failed after %ld rows", x->op, rows);
	(void)in_transaction(r, rep, export_audit_tx, x);
	return rc == DB_OK ? rows : -1;
}

enum err
h_users_export(struct req *r, struct reply *rep)
{
	struct export	*x = arena_alloc(r->arena, sizeof(*x));
	char		 day[16];
	time_t		 t = (time_t)(r->now / 1000000);
	struct tm	 tm;
	enum err	 e;

	if (x == NULL)
		return ERR_UNAVAILABLE;
	memset(x, 0, sizeof(*x));
	x->r = r;
	uuid_v4(x->op);
	x->details = export_details(r->arena, x->op, "requested", -1);
	if ((e = in_transaction(r, rep, export_audit_tx, x)) != ERR_OK)
		return e;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	reply_json_begin(rep, 200);
	rep->content_type = "text/csv; charset=utf-8";
	rep->disposition = arena_printf(r->arena,
	    "attachment; filename=\"users-export-%s.csv\"; filename*=UTF-8''users-export-%s.csv", day, day);
	rep->stream = export_stream;
	rep->stream_ctx = x;
	return ERR_OK;
}

/*
 * gatehousectl export (POST /admin/users/export-hashes, CLI only): the audit row for a copy of every user with
 * their password hash. Written before the file is, so an export the trail cannot record does not happen (fail
 * closed); the details say that hashes left the database, in the shape of the CSV export's details.
 */
static enum err
export_hashes_tx(struct req *r, struct reply *rep, void *ctx)
{
	char op[37];

	(void)rep;
	(void)ctx;
	uuid_v4(op);
	return db_err(audit_log(r, "user.export", "user", op, arena_printf(r->arena,
	    "{\"operation_id\":\"%s\",\"format\":\"json\",\"mode\":\"cli\",\"filters\":{},"
	    "\"outcome\":\"requested\",\"password_hashes\":true}", op)));
}

enum err
h_users_export_hashes(struct req *r, struct reply *rep)
{
	enum err e;

	if ((e = in_transaction(r, rep, export_hashes_tx, NULL)) != ERR_OK)
		return e;
	reply_no_content(rep);
	return ERR_OK;
}

/* GET /admin/users/{id} */

enum err
h_users_get(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum err	 e;

	if ((e = load_target(r, rep, &u)) != ERR_OK)
		return e;
	reply_user(rep, 200, &u);
	return ERR_OK;
}

/* PATCH /admin/users/{id} */

static void
state_json(struct buf *b, const struct user *u)
{
	int r, first = 1;

	buf_puts(b, "{\"email\":");
	jw_cstr(b, u->email);
	buf_puts(b, ",\"is_active\":");
	jw_bool(b, u->status == STATUS_ACTIVE);
	buf_printf(b, ",\"status\":\"%s\",\"roles\":[", status_wire(u->status, u->disabled_as));
	for (r = 1; r < ROLE__MAX; r++)
		if (u->roles & ROLE_BIT(r)) {
			buf_printf(b, "%s\"%s\"", first ? "" : ",", role_name((enum role)r));
			first = 0;
		}
	buf_puts(b, "]}");
}

static enum err
update_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	*u = ctx, before;
	const struct value *email = &r->v[UPDATE_EMAIL], *active = &r->v[UPDATE_IS_ACTIVE];
	const struct value *status = &r->v[UPDATE_STATUS], *role = &r->v[UPDATE_ROLE];
	int		 target = -1, last;
	enum disabled_as how;
	struct buf	 d = { 0 };
	enum db_rc	 rc;
	enum err	 e = ERR_OK;

	if ((e = load_target(r, rep, u)) != ERR_OK)
		return e;
	before = *u;
	if (status->present)
		target = status->i == SI_ACTIVE ? STATUS_ACTIVE : STATUS_DISABLED;
	else if (active->present)
		target = active->i ? STATUS_ACTIVE : STATUS_DISABLED;
	/* Remember which disabled state was asked; "disabled" or is_active false keeps what a disabled user had. */
	how = status->present && status->i == SI_SUSPENDED ? DISABLED_SUSPENDED :
	    status->present && status->i == SI_DEACTIVATED ? DISABLED_DEACTIVATED :
	    u->status == STATUS_DISABLED ? u->disabled_as : DISABLED_PLAIN;
	if (u->status == STATUS_PENDING && (target >= 0 || role->present))
		return reply_error(rep, ERR_UNPROCESSABLE,
		    "Pending users must be approved or rejected; role and status cannot be changed via PATCH");
	if ((role->present && role->i != ROLE_ADMIN) || (target >= 0 && target != STATUS_ACTIVE)) {
		if ((last = last_admin(u, &e)) == -1)
			return e;
		if (last)
			return reply_error(rep, ERR_CONFLICT, role->present && role->i != ROLE_ADMIN ?
			    "Cannot demote the last admin user" : "Cannot deactivate the last admin user");
	}
	if (email->present) {
		if ((rc = db_user_set_email(r->arena, u->uid, email->s, r->now)) != DB_OK)
			return conflict(rep, rc);
		u->email = (char *)email->s;
	}
	if (target >= 0 && ((enum status)target != u->status || (target == STATUS_DISABLED && how != u->disabled_as))) {
		if (target != STATUS_DISABLED)
			how = DISABLED_PLAIN;
		if ((rc = db_user_set_status(u->uid, (enum status)target, how, r->now)) != DB_OK)
			return db_err(rc);
		u->status = (enum status)target;
		u->disabled_as = how;
	}
	if (role->present && u->roles != ROLE_BIT(role->i)) {
		if ((rc = db_user_set_role(u->uid, (enum role)role->i, r->now)) != DB_OK)
			return db_err(rc);
		u->roles = ROLE_BIT(role->i);
	}
	buf_puts(&d, "{\"before\":");
	state_json(&d, &before);
	buf_puts(&d, ",\"after\":");
	state_json(&d, u);
	buf_putc(&d, '}');
	rc = d.failed ? DB_FAIL : audit_log(r, "user.update", "user", u->id, buf_cstr(&d));
	buf_free(&d);
	return db_err(rc);
}

enum err
h_users_update(struct req *r, struct reply *rep)
{
	const struct value *active = &r->v[UPDATE_IS_ACTIVE], *status = &r->v[UPDATE_STATUS];
	struct user	 u;
	enum err	 e;

	if (is_self(r) && (r->v[UPDATE_ROLE].present || (active->present && !active->i) ||
	    (status->present && status->i != SI_ACTIVE)))
		return reply_error(rep, ERR_UNPROCESSABLE, "Cannot change your own role or disable your own account");
	if ((e = in_transaction(r, rep, update_tx, &u)) != ERR_OK)
		return e;
	reply_user(rep, 200, &u);
	return ERR_OK;
}

/* POST /admin/users/{id}/deactivate/ */

static enum err
deactivate_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	*u = ctx;
	enum err	 e = ERR_OK;
	enum db_rc	 rc;
	int		 last;

	if ((e = load_target(r, rep, u)) != ERR_OK)
		return e;
	if (u->status == STATUS_PENDING)
		return reply_error(rep, ERR_CONFLICT, "Pending users must be approved or rejected before deactivation");
	if (is_self(r))
		return reply_error(rep, ERR_BAD_REQUEST, "Cannot deactivate your own account");
	if ((last = last_admin(u, &e)) == -1)
		return e;
	if (last)
		return reply_error(rep, ERR_BAD_REQUEST, "Cannot deactivate the last admin user");
	if ((rc = db_user_set_status(u->uid, STATUS_DISABLED, DISABLED_DEACTIVATED, r->now)) != DB_OK)
		return db_err(rc);
	u->status = STATUS_DISABLED;
	u->disabled_as = DISABLED_DEACTIVATED;
	return db_err(audit_log(r, "user.deactivate", "user", u->id,
	    jw_object(r->arena, "username", u->username, NULL)));
}

enum err
h_users_deactivate(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum err	 e;

	if ((e = in_transaction(r, rep, deactivate_tx, &u)) != ERR_OK)
		return e;
	reply_user(rep, 200, &u);
	return ERR_OK;
}

/* POST /admin/users/{id}/approve/ */

static enum err
approve_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	*u = ctx;
	enum role	 role = (enum role)r->v[APPROVE_ROLE].i;
	enum db_rc	 rc;
	enum err	 e;

	if ((e = load_target(r, rep, u)) != ERR_OK)
		return e;
	if (u->status != STATUS_PENDING)
		return reply_error(rep, ERR_CONFLICT, "Pending user approval is no longer available");
	if ((rc = db_user_set_status(u->uid, STATUS_ACTIVE, DISABLED_PLAIN, r->now)) != DB_OK ||
	    (rc = db_user_set_role(u->uid, role, r->now)) != DB_OK)
		return db_err(rc);
	u->status = STATUS_ACTIVE;
	u->roles = ROLE_BIT(role);
	return db_err(audit_log(r, "user.approve", "user", u->id,
	    jw_object(r->arena, "username", u->username, "role", role_name(role), NULL)));
}

enum err
h_users_approve(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum err	 e;

	if ((e = in_transaction(r, rep, approve_tx, &u)) != ERR_OK)
		return e;
	reply_user(rep, 200, &u);
	return ERR_OK;
}

/* POST /admin/users/{id}/reject/ */

static enum err
reject_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	 u;
	enum db_rc	 rc;
	enum err	 e;

	(void)ctx;
	if ((e = load_target(r, rep, &u)) != ERR_OK)
		return e;
	if (u.status != STATUS_PENDING)
		return reply_error(rep, ERR_CONFLICT, "Pending user rejection is no longer available");
	if ((rc = db_user_delete(u.uid)) != DB_OK)
		return db_err(rc);
	return db_err(audit_log(r, "user.reject", "user", u.id, NULL));
}

enum err
h_users_reject(struct req *r, struct reply *rep)
{
	enum err e;

	if ((e = in_transaction(r, rep, reject_tx, NULL)) != ERR_OK)
		return e;
	reply_no_content(rep);
	return ERR_OK;
}

/* DELETE /admin/users/{id} */

static enum err
delete_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	 u;
	enum db_rc	 rc;
	enum err	 e = ERR_OK;
	int		 last;

	(void)ctx;
	if ((e = load_target(r, rep, &u)) != ERR_OK)
		return e;
	if (is_self(r))
		return reply_error(rep, ERR_BAD_REQUEST, "Cannot delete your own account");
	if ((last = last_admin(&u, &e)) == -1)
		return e;
	if (last)
		return reply_error(rep, ERR_BAD_REQUEST, "Cannot delete the last admin user");
	if ((rc = db_user_delete(u.uid)) != DB_OK)
		return db_err(rc);
	return db_err(audit_log(r, "user.delete", "user", u.id, jw_object(r->arena, "username", u.username, NULL)));
}

enum err
h_users_delete(struct req *r, struct reply *rep)
{
	enum err e;

	if ((e = in_transaction(r, rep, delete_tx, NULL)) != ERR_OK)
		return e;
	reply_no_content(rep);
	return ERR_OK;
}

/* POST /admin/users/{id}/reset-password/: sets the password and revokes every session and API key. */

static enum err
reset_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	 u;
	enum db_rc	 rc;
	enum err	 e;

	if ((e = load_target(r, rep, &u)) != ERR_OK)
		return e;
	if ((rc = db_user_revoke(u.uid, ctx, r->now)) != DB_OK)
		return db_err(rc);
	return db_err(audit_log(r, "user.reset_password", "user", u.id,
	    jw_object(r->arena, "username", u.username, NULL)));
}

enum err
h_users_reset_password(struct req *r, struct reply *rep)
{
	struct user	 u;
	char		 hash[CRYPT_OUTPUT_SIZE];
	enum err	 e;

	/*
	 * Not one's own: without the current password a stolen admin token would lock the owner out. 422 and the
	 * wording follow the contract's guard on the other admin endpoint that sets a password (convert to local,
	 * checked first); the self-service route proves the current password.
	 */
	if (is_self(r))
		return reply_error(rep, ERR_UNPROCESSABLE,
		    "Cannot reset your own password; use /auth/change-password/ with your current password");
	/* A missing user answers 404 without the cost of a hash. */
	if ((e = load_target(r, rep, &u)) != ERR_OK)
		return e;
	if (password_hash(r->v[RESET_PASSWORD].s, r->v[RESET_PASSWORD].len, cfg.hash_cost, hash,
	    sizeof(hash)) == -1) {
		log_err("cannot hash a password");
		return ERR_UNAVAILABLE;
	}
	e = in_transaction(r, rep, reset_tx, hash);
	wipe(hash, sizeof(hash));
	if (e != ERR_OK)
		return e;
	log_info("password of user %s reset by %s; its sessions and API keys are revoked", u.id, r->who.id);
	reply_no_content(rep);
	return ERR_OK;
}

/* gatehousectl user revoke: every session and API key of a user, at once (POST /admin/users/{id}/revoke, CLI only). */

static enum err
revoke_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	*u = ctx;
	enum db_rc	 rc;
	enum err	 e;

	if ((e = load_target(r, rep, u)) != ERR_OK)
		return e;
	if ((rc = db_user_revoke_all(u->uid, r->now)) != DB_OK)
		return db_err(rc);
	return db_err(audit_log(r, "user.revoke", "user", u->id, jw_object(r->arena, "username", u->username, NULL)));
}

enum err
h_users_revoke(struct req *r, struct reply *rep)
{
	struct user	 u;
	enum err	 e;

	if ((e = in_transaction(r, rep, revoke_tx, &u)) != ERR_OK)
		return e;
	reply_no_content(rep);
	return ERR_OK;
}

/*
 * gatehousectl import: one user with an existing crypt(3) hash (POST /admin/users/import, CLI only). The name,
 * email and role pass the create rules; the hash must be one password_import_check accepts. It is kept as given
 * and replaced by yescrypt at the user's next successful login.
 */
enum { IMPORT_USERNAME, IMPORT_HASH, IMPORT_EMAIL, IMPORT_ROLE, IMPORT_STATUS };

static enum err
import_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct user	*u = ctx;
	enum db_rc	 rc;

	if ((rc = db_user_insert(r->arena, u, r->v[IMPORT_HASH].s)) != DB_OK)
		return conflict(rep, rc);
	return db_err(audit_log(r, "user.import", "user", u->id, jw_object(r->arena, "username", u->username,
	    "role", role_name((enum role)(r->v[IMPORT_ROLE].present ? r->v[IMPORT_ROLE].i : ROLE_VIEWER)),
	    "status", status_name(u->status), NULL)));
}

enum err
h_users_import(struct req *r, struct reply *rep)
{
	struct user	 u;
	char		 why[256];
	enum err	 e;

	if (password_import_check(r->v[IMPORT_HASH].s, why, sizeof(why)) == -1) {
		struct verr *ve = verr_at(&r->verrs, "body", "password_hash", "value_error",
		    arena_printf(r->arena, "Value error, %s", why));
		if (ve != NULL)
			ve->input_kind = VIN_MASK;
		return ERR_VALIDATION;
	}
	memset(&u, 0, sizeof(u));
	u.username = (char *)r->v[IMPORT_USERNAME].s;
	u.email = r->v[IMPORT_EMAIL].present ? (char *)r->v[IMPORT_EMAIL].s : NULL;
	u.status = r->v[IMPORT_STATUS].present ? (enum status)status_parse(r->v[IMPORT_STATUS].s) : STATUS_ACTIVE;
	u.roles = ROLE_BIT(r->v[IMPORT_ROLE].present ? r->v[IMPORT_ROLE].i : ROLE_VIEWER);
	u.created_at = r->now;
	u.last_login_at = -1;
	if ((e = in_transaction(r, rep, import_tx, &u)) != ERR_OK)
		return e;
	reply_user(rep, 201, &u);
	return ERR_OK;
}

/*
 * POST /setup: the first administrator of an empty database, for a host where no command can be run (shared
 * hosting: the database is created by the first request when setup_token is set, see loop.c). The token is
 * compared in constant time (sodium_memcmp over equal lengths, OWASP Authentication Cheat Sheet); the count and
 * the insert share one BEGIN IMMEDIATE transaction, so of two concurrent calls one wins and the other gets 409.
 * Without a setup_token the route does not exist (404); once any user exists it answers 409.
 */
enum { SETUP_TOKEN, SETUP_USERNAME, SETUP_PASSWORD, SETUP_EMAIL };

static enum err
setup_tx(struct req *r, struct reply *rep, void *ctx)
{
	struct create	*c = ctx;
	long long	 users = 0;
	enum db_rc	 rc;

	if ((rc = db_count_users(&users)) != DB_OK)
		return db_err(rc);
	if (users > 0)
		return reply_error(rep, ERR_CONFLICT, "Setup is already done: the database has users");
	if ((rc = db_user_insert(r->arena, c->u, c->hash)) != DB_OK)
		return conflict(rep, rc);
	rc = audit_log(r, "user.create", "user", c->u->id, jw_object(r->arena, "username", c->u->username,
	    "role", "admin", "via", "setup_token", NULL));
	return db_err(rc);
}

enum err
h_setup(struct req *r, struct reply *rep)
{
	size_t		 tlen = strlen(cfg.setup_token);
	struct user	 u;
	struct create	 c = { &u, NULL };
	char		 hash[CRYPT_OUTPUT_SIZE];
	long long	 users = 0;
	enum err	 e;

	if (tlen == 0)
		return ERR_NOT_FOUND;
	if (r->v[SETUP_TOKEN].len != tlen || sodium_memcmp(r->v[SETUP_TOKEN].s, cfg.setup_token, tlen) != 0) {
		log_warn("setup: wrong setup token from %s", r->remote_addr != NULL ? r->remote_addr : "?");
		return reply_error(rep, ERR_FORBIDDEN, "Invalid setup token");
	}
	/* Answer 409 before spending a hash when users exist; checked again inside the transaction. */
	if (db_count_users(&users) == DB_OK && users > 0)
		return reply_error(rep, ERR_CONFLICT, "Setup is already done: the database has users");
	memset(&u, 0, sizeof(u));
	u.username = (char *)r->v[SETUP_USERNAME].s;
	u.email = r->v[SETUP_EMAIL].present ? (char *)r->v[SETUP_EMAIL].s : NULL;
	u.status = STATUS_ACTIVE;
	u.roles = ROLE_BIT(ROLE_ADMIN);
	u.created_at = r->now;
	u.last_login_at = -1;
	if (password_hash(r->v[SETUP_PASSWORD].s, r->v[SETUP_PASSWORD].len, cfg.hash_cost, hash, sizeof(hash)) == -1) {
		log_err("cannot hash a password");
		return ERR_UNAVAILABLE;
	}
	c.hash = hash;
	e = in_transaction(r, rep, setup_tx, &c);
	wipe(hash, sizeof(hash));
	if (e != ERR_OK)
		return e;
	log_warn("setup: first admin %s (%s) created with the setup token; remove setup_token from the configuration",
	    u.username, u.id);
	reply_user(rep, 201, &u);
	return ERR_OK;
}
