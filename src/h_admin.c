/*
 * h_admin.c: the admin views that are not about one user: GET /admin/stats/ and the audit log, listed
 * (GET /admin/audit-logs/) and exported as CSV or JSON (GET /admin/audit-logs/export/{format}); and GET /health.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gatehouse.h"

/* The fields of query_audit_list and query_audit_export, by position (schemas.c). */
enum { AQ_USER_ID, AQ_ACTION, AQ_RESOURCE_TYPE, AQ_RESOURCE_ID, AQ_DATE_FROM, AQ_DATE_TO, AQ_SEARCH,
	AQ_SKIP, AQ_LIMIT, AQ_SORT, AQ_ORDER };
enum { AQ_MAX_ROWS = AQ_SKIP };

/* One "name":n member of users_by_status, skipped when n is 0. */
static void
put_count(struct buf *b, int *first, const char *name, long long n)
{
	if (n == 0)
		return;
	buf_printf(b, "%s\"%s\":%lld", *first ? "" : ",", name, n);
	*first = 0;
}

enum err
h_stats(struct req *r, struct reply *rep)
{
	long long	 counts[STATUS__MAX], suspended, total = 0;
	enum db_rc	 rc;
	int		 s, first = 1;

	(void)r;
	if ((rc = db_users_by_status(counts, &suspended)) != DB_OK)
		return db_err(rc);
	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"total_datasets\":0,\"recent_additions\":0,\"total_storage_bytes\":0,"
	    "\"datasets_by_geometry_type\":{},\"datasets_by_visibility\":{},\"users_by_status\":{");
	for (s = 0; s < STATUS__MAX; s++) {
		total += counts[s];
		if (s == STATUS_DISABLED && cfg.status_names == STATUS_NAMES_CURRENT) {
			/* As the answers name them: suspended when asked so, deactivated otherwise. */
			put_count(&rep->body, &first, status_wire(STATUS_DISABLED, DISABLED_SUSPENDED), suspended);
			put_count(&rep->body, &first, status_wire(STATUS_DISABLED, DISABLED_DEACTIVATED),
			    counts[s] - suspended);
		} else
			put_count(&rep->body, &first, status_wire((enum status)s, DISABLED_PLAIN), counts[s]);
	}
	buf_printf(&rep->body, "},\"total_users\":%lld}", total);
	return ERR_OK;
}

/*
 * GET /admin/audit-logs/verify: the state of the audit trail's keyed hash chain, as gatehousectl verify-audit
 * reports it (audit_verify walks every row and recomputes its HMAC-SHA-256 under the audit key), for the console:
 * {"valid", "rows" (rows checked), "head" (ROW:DIGEST, the anchor to keep elsewhere), "broken_at_row" (the first
 * row that breaks the chain, or null), "reason" (why, or null)}. Ours; the reference has no such route. It reads
 * the whole table, so it costs time in proportion to the trail: an administrator's read, not a polling target.
 */
enum err
h_audit_verify(struct req *r, struct reply *rep)
{
	char		 head[AUDIT_ANCHOR_LEN];
	long long	 rows = 0;
	int64_t		 bad = 0;
	const char	*why = NULL;
	int		 ok;

	(void)r;
	ok = audit_verify(&rows, &bad, &why) == 0;
	if (!ok && why != NULL && strcmp(why, "the audit table cannot be read") == 0)
		return ERR_UNAVAILABLE;
	if (audit_head(head) == -1)
		return ERR_UNAVAILABLE;
	reply_json_begin(rep, 200);
	buf_printf(&rep->body, "{\"valid\":%s,\"rows\":%lld,\"head\":", ok ? "true" : "false", rows);
	jw_cstr(&rep->body, head);
	buf_puts(&rep->body, ",\"broken_at_row\":");
	if (!ok && bad > 0)
		buf_printf(&rep->body, "%lld", (long long)bad);
	else
		buf_puts(&rep->body, "null");
	buf_puts(&rep->body, ",\"reason\":");
	if (!ok && why != NULL)
		jw_cstr(&rep->body, why);
	else
		buf_puts(&rep->body, "null");
	buf_putc(&rep->body, '}');
	return ERR_OK;
}

