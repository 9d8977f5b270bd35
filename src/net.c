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
 * The client's address. REMOTE_ADDR is the peer the web server saw; only when that peer is a trusted proxy
 * are X-Forwarded-For (else X-Real-IP) read, right to left: each hop that is itself trusted is skipped, and the
 * first one that is not is the client (nginx's realip with real_ip_recursive, RFC 7239 §7.4). A malformed entry
 * stops the walk: the last trusted hop is then the client, since nothing left of it can be believed. The
 * result is in canonical text form (arena), or REMOTE_ADDR as given when it is not an address (CGI tests).
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
	list = forwarded != NULL && *forwarded != '\0' ? forwarded : real_ip;
	if (list == NULL)
		return net_text(ar, &peer);
	for (end = list + strlen(list);; end = s - 1) {	/* end: just past the entry; s: its start */
		for (s = end; s > list && s[-1] != ','; s--)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (net_parse(s, (size_t)(e - s), &hop) == -1 || hop.prefix != (hop.family == 4 ? 32 : 128))
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
