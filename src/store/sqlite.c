/*
 * store/sqlite.c: the SQLite engine. Migrations under PRAGMA user_version, a statement table prepared once per
 * process (on first use, so a CGI request prepares only what it runs), and typed functions over it. No SQL is
 * ever built from a format string: every statement is static text with bound parameters.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/stmt.h"

/* Rotated sessions a login keeps for reuse detection: a rotated token presented after the grace revokes the
   login while its row is kept; an older one (rows trimmed) is simply invalid. */
#define SESSIONS_ROTATED_KEPT 8

static sqlite3 *db;
static int	 db_reopen;	/* the file was found read-only: reopen it before the next request */
static char	 db_path[1024];	/* for reopening */

/* Migrations: append only; index i brings user_version from i to i + 1, and says so in its last statement. */
static const char *const migrations[] = {
	/* 1: users, roles, sessions, audit. */
	"CREATE TABLE roles ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE"
	") STRICT;"
	"INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'editor'), (3, 'viewer');"
	"CREATE TABLE users ("
	"  uid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),"
	"  username TEXT NOT NULL,"
	"  username_key TEXT NOT NULL UNIQUE,"		/* folded: case-insensitive uniqueness */
	"  email TEXT,"
	"  email_key TEXT UNIQUE,"
	"  password_hash TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disabled')),"
	"  is_active INTEGER GENERATED ALWAYS AS (status = 'active') VIRTUAL,"
	"  auth_provider TEXT NOT NULL DEFAULT 'local',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  last_login_at INTEGER,"
	"  token_version INTEGER NOT NULL DEFAULT 1,"
	"  key_epoch INTEGER NOT NULL DEFAULT 1,"
	"  sessions_revoked_at INTEGER"
	") STRICT;"
	"CREATE INDEX users_created ON users (created_at, id);"
	"CREATE TABLE user_roles ("
	"  uid INTEGER NOT NULL REFERENCES users (uid) ON DELETE CASCADE,"
	"  role_id INTEGER NOT NULL REFERENCES roles (id),"
	"  PRIMARY KEY (uid, role_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  uid INTEGER NOT NULL REFERENCES users (uid) ON DELETE CASCADE,"
	"  family INTEGER,"				/* the first session of the login; NULL: this one */
	"  access_digest BLOB NOT NULL UNIQUE,"
	"  access_expires_at INTEGER NOT NULL,"
	"  refresh_digest BLOB NOT NULL UNIQUE,"
	"  refresh_expires_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  rotated_at INTEGER,"
	"  revoked_at INTEGER"
	") STRICT;"
	"CREATE INDEX sessions_uid ON sessions (uid);"
	"CREATE INDEX users_username ON users (username, id);"
	"CREATE INDEX users_status ON users (status, created_at, id);"
	"CREATE INDEX users_last_login ON users (last_login_at, id);"
	"CREATE INDEX users_email ON users (email, id);"
	/* The audit trail: each row carries the SHA-256 of its predecessor's digest and its own fields. */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  actor_id TEXT,"
	"  actor_username TEXT,"
	"  action TEXT NOT NULL,"
	"  resource_type TEXT NOT NULL,"
	"  resource_id TEXT,"
	"  details TEXT,"
	"  ip_address TEXT,"
	"  prev_digest BLOB NOT NULL,"
	"  digest BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX audit_created ON audit (created_at, id);"
	"CREATE INDEX audit_actor ON audit (actor_id, created_at);"
	"PRAGMA user_version = 1;",

	/* 2: API keys, login throttling, session families. */
	"CREATE TABLE api_keys ("
	"  kid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  uid INTEGER NOT NULL REFERENCES users (uid) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  digest BLOB NOT NULL UNIQUE,"
	"  fingerprint TEXT NOT NULL,"
	"  scope TEXT NOT NULL CHECK (scope IN ('full', 'read_only')),"
	"  expires_at INTEGER,"
	"  is_active INTEGER NOT NULL DEFAULT 1,"
	"  key_epoch INTEGER NOT NULL,"		/* the owner's key_epoch when minted; a bump retires the key */
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER"
	") STRICT;"
	"CREATE INDEX api_keys_uid ON api_keys (uid, created_at);"
	"CREATE TABLE throttle ("
	"  key TEXT PRIMARY KEY,"			/* 'account:<folded name>' or 'address:<ip>' */
	"  failures INTEGER NOT NULL,"
	"  window_start INTEGER NOT NULL,"
	"  blocked_until INTEGER NOT NULL DEFAULT 0"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX sessions_family ON sessions (family);"
	"PRAGMA user_version = 2;",

	/* 3: a trigram index over the folded names and emails, so substring search does not scan every user. */
	"CREATE VIRTUAL TABLE users_fts USING fts5(username_key, email_key, content='users', content_rowid='uid',"
	"  tokenize='trigram');"
	"INSERT INTO users_fts (users_fts) VALUES ('rebuild');"
	"CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN"
	"  INSERT INTO users_fts (rowid, username_key, email_key) VALUES (new.uid, new.username_key, new.email_key);"
	" END;"
	"CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN"
	"  INSERT INTO users_fts (users_fts, rowid, username_key, email_key)"
	"  VALUES ('delete', old.uid, old.username_key, old.email_key);"
	" END;"
	"CREATE TRIGGER users_fts_update AFTER UPDATE OF username_key, email_key ON users BEGIN"
	"  INSERT INTO users_fts (users_fts, rowid, username_key, email_key)"
	"  VALUES ('delete', old.uid, old.username_key, old.email_key);"
	"  INSERT INTO users_fts (rowid, username_key, email_key) VALUES (new.uid, new.username_key, new.email_key);"
	" END;"
	"PRAGMA user_version = 3;",

	/* 4: each user's roles also as a bitmask on the row (bit r - 1 for role id r), kept by triggers, so
	   reading a user with its roles is one row and no second lookup. user_roles stays the truth. */
	"ALTER TABLE users ADD COLUMN role_bits INTEGER NOT NULL DEFAULT 0;"
	"UPDATE users SET role_bits ="
	"  (SELECT coalesce(sum(1 << (r.role_id - 1)), 0) FROM user_roles r WHERE r.uid = users.uid);"
	"CREATE TRIGGER user_roles_insert AFTER INSERT ON user_roles BEGIN"
	"  UPDATE users SET role_bits = role_bits | (1 << (new.role_id - 1)) WHERE uid = new.uid;"
	" END;"
	"CREATE TRIGGER user_roles_delete AFTER DELETE ON user_roles BEGIN"
	"  UPDATE users SET role_bits = role_bits & ~(1 << (old.role_id - 1)) WHERE uid = old.uid;"
	" END;"
	"CREATE TRIGGER user_roles_update AFTER UPDATE ON user_roles BEGIN"
	"  UPDATE users SET role_bits ="
	"    (SELECT coalesce(sum(1 << (r.role_id - 1)), 0) FROM user_roles r WHERE r.uid = users.uid)"
	"    WHERE uid IN (old.uid, new.uid);"
	" END;"
	"PRAGMA user_version = 4;",

	/* 5: Unicode keys by library (libunistring). The unique keys are re-made (case folding + NFC, util.c);
	   a search key per name and email (NFKD, folded, marks dropped) replaces the unique keys under the trigram
	   index, so search is accent-insensitive. gatehouse_unique_key() and gatehouse_search_key() are the SQL
	   functions db_open() registers; a clash of re-made unique keys is found before this runs
	   (check_rekey()), since the UPDATE would only say "UNIQUE constraint failed". */
	"DROP TRIGGER users_fts_insert;"
	"DROP TRIGGER users_fts_delete;"
	"DROP TRIGGER users_fts_update;"
	"DROP TABLE users_fts;"
	"ALTER TABLE users ADD COLUMN username_skey TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN email_skey TEXT;"
	"UPDATE users SET username_key = gatehouse_unique_key(username), email_key = gatehouse_unique_key(email),"
	"  username_skey = gatehouse_search_key(username), email_skey = gatehouse_search_key(email);"
	"CREATE VIRTUAL TABLE users_fts USING fts5(username_skey, email_skey, content='users', content_rowid='uid',"
	"  tokenize='trigram');"
	"INSERT INTO users_fts (users_fts) VALUES ('rebuild');"
	"CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN"
	"  INSERT INTO users_fts (rowid, username_skey, email_skey) VALUES (new.uid, new.username_skey, new.email_skey);"
	" END;"
	"CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN"
	"  INSERT INTO users_fts (users_fts, rowid, username_skey, email_skey)"
	"  VALUES ('delete', old.uid, old.username_skey, old.email_skey);"
	" END;"
	"CREATE TRIGGER users_fts_update AFTER UPDATE OF username_skey, email_skey ON users BEGIN"
	"  INSERT INTO users_fts (users_fts, rowid, username_skey, email_skey)"
	"  VALUES ('delete', old.uid, old.username_skey, old.email_skey);"
	"  INSERT INTO users_fts (rowid, username_skey, email_skey) VALUES (new.uid, new.username_skey, new.email_skey);"
	" END;"
	"PRAGMA user_version = 5;",

	/* 6: what bounds the database's growth: every throttle row says when it may be pruned, and the prunes of
	   expired and revoked sessions and of stale throttle rows walk indexes instead of the tables. */
	"ALTER TABLE throttle ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX throttle_expires ON throttle (expires_at);"
	"CREATE INDEX sessions_refresh_expires ON sessions (refresh_expires_at);"
	"CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;"
	"PRAGMA user_version = 6;",

	/* 7: the start of the login each session belongs to, for the absolute lifetime of a login (every refresh
	   of it carries the time of the password login that began it). */
	"ALTER TABLE sessions ADD COLUMN login_at INTEGER;"
	"UPDATE sessions SET login_at = coalesce((SELECT f.created_at FROM sessions f WHERE f.id = sessions.family),"
	"  created_at);"
	"PRAGMA user_version = 7;",

	/* 8: site sessions (the gatehouse_session cookie) are rows of sessions too, so every revocation of a user's
	   sessions ends them as well. access_digest is the cookie's digest, access_expires_at its absolute end;
	   refresh_digest is random and never handed out; used_at drives the idle lifetime. */
	"ALTER TABLE sessions ADD COLUMN site INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN used_at INTEGER;"
	"PRAGMA user_version = 8;",

	/* 9: the keyed audit chain's record: which chain it is, and where a chain from before keying was re-keyed
	   (audit.c fills it when the database is first opened with the key). */
	"CREATE TABLE audit_meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"PRAGMA user_version = 9;",

	/* 10: how a disabled account was disabled, when the request named it ("suspended" or "deactivated", the
	   reference's current statuses); NULL otherwise, and always NULL unless the status is 'disabled'. */
	"ALTER TABLE users ADD COLUMN disabled_as TEXT"
	"  CHECK (disabled_as IS NULL OR (status = 'disabled' AND disabled_as IN ('suspended', 'deactivated')));"
	"PRAGMA user_version = 10;",
};