static const char *
opt(const struct value *v)
{
	return v->present ? v->s : NULL;
}

static void
audit_filter_from(struct req *r, struct audit_filter *f)
{
	const struct value *q = r->q;
	char *search = NULL, *p;

	memset(f, 0, sizeof(*f));
	f->user_id = opt(&q[AQ_USER_ID]);
	f->action = opt(&q[AQ_ACTION]);
	f->resource_type = opt(&q[AQ_RESOURCE_TYPE]);
	f->resource_id = opt(&q[AQ_RESOURCE_ID]);
	f->has_from = q[AQ_DATE_FROM].present;
	f->date_from = q[AQ_DATE_FROM].i;
	f->has_to = q[AQ_DATE_TO].present;
	f->date_to = q[AQ_DATE_TO].i;
	if (q[AQ_SEARCH].present && q[AQ_SEARCH].len > 0 &&
	    (search = arena_strndup(r->arena, q[AQ_SEARCH].s, q[AQ_SEARCH].len)) != NULL)
		for (p = search; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	f->search = search;
}

/* AuditLogResponse, keys in the reference's order. */
static void
audit_json(struct buf *b, const struct audit_row *a)
{
	buf_puts(b, "{\"id\":");
	jw_cstr(b, a->uuid);
	buf_puts(b, ",\"user_id\":");
	jw_cstr(b, a->actor_id);
	buf_puts(b, ",\"username\":");
	jw_cstr(b, a->actor_username);
	buf_puts(b, ",\"action\":");
	jw_cstr(b, a->action);
	buf_puts(b, ",\"resource_type\":");
	jw_cstr(b, a->resource_type);
	buf_puts(b, ",\"resource_id\":");
	jw_cstr(b, a->resource_id);
	buf_puts(b, ",\"resource_name\":");
	jw_cstr(b, a->resource_name);
	buf_puts(b, ",\"details\":");
	buf_puts(b, a->details != NULL ? a->details : "null");
	buf_puts(b, ",\"ip_address\":");
	jw_cstr(b, a->ip_address);
	buf_puts(b, ",\"created_at\":");
	jw_time(b, a->created_at);
	buf_putc(b, '}');
}

struct rows_out {
	struct buf	*b;
	struct sink	*sink;
	long		 n;
	int		 json;		/* export format: JSON, else CSV */
	char		 op[37];
	const char	*details;
};

static int
list_one(void *ctx, const struct audit_row *a)
{
	struct rows_out *o = ctx;

	if (o->n++ > 0)
		buf_putc(o->b, ',');
	audit_json(o->b, a);
	return o->b->failed ? -1 : 0;
}

enum err
h_audit_list(struct req *r, struct reply *rep)
{
	struct audit_filter	 f;
	struct rows_out		 o;
	long long		 total = 0;
	enum db_rc		 rc;

	audit_filter_from(r, &f);
	f.skip = r->q[AQ_SKIP].i;
	f.limit = r->q[AQ_LIMIT].i;
	f.sort = (int)r->q[AQ_SORT].i;
	f.desc = (int)r->q[AQ_ORDER].i;
	memset(&o, 0, sizeof(o));
	reply_json_begin(rep, 200);
	o.b = &rep->body;
	buf_puts(&rep->body, "{\"logs\":[");
	if ((rc = db_audit_list(&f, list_one, &o, &total)) != DB_OK)
		return db_err(rc);
	buf_printf(&rep->body, "],\"total\":%lld}", total);
	return ERR_OK;
}

/* Export rows: CSV as the reference's columns, or JSON as Python's json.dumps writes it. */

static void
flush(struct rows_out *o, int force)
{
	if (o->b->len >= 16 * 1024 || (force && o->b->len > 0)) {
		o->sink->write(o->sink->ctx, o->b->p, o->b->len);
		buf_reset(o->b);
	}
}

static void
py_cstr(struct buf *b, const char *s)
{
	struct buf	 t = { 0 };

	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	jw_cstr(&t, s);
	jw_python(b, buf_cstr(&t));
	buf_free(&t);
}

static int
export_one(void *ctx, const struct audit_row *a)
{
	struct rows_out	*o = ctx;
	struct buf	 t = { 0 };

	if (o->json) {
		buf_puts(o->b, o->n++ > 0 ? ", {" : "{");
		buf_puts(o->b, "\"id\": ");
		py_cstr(o->b, a->uuid);
		buf_puts(o->b, ", \"timestamp\": \"");
		time_isoformat(o->b, a->created_at);
		buf_puts(o->b, "\", \"username\": ");
		py_cstr(o->b, a->actor_username);
		buf_puts(o->b, ", \"action\": ");
		py_cstr(o->b, a->action);
		buf_puts(o->b, ", \"resource_type\": ");
		py_cstr(o->b, a->resource_type);
		buf_puts(o->b, ", \"resource_id\": ");
		py_cstr(o->b, a->resource_id);
		buf_puts(o->b, ", \"resource_name\": ");
		py_cstr(o->b, a->resource_name);
		buf_puts(o->b, ", \"ip_address\": ");
		py_cstr(o->b, a->ip_address);
		buf_puts(o->b, ", \"details\": ");
		jw_python(o->b, a->details);
		buf_putc(o->b, '}');
	} else {
		o->n++;
		time_isoformat(&t, a->created_at);
		csv_cell(o->b, buf_cstr(&t));
		buf_putc(o->b, ',');
		csv_cell(o->b, a->actor_username);
		buf_putc(o->b, ',');
		csv_cell(o->b, a->action);
		buf_putc(o->b, ',');
		csv_cell(o->b, a->resource_type);
		buf_putc(o->b, ',');
		csv_cell(o->b, a->resource_id);
		buf_putc(o->b, ',');
		csv_cell(o->b, a->ip_address);
		buf_putc(o->b, ',');
		buf_reset(&t);
		jw_python(&t, a->details);
		csv_cell(o->b, a->details != NULL ? buf_cstr(&t) : NULL);
		buf_putc(o->b, ',');
		csv_cell(o->b, a->resource_name);
		buf_puts(o->b, "\r\n");
		buf_free(&t);
	}
	flush(o, 0);
	return o->b->failed ? -1 : 0;
}

static enum db_rc
export_audit(struct req *r, struct rows_out *o)
{
	enum db_rc rc;

	if ((rc = db_begin()) != DB_OK)
		return rc;
	if ((rc = audit_log(r, "audit.export", "audit_log", o->op, o->details)) != DB_OK ||
	    (rc = db_commit()) != DB_OK)
		db_rollback();
	return rc;
}

static char *
export_details(struct req *r, struct rows_out *o, const char *outcome)
{
	struct audit_filter f;
	struct buf	 b = { 0 };
	char		 t[32];
	char		*out;

	audit_filter_from(r, &f);
	buf_printf(&b, "{\"operation_id\":\"%s\",\"format\":\"%s\",\"mode\":\"stream\",\"filters\":{", o->op,
	    o->json ? "json" : "csv");
	buf_puts(&b, "\"user_id\":");
	jw_cstr(&b, f.user_id);
	buf_puts(&b, ",\"action\":");
	jw_cstr(&b, f.action);
	buf_puts(&b, ",\"resource_type\":");
	jw_cstr(&b, f.resource_type);
	buf_puts(&b, ",\"resource_id\":");
	jw_cstr(&b, f.resource_id);
	buf_puts(&b, ",\"date_from\":");
	if (f.has_from) {
		time_iso(f.date_from, t);
		jw_cstr(&b, t);
	} else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"date_to\":");
	if (f.has_to) {
		time_iso(f.date_to, t);
		jw_cstr(&b, t);
	} else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"search\":");
	jw_cstr(&b, r->q[AQ_SEARCH].present ? r->q[AQ_SEARCH].s : NULL);
	buf_printf(&b, "},\"row_limit\":%lld,\"outcome\":\"%s\"", r->q[AQ_MAX_ROWS].i, outcome);
	if (strcmp(outcome, "requested") != 0)
		buf_printf(&b, ",\"selected_rows\":%ld", o->n);
	buf_putc(&b, '}');
	out = b.failed ? NULL : arena_strdup(r->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static long
audit_export_stream(struct req *r, struct reply *rep, struct sink *sink)
{
	struct rows_out		*o = rep->stream_ctx;
	struct audit_filter	 f;
	enum db_rc		 rc;

	o->b = &rep->body;
	o->sink = sink;
	buf_reset(o->b);
	if (o->json)
		buf_putc(o->b, '[');
	else
		buf_puts(o->b, "timestamp,username,action,resource_type,resource_id,ip_address,details,"
		    "resource_name\r\n");
	audit_filter_from(r, &f);
	f.sort = 0;
	f.desc = 1;
	f.limit = r->q[AQ_MAX_ROWS].i;
	f.before_id = audit_last_id();	/* the export's own rows stay out of the file */
	rc = db_audit_list(&f, export_one, o, NULL);
	if (o->json)
		buf_putc(o->b, ']');
	flush(o, 1);
	o->details = export_details(r, o, rc == DB_OK ? "completed" : "failed");
	(void)export_audit(r, o);
	return rc == DB_OK ? o->n : -1;
}

enum err
h_audit_export(struct req *r, struct reply *rep)
{
	struct rows_out	*o;
	char		 stamp[32];
	time_t		 t = (time_t)(r->now / 1000000);
	struct tm	 tm;
	enum db_rc	 rc;

	if (strcmp(r->params[0], "csv") != 0 && strcmp(r->params[0], "json") != 0)
		return ERR_NOT_FOUND;
	if ((o = arena_alloc(r->arena, sizeof(*o))) == NULL)
		return ERR_UNAVAILABLE;
	memset(o, 0, sizeof(*o));
	o->json = r->params[0][0] == 'j';
	uuid_v4(o->op);
	o->details = export_details(r, o, "requested");
	if ((rc = export_audit(r, o)) != DB_OK)
		return db_err(rc);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	reply_json_begin(rep, 200);
	rep->content_type = o->json ? "application/json" : "text/csv; charset=utf-8";
	rep->disposition = arena_printf(r->arena,
	    "attachment; filename=\"audit-export-%s.%s\"; filename*=UTF-8''audit-export-%s.%s", stamp,
	    r->params[0], stamp, r->params[0]);
	rep->stream = audit_export_stream;
	rep->stream_ctx = o;
	return ERR_OK;
}

/*
 * GET /health: for load balancers and monitoring. 200 {"status":"ok"} when the database answers a read (one page
 * of the users table), 503 in the contract's error shape otherwise (busy past the timeout, unreadable, gone). No
 * credentials, no audit row.
 */
enum err
h_health(struct req *r, struct reply *rep)
{
	enum db_rc rc = db_health();

	(void)r;
	if (rc != DB_OK)
		return reply_error(rep, ERR_UNAVAILABLE, "The database does not answer");
	/* As CGI a missing key does not stop the program (FastCGI refuses to start): every audited write would 503. */
	if (!audit_key_loaded())
		return reply_error(rep, ERR_UNAVAILABLE, "The audit key cannot be read");
	reply_json_begin(rep, 200);
	buf_puts(&rep->body, "{\"status\":\"ok\"}");
	return ERR_OK;
}
