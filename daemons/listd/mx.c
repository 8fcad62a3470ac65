/*
 * mx.c: where a domain's copies go (RFC 5321 section 5.1): its MX
 * hosts in order of preference (at most LISTD_MX_HOSTS), each host's
 * IPv4 then IPv6 addresses; with no MX record, the domain's own
 * addresses (the implicit MX); a null MX (RFC 7505) or a domain that
 * does not exist fails every copy for good (556 5.1.10, 550 5.1.2);
 * a look-up that fails or finds no address defers them (451 4.4.3).
 * With --smarthost every copy goes to that one host instead.
 *
 * Questions go through --resolver with src/dns's stub; the answers of
 * one domain are kept LISTD_MX_TTL seconds (deliver.c).
 *
 * DANE (RFC 7672 section 2.2): the stub asks with AD and DO set, and a
 * validating resolver's AD bit says which answers were proven.  When
 * the MX answer was (or, with no MX, the domain's own), each host's
 * TLSA records at _PORT._tcp.HOST are asked for beside its addresses;
 * validated records, for a host whose addresses validated too, make
 * TLS required and checked (deliver.c).  A TLSA look-up that fails
 * (SERVFAIL, a time-out) under a validated MX may hide an attack, so
 * that host is not used (section 2.2.1); if none is left, the copies
 * are deferred.  An answer that is not validated (an unsigned zone)
 * leaves opportunistic TLS.
 *
 * MTA-STS (RFC 8461): once the hosts are known, sts.c finds the
 * domain's policy; under mode enforce only the hosts its mx patterns
 * match are used, and those under DANE (none left: the copies are
 * deferred, 4.7.5), and deliver.c requires a certificate valid for the
 * host; under testing every host stays and a mismatch is logged and
 * counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_priv.h"
#include "dns/dns.h"
#include "util/err.h"
#include "util/log.h"

/* One address question: its domain, host and type.  Kept in a block
 * of the domain's own while the domain resolves. */
struct mx_q {
	struct listd_dom	*dom;
	struct mx_job		*job;
	unsigned		 host;
	uint16_t		 type;
	bool			 secure;	/* the answer had AD */
	bool			 failed;	/* no answer to use */
	size_t			 naddr;
	struct sockaddr_storage	 addrs[4];
	struct dns_tlsa		*tlsa;		/* TLSA: the records */
	size_t			 ntlsa;
};

/* Per host: A, AAAA, and TLSA when the MX answer validated. */
#define MX_Q_TLSA	2
struct mx_job {
	struct mx_q	q[LISTD_MX_HOSTS][3];
};

static void
dom_fail(struct listd_dom *dom, int code, const char *enh, const char *what,
    const char *arg)
{
	dom->state = LISTD_DOM_FAILED;
	dom->fail_code = code;
	snprintf(dom->fail_enh, sizeof(dom->fail_enh), "%s", enh);
	snprintf(dom->fail_text, sizeof(dom->fail_text), "%s: %s%s%s",
	    dom->name, what, arg[0] != '\0' ? ": " : "", arg);
}

/*
 * Host h's DANE state from its answers: the TLSA records taken when the
 * TLSA answer and every address answer validated.  False when the host
 * may not be used: its TLSA look-up failed under a validated MX.
 */
static bool
host_dane(struct listd_dom *dom, struct mx_job *mj, unsigned h)
{
	struct mx_q	*tq = &mj->q[h][MX_Q_TLSA];

	dom->dane[h] = false;
	if (!dom->mx_secure || tq->type == 0)
		return true;
	if (tq->failed) {
		log_info("deliver domain %s: TLSA look-up for %s failed under "
		    "a validated MX: host skipped", dom->name,
		    dom->hosts[h]);
		dom->d->stats.tls_policy_failed++;
		return false;
	}
	if (!tq->secure || tq->ntlsa == 0 || !mj->q[h][0].secure ||
	    (mj->q[h][1].naddr > 0 && !mj->q[h][1].secure))
		return true;
	dom->tlsa[h] = tq->tlsa;
	dom->ntlsa[h] = tq->ntlsa;
	tq->tlsa = NULL;
	tq->ntlsa = 0;
	dom->dane[h] = true;
	return true;
}

