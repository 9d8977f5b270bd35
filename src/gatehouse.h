/*
 * gatehouse.h: the one internal header, sectioned by source file.
 * Each section lists what that file offers to the rest of the program; the file name is the prefix.
 */
#ifndef GATEHOUSE_H
#define GATEHOUSE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct sqlite3;
struct req;
struct reply;
struct sink;

/* ------------------------------------------------------------------------------------------------------------ */
/* err.c: the one error enum, with its status, title and default detail in parallel tables. */

enum err {
	ERR_OK = 0,
	ERR_BAD_REQUEST,	/* 400 */
	ERR_UNAUTHORIZED,	/* 401 Could not validate credentials */
	ERR_TOKEN_EXPIRED,	/* 401 The access token expired */
	ERR_LOGIN_FAILED,	/* 401 Incorrect username or password */
	ERR_FORBIDDEN,		/* 403, detail set by the caller */
	ERR_NOT_FOUND,		/* 404 */
	ERR_METHOD,		/* 405 */
	ERR_CONFLICT,		/* 409, detail set by the caller */
	ERR_TOO_LARGE,		/* 413 */
	ERR_VALIDATION,		/* 422, detail is the collected array */
	ERR_UNPROCESSABLE,	/* 422, detail set by the caller (a domain rule, not a field) */
	ERR_REFRESH_INVALID,	/* 401 Invalid or expired refresh token, no WWW-Authenticate */
	ERR_NOT_AUTHENTICATED,	/* 401 Not authenticated (logout with nothing that resolves) */
	ERR_THROTTLED,		/* 429 */
	ERR_INTERNAL,		/* 500: never for anything a client can cause */
	ERR_UNAVAILABLE,	/* 503: database busy past its timeout, disk full, read-only */
	ERR__MAX
};

int		 err_status(enum err);
const char	*err_title(enum err);
const char	*err_detail(enum err);
const char	*http_reason(int status);

/* ------------------------------------------------------------------------------------------------------------ */
/* log.c: lower-case messages that say what failed first; never a secret, a token, a hash or a body. */

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Opens path (NULL, "" or "-": standard error) for appending, 0640; 0, or -1 with the reason on standard error
   (path, uid and its name, strerror), logging to standard error meanwhile. */
int	 log_open(const char *path, enum log_level, const char *progname);
/* Reopens the log file after rotation (SIGHUP): async-signal-safe (open, dup2, close); 0 or an errno value,
   and the old file is kept on failure. */
