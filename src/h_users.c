/*
 * h_users.c: the admin API over users. POST /admin/users/ creates one (the seed's endpoint).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <string.h>

#include <crypt.h>

#include "gatehouse.h"

/* The fields of schema_admin_user_create, by position. */
enum { CREATE_USERNAME, CREATE_PASSWORD, CREATE_EMAIL, CREATE_ROLE };

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
 * Checks are made twice: once before hashing, so a taken name answers 409 at once, and again inside the
 * BEGIN IMMEDIATE transaction that inserts, so two concurrent creates cannot both win. The write lock is never
 * held while hashing.
 */
enum err
h_users_create(struct req *r, struct reply *rep)
{
	struct user	 u;
	char		 hash[CRYPT_OUTPUT_SIZE];
	enum db_rc	 rc;

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
	if ((rc = db_begin()) != DB_OK)
		return db_err(rc);
	if ((rc = db_user_insert(r->arena, &u, hash)) != DB_OK || (rc = db_commit()) != DB_OK) {
		db_rollback();
		return conflict(rep, rc);
	}
	wipe(hash, sizeof(hash));
	log_info("user %s created by %s", u.id, r->who.id);
	reply_json_begin(rep, 201);
	user_json(&rep->body, &u);
	return ERR_OK;
}