/* Frees mj and the TLSA records none took. */
static void
mx_job_free(const struct listd_dom *dom, struct mx_job *mj)
{
	unsigned	h;

	for (h = 0; h < dom->nhosts; h++)
		dns_tlsas_free(mj->q[h][MX_Q_TLSA].tlsa,
		    mj->q[h][MX_Q_TLSA].ntlsa);
	free(mj);
}

/* Frees what the domain keeps of its last TLSA answers. */
void
listd_dom_tlsa_clear(struct listd_dom *dom)
{
	unsigned	h;

	for (h = 0; h < LISTD_MX_HOSTS; h++) {
		dns_tlsas_free(dom->tlsa[h], dom->ntlsa[h]);
		dom->tlsa[h] = NULL;
		dom->ntlsa[h] = 0;
		dom->dane[h] = false;
	}
}

/* Every answer is in: the addresses in host order. */
static void
addrs_done(struct listd_dom *dom, struct mx_job *mj)
{
	unsigned	h, t;
	size_t		i;
	bool		skipped = false, sts_skipped = false;

	dom->naddr = 0;
	for (h = 0; h < dom->nhosts; h++) {
		if (!host_dane(dom, mj, h)) {
			skipped = true;
			continue;
		}
		if (dom->sts_bad[h] && !dom->dane[h]) {
			log_info("deliver domain %s: MX %s is not in its "
			    "MTA-STS policy (mode enforce): not used",
			    dom->name, dom->hosts[h]);
			dom->d->stats.sts_failed++;
			sts_skipped = true;
			continue;
		}
		for (t = 0; t < 2; t++)
			for (i = 0; i < mj->q[h][t].naddr &&
			    dom->naddr < LISTD_MX_ADDRS; i++) {
				dom->addrs[dom->naddr] = mj->q[h][t].addrs[i];
				dom->addrlen[dom->naddr] =
				    mj->q[h][t].type == DNS_T_A ?
				    sizeof(struct sockaddr_in) :
				    sizeof(struct sockaddr_in6);
				dom->bad[dom->naddr] = false;
				dom->host_of[dom->naddr] = h;
				dom->naddr++;
			}
	}
	mx_job_free(dom, mj);
	if (dom->naddr > 0)
		dom->state = LISTD_DOM_READY;
	else if (sts_skipped)
		dom_fail(dom, 451, "4.7.5", "no mail host matches its MTA-STS "
		    "policy (RFC 8461 section 4.1)", "");
	else if (skipped)
		dom_fail(dom, 451, "4.7.5", "the TLSA look-up of its "
		    "validated mail hosts failed (RFC 7672 section 2.2.1)", "");
	else
		dom_fail(dom, 451, "4.4.3", "no address for its mail hosts", "");
	listd_dom_resolved(dom);
}

static void	addr_last(struct listd_dom *, struct mx_q *);

static void
addr_cb(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct mx_q		*q = arg;
	struct listd_dom	*dom = q->dom;
	struct dns_addr		*a = NULL;
	struct err		 err;
	size_t			 n = 0, i;

	q->secure = msg != NULL && dns_msg_ad(msg);
	if (st == DNS_OK && dns_msg_addrs(msg, dom->hosts[q->host], q->type,
	    &a, &n, &err) == 0) {
		for (i = 0; i < n && q->naddr < 4; i++) {
			struct sockaddr_storage	*ss = &q->addrs[q->naddr];

			memset(ss, 0, sizeof(*ss));
			if (a[i].family == AF_INET) {
				struct sockaddr_in	*sin = (void *)ss;

				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, a[i].addr, 4);
			} else {
				struct sockaddr_in6	*sin6 = (void *)ss;

				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr, a[i].addr, 16);
			}
			q->naddr++;
		}
		free(a);
	}
	/* An implicit MX whose name does not exist: no such domain. */
	if (dom->implicit && st == DNS_NXDOMAIN)
		dom->fail_code = 550;
	addr_last(dom, q);
}