/* The status column is coalesce(disabled_as, status): "suspended" and "deactivated" are read as disabled. */
#define USER_COLS \
	"u.uid, u.id, u.username, u.email, coalesce(u.disabled_as, u.status), u.created_at, u.last_login_at," \
	" u.role_bits, u.token_version"
#define USER_NCOLS 9


#define AUDIT_WHERE \
	" WHERE (?1 IS NULL OR a.actor_id = ?1) AND (?2 IS NULL OR a.action = ?2)" \
	" AND (?3 IS NULL OR a.resource_type = ?3) AND (?4 IS NULL OR a.resource_id = ?4)" \
	" AND (?5 IS NULL OR a.created_at >= ?5) AND (?6 IS NULL OR a.created_at <= ?6)" \
	" AND (?7 IS NULL OR instr(gatehouse_search_key(a.action), gatehouse_search_key(?7)) > 0" \
	"  OR instr(gatehouse_search_key(a.resource_type), gatehouse_search_key(?7)) > 0" \
	"  OR instr(gatehouse_search_key(coalesce(a.actor_username, '')), gatehouse_search_key(?7)) > 0)" \
	" AND a.id < ?8"
#define AUDIT_COLS \
	"a.uuid, a.actor_id, a.actor_username, a.action, a.resource_type, a.resource_id, a.details," \
	" a.ip_address, a.created_at," \
	" CASE WHEN a.resource_type = 'user' THEN (SELECT username FROM users WHERE id = a.resource_id) END"
#define AUDIT_SQL(order) "SELECT " AUDIT_COLS " FROM audit a" AUDIT_WHERE " ORDER BY " order " LIMIT ?9 OFFSET ?10"

/* Without a search, or with one shorter than three characters (?2), which is matched by scanning. */
#define LIST_WHERE \
	" WHERE (?1 IS NULL OR u.status = ?1) AND (?5 IS NULL OR coalesce(u.disabled_as, 'deactivated') = ?5)" \
	" AND (?2 IS NULL OR instr(u.username_skey, ?2) > 0 OR instr(coalesce(u.email_skey, ''), ?2) > 0)"
/* With a search of three characters or more: the trigram index names the rows (?2 is an FTS5 phrase), so the
   query starts from the matches instead of scanning every user. */
#define FIND_WHERE \
	" WHERE u.uid IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?2) AND (?1 IS NULL OR u.status = ?1)" \
	" AND (?5 IS NULL OR coalesce(u.disabled_as, 'deactivated') = ?5)"
#define LIST_SQL(order) "SELECT " USER_COLS " FROM users u" LIST_WHERE " ORDER BY " order " LIMIT ?3 OFFSET ?4"
#define FIND_SQL(order) "SELECT " USER_COLS " FROM users u" FIND_WHERE " ORDER BY " order " LIMIT ?3 OFFSET ?4"
#define USER_ORDERS(SQL) { \
	SQL("u.username ASC, u.id ASC"), SQL("u.username DESC, u.id DESC"), \
	SQL("u.email IS NULL, u.email ASC, u.id ASC"), SQL("u.email IS NULL, u.email DESC, u.id DESC"), \
	SQL("u.status ASC, u.id ASC"), SQL("u.status DESC, u.id DESC"), \
	SQL("u.last_login_at IS NULL, u.last_login_at ASC, u.id ASC"), \
	SQL("u.last_login_at IS NULL, u.last_login_at DESC, u.id DESC"), \
	SQL("u.created_at ASC, u.id ASC"), SQL("u.created_at DESC, u.id DESC") }