int	 log_reopen(void);
/* While on, messages also go to standard error when it is not the log file itself (start-up checks). */
void	 log_tee(int on);
void	 log_msg(enum log_level, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
void	 log_set_request(const char *request_id);
#define	 log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define	 log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define	 log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define	 log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------------------------ */
/* priv.c: the account we run as; leaving root as spawn-fcgi does (-u/-g after the socket is open). */

struct priv {
	uid_t	 uid;		/* (uid_t)-1: unchanged */
	gid_t	 gid;		/* (gid_t)-1: unchanged; else the group, or the user's primary group */
	char	 name[64];	/* the user's name, for initgroups; empty when given as a bare number */
};

extern const char *prog_name;	/* "gatehouse" or "gatehousectl", for messages on standard error */

const char *priv_who(void);	/* "uid 33 (www-data)": the effective uid, for error messages (static buffer) */
int	 priv_resolve(const char *user, const char *group, struct priv *);	/* names or numbers; 0 or -1 */
int	 priv_resolve_spec(const char *user_colon_group, struct priv *);	/* USER[:GROUP] */
/* setgroups/initgroups, setgid, setuid, then proves root cannot be regained; 0 or -1 with the reason. */
int	 priv_drop(const struct priv *);
int	 priv_chown(const char *path, const struct priv *, int must_exist);	/* 0 or -1 with the reason */

/* ------------------------------------------------------------------------------------------------------------ */
/* arena.c: per-request bump allocator with a hard cap; buf: growable output buffers that live per process. */

struct arena_chunk;
struct arena {
	struct arena_chunk	*head;
	size_t			 used;	/* bytes handed out since the last reset */
	size_t			 cap;	/* hard limit per request */
};

void	 arena_init(struct arena *, size_t cap);
void	*arena_alloc(struct arena *, size_t);	/* NULL past the cap */
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_strdup(struct arena *, const char *);
char	*arena_printf(struct arena *, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
void	 arena_reset(struct arena *);
void	 arena_free(struct arena *);

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* set when an allocation failed; the content is then incomplete */
};

void	 buf_reset(struct buf *);
int	 buf_reserve(struct buf *, size_t extra);	/* room for extra bytes and a NUL; 0 or -1 */
void	 buf_free(struct buf *);
void	 buf_put(struct buf *, const char *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
const char *buf_cstr(struct buf *);	/* NUL-terminates in place */

/* ------------------------------------------------------------------------------------------------------------ */
/* jsonw.c: compact JSON output in the order the caller writes it; input echo with secrets masked. */

void	 jw_str(struct buf *, const char *, size_t);	/* a quoted, escaped JSON string */
void	 jw_cstr(struct buf *, const char *);		/* same, or null for NULL */
void	 jw_int(struct buf *, long long);
void	 jw_bool(struct buf *, int);
void	 jw_time(struct buf *, int64_t us);		/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", or null when < 0 */
void	 jw_echo(struct buf *, struct json_object *);	/* the value, secret keys masked */
void	 jw_python(struct buf *, const char *json);	/* re-written as Python's json.dumps would */
char	*jw_object(struct arena *, ...);		/* {"k":"v",...} from NULL-ended key, value pairs */
int	 jw_is_secret_key(const char *);

/* ------------------------------------------------------------------------------------------------------------ */
/* util.c: UTF-8, time, randomness, digests, base64url, percent-decoding, bounded number parsing. */

#define SECRET_MASK "********"

int	 utf8_check(const char *, size_t, size_t *bad_off);	/* 0 when valid (no overlongs, no surrogates) */
size_t	 utf8_len(const char *, size_t);			/* code points */
int	 utf8_has_control(const char *, size_t);		/* C0, DEL or C1 */
char	*utf8_fold(struct arena *, const char *, size_t);	/* unique key: case-folded, NFC (libunistring) */
char	*utf8_search_key(struct arena *, const char *, size_t);	/* search key: NFKD, folded, marks dropped, NFC */
char	*unicode_unique_key(const char *, size_t, size_t *outlen);	/* the same two, malloc'd */
char	*unicode_search_key(const char *, size_t, size_t *outlen);
const char *username_lookalike(const char *, size_t, uint32_t *bad);	/* NULL, or why the name is a look-alike */
char	*unicode_describe(struct arena *, uint32_t);		/* "U+200B ZERO WIDTH SPACE" */
int64_t	 now_us(void);
void	 time_iso(int64_t us, char out[32]);			/* as jw_time, without quotes */
void	 random_bytes(void *, size_t);
void	 random_fast(void *, size_t);	/* unique, not secret: request ids */
void	 sha256(const void *, size_t, unsigned char out[32]);
size_t	 b64url_encode(const unsigned char *, size_t, char *out, size_t outsz);
int	 ct_equal(const char *, const char *, size_t);		/* constant time; 1 when equal */
size_t	 pct_decode(char *, size_t, int plus_is_space);		/* in place; returns the new length */
int	 parse_long(const char *, long long min, long long max, long long *out);	/* strict decimal */
void	 wipe(void *, size_t);
int	 cookie_get(const char *header, const char *name, const char **val, size_t *len);	/* occurrences */
int	 header_is(const char *value, const char *word);	/* trimmed, ASCII case-insensitive */
char	*pct_encode(struct arena *, const char *);		/* a query value, RFC 3986 unreserved kept */

/* ------------------------------------------------------------------------------------------------------------ */
/* uuid.c: UUIDv7 for new ids, v4 for request ids, and the parser that accepts pydantic's input forms. */

void	 uuid_v7(char out[37]);
void	 uuid_v4(char out[37]);
/* 0 and the canonical lower-case form in out, or -1 and the uuid crate's error text in why. */
int	 uuid_parse(const char *, size_t, char out[37], char *why, size_t whysz);

/* ------------------------------------------------------------------------------------------------------------ */
/* email.c: pydantic EmailStr with email-validator 2.3.0. */

int	 email_normalize(const char *in, size_t len, char *out, size_t outsz, char *reason, size_t reasonsz);

/* ------------------------------------------------------------------------------------------------------------ */
/* config.c: the configuration file, read once per process. */

enum cap {
	CAP_NONE = 0,		/* public */
	CAP_USER,		/* any active user */
	CAP_UPLOAD,
	CAP_CREATE_LAYERS,
	CAP_EXPORT,
	CAP_EDIT_METADATA,
	CAP_MANAGE_COLLECTIONS,
	CAP_USE_AI_CHAT,
	CAP_MANAGE_USERS,
	CAP_MANAGE_SETTINGS,
	CAP__MAX
};
#define CAP_BIT(c)	(1u << (c))

/* An IPv4 or IPv6 address or CIDR range (net.c). */
struct net {
	int		 family;	/* 4 or 6 */
	int		 prefix;	/* bits: 32 or 128 for one address */
	unsigned char	 addr[16];
};

#define TRUSTED_PROXIES_MAX 32

enum client_header { CLIENT_HEADER_FORWARDED_FOR, CLIENT_HEADER_REAL_IP };

struct config {
	char	 database[1024];
	char	 log_file[1024];
	char	 setup_token[1024];	/* POST /setup: creates the first admin of an empty database; "" = off */
	int	 log_level;
	int	 hash_cost;		/* yescrypt cost, 1..11 */
	long	 access_ttl;		/* seconds */
	long	 refresh_ttl;		/* seconds */
	long	 login_ttl;		/* seconds: a login's absolute lifetime, however often it is refreshed */
	long	 body_limit;		/* bytes */
	int	 busy_timeout_ms;
	int	 password_min_length;	/* code points, at least 8 */
	int	 workers;		/* for gatehouse --listen */
	int	 registration;		/* POST /auth/register/ is open */
	int	 api_key_query;		/* ?api_key= is read (deprecated) */
	int	 throttle_account;	/* failed logins per account and address group within throttle_window ... */
	int	 throttle_account_total;	/* ... per account from any address (unknown addresses only) ... */
	int	 throttle_address;	/* ... and per address group (accounts not known there), before a block */
	long	 throttle_window;	/* seconds */
	long	 throttle_block;	/* seconds a block lasts */
	long	 known_lifetime;	/* seconds an address stays known for an account after a login (0: never) */
	struct net trusted_proxies[TRUSTED_PROXIES_MAX];
	int	 trusted_proxies_n;
	int	 client_header;		/* enum client_header: the one header read from trusted_proxies */
	int	 rate_admin_writes;	/* requests per minute and address group; 0: no limit */
	int	 rate_refresh;
	int	 rate_register;
	int	 max_sessions;		/* live sessions per user (refresh tokens, site cookies) */
	int	 max_api_keys;		/* live API keys per user; creating one more is refused (409) */
	long	 prune_interval;	/* seconds between opportunistic prunes in a worker; 0: never */
	char	 audit_key_file[1024];	/* the chain's HMAC key; default: gatehouse-audit.key beside the config */
	long	 audit_anchor_interval;	/* seconds between the chain head's log lines in a worker; 0: never */
	long	 audit_retention;	/* seconds an audit row is kept; 0: for ever */
	long	 refresh_grace;		/* seconds a rotated refresh token still works; later use is reuse */
	long	 session_idle;		/* seconds a site session lives unused */
	long	 session_lifetime;	/* seconds a site session lives at most */
	unsigned role_caps[4];		/* per role (enum role), a bit per enum cap */
	int	 status_names;		/* STATUS_NAMES_PUBLISHED or STATUS_NAMES_CURRENT */
};

/* The names a disabled account has in answers: the published page's "disabled", or the reference's current
   "suspended" / "deactivated" (issue 14 §6). Inputs take all three in either mode. */
enum { STATUS_NAMES_PUBLISHED, STATUS_NAMES_CURRENT };

extern struct config	 cfg;

void	 config_defaults(struct config *);
int	 config_load(struct config *, const char *path, int must_exist);	/* 0 or -1 (logged) */
const char *config_default_path(void);

/* ------------------------------------------------------------------------------------------------------------ */
/* net.c: addresses, CIDR ranges, the client address behind trusted proxies, the throttle's address group. */

int	 net_parse(const char *, size_t, struct net *);	/* "a.b.c.d", "v6", with optional "/bits"; 0 or -1 */
int	 net_contains(const struct net *range, const struct net *addr);
const char *net_client(struct arena *, const char *remote_addr, const char *x_forwarded_for,
	    const char *x_real_ip);
const char *net_group(struct arena *, const char *addr);
int	 net_peer_trusted(const char *remote_addr);	/* REMOTE_ADDR is in trusted_proxies */

/* ------------------------------------------------------------------------------------------------------------ */
/* password.c: yescrypt through libxcrypt. */

int	 password_hash(const char *pw, size_t len, int cost, char *out, size_t outsz);	/* 0 or -1 */
int	 password_verify(const char *pw, size_t len, const char *stored);	/* 1 match, 0 not */
void	 password_dummy_verify(const char *pw, size_t len, int cost);		/* costs one hash */
int	 password_needs_rehash(const char *stored, int cost);
/*
 * An existing crypt(3) hash brought in by gatehousectl import: bcrypt ($2b$, $2y$), SHA-crypt ($6$, $5$),
 * yescrypt ($y$), gost-yescrypt ($gy$), scrypt ($7$), as libxcrypt verifies them; other methods and costs that
 * would stall a login (bcrypt above 16, SHA-crypt above 10^6 rounds, yescrypt/scrypt above 1 GiB) are refused.
 * 0, or -1 with the reason in why. Upgraded to yescrypt at the next login (password_needs_rehash).
 */
int	 password_import_check(const char *hash, char *why, size_t whysz);
void	 password_generate(char *out, size_t outsz);	/* max(20, password_min_length) characters */

/* ------------------------------------------------------------------------------------------------------------ */
/* token.c: bearer tokens: random, prefixed, stored only as SHA-256 digests. */

#define TOKEN_ACCESS_PREFIX	"gat_"
#define TOKEN_REFRESH_PREFIX	"grt_"
#define TOKEN_KEY_PREFIX	"gak_"
#define TOKEN_SESSION_PREFIX	"gss_"	/* the gatehouse_session cookie */
#define TOKEN_LEN		(4 + 43)

void	 token_new(const char *prefix, char out[TOKEN_LEN + 1], unsigned char digest[32]);
void	 token_digest(const char *, size_t, unsigned char digest[32]);

/* ------------------------------------------------------------------------------------------------------------ */
/* store/: the storage interface (store.c) and its engines, SQLite (sqlite.c) and PostgreSQL (pg.c): migrations,
   the statement tables, typed queries. Callers see only the db_* functions below, whatever the engine. */

enum role {
	ROLE_ADMIN = 1,
	ROLE_EDITOR = 2,
	ROLE_VIEWER = 3,
	ROLE__MAX
};
#define ROLE_BIT(r)	(1u << ((r) - 1))

const char *role_name(enum role);
int	 role_parse(const char *);	/* the role or 0 */

enum status { STATUS_ACTIVE, STATUS_PENDING, STATUS_DISABLED, STATUS__MAX };
/* How a disabled account was disabled, as asked: plain (deactivate is "deactivated"; "disabled" or is_active
   false name no kind), or by the reference's current names. Stored in users.disabled_as. */
enum disabled_as { DISABLED_PLAIN, DISABLED_SUSPENDED, DISABLED_DEACTIVATED };
const char *status_name(enum status);		/* the stored name: active, pending, disabled */
int	 status_parse(const char *);	/* the status or -1 */
const char *status_wire(enum status, enum disabled_as);	/* the name answers use, by cfg.status_names */
const char *status_wire_text(const char *stored);	/* the same from coalesce(disabled_as, status) */

struct user {
	int64_t		 uid;		/* rowid */
	char		 id[37];
	char		*username;
	char		*email;		/* NULL when none */
	enum status	 status;
	enum disabled_as disabled_as;	/* DISABLED_PLAIN unless status is STATUS_DISABLED */
	unsigned	 roles;		/* ROLE_BIT set */
	int64_t		 created_at;	/* microseconds since the epoch */
	int64_t		 last_login_at;	/* -1 when never */
	char		*password_hash;	/* only loaded for login */
	int64_t		 epoch;		/* credential epoch (token_version): moves with password, status, roles */
};

enum db_rc { DB_OK = 0, DB_NONE, DB_EXISTS_USERNAME, DB_EXISTS_EMAIL, DB_BUSY, DB_FAIL };

/* database: an SQLite file path, or a postgresql:// (postgres://) libpq URI; create: make the SQLite file (0600)
   when missing. 0 or -1 (logged, never with a password); applies the migrations. */
int	 db_open(const char *database, int create);
int	 db_is_postgresql(const char *database);	/* the setting names a PostgreSQL database */
const char *db_engine_name(void);		/* "SQLite" or "PostgreSQL": the engine of the last db_open */
const char *db_display(const char *database);	/* the setting for messages: a URI without its password */
/* gatehousectl migrate --to URI (store/migrate.c), with the SQLite database open: 0 copied and verified, 1 not. */
int	 store_migrate(const char *uri);
void	 db_close(void);
enum err db_err(enum db_rc);			/* maps to the error enum */
int	 db_schema_version(void);
int	 db_schema_latest(void);			/* the version this program migrates to */

enum db_rc db_begin(void);			/* BEGIN IMMEDIATE */
enum db_rc db_commit(void);
void	 db_rollback(void);
int	 db_ensure_idle(void);	/* rolls back what a request left open; -1: closed, reopen before the next */

enum db_rc db_user_conflict(struct arena *, const char *username, const char *email);	/* DB_NONE: free */
enum db_rc db_user_insert(struct arena *, struct user *, const char *hash);
enum db_rc db_user_by_login(struct arena *, const char *username, size_t len, struct user *);
enum db_rc db_user_set_login(int64_t uid, int64_t at, const char *new_hash, const char *old_hash);
enum db_rc db_user_epoch(int64_t uid, int64_t *epoch);
enum db_rc db_session_insert(int64_t uid, const unsigned char access[32], int64_t access_exp,
	    const unsigned char refresh[32], int64_t refresh_exp, int64_t now, int64_t family, int64_t login_at);
/* The user behind an access token digest, with live status and roles; *expires_at set. */
enum db_rc db_user_by_access(struct arena *, const unsigned char digest[32], struct user *, int64_t *expires_at);
enum db_rc db_count_users(long long *);
enum db_rc db_health(void);	/* DB_OK when the database answers a read of the users table */
enum db_rc db_user_get(struct arena *, const char *id, struct user *);

/* GET /admin/users/: sort is the index in query_users_list's sort literal. */
struct user_filter {
	const char	*status;	/* exact stored status, or NULL */
	const char	*disabled_as;	/* "suspended" or "deactivated" (plain counts as deactivated), or NULL */
	const char	*search;	/* substring of username or email, case-insensitive, or NULL */
	int		 sort;
	int		 desc;
	long long	 skip;
	long long	 limit;
};

enum db_rc db_user_list(struct arena *, const struct user_filter *, int (*)(void *, const struct user *), void *,
	    long long *total);
enum db_rc db_user_names(long long skip, long long limit, int (*)(void *, const char *id, const char *name),
	    void *);
enum db_rc db_user_export(int (*)(void *, const char *const cols[4], int64_t created_at), void *, long *rows);
enum db_rc db_viable_admins_except(int64_t uid, long long *);
enum db_rc db_user_set_email(struct arena *, int64_t uid, const char *email, int64_t now);
enum db_rc db_user_set_status(int64_t uid, enum status, enum disabled_as, int64_t now);
enum db_rc db_user_set_role(int64_t uid, enum role, int64_t now);
enum db_rc db_user_delete(int64_t uid);
enum db_rc db_user_revoke(int64_t uid, const char *new_hash, int64_t now);
enum db_rc db_user_revoke_all(int64_t uid, int64_t now);	/* sessions revoked, API keys retired */
int	 db_backup(const char *path);	/* VACUUM INTO a new file; 0 or -1 (logged) */
enum db_rc db_users_by_status(long long counts[STATUS__MAX], long long *suspended);	/* suspended: of counts[DISABLED] */
struct sqlite3 *db_handle(void);	/* for the tests' query plans and tampering */

struct session {
	int64_t		 id;
	int64_t		 family;		/* the first session of the login */
	int64_t		 refresh_expires_at;
	int64_t		 rotated_at;		/* -1: not rotated */
	int		 revoked;
	int64_t		 login_at;		/* the password login that began it: the absolute lifetime's start */
};

enum db_rc db_session_by_refresh(struct arena *, const unsigned char digest[32], struct session *, struct user *);
enum db_rc db_session_rotate(int64_t id, int64_t now);
enum db_rc db_sessions_revoke_family(int64_t family, int64_t now);

/* A site session: the gatehouse_session cookie of a browser. */
struct site_session {
	int64_t		 id;
	int64_t		 expires_at;	/* absolute end, microseconds */
	int64_t		 used_at;	/* last use, for the idle lifetime */
};

enum db_rc db_site_insert(int64_t uid, const unsigned char digest[32], int64_t expires_at, int64_t now);
enum db_rc db_site_by_digest(struct arena *, const unsigned char digest[32], struct site_session *, struct user *);
enum db_rc db_site_touch(int64_t id, int64_t now);

struct api_key {
	int64_t		 kid;
	char		 id[37];
	char		 user_id[37];
	const char	*name;
	const char	*fingerprint;
	int		 read_only;
	int		 is_active;
	int		 epoch_ok;		/* minted at the owner's current key_epoch */
	int64_t		 expires_at;		/* -1: never */
	int64_t		 created_at;
	int64_t		 last_used_at;		/* -1: never */
};

enum db_rc db_key_by_digest(struct arena *, const unsigned char digest[32], struct api_key *, struct user *);
enum db_rc db_key_touch(int64_t kid, int64_t now);
enum db_rc db_key_insert(const struct api_key *, int64_t uid, const unsigned char digest[32]);
enum db_rc db_key_live_count(int64_t uid, int64_t now, long long *n);
enum db_rc db_key_list(struct arena *, int64_t uid, long long skip, long long limit,
	    int (*)(void *, const struct api_key *), void *, long long *total);
enum db_rc db_key_get(struct arena *, const char *id, int64_t uid, struct api_key *);
enum db_rc db_key_revoke(int64_t kid);

struct throttle {
	int64_t		 failures;
	int64_t		 window_start;
	int64_t		 blocked_until;
	int64_t		 expires_at;	/* when the row may be pruned */
};

enum db_rc db_throttle_get(const char *key, struct throttle *);
enum db_rc db_throttle_put(const char *key, const struct throttle *);
enum db_rc db_throttle_clear(const char *key);
enum db_rc db_rate_hit(const char *key, int64_t now, int64_t window_us, int64_t *count, int64_t *window_start);
enum db_rc db_prune(int64_t now, long limit, long long *sessions, long long *throttle);

/* ------------------------------------------------------------------------------------------------------------ */
/* throttle.c: failed-login throttling, per-route request limits, pruning; shared by every worker (SQLite). */

/* The route classes with a request limit per minute and address group (the reference's slowapi limits). */
enum rate { RATE_NONE, RATE_ADMIN_WRITE, RATE_REFRESH, RATE_REGISTER, RATE__MAX };

/* Seconds before name may be tried from this client (0: go on), or -1 when the database cannot say. */
long	 throttle_login_check(struct req *, const char *name, size_t len);
/* Count a failed password for name, or record a success (clears the pair, marks the address known).
   Both run inside the caller's BEGIN IMMEDIATE transaction. */
enum db_rc throttle_login_failed(struct req *, const char *name, size_t len);
enum db_rc throttle_login_succeeded(struct req *, const char *name, size_t len);
/* 429 with Retry-After: wait seconds; detail is what "...; try again in N seconds" starts with. */
enum err throttle_refuse(struct req *, struct reply *, long wait, const char *what);
/* Counts this request against its route's limit; ERR_OK, or 429 (set on rep) past it, or 503. */
enum err throttle_rate(struct req *, struct reply *, enum rate);
void	 throttle_maintain(int64_t now);	/* after a request: prune now and then, bounded */
enum db_rc throttle_prune_all(int64_t now, long long *sessions, long long *throttle, long long *audit);

/* ------------------------------------------------------------------------------------------------------------ */
/* audit.c: the hash-chained audit trail, written in the transaction of the change it records. */

struct audit_row {
	int64_t		 id;
	char		 uuid[37];
	int64_t		 created_at;
	const char	*actor_id;
	const char	*actor_username;
	const char	*action;
	const char	*resource_type;
	const char	*resource_id;
	const char	*details;	/* a JSON object, or NULL */
	const char	*ip_address;
	const char	*resource_name;	/* read only: the user's current name for resource_type "user" */
	unsigned char	 prev_digest[32];
	unsigned char	 digest[32];
	int		 has_digests;
};

/* GET /admin/audit-logs/ and its export; sort is the index in query_audit_list's sort literal. */
struct audit_filter {
	const char	*user_id;
	const char	*action;
	const char	*resource_type;
	const char	*resource_id;
	int		 has_from, has_to;
	int64_t		 date_from, date_to;
	const char	*search;	/* lower-cased */
	int		 sort;
	int		 desc;
	long long	 skip;
	long long	 limit;
	int64_t		 before_id;	/* only rows older than this one (0: all) */
};

/* The chain key: 32 bytes as 64 hex digits in a file (audit_key_file). load: 0 or -1, logged with the path and
   the reason; create: makes it 0600 with O_EXCL from libsodium's CSPRNG when missing (*created = 1), else
   loads it. set: for tests. */
int	 audit_key_load(const char *path);
int	 audit_key_create(const char *path, int *created);
void	 audit_key_set(const unsigned char key[32]);
int	 audit_key_loaded(void);
/* HMAC-SHA-256 of the row (RFC 2104) under the key, -1 without one; and the plain SHA-256 of chains written
   before keying. Both cover the predecessor's digest and every field, length-framed. */
int	 audit_digest(const struct audit_row *, unsigned char out[32]);
int	 audit_digest_unkeyed(const struct audit_row *, unsigned char out[32]);
/* Re-keys a chain written before keying, once, when the key is loaded (db_open calls it); 0 or -1. */
int	 audit_chain_upgrade(void);
#define AUDIT_ANCHOR_LEN 96
/* The head as "ROW:DIGEST" (64 hex digits); "0:00..." for an empty chain. 0 or -1. */
int	 audit_head(char anchor[AUDIT_ANCHOR_LEN]);
/* 0 when the chain still holds the anchor's row with the anchor's digest, else -1 and why (truncated,
   rewritten, or a malformed anchor). */
int	 audit_anchor_check(const char *anchor, const char **why);
/* Removes audit rows created before `before` (µs), at most limit, with an audit.prune row; see audit.c. */
enum db_rc audit_prune(int64_t now, int64_t before, long limit, long long *rows);
void	 audit_anchor_log(int64_t now);	/* after a request: the head to the log, every audit_anchor_interval */
enum db_rc db_audit_list(const struct audit_filter *, int (*)(void *, const struct audit_row *), void *,
	    long long *total);
enum db_rc db_audit_append(struct audit_row *);	/* sets id and the digests */
enum db_rc db_audit_walk(int (*)(void *, const struct audit_row *), void *);
enum db_rc db_audit_last_of_action(const char *, int (*)(void *, const struct audit_row *), void *);
enum db_rc db_audit_first(int64_t *id, unsigned char prev[32]);
enum db_rc db_audit_prune(int64_t before, long limit, int64_t *edge, long long *rows);
enum db_rc db_audit_head(int64_t *id, unsigned char digest[32]);
enum db_rc db_audit_digest_of(int64_t id, unsigned char digest[32]);
enum db_rc db_audit_set_digests(int64_t id, const unsigned char prev[32], const unsigned char digest[32]);
enum db_rc db_audit_meta_get(const char *key, char *value, size_t size);
enum db_rc db_audit_meta_put(const char *key, const char *value);
int	 db_is_readonly(void);
/* Appends one row; actor is the caller (NULL: none), details a JSON object or NULL. */
enum db_rc audit_log(struct req *, const char *action, const char *resource_type, const char *resource_id,
	    const char *details);
enum db_rc audit_log_as(struct req *, const struct user *actor, const char *action, const char *resource_type,
	    const char *resource_id, const char *details);
int64_t	 audit_last_id(void);
/* Walks the chain; 0 when intact, else -1 with the first broken row's id and a reason. */
int	 audit_verify(long long *rows, int64_t *bad_id, const char **why);

/* ------------------------------------------------------------------------------------------------------------ */
/* validate.c: the generic validator; schemas.c: the field tables of every request body. */

/* The values FT_STATUS accepts (value.i): "disabled" only under status_names = published. */
enum status_input { SI_ACTIVE, SI_DISABLED, SI_SUSPENDED, SI_DEACTIVATED };

enum ftype {
	FT_STRING,	/* min/max code points */
	FT_SECRET,	/* a string never echoed back */
	FT_PASSWORD,	/* a secret string under the password rules */
	FT_EMAIL,	/* EmailStr, normalised */
	FT_ROLE,	/* a string that must name a role */
	FT_LITERAL,	/* one of lit[] */
	FT_STATUS,	/* UserUpdate.status: i is an enum status_input; the names by cfg.status_names */
	FT_BOOL,	/* pydantic's lax booleans */
	FT_INT,		/* query: lax integer within [imin, imax] */
	FT_UUID,	/* a UUID in any accepted form, canonical out */
	FT_DATETIME,	/* ISO 8601; out as microseconds since the epoch */
	FT__MAX
};

struct field {
	const char		*name;
	enum ftype		 type;
	int			 required;
	int			 nullable;	/* null accepted as "not given" */
	size_t			 min;		/* code points */
	size_t			 max;
	const char		*dflt;		/* default for an absent value */
	int			 nocontrol;	/* control characters are a value_error */
	int			 lookalike;	/* white space at the ends, invisible characters: a value_error */
	const char		*exact;		/* the only value accepted when given (a pattern ^exact$) */
	const char *const	*lit;		/* FT_LITERAL: the accepted values, NULL-terminated */
	long long		 imin;		/* FT_INT bounds */
	long long		 imax;
	int			 aware;		/* FT_DATETIME: an offset is required */
	int			 future;	/* FT_DATETIME: must be later than now */
};

#define SCHEMA_MAX_FIELDS 12

struct req;
struct verrs;

struct schema {
	const char		*name;
	int			 form;		/* the body is a login form, not JSON */
	int			 optional;	/* no body (or JSON null) is fine: every field absent */
	size_t			 nfields;
	struct field		 fields[SCHEMA_MAX_FIELDS];
	void			(*check)(struct req *);	/* model-level rule, run when every field passed */
};

/* One value that passed validation. */
struct value {
	int		 present;	/* given and not null, or defaulted */
	const char	*s;		/* NUL-terminated (arena) */
	size_t		 len;
	long long	 i;		/* FT_ROLE: the role; FT_BOOL: 0/1; FT_INT; FT_LITERAL: the index;
					   FT_DATETIME: microseconds */
};

/* One pydantic-shaped problem. */
struct verr {
	const char		*type;
	const char		*loc[3];
	int			 loc_index;	/* >= 0: the second loc element is this number */
	const char		*msg;
	int			 input_kind;	/* VIN_* */
	struct json_object	*input;
	const char		*input_raw;
	size_t			 input_raw_len;
	const char		*ctx;		/* pre-rendered JSON object, or NULL */
};

enum { VIN_NULL, VIN_JSON, VIN_RAW, VIN_MASK, VIN_EMPTY_OBJECT };

#define VERR_MAX 32

struct verrs {
	size_t		 n;
	struct verr	 e[VERR_MAX];
};

extern const struct schema schema_admin_user_create;
extern const struct schema schema_setup;
extern const struct schema schema_login;
extern const struct schema schema_user_update;
extern const struct schema schema_approve;
extern const struct schema schema_reset_password;
extern const struct schema schema_user_import;
extern const struct schema query_users_list;
extern const struct schema query_users_names;
extern const struct schema query_audit_list;
extern const struct schema query_audit_export;
extern const struct schema schema_refresh;
extern const struct schema schema_change_password;
extern const struct schema schema_register;
extern const struct schema schema_api_key_create;
extern const struct schema schema_admin_api_key_create;
extern const struct schema query_page;
extern const struct schema query_admin_keys;

int	 is_json_type(const char *content_type);
int	 json_parse_body(struct req *);	/* 0, or -1 with a json_invalid entry in req->verrs */
void	 validate_body(struct req *, const struct schema *);
void	 validate_query(struct req *, const struct schema *);
void	 validate_path_uuid(struct req *, const char *name, const char *value, char out[37]);
struct verr *verr_at(struct verrs *, const char *where, const char *name, const char *type, const char *msg);
struct verr *verr_add(struct verrs *, const char *type, const char *msg);
void	 verrs_render(struct buf *, const struct verrs *);

/* ------------------------------------------------------------------------------------------------------------ */
/* jsonstrict.c: Python json.loads's grammar (minus NaN/Infinity and unpaired surrogates), checked before json-c. */

int	 jsonstrict_check(const char *, size_t, size_t max_depth, size_t *off, const char **why);

/* ------------------------------------------------------------------------------------------------------------ */
/* request.c and routes.c: one request, the route table and the dispatcher. */

enum method { M_GET, M_POST, M_PATCH, M_DELETE, M_PUT, M_HEAD, M_OPTIONS, M_OTHER, M__MAX };



const char *cap_name(enum cap);
int	 cap_granted(unsigned roles, enum cap);

struct reply {
	int		 status;
	struct buf	 hdr;		/* extra header lines, each ending in \r\n */
	struct buf	 body;
	const char	*content_type;
	const char	*detail;	/* error detail text (static or arena) */
	struct verrs	*verrs;		/* for 422 */
	/* A streamed body: called after the headers are sent, writes through the sink, returns rows written
	   or -1 on failure. */
	long		(*stream)(struct req *, struct reply *, struct sink *);
	const char	*disposition;	/* Content-Disposition, for downloads */
	void		*stream_ctx;
};

struct req {
	struct arena	*arena;
	enum method	 method;
	const char	*method_name;
	const char	*path;		/* the route path, decoded */
	int		 bad_path;	/* the path as sent is malformed: 400 before routing */
	const char	*query;
	const char	*content_type;
	const char	*authorization;
	const char	*api_key;	/* X-Api-Key */
	const char	*remote_addr;	/* the client: REMOTE_ADDR, or behind trusted proxies the forwarded one */
	const struct cgi_env *env;	/* everything else the server passed */
	int		 secure;	/* over https: HTTPS=on, or X-Forwarded-Proto: https from a trusted proxy */
	const char	*body;
	size_t		 body_len;
	int		 body_json_ok;	/* body is JSON content and parsed */
	struct json_object *json;	/* the parsed body, freed after the request */
	const char	*params[2];	/* path parameters */
	int64_t		 now;
	char		 request_id[37];
	struct user	 who;		/* the authenticated caller */
	int		 authed;
	int		 via_key;	/* authenticated by an API key */
	unsigned char	 cred_digest[32];	/* the caller's access token or API key, for auth_recheck */
	enum cap	 cap;		/* the route's capability */
	int		 key_read_only;
	int		 site;		/* enum site of the route: may the session cookie authenticate it */
	int		 via_site;	/* authenticated by the session cookie */
	struct value	 v[SCHEMA_MAX_FIELDS];	/* the validated body */
	struct value	 q[SCHEMA_MAX_FIELDS];	/* the validated query */
	char		 id[37];		/* the validated path id */
	struct verrs	 verrs;
	/* The last security event of the request (a failed login, a revocation), for its warning line. */
	const char	*event;			/* the audit action */
	const char	*event_name;		/* the user's name as typed or stored (arena) */
	const char	*event_detail;		/* the reason, or the user id */
	/* gatehousectl: the request runs as this operator with every capability, its audit actor; never set
	   from the web (loop.c zeroes the environment it fills). */
	const char	*cli_actor;
};

typedef enum err (*handler_fn)(struct req *, struct reply *);

enum param {
	P_NONE,
	P_USER_ID,	/* "{}" is a user id: a UUID, else 422 uuid_parsing at ["path","user_id"] */
	P_FORMAT,	/* "{}" is an export format, checked by the handler */
	P_KEY_ID,	/* "{}" is an API key id: 422 uuid_parsing at ["path","key_id"] */
};

/* Whether the site session cookie (gatehouse_session) authenticates a route, after API keys and bearer tokens. */
enum site {
	SITE_NONE,	/* no: bearer tokens and API keys only */
	SITE_API,	/* yes; an unsafe method must come from the same origin */
	SITE_FORWARD,	/* yes, for forward authentication: the original request's method decides */
};

struct route {
	enum method		 method;
	const char		*pattern;	/* segments; "{}" matches one */
	handler_fn		 handler;
	enum cap		 cap;
	const struct schema	*schema;	/* the JSON (or form) body */
	const struct schema	*query;
	enum param		 param;
	enum rate		 rate;		/* a request limit per minute and client, or RATE_NONE */
};

/* Where a streamed response goes: the web server's output, or a buffer in tests. */
struct sink {
	void	(*write)(void *ctx, const char *, size_t);
	void	*ctx;
};

/* The request environment as the web server gave it (copied out of libfcgi's environ). */
struct cgi_env {
	const char	*method;
	const char	*path_info;
	const char	*script_name;
	const char	*request_uri;
	const char	*query;
	const char	*content_type;
	const char	*content_length;
	const char	*authorization;
	const char	*api_key;
	const char	*remote_addr;
	/* Browsers, cookie mode and forward authentication. */
	const char	*cookie;		/* HTTP_COOKIE */
	const char	*auth_mode;		/* X-GeoLens-Auth-Mode */
	const char	*session_mode;		/* X-Gatehouse-Auth-Mode */
	const char	*csrf_token;		/* X-CSRF-Token */
	const char	*https;			/* HTTPS, set by the server ("on") */
	const char	*forwarded_proto;	/* X-Forwarded-Proto, believed only from trusted_proxies */
	const char	*origin;		/* Origin */
	const char	*fetch_site;		/* Sec-Fetch-Site */
	const char	*host;			/* Host */
	const char	*accept;		/* Accept */
	const char	*original_uri;		/* X-Original-URI, set by nginx for /auth/verify */
	const char	*original_method;	/* X-Original-Method, set by nginx for /auth/verify */
	const char	*fcgi_role;		/* FCGI_ROLE: RESPONDER, AUTHORIZER */
	const char	*require_role;		/* GATEHOUSE_REQUIRE_ROLE (authorizer role) */
	const char	*require_cap;		/* GATEHOUSE_REQUIRE_CAP (authorizer role) */
	const char	*signin_url;		/* GATEHOUSE_SIGNIN_URL (authorizer role) */
	const char	*request_id;	/* REQUEST_ID, set by the web server (nginx: $request_id), never by a client */
	const char	*forwarded_for;	/* X-Forwarded-For, read only from trusted_proxies */
	const char	*real_ip;	/* X-Real-IP, likewise */
	const char	*cli_actor;	/* gatehousectl only: the operator ("cli:root"), every capability */
};

void	 request_route_path(struct req *, const struct cgi_env *);
enum method method_parse(const char *);
const char *method_str(enum method);
const struct route *route_at(size_t);	/* the route table's i-th row, NULL past the end (openapi.c) */
void	 dispatch(struct req *, struct reply *);
enum err reply_error(struct reply *, enum err, const char *detail);	/* sets the detail, returns e */
void	 reply_finish(struct req *, struct reply *, enum err);
void	 reply_json_begin(struct reply *, int status);

/* ------------------------------------------------------------------------------------------------------------ */
/* loop.c: the FCGI_Accept loop; the only file that includes fcgi_stdio.h. */

struct app {
	struct arena	 arena;
	struct reply	 reply;
	struct buf	 out;
};

/* Serves until SIGTERM or, as CGI, one request; closes the database on the way out (the WAL checkpointed). */
int	 loop_run(void);

struct sock_opts {
	const char	*path;		/* a path, or host:port */
	struct priv	 owner;		/* -U/-G for a path; -1: unchanged */
	mode_t		 mode;		/* -M for a path */
};

/* Opens the FastCGI listening socket on fd 0, owner and mode set; 0, or -1 with the reason on standard error. */
int	 serve_listen(const struct sock_opts *);
/* The master: forks workers on the socket at fd 0, replaces dead ones, forwards SIGHUP, stops on SIGTERM.
   what names the socket in log lines. */
int	 serve_prefork(const char *what, int workers);

enum { BODY_OK, BODY_TOO_LARGE, BODY_SHORT, BODY_BAD_LENGTH };

/* A whole request as bytes in, response out through the sink; used by loop.c and by tests and fuzzers. */
void	 app_handle(struct app *, const struct cgi_env *, const char *body, size_t body_len,
	    int body_state, struct sink *);

/* ------------------------------------------------------------------------------------------------------------ */
/* h_auth.c, h_users.c, h_admin.c: the handlers. */

enum err h_login(struct req *, struct reply *);
enum err h_me(struct req *, struct reply *);
enum err h_users_create(struct req *, struct reply *);
enum err h_users_list(struct req *, struct reply *);
enum err h_users_names(struct req *, struct reply *);
enum err h_users_export(struct req *, struct reply *);
enum err h_users_get(struct req *, struct reply *);
enum err h_users_update(struct req *, struct reply *);
enum err h_users_delete(struct req *, struct reply *);
enum err h_users_deactivate(struct req *, struct reply *);
enum err h_users_approve(struct req *, struct reply *);
enum err h_users_reject(struct req *, struct reply *);
enum err h_users_reset_password(struct req *, struct reply *);
enum err h_stats(struct req *, struct reply *);
enum err h_permissions(struct req *, struct reply *);
enum err h_refresh(struct req *, struct reply *);
enum err h_logout(struct req *, struct reply *);
enum err h_config(struct req *, struct reply *);
/* openapi.c: the OpenAPI 3.1 document built from the route table and the field tables (a static string, built
 * once per process; never freed). */
enum err h_openapi(struct req *, struct reply *);
enum err h_setup(struct req *, struct reply *);	/* h_users.c */
const char *openapi_json(void);
enum err h_change_password(struct req *, struct reply *);
enum err h_register(struct req *, struct reply *);
enum err h_keys_list(struct req *, struct reply *);
enum err h_keys_create(struct req *, struct reply *);
enum err h_keys_delete(struct req *, struct reply *);
enum err h_admin_keys_list(struct req *, struct reply *);
enum err h_admin_keys_create(struct req *, struct reply *);
enum err h_admin_keys_delete(struct req *, struct reply *);
enum err h_audit_list(struct req *, struct reply *);
enum err h_audit_export(struct req *, struct reply *);
enum err h_audit_verify(struct req *, struct reply *);
enum err h_health(struct req *, struct reply *);
enum err h_users_revoke(struct req *, struct reply *);	/* gatehousectl only */
enum err h_users_import(struct req *, struct reply *);	/* gatehousectl only */
enum err h_users_export_hashes(struct req *, struct reply *);	/* gatehousectl only */
void	 user_json(struct buf *, const struct user *, int with_quota);
void	 csv_cell(struct buf *, const char *);		/* quoted, OWASP formula guard */
void	 time_isoformat(struct buf *, int64_t us);	/* Python's isoformat(): ...+00:00 */
int	 auth_resolve(struct req *, struct reply *, enum err *);	/* 0 authed, -1 error set */
/* A Set-Cookie line in the reply; max_age in seconds, < 0 for a deletion. */
void	 cookie_set(struct req *, struct reply *, const char *name, const char *value, long max_age,
	    const char *path, int httponly);
const char *mount_path(const struct req *);	/* SCRIPT_NAME as a safe cookie path prefix, or "" */
enum err auth_recheck(struct req *, struct reply *);	/* in a write transaction: the caller still holds */
enum err tx_begin(struct req *, struct reply *);	/* BEGIN IMMEDIATE + auth_recheck */
int	 query_get(struct req *, const char *name, const char **value, size_t *len);	/* 1 when present */

/* h_site.c: site sessions, GET /auth/verify and the FastCGI authorizer role. */
enum err h_verify(struct req *, struct reply *);
int	 site_resolve(struct req *, struct reply *, enum err *);	/* 1 authed, 0 none, -1 error set */
int	 site_mode(const struct req *);		/* X-Gatehouse-Auth-Mode: session */
enum db_rc site_recheck(struct req *, struct user *);	/* auth_recheck for the session cookie */
enum db_rc site_mint(struct req *, struct reply *, const struct user *);
void	 site_clear(struct req *, struct reply *);
void	 verify_unauthorized(struct req *, struct reply *);
void	 authorize(struct req *, struct reply *);	/* the whole answer in the authorizer role */

#endif /* GATEHOUSE_H */
