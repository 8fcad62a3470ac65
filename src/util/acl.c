/*
 * acl.c: --allow lists (see acl.h), shared by timbre-resolverd and
 * timbre-signd.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "util/acl.h"
#include "util/err.h"
#include "util/opt.h"

int
acl_parse(const char *opt, const char *s, struct acl_net *n, struct err *err)
{
	char		 buf[80], *slash, *end;
	long		 p;
	int		 max;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	memset(n, 0, sizeof(*n));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		goto bad;
	n->prefix = max;
	if (slash != NULL) {
		errno = 0;
		p = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno || p < 0 ||
		    p > max)
			goto bad;
		n->prefix = (int)p;
	}
	return 0;
bad:
	err_set(err, OPT_E_CONFIG, "%s %s: not an address/prefix", opt, s);
	return -1;
}

int
acl_add(struct acl *acl, const struct acl_net *n, struct err *err)
{
	struct acl_net	*a;

	if ((a = reallocarray(acl->v, acl->n + 1, sizeof(*a))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	acl->v = a;
	acl->v[acl->n++] = *n;
	return 0;
}

static int
mask_len(const uint8_t *m, size_t n)
{
	size_t	i;
	int	bits = 0, b;

	for (i = 0; i < n; i++)
		for (b = 7; b >= 0; b--)
			if (m[i] & (1 << b))
				bits++;
	return bits;
}

static const uint8_t *
sa_bytes(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)
	    (const void *)sa)->sin6_addr;
}

int
acl_add_listen_nets(struct acl *acl, const struct opt_addr *l, size_t nl,
    struct err *err)
{
	struct ifaddrs		*ifs, *i;
	struct acl_net		 n;
	size_t			 k, len, b;
	const uint8_t		*ia, *im, *la;
	bool			 any, found;
	int			 fam;

	if (getifaddrs(&ifs) == -1) {
		err_set(err, OPT_E_CONFIG, "--allow: reading the interfaces: "
		    "%s", strerror(errno));
		return -1;
	}
	for (k = 0; k < nl; k++) {
		fam = l[k].ss.ss_family;
		found = false;
		la = sa_bytes((const struct sockaddr *)&l[k].ss);
		len = fam == AF_INET ? 4 : 16;
		any = true;
		for (b = 0; b < len; b++)
			if (la[b] != 0)
				any = false;
		for (i = ifs; i != NULL; i = i->ifa_next) {
			if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
			    i->ifa_addr->sa_family != fam)
				continue;
			ia = sa_bytes(i->ifa_addr);
			im = sa_bytes(i->ifa_netmask);
			if (!any && memcmp(ia, la, len) != 0)
				continue;
			memset(&n, 0, sizeof(n));
			n.family = fam;
			memcpy(n.addr, ia, len);
			n.prefix = mask_len(im, len);
			if (acl_add(acl, &n, err) == -1)
				goto fail;
			found = true;
		}
		if (!found) {
			/* Not an interface address (yet): that host only,
			 * the loopback network for loopback. */
			memset(&n, 0, sizeof(n));
			n.family = fam;
			memcpy(n.addr, la, len);
			n.prefix = fam == AF_INET ? (la[0] == 127 ? 8 : 32) :
			    128;
			if (acl_add(acl, &n, err) == -1)
				goto fail;
		}
	}
	freeifaddrs(ifs);
	return 0;
fail:
	freeifaddrs(ifs);
	return -1;
}

bool
acl_allows(const struct acl *acl, const struct sockaddr *sa)
{
	const uint8_t	*a;
	uint8_t		 v4[4];
	size_t		 i;
	int		 fam = sa->sa_family, full, rem;

	if (fam != AF_INET && fam != AF_INET6)
		return false;
	a = sa_bytes(sa);
	/* An IPv4 client on a dual-stack socket. */
	if (fam == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)
	    (const void *)a)) {
		memcpy(v4, a + 12, 4);
		a = v4;
		fam = AF_INET;
	}
	for (i = 0; i < acl->n; i++) {
		if (acl->v[i].family != fam)
			continue;
		full = acl->v[i].prefix / 8;
		rem = acl->v[i].prefix % 8;
		if (memcmp(acl->v[i].addr, a, (size_t)full) != 0)
			continue;
		if (rem != 0 && ((acl->v[i].addr[full] ^ a[full]) &
		    (0xff << (8 - rem))) != 0)
			continue;
		return true;
	}
	return false;
}

void
acl_fini(struct acl *acl)
{
	free(acl->v);
	acl->v = NULL;
	acl->n = 0;
}
