/*
 * throttle.c: what makes abuse expensive, shared by every worker through SQLite. Failed-login throttling, the
 * per-route request limits, and the opportunistic pruning of expired sessions and stale throttle rows.
 *
 * Failed logins (OWASP Authentication and Credential Stuffing cheat sheets, NIST SP 800-63B §5.2.2) are
 * counted on three keys at once, each against its own limit within login_failure_window:
 *
 *   pair     the account and the client's address group    login_failures_per_account        (5)
 *   account  the account from any address                   login_failures_per_account_total  (20)
 *   address  the address group, across accounts            login_failures_per_address        (50)
 *
 * Reaching a limit blocks that key for login_block_time seconds (429 with Retry-After). The address group is
 * the address for IPv4 and the /64 for IPv6 (one subscriber's block), so rotating through a /64 gains nothing.
 * Account keys are the typed name, folded, whether or not such a user exists: an unknown name reaches 429
 * exactly as a real one does, so the answer tells nothing.
 *
 * Why guessing from many addresses cannot lock the owner out: after a successful login, the account's address
 * group is "known" for login_known_address_lifetime (30 days). The account and address blocks do not apply to
 * a known pair; only the pair's own counter does, and that counts only guesses made from the owner's own
 * address. So an attacker spread over many addresses is stopped by the account limit, while the owner, from an
 * address they used before, still gets in; and one noisy client behind a NAT or proxy blocks the address only
 * for accounts that never logged in from there. What remains: during an attack, the owner on a new network
 * waits for the block to lift like everyone else (a correct password there is refused with 429 too, so a block
 * never reveals whether a guess was right).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>

#include "gatehouse.h"

#define PRUNE_BATCH	500	/* rows of each kind removed per prune, at most */

struct tkeys {
	const char	*key[3];	/* pair, account, address: counted */
	const char	*known;		/* the account and address group had a successful login */
};

enum { TK_PAIR, TK_ACCOUNT, TK_ADDRESS };

/* The account part of a key: the folded name, or for a long or undecodable one its SHA-256 in hex. */
static const char *
name_key(struct req *r, const char *name, size_t len)
{
	unsigned char	 d[32];
	char		*f = utf8_check(name, len, NULL) == 0 ? utf8_fold(r->arena, name, len) : NULL, *hex;
	int		 i;

	if (f != NULL && strlen(f) <= 128)
		return f;
	sha256(f != NULL ? f : name, f != NULL ? strlen(f) : len, d);
	if ((hex = arena_alloc(r->arena, 66)) == NULL)
		return NULL;
	hex[0] = '#';
	for (i = 0; i < 32; i++)
		snprintf(hex + 1 + 2 * i, 3, "%02x", d[i]);
	return hex;
}

static int
keys_of(struct req *r, const char *name, size_t len, struct tkeys *k)
{
	const char *n = name_key(r, name, len), *g = net_group(r->arena, r->remote_addr);

	if (n == NULL || g == NULL)
		return -1;
	k->key[TK_PAIR] = arena_printf(r->arena, "pair:%s@%s", n, g);
	k->key[TK_ACCOUNT] = arena_printf(r->arena, "account:%s", n);
	k->key[TK_ADDRESS] = arena_printf(r->arena, "address:%s", g);
	k->known = arena_printf(r->arena, "known:%s@%s", n, g);
	return k->key[TK_PAIR] && k->key[TK_ACCOUNT] && k->key[TK_ADDRESS] && k->known ? 0 : -1;
}

long
throttle_login_check(struct req *r, const char *name, size_t len)
{
	struct tkeys	 k;
	struct throttle	 t;
	int64_t		 until = 0;
	enum db_rc	 rc;
	int		 i, known;

	if (keys_of(r, name, len, &k) == -1)
		return -1;
	if ((rc = db_throttle_get(k.known, &t)) != DB_OK && rc != DB_NONE)
		return -1;
	known = rc == DB_OK && t.expires_at > r->now;
	for (i = 0; i < 3; i++) {
		if (known && i != TK_PAIR)
			continue;
		if ((rc = db_throttle_get(k.key[i], &t)) != DB_OK && rc != DB_NONE)
			return -1;
		if (rc == DB_OK && t.blocked_until > until)
			until = t.blocked_until;
	}
	return until > r->now ? (long)((until - r->now + 999999) / 1000000) : 0;
}