/* TLSA for one host: NXDOMAIN and NODATA are answers (no records),
 * anything else a failure. */
static void
tlsa_cb(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct mx_q		*q = arg;
	struct listd_dom	*dom = q->dom;
	struct err		 err;

	q->secure = msg != NULL && dns_msg_ad(msg);
	if (st == DNS_OK) {
		if (dns_msg_tlsas(msg, NULL, &q->tlsa, &q->ntlsa, &err) == -1)
			q->failed = true;
	} else if (st != DNS_NODATA && st != DNS_NXDOMAIN)
		q->failed = true;
	addr_last(dom, q);
}

/* One answer of the domain's is in: the last one finishes it. */
static void
addr_last(struct listd_dom *dom, struct mx_q *q)
{
	if (--dom->pending > 0)
		return;
	if (dom->fail_code == 550) {
		mx_job_free(dom, q->job);
		dom_fail(dom, 550, "5.1.2", "no such domain", "");
		listd_dom_resolved(dom);
		return;
	}
	addrs_done(dom, q->job);
}

static void
ask_addrs(struct listd_dom *dom)
{
	struct listd_deliver	*d = dom->d;
	struct mx_job		*mj;
	struct err		 err;
	unsigned		 h, t;
	static const uint16_t	 types[2] = { DNS_T_A, DNS_T_AAAA };

	if ((mj = calloc(1, sizeof(*mj))) == NULL) {
		dom_fail(dom, 451, "4.3.0", "out of memory", "");
		listd_dom_resolved(dom);
		return;
	}
	dom->pending = 0;
	dom->fail_code = 0;
	for (h = 0; h < dom->nhosts; h++) {
		if (dom->mx_secure && d->smarthost == NULL) {
			struct mx_q	*tq = &mj->q[h][MX_Q_TLSA];
			char		 name[300];

			tq->dom = dom;
			tq->job = mj;
			tq->host = h;
			tq->type = DNS_T_TLSA;
			snprintf(name, sizeof(name), "_%u._tcp.%s",
			    (unsigned)d->cfg.deliver_port, dom->hosts[h]);
			if (dns_stub_query(d->dns, name, DNS_T_TLSA, tlsa_cb,
			    tq, &err) == 0)
				dom->pending++;
			else
				tq->failed = true;
		}
		for (t = 0; t < 2; t++) {
			mj->q[h][t].dom = dom;
			mj->q[h][t].job = mj;
			mj->q[h][t].host = h;
			mj->q[h][t].type = types[t];
			if (dns_stub_query(d->dns, dom->hosts[h], types[t],
			    addr_cb, &mj->q[h][t], &err) == 0)
				dom->pending++;
			else
				log_warn("deliver domain %s: %s: %s",
				    dom->name, dom->hosts[h], err.msg);
		}
	}
	if (dom->pending == 0)
		addrs_done(dom, mj);
}

