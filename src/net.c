/*
 * net.c: client addresses. Parsing IPv4 and IPv6 addresses and CIDR ranges (the trusted_proxies setting), the
 * client address of a request (REMOTE_ADDR, or read through trusted proxies from X-Forwarded-For or
 * X-Real-IP), and the group an address is counted in by the throttle (an IPv4 address alone, an IPv6 address
 * by its /64, the smallest block one subscriber is given: RFC 6177, OWASP's rate-limiting guidance).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse.h"

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries. */
static void
net_unmap(struct net *n)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (n->family == 6 && memcmp(n->addr, mapped, 12) == 0) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = 4;
		if (n->prefix >= 96)
			n->prefix -= 96;
		else
			n->prefix = 0;
	}
}

int
net_parse(const char *s, size_t len, struct net *n)
{
	char		 buf[64], *slash;
	long long	 prefix = -1;

	memset(n, 0, sizeof(*n));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (parse_long(slash + 1, 0, 128, &prefix) == -1)
			return -1;
	}
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = 4;
		if (prefix > 32)
			return -1;
		n->prefix = prefix < 0 ? 32 : (int)prefix;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = 6;
		n->prefix = prefix < 0 ? 128 : (int)prefix;
		net_unmap(n);
	} else
		return -1;
	return 0;
}

int
net_contains(const struct net *range, const struct net *a)
{
	int	 bits = range->prefix, i;
	unsigned char mask;

	if (range->family != a->family)
		return 0;
	for (i = 0; bits > 0; i++, bits -= 8) {
		mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((range->addr[i] & mask) != (a->addr[i] & mask))
			return 0;
	}
	return 1;
}

static int
trusted(const struct net *a)
{
	int i;

	for (i = 0; i < cfg.trusted_proxies_n; i++)
		if (net_contains(&cfg.trusted_proxies[i], a))
			return 1;
	return 0;
}

/*
 * 1 when the peer the web server saw (REMOTE_ADDR) is one of trusted_proxies: only then may headers it adds about
 * the original request (X-Forwarded-Proto) be believed.
 */
int
net_peer_trusted(const char *remote)
{
	struct net peer;

	return remote != NULL && cfg.trusted_proxies_n > 0 && net_parse(remote, strlen(remote), &peer) == 0 &&
	    trusted(&peer);
}

static const char *
net_text(struct arena *ar, const struct net *n)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->addr, buf, sizeof(buf)) == NULL)
		return "-";
	return arena_strdup(ar, buf);
}

/*
 * One X-Forwarded-For entry as proxies write it: an address, "[v6]" or "[v6]:port" (RFC 7239 §6, RFC 3986
 * §3.2.2) or "v4:port" (as nginx's realip module accepts). A range ("/64") or anything else is malformed.
 * Returns 0 with a host address in *n, or -1.
 */
static int
net_hop(const char *s, size_t len, struct net *n)
{
	const char	*close, *colon;
	size_t		 i;

	if (len >= 2 && s[0] == '[') {
		if ((close = memchr(s, ']', len)) == NULL)
			return -1;
		if ((size_t)(close + 1 - s) != len) {	/* "]:port" */
			if (close[1] != ':' || close + 2 == s + len)
				return -1;
			for (i = (size_t)(close + 2 - s); i < len; i++)
				if (s[i] < '0' || s[i] > '9')
					return -1;
		}
		len = (size_t)(close - s - 1);	/* an IPv6 address only: a colon, no "/bits" */
		if (memchr(s + 1, '/', len) != NULL || memchr(s + 1, ':', len) == NULL)
			return -1;
		return net_parse(s + 1, len, n);
	}
	colon = memchr(s, ':', len);
	if (colon != NULL && memchr(colon + 1, ':', (size_t)(s + len - colon - 1)) == NULL) {	/* "v4:port" */
		if (colon + 1 == s + len)
			return -1;
		for (i = (size_t)(colon + 1 - s); i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return -1;
		len = (size_t)(colon - s);
		if (net_parse(s, len, n) == -1 || n->family != 4)
			return -1;
		return memchr(s, '/', len) == NULL ? 0 : -1;
	}
	if (memchr(s, '/', len) != NULL || net_parse(s, len, n) == -1)
		return -1;
	return 0;
}

/*
 * The client's address. REMOTE_ADDR is the peer the web server saw; only when that peer is a trusted proxy
 * is the one header client_address_header names read (X-Forwarded-For, or X-Real-IP): never the other, since
 * a proxy that sets one passes a client's own copy of the other through unchanged. It is read right to left:
 * each hop that is itself trusted is skipped, and the first one that is not is the client (nginx's realip with
 * real_ip_recursive, RFC 7239 §7.4). A malformed entry ends the walk at that entry: its writer was not a
 * trusted proxy, so the client is the last hop known good, the trusted proxy that passed it on (REMOTE_ADDR
 * when it is the rightmost entry), never an address taken from or beyond the malformed entry. The result is in
 * canonical text form (arena), or REMOTE_ADDR as given when it is not an address (CGI tests).
 */
const char *
net_client(struct arena *ar, const char *remote, const char *forwarded, const char *real_ip)
{
	struct net	 peer, hop;
	const char	*list, *end, *s, *e;

	if (remote == NULL || net_parse(remote, strlen(remote), &peer) == -1)
		return remote;
	if (cfg.trusted_proxies_n == 0 || !trusted(&peer))
		return net_text(ar, &peer);
	list = cfg.client_header == CLIENT_HEADER_REAL_IP ? real_ip : forwarded;
	if (list == NULL)
		return net_text(ar, &peer);
	for (end = list + strlen(list);; end = s - 1) {	/* end: just past the entry; s: its start */
		for (s = end; s > list && s[-1] != ','; s--)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (net_hop(s, (size_t)(e - s), &hop) == -1)
			break;
		peer = hop;
		while (s > list && s[-1] != ',')
			s--;
		if (!trusted(&hop) || s == list)
			break;
	}
	return net_text(ar, &peer);
}

/* The throttle's group for an address: IPv4 as is, IPv6 by its /64 ("2001:db8:1:2::/64"). */
const char *
net_group(struct arena *ar, const char *addr)
{
	struct net	 n;
	const char	*t;

	if (addr == NULL || net_parse(addr, strlen(addr), &n) == -1)
		return addr != NULL ? addr : "-";
	if (n.family == 4)
		return net_text(ar, &n);
	memset(n.addr + 8, 0, 8);
	t = net_text(ar, &n);
	return arena_printf(ar, "%s/64", t);
}