static const char *const stmt_sql[STMT__MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_USER_EXISTS_NAME] = "SELECT 1 FROM users WHERE username_key = ?1",
	[STMT_USER_EXISTS_EMAIL] = "SELECT 1 FROM users WHERE email_key = ?1",
	[STMT_USER_INSERT] =
	    "INSERT INTO users (id, username, username_key, email, email_key, password_hash, status,"
	    " created_at, updated_at, username_skey, email_skey)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, gatehouse_search_key(?2), gatehouse_search_key(?4))",
	[STMT_USER_ROLE_INSERT] = "INSERT INTO user_roles (uid, role_id) VALUES (?1, ?2)",
	[STMT_USER_BY_LOGIN] = "SELECT " USER_COLS ", u.password_hash FROM users u WHERE u.username_key = ?1",
	[STMT_USER_SET_LOGIN] = "UPDATE users SET last_login_at = ?2 WHERE uid = ?1",
	/* Compare-and-swap: the upgraded hash replaces only the hash it was made from, never a reset's. */
	[STMT_USER_SET_LOGIN_HASH] =
	    "UPDATE users SET last_login_at = ?2, password_hash = ?3, updated_at = ?2 WHERE uid = ?1"
	    " AND password_hash = ?4",
	[STMT_USER_EPOCH] = "SELECT token_version FROM users WHERE uid = ?1",
	[STMT_USER_BY_ACCESS] =
	    "SELECT " USER_COLS ", s.access_expires_at FROM sessions s JOIN users u ON u.uid = s.uid"
	    " WHERE s.access_digest = ?1 AND s.revoked_at IS NULL",
	[STMT_COUNT_USERS] = "SELECT count(*) FROM users",
	[STMT_HEALTH] = "SELECT 1 FROM users LIMIT 1",	/* one page read, whatever the table's size */
	[STMT_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = ?1",
	[STMT_USER_COUNT_FILTERED] = "SELECT count(*) FROM users u" LIST_WHERE,
	[STMT_USER_FIND_COUNT] = "SELECT count(*) FROM users u" FIND_WHERE,
	[STMT_USER_NAMES] = "SELECT id, username FROM users ORDER BY username, id LIMIT ?1 OFFSET ?2",
	[STMT_USER_EXPORT] = "SELECT email, username, auth_provider, coalesce(disabled_as, status), created_at FROM users"
	    " ORDER BY created_at, id",
	/* Viable admins: active, holding the admin role. */
	[STMT_VIABLE_ADMINS_EXCEPT] = "SELECT count(*) FROM users u JOIN user_roles r ON r.uid = u.uid"
	    " WHERE r.role_id = 1 AND u.status = 'active' AND u.uid != ?1",
	[STMT_USER_SET_EMAIL] = "UPDATE users SET email = ?2, email_key = ?3, email_skey = gatehouse_search_key(?2),"
	    " updated_at = ?4 WHERE uid = ?1",
	[STMT_USER_SET_STATUS] = "UPDATE users SET status = ?2, disabled_as = ?4, token_version = token_version + 1,"
	    " updated_at = ?3 WHERE uid = ?1",
	[STMT_USER_ROLES_CLEAR] = "DELETE FROM user_roles WHERE uid = ?1",
	[STMT_USER_BUMP_KEY_EPOCH] = "UPDATE users SET key_epoch = key_epoch + 1, token_version = token_version + 1,"
	    " updated_at = ?2 WHERE uid = ?1",
	[STMT_USER_DELETE] = "DELETE FROM users WHERE uid = ?1",
	[STMT_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2, key_epoch = key_epoch + 1,"
	    " token_version = token_version + 1, sessions_revoked_at = ?3, updated_at = ?3 WHERE uid = ?1",
	[STMT_SESSIONS_REVOKE] = "UPDATE sessions SET revoked_at = ?2 WHERE uid = ?1 AND revoked_at IS NULL",
	[STMT_USERS_BY_STATUS] = "SELECT status, disabled_as = 'suspended', count(*) FROM users GROUP BY 1, 2",
	[STMT_EMAIL_TAKEN_BY_OTHER] = "SELECT 1 FROM users WHERE email_key = ?1 AND uid != ?2",
	[STMT_AUDIT_LAST] = "SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1",
	[STMT_AUDIT_INSERT] = "INSERT INTO audit (id, uuid, created_at, actor_id, actor_username, action,"
	    " resource_type, resource_id, details, ip_address, prev_digest, digest)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[STMT_AUDIT_ALL] = "SELECT id, uuid, created_at, actor_id, actor_username, action, resource_type,"
	    " resource_id, details, ip_address, prev_digest, digest FROM audit ORDER BY id",
	[STMT_AUDIT_FIRST] = "SELECT id, prev_digest FROM audit ORDER BY id LIMIT 1",
	[STMT_AUDIT_LAST_OF_ACTION] = "SELECT id, uuid, created_at, actor_id, actor_username, action, resource_type,"
	    " resource_id, details, ip_address, prev_digest, digest FROM audit WHERE action = ?1 ORDER BY id DESC LIMIT 1",
	/* The last row a prune of the rows created before ?1 removes: a prefix of the chain, at most ?2 rows, never
	   the head (the next row links to it). */
	[STMT_AUDIT_PRUNE_EDGE] =
	    "SELECT min(coalesce((SELECT min(id) FROM audit WHERE created_at >= ?1), max(id)) - 1, min(id) + ?2 - 1,"
	    " max(id) - 1), min(id) FROM audit",
	[STMT_AUDIT_PRUNE] = "DELETE FROM audit WHERE id <= ?1",
	[STMT_SESSION_BY_REFRESH] =
	    "SELECT s.id, coalesce(s.family, s.id), s.refresh_expires_at, s.rotated_at, s.revoked_at,"
	    " coalesce(s.login_at, s.created_at), " USER_COLS
	    " FROM sessions s JOIN users u ON u.uid = s.uid WHERE s.refresh_digest = ?1",
	[STMT_SESSION_ROTATE] = "UPDATE sessions SET rotated_at = coalesce(rotated_at, ?2) WHERE id = ?1",
	[STMT_SESSION_INSERT_FAMILY] =
	    "INSERT INTO sessions (uid, access_digest, access_expires_at, refresh_digest, refresh_expires_at,"
	    " created_at, family, login_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* A stolen refresh token ends its login and, since the thief may have had the browser too, the user's site
	   sessions. */
	[STMT_SESSIONS_REVOKE_FAMILY] =
	    "UPDATE sessions SET revoked_at = ?2 WHERE (id = ?1 OR family = ?1"
	    " OR (site = 1 AND uid = (SELECT uid FROM sessions WHERE id = ?1))) AND revoked_at IS NULL",
	[STMT_SITE_INSERT] =
	    "INSERT INTO sessions (uid, access_digest, access_expires_at, refresh_digest, refresh_expires_at,"
	    " created_at, site, used_at, login_at) VALUES (?1, ?2, ?3, ?4, ?3, ?5, 1, ?5, ?5)",
	[STMT_SITE_BY_DIGEST] =
	    "SELECT " USER_COLS ", s.id, s.access_expires_at, coalesce(s.used_at, s.created_at)"
	    " FROM sessions s JOIN users u ON u.uid = s.uid"
	    " WHERE s.access_digest = ?1 AND s.site = 1 AND s.revoked_at IS NULL",
	[STMT_SITE_TOUCH] = "UPDATE sessions SET used_at = ?2 WHERE id = ?1 AND site = 1",
	[STMT_KEY_BY_DIGEST] =
	    "SELECT k.kid, k.scope, k.expires_at, k.is_active, k.key_epoch = u.key_epoch, k.last_used_at, " USER_COLS
	    " FROM api_keys k JOIN users u ON u.uid = k.uid WHERE k.digest = ?1",
	[STMT_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = ?2 WHERE kid = ?1",
	[STMT_KEY_INSERT] =
	    "INSERT INTO api_keys (id, uid, name, digest, fingerprint, scope, expires_at, key_epoch, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT key_epoch FROM users WHERE uid = ?2), ?8)",
	[STMT_KEY_LIST] =
	    "SELECT k.id, u.id, k.name, k.fingerprint, k.is_active, k.expires_at, k.scope, k.created_at,"
	    " k.last_used_at FROM api_keys k JOIN users u ON u.uid = k.uid WHERE (?1 IS NULL OR k.uid = ?1)"
	    " ORDER BY k.created_at, k.kid LIMIT ?2 OFFSET ?3",
	[STMT_KEY_COUNT] = "SELECT count(*) FROM api_keys k WHERE (?1 IS NULL OR k.uid = ?1)",
	[STMT_KEY_LIVE_COUNT] =
	    "SELECT count(*) FROM api_keys k JOIN users u ON u.uid = k.uid WHERE k.uid = ?1 AND k.is_active = 1"
	    " AND k.key_epoch = u.key_epoch AND (k.expires_at IS NULL OR k.expires_at > ?2)",
	[STMT_KEY_GET] =
	    "SELECT k.kid, k.name, k.fingerprint, u.id FROM api_keys k JOIN users u ON u.uid = k.uid"
	    " WHERE k.id = ?1 AND (?2 IS NULL OR k.uid = ?2)",
	[STMT_KEY_REVOKE] = "UPDATE api_keys SET is_active = 0 WHERE kid = ?1",
	[STMT_THROTTLE_GET] = "SELECT failures, window_start, blocked_until, expires_at FROM throttle WHERE key = ?1",
	[STMT_THROTTLE_PUT] =
	    "INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,"
	    " blocked_until = excluded.blocked_until, expires_at = excluded.expires_at",
	[STMT_THROTTLE_DEL] = "DELETE FROM throttle WHERE key = ?1",
	/* One request against a fixed window of ?3 microseconds, counted atomically: the count so far and when
	   the window started. In the SET clause every column still names the old value. */
	[STMT_RATE_HIT] =
	    "INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at) VALUES (?1, 1, ?2, 0, ?2 + ?3)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " failures = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE failures + 1 END,"
	    " window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END,"
	    " expires_at = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END + ?3"
	    " RETURNING failures, window_start",
	/* Ends a user's logins past the newest ?3 (by last activity): every session of each such login. */
	/* A live session holds a usable refresh token or site cookie: neither rotated, revoked nor expired. A refresh
	   within the reuse grace forks a login into two of them, so they are what the cap counts. */
	[STMT_SESSIONS_CAP] =
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
	    " WHERE uid = ?1 AND revoked_at IS NULL AND rotated_at IS NULL AND refresh_expires_at > ?2"
	    " ORDER BY coalesce(used_at, created_at) DESC, id DESC LIMIT -1 OFFSET ?3)",
	/* The rotated sessions (live access tokens) of a login none of whose live sessions is left. */
	[STMT_SESSIONS_HEADLESS] =
	    "DELETE FROM sessions WHERE uid = ?1 AND rotated_at IS NOT NULL AND coalesce(family, id) NOT IN ("
	    " SELECT coalesce(family, id) FROM sessions WHERE uid = ?1 AND rotated_at IS NULL)",
	[STMT_SESSIONS_DEAD_OF_USER] =
	    "DELETE FROM sessions WHERE uid = ?1 AND (revoked_at IS NOT NULL OR refresh_expires_at <= ?2)",
	/* A login keeps its newest ?2 rotated sessions (reuse detection needs the recent ones). */
	[STMT_SESSIONS_TRIM_FAMILY] =
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
	    " WHERE (id = ?1 OR family = ?1) AND rotated_at IS NOT NULL ORDER BY id DESC LIMIT -1 OFFSET ?2)",
	[STMT_PRUNE_SESSIONS_EXPIRED] =
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE refresh_expires_at <= ?1 LIMIT ?2)",
	[STMT_PRUNE_SESSIONS_REVOKED] =
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE revoked_at IS NOT NULL LIMIT ?1)",
	[STMT_AUDIT_DIGEST_OF] = "SELECT digest FROM audit WHERE id = ?1",
	[STMT_AUDIT_SET_DIGESTS] = "UPDATE audit SET prev_digest = ?2, digest = ?3 WHERE id = ?1",
	[STMT_AUDIT_META_GET] = "SELECT value FROM audit_meta WHERE key = ?1",
	[STMT_AUDIT_META_PUT] = "INSERT INTO audit_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[STMT_PRUNE_THROTTLE] =
	    "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle WHERE expires_at <= ?1 LIMIT ?2)",
	[STMT_AUDIT_COUNT] = "SELECT count(*) FROM audit a" AUDIT_WHERE,
	/* In the order of query_audit_list's sort literal: created_at, action, resource_type, ip_address,
	   username; ascending then descending; id breaks ties. */
	[STMT_AUDIT_LIST + 0] = AUDIT_SQL("a.created_at ASC, a.id ASC"),
	[STMT_AUDIT_LIST + 1] = AUDIT_SQL("a.created_at DESC, a.id DESC"),
	[STMT_AUDIT_LIST + 2] = AUDIT_SQL("a.action ASC, a.id ASC"),
	[STMT_AUDIT_LIST + 3] = AUDIT_SQL("a.action DESC, a.id DESC"),
	[STMT_AUDIT_LIST + 4] = AUDIT_SQL("a.resource_type ASC, a.id ASC"),
	[STMT_AUDIT_LIST + 5] = AUDIT_SQL("a.resource_type DESC, a.id DESC"),
	[STMT_AUDIT_LIST + 6] = AUDIT_SQL("a.ip_address IS NULL, a.ip_address ASC, a.id ASC"),
	[STMT_AUDIT_LIST + 7] = AUDIT_SQL("a.ip_address IS NULL, a.ip_address DESC, a.id DESC"),
	[STMT_AUDIT_LIST + 8] = AUDIT_SQL("a.actor_username IS NULL, a.actor_username ASC, a.id ASC"),
	[STMT_AUDIT_LIST + 9] = AUDIT_SQL("a.actor_username IS NULL, a.actor_username DESC, a.id DESC"),
};

static sqlite3_stmt *stmts[STMT__MAX];

/* Sort columns in the order of query_users_list's literal (username, email, status, last_login_at, created_at),
   each ascending then descending; NULLs last both ways; id breaks ties. */
static const char *const list_sql[10] = USER_ORDERS(LIST_SQL);
static const char *const find_sql[10] = USER_ORDERS(FIND_SQL);

static const char *
sql_of(enum stmt s)
{
	if (s >= STMT_USER_LIST && s <= STMT_USER_LIST_LAST)
		return list_sql[s - STMT_USER_LIST];
	if (s >= STMT_USER_FIND && s <= STMT_USER_FIND_LAST)
		return find_sql[s - STMT_USER_FIND];
	return stmt_sql[s];
}