static void
mx_cb(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct listd_dom	*dom = arg;
	struct dns_mx		*mx = NULL;
	struct err		 err;
	size_t			 n = 0, i;

	dom->nhosts = 0;
	dom->implicit = false;
	dom->mx_secure = msg != NULL && dns_msg_ad(msg);
	switch (st) {
	case DNS_OK:
		if (dns_msg_mxs(msg, dom->name, &mx, &n, &err) == -1) {
			dom_fail(dom, 451, "4.4.3", "MX", err.msg);
			break;
		}
		if (dns_mxs_are_null(mx, n)) {
			dom_fail(dom, 556, "5.1.10", "the domain takes no mail "
			    "(null MX)", "");
			break;
		}
		for (i = 0; i < n && dom->nhosts < LISTD_MX_HOSTS; i++)
			if (strcmp(mx[i].exchange, ".") != 0)
				snprintf(dom->hosts[dom->nhosts++],
				    sizeof(dom->hosts[0]), "%s",
				    mx[i].exchange);
		if (dom->nhosts == 0) {
			dom_fail(dom, 451, "4.4.3", "no usable MX", "");
			break;
		}
		free(mx);
		listd_sts_resolve(dom);
		return;
	case DNS_NODATA:
		/* RFC 5321 section 5.1: the domain is its own mail host. */
		dom->implicit = true;
		snprintf(dom->hosts[0], sizeof(dom->hosts[0]), "%s",
		    dom->name);
		dom->nhosts = 1;
		listd_sts_resolve(dom);
		return;
	case DNS_NXDOMAIN:
		dom_fail(dom, 550, "5.1.2", "no such domain", "");
		break;
	default:
		dom_fail(dom, 451, "4.4.3", "MX look-up",
		    dns_status_str(st));
		break;
	}
	free(mx);
	listd_dom_resolved(dom);
}

/*
 * The policy is known: the hosts its mx patterns do not match are
 * marked (addrs_done leaves them out under enforce, unless DANE holds
 * for them: RFC 8461 section 2 lets no MTA-STS verdict override DANE's),
 * or logged and counted under testing; then the addresses.
 */
void
listd_dom_sts_done(struct listd_dom *dom)
{
	struct listd_deliver	*d = dom->d;
	unsigned		 h;

	for (h = 0; h < dom->nhosts && dom->sts_mode != MAIL_STS_NONE &&
	    dom->sts_pol != NULL; h++) {
		if (listd_sts_host_ok(dom->sts_pol, dom->hosts[h]))
			continue;
		if (dom->sts_mode == MAIL_STS_ENFORCE) {
			dom->sts_bad[h] = true;
			continue;
		}
		log_info("deliver domain %s: MX %s is not in its MTA-STS "
		    "policy (mode testing)", dom->name, dom->hosts[h]);
		d->stats.sts_testing_failed++;
	}
	ask_addrs(dom);
}

void
listd_dom_resolve(struct listd_dom *dom)
{
	struct listd_deliver	*d = dom->d;
	struct sockaddr_in	*sin = (void *)&dom->addrs[0];
	struct sockaddr_in6	*sin6 = (void *)&dom->addrs[0];
	struct err		 err;

	dom->state = LISTD_DOM_RESOLVING;
	dom->naddr = 0;
	dom->mx_secure = false;
	dom->sts_mode = MAIL_STS_NONE;
	memset(dom->sts_bad, 0, sizeof(dom->sts_bad));
	listd_dom_tlsa_clear(dom);
	memset(dom->bad, 0, sizeof(dom->bad));
	if (d->smarthost != NULL) {
		memset(&dom->addrs[0], 0, sizeof(dom->addrs[0]));
		if (inet_pton(AF_INET, d->smarthost, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			dom->addrlen[0] = sizeof(*sin);
		} else if (inet_pton(AF_INET6, d->smarthost,
		    &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			dom->addrlen[0] = sizeof(*sin6);
		} else {
			snprintf(dom->hosts[0], sizeof(dom->hosts[0]), "%s",
			    d->smarthost);
			dom->nhosts = 1;
			dom->implicit = false;
			ask_addrs(dom);
			return;
		}
		dom->naddr = 1;
		dom->state = LISTD_DOM_READY;
		listd_dom_resolved(dom);
		return;
	}
	if (dns_stub_query(d->dns, dom->name, DNS_T_MX, mx_cb, dom,
	    &err) == -1) {
		dom_fail(dom, err.code == DNS_E_NAME ? 550 : 451,
		    err.code == DNS_E_NAME ? "5.1.2" : "4.4.3", "MX look-up",
		    err.msg);
		listd_dom_resolved(dom);
	}
}
