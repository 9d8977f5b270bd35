/*
 * audit-forge: what someone with write access to the database but not the audit key can do to the audit trail,
 * for tests/bats/27-audit-key.bats. It never reads the key.
 *
 *   audit-forge edit DB ROW ACTION   change a row's action, then recompute the whole chain with plain SHA-256
 *                                    (the chain as it was before keying): the forgery an unkeyed chain missed
 *   audit-forge unkey DB             recompute the chain with plain SHA-256 and forget the keying record:
 *                                    a database as the release before keying left it
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <sodium.h>

#include "../src/gatehouse.h"

static const char *
text(sqlite3_stmt *q, int c)
{
	return (const char *)sqlite3_column_text(q, c);
}

static int
rechain(sqlite3 *h)
{
	sqlite3_stmt		*q, *u;
	struct audit_row	 r;
	unsigned char		 prev[32] = { 0 };

	if (sqlite3_prepare_v2(h, "SELECT id, uuid, created_at, actor_id, actor_username, action, resource_type,"
	    " resource_id, details, ip_address FROM audit ORDER BY id", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "UPDATE audit SET prev_digest = ?2, digest = ?3 WHERE id = ?1", -1, &u, NULL) !=
	    SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(q, 0);
		snprintf(r.uuid, sizeof(r.uuid), "%s", text(q, 1));
		r.created_at = sqlite3_column_int64(q, 2);
		r.actor_id = text(q, 3);
		r.actor_username = text(q, 4);
		r.action = text(q, 5);
		r.resource_type = text(q, 6);
		r.resource_id = text(q, 7);
		r.details = text(q, 8);
		r.ip_address = text(q, 9);
		memcpy(r.prev_digest, prev, 32);
		if (audit_digest_unkeyed(&r, r.digest) == -1)
			return -1;
		sqlite3_bind_int64(u, 1, r.id);
		sqlite3_bind_blob(u, 2, r.prev_digest, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 3, r.digest, 32, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE)
			return -1;
		sqlite3_reset(u);
		memcpy(prev, r.digest, 32);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return 0;
}

int
main(int argc, char *argv[])
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*s;
	int		 ok;

	if (sodium_init() < 0 || argc < 3 || (strcmp(argv[1], "edit") == 0 && argc != 5) ||
	    (strcmp(argv[1], "unkey") == 0 && argc != 3) ||
	    (strcmp(argv[1], "edit") != 0 && strcmp(argv[1], "unkey") != 0)) {
		fprintf(stderr, "usage: audit-forge edit DB ROW ACTION | audit-forge unkey DB\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[2], &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "audit-forge: cannot open %s\n", argv[2]);
		return 1;
	}
	sqlite3_busy_timeout(h, 5000);
	ok = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	if (ok && strcmp(argv[1], "edit") == 0) {
		ok = sqlite3_prepare_v2(h, "UPDATE audit SET action = ?2 WHERE id = ?1", -1, &s, NULL) == SQLITE_OK;
		if (ok) {
			sqlite3_bind_int64(s, 1, strtoll(argv[3], NULL, 10));
			sqlite3_bind_text(s, 2, argv[4], -1, SQLITE_STATIC);
			ok = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(h) == 1;
			sqlite3_finalize(s);
		}
	} else if (ok)
		ok = sqlite3_exec(h, "DELETE FROM audit_meta", NULL, NULL, NULL) == SQLITE_OK;
	ok = ok && rechain(h) == 0 && sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok)
		fprintf(stderr, "audit-forge: %s\n", sqlite3_errmsg(h));
	sqlite3_close(h);
	return ok ? 0 : 1;
}