static enum db_rc
db_rc_of(int rc, const char *what)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("database busy: %s", what);
		return DB_BUSY;
	case SQLITE_READONLY:
		log_err("database is read-only: %s; it is reopened before the next request", what);
		db_reopen = 1;
		return DB_FAIL;
	default:
		log_err("database error: %s: %s", what, sqlite3_errmsg(db));
		return DB_FAIL;
	}
}

/* The prepared statement, reset and ready for binding; NULL when it cannot be prepared (logged). */
static sqlite3_stmt *
stmt(enum stmt s)
{
	if (db == NULL)
		return NULL;
	if (stmts[s] == NULL) {
		if (sqlite3_prepare_v3(db, sql_of(s), -1, SQLITE_PREPARE_PERSISTENT, &stmts[s], NULL) !=
		    SQLITE_OK) {
			log_err("cannot prepare statement %d: %s", (int)s, sqlite3_errmsg(db));
			stmts[s] = NULL;
			return NULL;
		}
	}
	return stmts[s];
}

static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static enum db_rc
exec_stmt(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	enum db_rc r = db_rc_of(rc, what);

	stmt_done(st);
	return r;
}

/* Steps a statement that returns at most one row: DB_OK with the row ready to read, DB_NONE, or the error. */
static enum db_rc
step_row(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_ROW ? DB_OK : rc == SQLITE_DONE ? DB_NONE : db_rc_of(rc, what);
}

/* Runs a statement whose two parameters are an id and a time (or any two integers). */
static enum db_rc
exec_two(enum stmt which, int64_t a, int64_t b, const char *what)
{
	sqlite3_stmt *st = stmt(which);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	return exec_stmt(st, what);
}

static int
exec_sql(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("database: %s", msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
sqlite_schema_version(void)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* gatehouse_unique_key(text) and gatehouse_search_key(text): util.c's keys for SQL; NULL gives NULL. */
static void
sql_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char *(*key)(const char *, size_t, size_t *) = (char *(*)(const char *, size_t, size_t *))
	    (uintptr_t)sqlite3_user_data(ctx);
	const char	*s;
	char		*k;
	size_t		 len;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;		/* the result stays NULL */
	if ((s = (const char *)sqlite3_value_text(argv[0])) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if ((k = key(s, (size_t)sqlite3_value_bytes(argv[0]), &len)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, k, (int)len, free);
}

static int
register_functions(void)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "gatehouse_unique_key", 1, flags, (void *)(uintptr_t)unicode_unique_key,
	    sql_key, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "gatehouse_search_key", 1, flags, (void *)(uintptr_t)unicode_search_key,
	    sql_key, NULL, NULL) != SQLITE_OK) {
		log_err("database: cannot register the key functions: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Before migration 5 re-makes the unique keys: two rows whose re-made keys are equal ("Jürgen" stored once
 * precomposed and once decomposed, or "Straße" next to "STRASSE") would make it fail. Each such group is named
 * in the log and the migration is refused, leaving the database as it was; the operator deletes one account of
 * each group, or changes one email, with the previous release, and starts again. Returns -1 when any is found.
 */
static int
check_rekey(void)
{
	static const char *const sql[] = {
		"SELECT 'username', group_concat(quote(username) || ' (' || id || ')', ', ') FROM users"
		" GROUP BY gatehouse_unique_key(username) HAVING count(*) > 1",
		"SELECT 'email', group_concat(quote(email) || ' (' || id || ')', ', ') FROM users"
		" WHERE email IS NOT NULL GROUP BY gatehouse_unique_key(email) HAVING count(*) > 1",
	};
	sqlite3_stmt	*st;
	size_t		 i;
	int		 clashes = 0, rc;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			log_err("database: %s", sqlite3_errmsg(db));
			return -1;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			log_err("cannot migrate to schema version 5: these accounts' %ss become equal under Unicode case"
			    " folding and NFC: %s; delete all but one, or change the emails, with the previous release"
			    " and start again", (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1));
			clashes++;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			log_err("database: %s", sqlite3_errmsg(db));
			return -1;
		}
	}
	return clashes > 0 ? -1 : 0;
}

int
sqlite_schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

static int
migrate(void)
{
	int	 v, target = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if ((v = db_schema_version()) < 0)
		return -1;
	if (v == target)
		return 0;
	if (v > target) {
		log_err("database schema version %d is newer than this program knows (%d)", v, target);
		return -1;
	}
	if (exec_sql("BEGIN IMMEDIATE") == -1)
		return -1;
	/* Another process may have migrated while this one waited for the lock. */
	if ((v = db_schema_version()) < 0)
		goto fail;
	for (; v < target; v++) {
		if ((v == 4 && check_rekey() == -1) || exec_sql(migrations[v]) == -1 || db_schema_version() != v + 1)
			goto fail;
		log_info("database migrated to schema version %d", v + 1);
	}
	return exec_sql("COMMIT");
fail:
	exec_sql("ROLLBACK");
	return -1;
}

/*
 * SQLite says only "unable to open database file": find out first, as the account we run as, whether the file
 * opens for reading and writing and whether its folder takes the -wal and -shm files, and say which failed.
 */
static int
db_access(const char *path)
{
	char		 dir[1024];
	const char	*slash = strrchr(path, '/');
	int		 fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd == -1 && (errno == EACCES || errno == EPERM || errno == EROFS) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) != -1)
		log_warn("database %s is read-only for %s: writes will be refused", path, priv_who());
	if (fd == -1) {
		log_err("cannot open database %s as %s: %s", path, priv_who(), strerror(errno));
		return -1;
	}
	close(fd);
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(dir, W_OK | X_OK) == -1)
		log_warn("cannot write in %s, the folder of database %s, as %s: %s; SQLite needs to create the "
		    "-wal and -shm files there", dir, path, priv_who(), strerror(errno));
	return 0;
}

int
sqlite_open(const char *path, int create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (create) {
		/* Create the file 0600 ourselves: it holds password hashes and token digests. */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			log_err("cannot create database %s as %s: %s", path, priv_who(), strerror(errno));
			return -1;
		}
		close(fd);
	} else if (access(path, F_OK) == -1) {
		log_err("database %s does not exist; create it with: gatehousectl init", path);
		return -1;
	}
	if (db_access(path) == -1)
		return -1;
	if (path != db_path)
		snprintf(db_path, sizeof(db_path), "%s", path);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		log_err("cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(db, cfg.busy_timeout_ms);
	sqlite3_extended_result_codes(db, 0);
	if (register_functions() == -1 || exec_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;") == -1 ||
	    migrate() == -1 || audit_chain_upgrade() == -1) {
		db_close();
		return -1;
	}
	return 0;
}

void
sqlite_close(void)
{
	char	 dir[sizeof(db_path)], *slash;
	size_t	 i;
	int	 fd = -1;

	for (i = 0; i < STMT__MAX; i++) {
		sqlite3_finalize(stmts[i]);
		stmts[i] = NULL;
	}
	/*
	 * SQLite checkpoints and removes the -wal only when the closing connection is the last one: it must take an
	 * exclusive lock that every open connection's shared lock denies. Two workers closing at the same instant
	 * (SIGTERM reaches them together) can each still see the other and both leave the -wal behind, so a copy of
	 * "the one file" would be stale. Closes are serialised by flock(2) on the database's folder, so the last
	 * one sees no other. The folder, not the file: any close(2) of ours on the file would drop SQLite's own
	 * POSIX locks on it, and flock and POSIX locks do not interact on Linux.
	 */
	if (db != NULL && db_path[0] != '\0' && strcmp(db_path, ":memory:") != 0) {
		snprintf(dir, sizeof(dir), "%s", db_path);
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			slash[slash == dir] = '\0';	/* "/x.db" -> "/" */
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1 && flock(fd, LOCK_EX) == -1) {
			close(fd);
			fd = -1;	/* closes unserialised: at worst a -wal is left, as before */
		}
	}
	sqlite3_close(db);
	db = NULL;
	if (fd != -1)
		close(fd);	/* releases the lock */
}

/*
 * A handle opened while the file was read-only stays read-only. Before a write, one that is read-only is
 * reopened, so a worker serves writes again as soon as the file is writable.
 */
enum db_rc
sqlite_begin(void)
{
	sqlite3_stmt *st;

	if (db != NULL && sqlite3_db_readonly(db, "main") == 1) {
		db_close();
		if (db_open(db_path, 0) == -1 || sqlite3_db_readonly(db, "main") == 1) {
			log_err("database %s is read-only; writes are refused until it is writable", db_path);
			db_reopen = 1;
			return DB_FAIL;
		}
		log_info("database %s is writable again", db_path);
	}
	st = stmt(STMT_BEGIN);
	return st == NULL ? DB_FAIL : exec_stmt(st, "begin");
}

enum db_rc
sqlite_commit(void)
{
	sqlite3_stmt	*st = stmt(STMT_COMMIT);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_FAIL;
	if ((rc = exec_stmt(st, "commit")) != DB_OK)
		db_rollback();
	return rc;
}

void
sqlite_rollback(void)
{
	sqlite3_stmt *st = stmt(STMT_ROLLBACK);

	if (st != NULL && sqlite3_get_autocommit(db) == 0)
		(void)exec_stmt(st, "rollback");
}