enum db_rc
throttle_login_failed(struct req *r, const char *name, size_t len)
{
	static const char *const what[3] = { "an account at an address", "an account", "an address" };
	const int	 limit[3] = { cfg.throttle_account, cfg.throttle_account_total, cfg.throttle_address };
	int64_t		 window = (int64_t)cfg.throttle_window * 1000000, block = (int64_t)cfg.throttle_block * 1000000;
	struct tkeys	 k;
	struct throttle	 t;
	enum db_rc	 rc;
	int		 i;

	if (keys_of(r, name, len, &k) == -1)
		return DB_FAIL;
	for (i = 0; i < 3; i++) {
		if ((rc = db_throttle_get(k.key[i], &t)) != DB_OK && rc != DB_NONE)
			return rc;
		if (rc == DB_NONE || t.window_start + window <= r->now) {
			t.failures = 0;
			t.window_start = r->now;
		}
		if (++t.failures >= limit[i]) {
			t.blocked_until = r->now + block;
			t.failures = 0;
			t.window_start = r->now;
			log_warn("login: %s blocked for %ld s after %d failures (address %s)", what[i],
			    cfg.throttle_block, limit[i], net_group(r->arena, r->remote_addr));
		}
		t.expires_at = t.window_start + window > t.blocked_until ? t.window_start + window : t.blocked_until;
		if ((rc = db_throttle_put(k.key[i], &t)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

enum db_rc
throttle_login_succeeded(struct req *r, const char *name, size_t len)
{
	const int	 limit[3] = { cfg.throttle_account, cfg.throttle_account_total, cfg.throttle_address };
	int64_t		 block = (int64_t)cfg.throttle_block * 1000000;
	struct tkeys	 k;
	struct throttle	 t;
	enum db_rc	 rc;
	int		 i;

	if (keys_of(r, name, len, &k) == -1)
		return DB_FAIL;
	/* The attempt was counted before the hash (throttle_login_failed): give it back on the account and the
	   address, and lift a block this very attempt set. */
	for (i = TK_ACCOUNT; i <= TK_ADDRESS; i++) {
		if ((rc = db_throttle_get(k.key[i], &t)) == DB_NONE)
			continue;
		if (rc != DB_OK)
			return rc;
		if (t.blocked_until == r->now + block) {
			t.blocked_until = 0;
			t.failures = limit[i] - 1;
		} else if (t.failures > 0)
			t.failures--;
		if ((rc = db_throttle_put(k.key[i], &t)) != DB_OK)
			return rc;
	}
	if ((rc = db_throttle_clear(k.key[TK_PAIR])) != DB_OK || cfg.known_lifetime == 0)
		return rc;
	memset(&t, 0, sizeof(t));
	t.window_start = r->now;
	t.expires_at = r->now + (int64_t)cfg.known_lifetime * 1000000;
	return db_throttle_put(k.known, &t);
}

enum err
throttle_refuse(struct req *r, struct reply *rep, long wait, const char *what)
{
	buf_printf(&rep->hdr, "Retry-After: %ld\r\n", wait);
	return reply_error(rep, ERR_THROTTLED, arena_printf(r->arena, "%s; try again in %ld seconds", what, wait));
}

static const struct {
	const char	*name;
	const char	*detail;
} rates[RATE__MAX] = {
	[RATE_ADMIN_WRITE] = { "admin", "Too many requests" },
	[RATE_REFRESH] = { "refresh", "Too many refresh requests" },
	[RATE_REGISTER] = { "register", "Too many registrations" },
};

enum err
throttle_rate(struct req *r, struct reply *rep, enum rate which)
{
	int64_t		 count, start, window = 60 * 1000000LL;
	const char	*key;
	long		 limit;

	switch (which) {
	case RATE_ADMIN_WRITE: limit = cfg.rate_admin_writes; break;
	case RATE_REFRESH: limit = cfg.rate_refresh; break;
	case RATE_REGISTER: limit = cfg.rate_register; break;
	default: return ERR_OK;
	}
	if (limit == 0)
		return ERR_OK;
	if ((key = arena_printf(r->arena, "rate:%s:%s", rates[which].name, net_group(r->arena, r->remote_addr))) ==
	    NULL)
		return ERR_UNAVAILABLE;
	if (db_rate_hit(key, r->now, window, &count, &start) != DB_OK)
		return ERR_UNAVAILABLE;
	if (count <= limit)
		return ERR_OK;
	if (count == limit + 1)
		log_warn("%s: address %s over %ld requests per minute", rates[which].name,
		    net_group(r->arena, r->remote_addr), limit);
	return throttle_refuse(r, rep, (long)((start + window - r->now + 999999) / 1000000), rates[which].detail);
}

/*
 * After a request: at most once per prune_interval in each worker (and, for plain CGI, where every process
 * serves one request, with a chance of one in a hundred), removes a bounded batch of expired and revoked
 * sessions and stale throttle rows, and of audit rows older than audit_retention when it is set (audit_prune).
 * A full batch brings the next prune forward to the next request.
 */
void
throttle_maintain(int64_t now)
{
	static int64_t	 next_at;
	long long	 sessions = 0, throttle = 0, audit = 0;
	unsigned char	 dice;

	if (cfg.prune_interval == 0 || now < next_at)
		return;
	if (next_at == 0) {
		next_at = now + (int64_t)cfg.prune_interval * 1000000;
		random_fast(&dice, 1);
		if (dice % 100 != 0)
			return;
	}
	next_at = now + (int64_t)cfg.prune_interval * 1000000;
	if (db_prune(now, PRUNE_BATCH, &sessions, &throttle) != DB_OK)
		return;
	if (sessions > 0 || throttle > 0)
		log_info("pruned %lld sessions and %lld throttle rows", sessions, throttle);
	if (cfg.audit_retention > 0 &&
	    audit_prune(now, now - (int64_t)cfg.audit_retention * 1000000, PRUNE_BATCH, &audit) == DB_OK && audit > 0)
		log_info("pruned %lld audit rows older than audit_retention", audit);
	if (sessions >= PRUNE_BATCH || throttle >= PRUNE_BATCH || audit >= PRUNE_BATCH)
		next_at = now;
}

/* Prunes until nothing expired is left (gatehousectl prune); the counts removed are added to the arguments. */
enum db_rc
throttle_prune_all(int64_t now, long long *sessions, long long *throttle, long long *audit)
{
	long long	 s, t, a = 0;
	enum db_rc	 rc;

	do {
		s = t = 0;
		if ((rc = db_prune(now, PRUNE_BATCH, &s, &t)) != DB_OK)
			return rc;
		*sessions += s;
		*throttle += t;
	} while (s >= PRUNE_BATCH || t >= PRUNE_BATCH);
	if (cfg.audit_retention > 0)
		do {
			if ((rc = audit_prune(now, now - (int64_t)cfg.audit_retention * 1000000, PRUNE_BATCH, &a)) != DB_OK)
				return rc;
			*audit += a;
		} while (a >= PRUNE_BATCH);
	return DB_OK;
}