/* Between requests no transaction may be open: one left behind would hold the write lock for every worker. */
int
sqlite_ensure_idle(void)
{
	if (db == NULL)
		return -1;
	if (sqlite3_get_autocommit(db) == 0) {
		log_err("a transaction was left open by the last request; rolling it back");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (db_reopen) {
		db_reopen = 0;
		db_close();
		return -1;
	}
	return 0;
}

/* An optional integer column (a time, mostly): -1 when NULL. */
static int64_t
col_opt_int(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

static char *
col_text(struct arena *a, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (t == NULL)
		return NULL;
	return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

/* Fills a user from the USER_COLS columns starting at column c; -1 when the arena is exhausted. */
static int
user_from_row_at(struct arena *a, sqlite3_stmt *st, int c, struct user *u)
{
	const unsigned char	*id = sqlite3_column_text(st, c + 1);
	const unsigned char	*status = sqlite3_column_text(st, c + 4);
	int			 s;

	memset(u, 0, sizeof(*u));
	u->uid = sqlite3_column_int64(st, c);
	if (id != NULL && sqlite3_column_bytes(st, c + 1) == 36)
		memcpy(u->id, id, 37);
	u->username = col_text(a, st, c + 2);
	u->email = col_text(a, st, c + 3);
	s = status != NULL ? status_parse((const char *)status) : -1;
	u->status = s < 0 ? STATUS_DISABLED : (enum status)s;
	if (status != NULL && strcmp((const char *)status, "suspended") == 0)
		u->disabled_as = DISABLED_SUSPENDED;
	else if (status != NULL && strcmp((const char *)status, "deactivated") == 0)
		u->disabled_as = DISABLED_DEACTIVATED;
	u->created_at = sqlite3_column_int64(st, c + 5);
	u->last_login_at = col_opt_int(st, c + 6);
	u->roles = (unsigned)sqlite3_column_int64(st, c + 7);
	u->epoch = sqlite3_column_int64(st, c + 8);
	return u->username == NULL ? -1 : 0;
}

static int
user_from_row(struct arena *a, sqlite3_stmt *st, struct user *u)
{
	return user_from_row_at(a, st, 0, u);
}

static enum db_rc
exists(enum stmt s, const char *key)
{
	sqlite3_stmt	*st = stmt(s);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	r = step_row(st, "uniqueness check");
	stmt_done(st);
	return r;
}

/* DB_NONE when neither the username nor the email is taken (case-insensitively), else which one is. */
static enum db_rc
conflict_keys(const char *ukey, const char *ekey)
{
	enum db_rc rc;

	if ((rc = exists(STMT_USER_EXISTS_NAME, ukey)) != DB_NONE)
		return rc == DB_OK ? DB_EXISTS_USERNAME : rc;
	if (ekey != NULL && (rc = exists(STMT_USER_EXISTS_EMAIL, ekey)) != DB_NONE)
		return rc == DB_OK ? DB_EXISTS_EMAIL : rc;
	return DB_NONE;
}

static int
fold_keys(struct arena *a, const char *username, const char *email, char **ukey, char **ekey)
{
	*ekey = NULL;
	if ((*ukey = utf8_fold(a, username, strlen(username))) == NULL ||
	    (email != NULL && (*ekey = utf8_fold(a, email, strlen(email))) == NULL))
		return -1;
	return 0;
}

enum db_rc
sqlite_user_conflict(struct arena *a, const char *username, const char *email)
{
	char *ukey, *ekey;

	if (fold_keys(a, username, email, &ukey, &ekey) == -1)
		return DB_FAIL;
	return conflict_keys(ukey, ekey);
}

/*
 * Inserts a user with its roles. The caller holds a BEGIN IMMEDIATE transaction, so the uniqueness checks and
 * the insert cannot interleave with another writer; the unique indexes on the folded keys back this up.
 */
enum db_rc
sqlite_user_insert(struct arena *a, struct user *u, const char *hash)
{
	sqlite3_stmt	*st;
	char		*ukey, *ekey;
	enum db_rc	 rc;
	int		 r, src;

	if (fold_keys(a, u->username, u->email, &ukey, &ekey) == -1)
		return DB_FAIL;
	if ((rc = conflict_keys(ukey, ekey)) != DB_NONE)
		return rc;
	if ((st = stmt(STMT_USER_INSERT)) == NULL)
		return DB_FAIL;
	uuid_v7(u->id);
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ukey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ekey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, status_name(u->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, u->created_at);
	src = sqlite3_step(st);
	stmt_done(st);
	if (src == SQLITE_CONSTRAINT)	/* only reachable if the checks above were bypassed */
		return DB_EXISTS_USERNAME;
	if ((rc = db_rc_of(src, "insert user")) != DB_OK)
		return rc;
	u->uid = sqlite3_last_insert_rowid(db);
	for (r = 1; r < ROLE__MAX; r++) {
		if (!(u->roles & ROLE_BIT(r)))
			continue;
		if ((st = stmt(STMT_USER_ROLE_INSERT)) == NULL)
			return DB_FAIL;
		sqlite3_bind_int64(st, 1, u->uid);
		sqlite3_bind_int(st, 2, r);
		if ((rc = exec_stmt(st, "insert user role")) != DB_OK)
			return rc;
	}
	return DB_OK;
}

enum db_rc
sqlite_user_by_login(struct arena *a, const char *name, size_t len, struct user *u)
{
	sqlite3_stmt	*st = stmt(STMT_USER_BY_LOGIN);
	char		*key;
	enum db_rc	 r = DB_OK;

	if (st == NULL || (key = utf8_fold(a, name, len)) == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((r = step_row(st, "user by login")) == DB_OK) {
		if (user_from_row(a, st, u) == -1)
			r = DB_FAIL;
		else
			u->password_hash = col_text(a, st, USER_NCOLS);
	}
	stmt_done(st);
	return r;
}

/*
 * Records a login; with new_hash, also replaces the password hash, but only while it is still old_hash
 * (compare-and-swap), so an upgrade made from a hash that a reset replaced meanwhile is dropped.
 */
enum db_rc
sqlite_user_set_login(int64_t uid, int64_t at, const char *new_hash, const char *old_hash)
{
	sqlite3_stmt *st = stmt(new_hash != NULL ? STMT_USER_SET_LOGIN_HASH : STMT_USER_SET_LOGIN);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, at);
	if (new_hash != NULL) {
		sqlite3_bind_text(st, 3, new_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, old_hash, -1, SQLITE_STATIC);
	}
	return exec_stmt(st, "record login");
}

/*
 * The user's credential epoch (users.token_version), read in the caller's write transaction: every write that
 * changes what a credential rests on (password, status, roles) moves it. DB_NONE when the user is gone.
 */
enum db_rc
sqlite_user_epoch(int64_t uid, int64_t *epoch)
{
	sqlite3_stmt	*st = stmt(STMT_USER_EPOCH);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	if ((r = step_row(st, "credential epoch")) == DB_OK)
		*epoch = sqlite3_column_int64(st, 0);
	stmt_done(st);
	return r;
}

/*
 * Bounds what a user can accumulate, in the caller's write transaction, after any session was created (a login,
 * a refresh, a refresh within the reuse grace, a site session): the login's SESSIONS_ROTATED_KEPT newest rotated
 * sessions stay (family > 0); the user's revoked and expired sessions go; past max_sessions_per_user live sessions
 * (a usable refresh token or site cookie each) the least recently used end, with the rotated sessions of a login
 * left without a live one. Counted under the write lock, so no interleaving of workers passes the cap
 * (OWASP Session Management Cheat Sheet, simultaneous session limits).
 */
static enum db_rc
sessions_bound(int64_t uid, int64_t now, int64_t family)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;

	if (family > 0) {
		if ((st = stmt(STMT_SESSIONS_TRIM_FAMILY)) == NULL)
			return DB_FAIL;
		sqlite3_bind_int64(st, 1, family);
		sqlite3_bind_int64(st, 2, SESSIONS_ROTATED_KEPT);
		if ((rc = exec_stmt(st, "trim a login's rotated sessions")) != DB_OK)
			return rc;
	}
	if ((rc = exec_two(STMT_SESSIONS_DEAD_OF_USER, uid, now, "remove dead sessions")) != DB_OK)
		return rc;
	if ((st = stmt(STMT_SESSIONS_CAP)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, cfg.max_sessions);
	if ((rc = exec_stmt(st, "cap live sessions")) != DB_OK)
		return rc;
	if ((st = stmt(STMT_SESSIONS_HEADLESS)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	return exec_stmt(st, "end the capped logins' rotated sessions");
}

/*
 * A new session; family is the first session of the login (0: this one starts a login). In the caller's
 * transaction, then bounds the user's sessions (sessions_bound). login_at is the time of the password login that
 * began it (microseconds; the absolute lifetime counts from there).
 */
enum db_rc
sqlite_session_insert(int64_t uid, const unsigned char access[32], int64_t access_exp,
    const unsigned char refresh[32], int64_t refresh_exp, int64_t now, int64_t family, int64_t login_at)
{
	sqlite3_stmt	*st = stmt(STMT_SESSION_INSERT_FAMILY);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_blob(st, 2, access, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, access_exp);
	sqlite3_bind_blob(st, 4, refresh, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, refresh_exp);
	sqlite3_bind_int64(st, 6, now);
	if (family > 0)
		sqlite3_bind_int64(st, 7, family);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, login_at);
	if ((rc = exec_stmt(st, "insert session")) != DB_OK)
		return rc;
	return sessions_bound(uid, now, family);
}

enum db_rc
sqlite_user_by_access(struct arena *a, const unsigned char digest[32], struct user *u, int64_t *expires_at)
{
	sqlite3_stmt	*st = stmt(STMT_USER_BY_ACCESS);
	enum db_rc	 r = DB_OK;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if ((r = step_row(st, "user by access token")) == DB_OK) {
		if (user_from_row(a, st, u) == -1)
			r = DB_FAIL;
		*expires_at = sqlite3_column_int64(st, USER_NCOLS);
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_health(void)
{
	sqlite3_stmt	*st = stmt(STMT_HEALTH);
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	rc = sqlite3_step(st);
	stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_rc_of(rc, "health check");
}

enum db_rc
sqlite_count_users(long long *n)
{
	sqlite3_stmt	*st = stmt(STMT_COUNT_USERS);
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_OK : db_rc_of(rc, "count users");
}

enum db_rc
sqlite_user_get(struct arena *a, const char *id, struct user *u)
{
	sqlite3_stmt	*st = stmt(STMT_USER_BY_ID);
	enum db_rc	 r = DB_OK;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((r = step_row(st, "user by id")) == DB_OK)
		r = user_from_row(a, st, u) == -1 ? DB_FAIL : DB_OK;
	stmt_done(st);
	return r;
}

static void
bind_list_filters(sqlite3_stmt *st, const struct user_filter *f, const char *search)
{
	sqlite3_bind_text(st, 1, f->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, search, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f->disabled_as, -1, SQLITE_STATIC);
}

/* The folded term as one FTS5 phrase: in double quotes, inner quotes doubled; % and _ are plain characters. */
static char *
fts_phrase(struct arena *a, const char *key)
{
	size_t	 n = strlen(key), i, o = 0;
	char	*p = arena_alloc(a, 2 * n + 3);

	if (p == NULL)
		return NULL;
	p[o++] = '"';
	for (i = 0; i < n; i++) {
		if (key[i] == '"')
			p[o++] = '"';
		p[o++] = key[i];
	}
	p[o++] = '"';
	p[o] = '\0';
	return p;
}

enum db_rc
sqlite_user_list(struct arena *a, const struct user_filter *f, int (*each)(void *, const struct user *), void *ctx,
    long long *total)
{
	sqlite3_stmt	*st;
	struct user	 u;
	char		*key = NULL, *phrase = NULL, *short_key = NULL;
	int		 rc;

	if (f->search != NULL) {
		if ((key = utf8_search_key(a, f->search, strlen(f->search))) == NULL)
			return DB_FAIL;
		if (utf8_len(key, strlen(key)) >= 3) {
			if ((phrase = fts_phrase(a, key)) == NULL)
				return DB_FAIL;
		} else
			short_key = key;
	}
	if ((st = stmt(phrase != NULL ? STMT_USER_FIND_COUNT : STMT_USER_COUNT_FILTERED)) == NULL)
		return DB_FAIL;
	bind_list_filters(st, f, phrase != NULL ? phrase : short_key);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return db_rc_of(rc, "count users");
	if ((st = stmt((enum stmt)((phrase != NULL ? STMT_USER_FIND : STMT_USER_LIST) + f->sort * 2 + f->desc))) ==
	    NULL)
		return DB_FAIL;
	bind_list_filters(st, f, phrase != NULL ? phrase : short_key);
	sqlite3_bind_int64(st, 3, f->limit);
	sqlite3_bind_int64(st, 4, f->skip);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (user_from_row(a, st, &u) == -1 || each(ctx, &u) == -1) {
			stmt_done(st);
			return DB_FAIL;
		}
	}
	stmt_done(st);
	return db_rc_of(rc, "list users");
}

enum db_rc
sqlite_user_names(long long skip, long long limit, int (*each)(void *, const char *id, const char *name), void *ctx)
{
	sqlite3_stmt	*st = stmt(STMT_USER_NAMES);
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int64(st, 2, skip);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (each(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)) == -1)
			break;
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_FAIL : db_rc_of(rc, "user names");
}

/* Every user, oldest first, as text columns: email, username, auth_provider, status; created_at as us. */
enum db_rc
sqlite_user_export(int (*each)(void *, const char *const cols[4], int64_t created_at), void *ctx, long *rows)
{
	sqlite3_stmt	*st = stmt(STMT_USER_EXPORT);
	const char	*cols[4];
	int		 rc, i;

	*rows = 0;
	if (st == NULL)
		return DB_FAIL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			cols[i] = (const char *)sqlite3_column_text(st, i);
		if (each(ctx, cols, sqlite3_column_int64(st, 4)) == -1)
			break;
		(*rows)++;
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_FAIL : db_rc_of(rc, "export users");
}

static enum db_rc
count_of(enum stmt s, int64_t bind, long long *n, const char *what)
{
	sqlite3_stmt	*st = stmt(s);
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, bind);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_OK : db_rc_of(rc, what);
}

enum db_rc
sqlite_viable_admins_except(int64_t uid, long long *n)
{
	return count_of(STMT_VIABLE_ADMINS_EXCEPT, uid, n, "count admins");
}

enum db_rc
sqlite_user_set_email(struct arena *a, int64_t uid, const char *email, int64_t now)
{
	sqlite3_stmt	*st;
	char		*key;
	enum db_rc	 rc;
	int		 src;

	if ((key = utf8_fold(a, email, strlen(email))) == NULL || (st = stmt(STMT_EMAIL_TAKEN_BY_OTHER)) == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	src = sqlite3_step(st);
	stmt_done(st);
	if (src == SQLITE_ROW)
		return DB_EXISTS_EMAIL;
	if ((rc = db_rc_of(src, "email check")) != DB_OK || (st = stmt(STMT_USER_SET_EMAIL)) == NULL)
		return rc != DB_OK ? rc : DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	return exec_stmt(st, "set email");
}

/*
 * Sets a user's status and moves the credential epoch. Disabling also revokes every session and retires every
 * API key (key_epoch), in the caller's transaction, so re-enabling the account revives none of them.
 */
enum db_rc
sqlite_user_set_status(int64_t uid, enum status s, enum disabled_as how, int64_t now)
{
	sqlite3_stmt	*st = stmt(STMT_USER_SET_STATUS);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, status_name(s), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (s == STATUS_DISABLED && how != DISABLED_PLAIN)
		sqlite3_bind_text(st, 4, how == DISABLED_SUSPENDED ? "suspended" : "deactivated", -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	if ((rc = exec_stmt(st, "set status")) != DB_OK || s != STATUS_DISABLED)
		return rc;
	if ((rc = db_user_revoke(uid, NULL, now)) != DB_OK)
		return rc;
	return exec_two(STMT_USER_BUMP_KEY_EPOCH, uid, now, "retire API keys");
}

/* Replaces every role of a user by one, and retires the user's API keys (key_epoch). */
enum db_rc
sqlite_user_set_role(int64_t uid, enum role role, int64_t now)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;

	if ((st = stmt(STMT_USER_ROLES_CLEAR)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	if ((rc = exec_stmt(st, "clear roles")) != DB_OK || (st = stmt(STMT_USER_ROLE_INSERT)) == NULL)
		return rc != DB_OK ? rc : DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int(st, 2, (int)role);
	if ((rc = exec_stmt(st, "insert role")) != DB_OK || (st = stmt(STMT_USER_BUMP_KEY_EPOCH)) == NULL)
		return rc != DB_OK ? rc : DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, now);
	return exec_stmt(st, "bump key epoch");
}

enum db_rc
sqlite_user_delete(int64_t uid)
{
	sqlite3_stmt *st = stmt(STMT_USER_DELETE);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	return exec_stmt(st, "delete user");
}

/* Revokes every session of a user (logout-like); with a hash, also sets the password and retires API keys. */
enum db_rc
sqlite_user_revoke(int64_t uid, const char *new_hash, int64_t now)
{
	sqlite3_stmt	*st = stmt(STMT_SESSIONS_REVOKE);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = exec_stmt(st, "revoke sessions")) != DB_OK || new_hash == NULL)
		return rc;
	if ((st = stmt(STMT_USER_SET_PASSWORD)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, new_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return exec_stmt(st, "set password");
}

/* Revokes every session and retires every API key of a user (gatehousectl user revoke); in the caller's
   transaction. */
enum db_rc
sqlite_user_revoke_all(int64_t uid, int64_t now)
{
	enum db_rc rc = db_user_revoke(uid, NULL, now);

	return rc != DB_OK ? rc : exec_two(STMT_USER_BUMP_KEY_EPOCH, uid, now, "retire API keys");
}

/*
 * A consistent copy of the whole database in a new file (VACUUM INTO: one read transaction, so writers go on and
 * the copy is a single point in time). The file must not exist; it is created 0600 (the umask is the caller's:
 * gatehousectl sets 077). 0, or -1 logged with the reason.
 */
int
sqlite_backup(const char *path)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (access(path, F_OK) == 0) {
		log_err("backup: %s exists; not overwriting it", path);
		return -1;
	}
	if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
		log_err("backup: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_err("backup to %s as %s: %s", path, priv_who(), sqlite3_errmsg(db));
		unlink(path);
		return -1;
	}
	return 0;
}

enum db_rc
sqlite_users_by_status(long long counts[STATUS__MAX], long long *suspended)
{
	sqlite3_stmt	*st = stmt(STMT_USERS_BY_STATUS);
	int		 rc, s;

	memset(counts, 0, sizeof(long long) * STATUS__MAX);
	*suspended = 0;
	if (st == NULL)
		return DB_FAIL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((s = status_parse((const char *)sqlite3_column_text(st, 0))) >= 0) {
			counts[s] += sqlite3_column_int64(st, 2);
			if (sqlite3_column_int(st, 1) == 1)
				*suspended += sqlite3_column_int64(st, 2);
		}
	stmt_done(st);
	return db_rc_of(rc, "users by status");
}

/* Audit rows. */

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Appends an audit row at the end of the chain. The caller holds the write transaction of the change it
 * records, so the row commits (or not) with it, and no other writer can append in between.
 */
enum db_rc
sqlite_audit_append(struct audit_row *a)
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_LAST);
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	memset(a->prev_digest, 0, 32);
	a->id = 1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(a->prev_digest, sqlite3_column_blob(st, 1), 32);
	}
	stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_rc_of(rc, "audit chain head");
	if (audit_digest(a, a->digest) == -1)
		return DB_FAIL;
	if ((st = stmt(STMT_AUDIT_INSERT)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_text(st, 2, a->uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->created_at);
	bind_text_or_null(st, 4, a->actor_id);
	bind_text_or_null(st, 5, a->actor_username);
	sqlite3_bind_text(st, 6, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->resource_type, -1, SQLITE_STATIC);
	bind_text_or_null(st, 8, a->resource_id);
	bind_text_or_null(st, 9, a->details);
	bind_text_or_null(st, 10, a->ip_address);
	sqlite3_bind_blob(st, 11, a->prev_digest, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 12, a->digest, 32, SQLITE_STATIC);
	return exec_stmt(st, "append audit row");
}

/* The audit row at st's current step; its strings live until the statement steps again. */
static void
audit_row_of(sqlite3_stmt *st, struct audit_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	snprintf(a->uuid, sizeof(a->uuid), "%s", sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
	a->created_at = sqlite3_column_int64(st, 2);
	a->actor_id = (const char *)sqlite3_column_text(st, 3);
	a->actor_username = (const char *)sqlite3_column_text(st, 4);
	a->action = (const char *)sqlite3_column_text(st, 5);
	a->resource_type = (const char *)sqlite3_column_text(st, 6);
	a->resource_id = (const char *)sqlite3_column_text(st, 7);
	a->details = (const char *)sqlite3_column_text(st, 8);
	a->ip_address = (const char *)sqlite3_column_text(st, 9);
	if (sqlite3_column_bytes(st, 10) == 32)
		memcpy(a->prev_digest, sqlite3_column_blob(st, 10), 32);
	if (sqlite3_column_bytes(st, 11) == 32)
		memcpy(a->digest, sqlite3_column_blob(st, 11), 32);
	a->has_digests = sqlite3_column_bytes(st, 10) == 32 && sqlite3_column_bytes(st, 11) == 32;
}

/* Every audit row in chain order, with its stored digests, for verification. */
enum db_rc
sqlite_audit_walk(int (*each)(void *, const struct audit_row *), void *ctx)
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_ALL);
	struct audit_row a;
	int		 rc;

	if (st == NULL)
		return DB_FAIL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_row_of(st, &a);
		if (each(ctx, &a) == -1)
			break;
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_OK : db_rc_of(rc, "walk audit");
}

/* The newest audit row of an action, passed to each; DB_NONE when there is none. */
enum db_rc
sqlite_audit_last_of_action(const char *action, int (*each)(void *, const struct audit_row *), void *ctx)
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_LAST_OF_ACTION);
	struct audit_row a;
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	if ((r = step_row(st, "last audit row of an action")) == DB_OK) {
		audit_row_of(st, &a);
		each(ctx, &a);
	}
	stmt_done(st);
	return r;
}

/* The first row of the chain: its id and the digest it links to; DB_NONE for an empty chain. */
enum db_rc
sqlite_audit_first(int64_t *id, unsigned char prev[32])
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_FIRST);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	if ((r = step_row(st, "audit chain start")) == DB_OK) {
		*id = sqlite3_column_int64(st, 0);
		memset(prev, 0, 32);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	}
	stmt_done(st);
	return r;
}

/*
 * In the caller's write transaction: removes the chain's rows created before `before` (µs), a prefix of at most
 * limit rows that never includes the head. *edge is the last row removed (0: none), *rows how many.
 */
enum db_rc
sqlite_audit_prune(int64_t before, long limit, int64_t *edge, long long *rows)
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_PRUNE_EDGE);
	int64_t		 first;
	enum db_rc	 r;

	*edge = 0;
	*rows = 0;
	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, limit);
	if ((r = step_row(st, "audit prune edge")) == DB_OK) {
		*edge = sqlite3_column_int64(st, 0);
		first = sqlite3_column_int64(st, 1);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL || *edge < first)
			*edge = 0;
	}
	stmt_done(st);
	if (r == DB_NONE)
		return DB_OK;
	if (r != DB_OK || *edge == 0)
		return r;
	if ((st = stmt(STMT_AUDIT_PRUNE)) == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, *edge);
	if ((r = exec_stmt(st, "prune audit rows")) == DB_OK)
		*rows = sqlite3_changes(db);
	return r;
}

struct sqlite3 *
db_handle(void)
{
	return db;
}

int
sqlite_is_readonly(void)
{
	return db != NULL && sqlite3_db_readonly(db, "main") == 1;
}

/* The last row of the chain: its id and digest; DB_NONE for an empty chain. */
enum db_rc
sqlite_audit_head(int64_t *id, unsigned char digest[32])
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_LAST);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	if ((r = step_row(st, "audit chain head")) == DB_OK) {
		*id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(digest, sqlite3_column_blob(st, 1), 32);
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_audit_digest_of(int64_t id, unsigned char digest[32])
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_DIGEST_OF);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, id);
	if ((r = step_row(st, "audit row digest")) == DB_OK) {
		memset(digest, 0, 32);
		if (sqlite3_column_bytes(st, 0) == 32)
			memcpy(digest, sqlite3_column_blob(st, 0), 32);
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_audit_set_digests(int64_t id, const unsigned char prev[32], const unsigned char digest[32])
{
	sqlite3_stmt *st = stmt(STMT_AUDIT_SET_DIGESTS);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, digest, 32, SQLITE_STATIC);
	return exec_stmt(st, "re-key an audit row");
}

enum db_rc
sqlite_audit_meta_get(const char *key, char *value, size_t size)
{
	sqlite3_stmt	*st = stmt(STMT_AUDIT_META_GET);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((r = step_row(st, "audit record")) == DB_OK)
		snprintf(value, size, "%s", (const char *)sqlite3_column_text(st, 0));
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_audit_meta_put(const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(STMT_AUDIT_META_PUT);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return exec_stmt(st, "write audit record");
}

static void
bind_audit_filters(sqlite3_stmt *st, const struct audit_filter *f)
{
	bind_text_or_null(st, 1, f->user_id);
	bind_text_or_null(st, 2, f->action);
	bind_text_or_null(st, 3, f->resource_type);
	bind_text_or_null(st, 4, f->resource_id);
	if (f->has_from)
		sqlite3_bind_int64(st, 5, f->date_from);
	else
		sqlite3_bind_null(st, 5);
	if (f->has_to)
		sqlite3_bind_int64(st, 6, f->date_to);
	else
		sqlite3_bind_null(st, 6);
	bind_text_or_null(st, 7, f->search);
	sqlite3_bind_int64(st, 8, f->before_id > 0 ? f->before_id : INT64_MAX);
}

/* Audit rows matching the filter, in the filter's order; *total (when not NULL) counts every match. */
enum db_rc
sqlite_audit_list(const struct audit_filter *f, int (*each)(void *, const struct audit_row *), void *ctx,
    long long *total)
{
	sqlite3_stmt	*st;
	struct audit_row a;
	int		 rc;

	if (total != NULL) {
		if ((st = stmt(STMT_AUDIT_COUNT)) == NULL)
			return DB_FAIL;
		bind_audit_filters(st, f);
		rc = sqlite3_step(st);
		*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		stmt_done(st);
		if (rc != SQLITE_ROW)
			return db_rc_of(rc, "count audit rows");
	}
	if ((st = stmt((enum stmt)(STMT_AUDIT_LIST + f->sort * 2 + f->desc))) == NULL)
		return DB_FAIL;
	bind_audit_filters(st, f);
	sqlite3_bind_int64(st, 9, f->limit);
	sqlite3_bind_int64(st, 10, f->skip);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		snprintf(a.uuid, sizeof(a.uuid), "%s", (const char *)sqlite3_column_text(st, 0));
		a.actor_id = (const char *)sqlite3_column_text(st, 1);
		a.actor_username = (const char *)sqlite3_column_text(st, 2);
		a.action = (const char *)sqlite3_column_text(st, 3);
		a.resource_type = (const char *)sqlite3_column_text(st, 4);
		a.resource_id = (const char *)sqlite3_column_text(st, 5);
		a.details = (const char *)sqlite3_column_text(st, 6);
		a.ip_address = (const char *)sqlite3_column_text(st, 7);
		a.created_at = sqlite3_column_int64(st, 8);
		a.resource_name = (const char *)sqlite3_column_text(st, 9);
		if (each(ctx, &a) == -1)
			break;
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_FAIL : db_rc_of(rc, "list audit rows");
}

/* Sessions: refresh rotation and revocation by login. */

enum db_rc
sqlite_session_by_refresh(struct arena *a, const unsigned char digest[32], struct session *se, struct user *u)
{
	sqlite3_stmt	*st = stmt(STMT_SESSION_BY_REFRESH);
	enum db_rc	 r = DB_OK;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if ((r = step_row(st, "session by refresh token")) == DB_OK) {
		se->id = sqlite3_column_int64(st, 0);
		se->family = sqlite3_column_int64(st, 1);
		se->refresh_expires_at = sqlite3_column_int64(st, 2);
		se->rotated_at = col_opt_int(st, 3);
		se->revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
		se->login_at = sqlite3_column_int64(st, 5);
		r = user_from_row_at(a, st, 6, u) == -1 ? DB_FAIL : DB_OK;
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_session_rotate(int64_t id, int64_t now)
{
	return exec_two(STMT_SESSION_ROTATE, id, now, "rotate session");
}

enum db_rc
sqlite_sessions_revoke_family(int64_t family, int64_t now)
{
	return exec_two(STMT_SESSIONS_REVOKE_FAMILY, family, now, "revoke a login's sessions");
}

/* Site sessions: the gatehouse_session cookie. */

enum db_rc
sqlite_site_insert(int64_t uid, const unsigned char digest[32], int64_t expires_at, int64_t now)
{
	sqlite3_stmt	*st = stmt(STMT_SITE_INSERT);
	unsigned char	 unused[32];
	enum db_rc	 rc;

	if (st == NULL)
		return DB_FAIL;
	random_bytes(unused, sizeof(unused));	/* no refresh token: a digest nobody holds the preimage of */
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_blob(st, 2, digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, expires_at);
	sqlite3_bind_blob(st, 4, unused, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = exec_stmt(st, "insert site session")) != DB_OK)
		return rc;
	return sessions_bound(uid, now, 0);
}

enum db_rc
sqlite_site_by_digest(struct arena *a, const unsigned char digest[32], struct site_session *ss, struct user *u)
{
	sqlite3_stmt	*st = stmt(STMT_SITE_BY_DIGEST);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if ((r = step_row(st, "site session")) == DB_OK) {
		r = user_from_row(a, st, u) == -1 ? DB_FAIL : DB_OK;
		ss->id = sqlite3_column_int64(st, USER_NCOLS);
		ss->expires_at = sqlite3_column_int64(st, USER_NCOLS + 1);
		ss->used_at = sqlite3_column_int64(st, USER_NCOLS + 2);
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_site_touch(int64_t id, int64_t now)
{
	return exec_two(STMT_SITE_TOUCH, id, now, "touch site session");
}

/* API keys. */

enum db_rc
sqlite_key_by_digest(struct arena *a, const unsigned char digest[32], struct api_key *k, struct user *u)
{
	sqlite3_stmt	*st = stmt(STMT_KEY_BY_DIGEST);
	enum db_rc	 r = DB_OK;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if ((r = step_row(st, "API key")) == DB_OK) {
		memset(k, 0, sizeof(*k));
		k->kid = sqlite3_column_int64(st, 0);
		k->read_only = strcmp((const char *)sqlite3_column_text(st, 1), "read_only") == 0;
		k->expires_at = col_opt_int(st, 2);
		k->is_active = sqlite3_column_int(st, 3);
		k->epoch_ok = sqlite3_column_int(st, 4);
		k->last_used_at = col_opt_int(st, 5);
		r = user_from_row_at(a, st, 6, u) == -1 ? DB_FAIL : DB_OK;
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_key_touch(int64_t kid, int64_t now)
{
	return exec_two(STMT_KEY_TOUCH, kid, now, "touch API key");
}

enum db_rc
sqlite_key_insert(const struct api_key *k, int64_t uid, const unsigned char digest[32])
{
	sqlite3_stmt *st = stmt(STMT_KEY_INSERT);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_text(st, 3, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, digest, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, k->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, k->read_only ? "read_only" : "full", -1, SQLITE_STATIC);
	if (k->expires_at >= 0)
		sqlite3_bind_int64(st, 7, k->expires_at);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, k->created_at);
	return exec_stmt(st, "insert API key");
}

/* The owner's live keys at now (µs): active, of the owner's current key_epoch, not expired. */
enum db_rc
sqlite_key_live_count(int64_t uid, int64_t now, long long *n)
{
	sqlite3_stmt	*st = stmt(STMT_KEY_LIVE_COUNT);
	int		 rc;

	*n = 0;
	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_OK : db_rc_of(rc, "count live API keys");
}

static void
bind_uid_or_null(sqlite3_stmt *st, int i, int64_t uid)
{
	if (uid > 0)
		sqlite3_bind_int64(st, i, uid);
	else
		sqlite3_bind_null(st, i);
}

/* Keys of one owner (uid > 0) or of everyone, oldest first. */
enum db_rc
sqlite_key_list(struct arena *a, int64_t uid, long long skip, long long limit,
    int (*each)(void *, const struct api_key *), void *ctx, long long *total)
{
	sqlite3_stmt	*st = stmt(STMT_KEY_COUNT);
	struct api_key	 k;
	int		 rc;

	(void)a;
	if (st == NULL)
		return DB_FAIL;
	bind_uid_or_null(st, 1, uid);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return db_rc_of(rc, "count API keys");
	if ((st = stmt(STMT_KEY_LIST)) == NULL)
		return DB_FAIL;
	bind_uid_or_null(st, 1, uid);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, skip);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		snprintf(k.id, sizeof(k.id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(k.user_id, sizeof(k.user_id), "%s", (const char *)sqlite3_column_text(st, 1));
		k.name = (const char *)sqlite3_column_text(st, 2);
		k.fingerprint = (const char *)sqlite3_column_text(st, 3);
		k.is_active = sqlite3_column_int(st, 4);
		k.expires_at = col_opt_int(st, 5);
		k.read_only = strcmp((const char *)sqlite3_column_text(st, 6), "read_only") == 0;
		k.created_at = sqlite3_column_int64(st, 7);
		k.last_used_at = col_opt_int(st, 8);
		if (each(ctx, &k) == -1)
			break;
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_FAIL : db_rc_of(rc, "list API keys");
}

/* One key by id, of one owner (uid > 0) or anyone's; its name, fingerprint and owner id are copied. */
enum db_rc
sqlite_key_get(struct arena *a, const char *id, int64_t uid, struct api_key *k)
{
	sqlite3_stmt	*st = stmt(STMT_KEY_GET);
	enum db_rc	 r = DB_OK;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	bind_uid_or_null(st, 2, uid);
	if ((r = step_row(st, "API key by id")) == DB_OK) {
		memset(k, 0, sizeof(*k));
		k->kid = sqlite3_column_int64(st, 0);
		k->name = col_text(a, st, 1);
		k->fingerprint = col_text(a, st, 2);
		snprintf(k->user_id, sizeof(k->user_id), "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(k->id, sizeof(k->id), "%s", id);
	}
	stmt_done(st);
	return r;
}

enum db_rc
sqlite_key_revoke(int64_t kid)
{
	sqlite3_stmt *st = stmt(STMT_KEY_REVOKE);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_int64(st, 1, kid);
	return exec_stmt(st, "revoke API key");
}

/* Login throttling, shared by every worker. */

enum db_rc
sqlite_throttle_get(const char *key, struct throttle *t)
{
	sqlite3_stmt	*st = stmt(STMT_THROTTLE_GET);
	int		 rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->failures = sqlite3_column_int64(st, 0);
		t->window_start = sqlite3_column_int64(st, 1);
		t->blocked_until = sqlite3_column_int64(st, 2);
		t->expires_at = sqlite3_column_int64(st, 3);
	}
	stmt_done(st);
	return rc == SQLITE_ROW ? DB_OK : rc == SQLITE_DONE ? DB_NONE : db_rc_of(rc, "read throttle");
}

enum db_rc
sqlite_throttle_put(const char *key, const struct throttle *t)
{
	sqlite3_stmt *st = stmt(STMT_THROTTLE_PUT);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->failures);
	sqlite3_bind_int64(st, 3, t->window_start);
	sqlite3_bind_int64(st, 4, t->blocked_until);
	sqlite3_bind_int64(st, 5, t->expires_at);
	return exec_stmt(st, "write throttle");
}

/* Counts one request on key in a fixed window of window_us: *count includes this one. Atomic on its own. */
enum db_rc
sqlite_rate_hit(const char *key, int64_t now, int64_t window_us, int64_t *count, int64_t *window_start)
{
	sqlite3_stmt	*st = stmt(STMT_RATE_HIT);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, window_us);
	if ((r = step_row(st, "count a request")) == DB_OK) {
		*count = sqlite3_column_int64(st, 0);
		*window_start = sqlite3_column_int64(st, 1);
	}
	stmt_done(st);
	return r == DB_NONE ? DB_FAIL : r;
}

static enum db_rc
prune_one(enum stmt which, int64_t now, int nbind, long limit, long long *n, const char *what)
{
	sqlite3_stmt	*st = stmt(which);
	enum db_rc	 r;

	if (st == NULL)
		return DB_FAIL;
	if (nbind == 2) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, limit);
	} else
		sqlite3_bind_int64(st, 1, limit);
	if ((r = exec_stmt(st, what)) == DB_OK)
		*n += sqlite3_changes(db);
	return r;
}

/*
 * Removes at most limit expired sessions, limit revoked ones and limit throttle rows past their expiry, in one
 * write transaction; adds the counts removed to *sessions and *throttle. Bounded work: call again while a count
 * reached its limit.
 */
enum db_rc
sqlite_prune(int64_t now, long limit, long long *sessions, long long *throttle)
{
	enum db_rc rc;

	if ((rc = db_begin()) != DB_OK)
		return rc;
	if ((rc = prune_one(STMT_PRUNE_SESSIONS_EXPIRED, now, 2, limit, sessions, "prune expired sessions")) !=
	    DB_OK ||
	    (rc = prune_one(STMT_PRUNE_SESSIONS_REVOKED, now, 1, limit, sessions, "prune revoked sessions")) !=
	    DB_OK ||
	    (rc = prune_one(STMT_PRUNE_THROTTLE, now, 2, limit, throttle, "prune throttle rows")) != DB_OK ||
	    (rc = db_commit()) != DB_OK) {
		db_rollback();
		return rc;
	}
	return DB_OK;
}

enum db_rc
sqlite_throttle_clear(const char *key)
{
	sqlite3_stmt *st = stmt(STMT_THROTTLE_DEL);

	if (st == NULL)
		return DB_FAIL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return exec_stmt(st, "clear throttle");
}

#define SQLITE_MEMBER(ret, name, params, args)	.name = sqlite_##name,
#define SQLITE_MEMBERV(name, params, args)	.name = sqlite_##name,
const struct store store_sqlite = {
	.name = "SQLite", .open = sqlite_open, STORE_OPS(SQLITE_MEMBER, SQLITE_MEMBERV)
};
