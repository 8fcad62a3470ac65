/*
 * rrl.c: response rate limiting for timbre-primaryd's UDP answers, so that
 * an authoritative server reachable from the Internet is no amplifier for
 * attacks with forged source addresses.  The scheme is the one BIND, NSD
 * and Knot share (Vixie and Schryver's "DNS Response Rate Limiting"):
 *
 *  - answers are counted per (client network, kind of answer, name):
 *    the client's /24 (IPv4) or /56 (IPv6), the answer's kind (a positive
 *    answer, NODATA, NXDOMAIN, a referral, an error), and the question's
 *    name for positive answers, the zone's (the owner of the first
 *    authority record) otherwise, so that a flood of random names under
 *    one zone is one flow, not a million;
 *  - each flow may have rate answers a second; what goes beyond is
 *    dropped, except every slip-th, which goes out truncated (TC=1, the
 *    question only): a real client behind a forged flood then retries
 *    over TCP, which a forger cannot do;
 *  - flows live in a fixed table of buckets indexed by a seeded hash;
 *    two flows that share a bucket share its count until one goes idle,
 *    which errs towards limiting, never towards memory growth.
 *
 * Sans I/O: the daemon hands each answer here before sending it.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "auth/auth.h"
#include "dns/dns.h"
#include "util/err.h"

/* The kinds of answer counted apart (what makes a flow besides name). */
enum rrl_kind {
	RRL_K_ANSWER = 1,	/* NOERROR with answer records */
	RRL_K_NODATA,		/* NOERROR, no answer, a SOA in authority */
	RRL_K_REFERRAL,		/* NOERROR, no answer, NS in authority */
	RRL_K_NXDOMAIN,
	RRL_K_ERROR,		/* REFUSED, FORMERR, SERVFAIL, ... */
};

struct rrl_bucket {
	uint64_t	key;		/* the flow's hash; 0: free */
	time_t		stamp;		/* the second counted last */
	int64_t		debt;		/* answers beyond the allowance */
	uint32_t	slipped;	/* limited answers so far (for slip) */
	bool		limited;	/* logged as limited */
};

struct auth_rrl {
	struct auth_rrl_conf	 conf;
	uint64_t		 seed;
	struct rrl_bucket	*v;
	size_t			 n;
	struct auth_rrl_stats	 stats;
};

struct auth_rrl *
auth_rrl_new(const struct auth_rrl_conf *conf, uint64_t seed,
    struct err *err)
{
	struct auth_rrl	*r;
	size_t		 n = conf->buckets;

	if (n == 0)
		n = AUTH_RRL_BUCKETS;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->v = calloc(n, sizeof(*r->v))) == NULL) {
		free(r);
		err_set(err, ERR_NOMEM, "rate limiting: out of memory");
		return NULL;
	}
	r->conf = *conf;
	r->n = n;
	r->seed = seed;
	return r;
}

void
auth_rrl_free(struct auth_rrl *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

void
auth_rrl_stats(const struct auth_rrl *r, struct auth_rrl_stats *out)
{
	*out = r->stats;
}

/*
 * The client's network, as the flow's first part: 4 or 16 octets with
 * the host part cleared, after a family octet.  An IPv4 client on a
 * dual-stack socket (::ffff:a.b.c.d) counts as IPv4.
 */
static size_t
client_net(const struct sockaddr *sa, uint8_t out[17])
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	static const uint8_t		 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		out[0] = 4;
		memcpy(out + 1, &s4->sin_addr, 4);
		out[4] = 0;			/* /24 */
		return 5;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			out[0] = 4;
			memcpy(out + 1, s6->sin6_addr.s6_addr + 12, 4);
			out[4] = 0;
			return 5;
		}
		out[0] = 6;
		memcpy(out + 1, s6->sin6_addr.s6_addr, 16);
		memset(out + 1 + 7, 0, 9);	/* /56 */
		return 17;
	}
	out[0] = 0;
	return 1;
}

/*
 * Reads the kind of the answer p and the name its flow is counted
 * under into name (lower case, wire form).  Returns the name's length,
 * 0 for an answer too broken to tell (counted under the root, as an
 * error).
 */
static size_t
answer_flow(const uint8_t *p, size_t len, enum rrl_kind *kind_out,
    uint8_t name[DNS_WIRE_NAME_MAX])
{
	struct dns_wire_rr	rr;
	size_t			off = DNS_WIRE_HDR, n;
	uint16_t		qd, an, ns;
	int			rcode;

	*kind_out = RRL_K_ERROR;
	if (len < DNS_WIRE_HDR)
		return 0;
	rcode = p[3] & 0x0f;
	qd = dns_wire_peek16(p + 4);
	an = dns_wire_peek16(p + 6);
	ns = dns_wire_peek16(p + 8);
	if (qd != 1)
		return 0;
	if ((n = dns_wire_name_copy(p, len, &off, name, DNS_WIRE_NAME_MAX,
	    DNS_WIRE_PTR | DNS_WIRE_LOWER)) == 0 ||
	    dns_wire_skip(len, &off, 4) == -1)
		return 0;
	if (rcode == 3)
		*kind_out = RRL_K_NXDOMAIN;
	else if (rcode != 0)
		return n;			/* an error, by the qname */
	else if (an > 0) {
		*kind_out = RRL_K_ANSWER;
		return n;
	}
	/* No answer: NODATA, NXDOMAIN or a referral, by the zone's name. */
	if (ns == 0) {
		if (*kind_out != RRL_K_NXDOMAIN)
			*kind_out = RRL_K_NODATA;
		return n;
	}
	if (dns_wire_rr_skip(p, len, &off, &rr) == -1)
		return n;
	if (*kind_out != RRL_K_NXDOMAIN)
		*kind_out = rr.type == DNS_T_NS ? RRL_K_REFERRAL :
		    RRL_K_NODATA;
	off = rr.owner;
	if ((n = dns_wire_name_copy(p, len, &off, name, DNS_WIRE_NAME_MAX,
	    DNS_WIRE_PTR | DNS_WIRE_LOWER)) == 0)
		return 0;
	return n;
}

enum auth_rrl_action
auth_rrl_check(struct auth_rrl *r, const struct sockaddr *client,
    const uint8_t *answer, size_t len, time_t now, bool *started_out)
{
	uint8_t			 key[17 + 1 + DNS_WIRE_NAME_MAX];
	struct rrl_bucket	*b;
	enum rrl_kind		 kind;
	uint64_t		 h;
	int64_t			 allow;
	size_t			 n, kpos;

	if (started_out != NULL)
		*started_out = false;
	if (r == NULL || r->conf.rate == 0)
		return AUTH_RRL_PASS;
	/* The flow: client network, kind of answer, name. */
	n = client_net(client, key);
	kpos = n++;
	n += answer_flow(answer, len, &kind, key + n);
	key[kpos] = (uint8_t)kind;
	h = (uint64_t)dns_hash(r->seed, key, n) << 32 |
	    dns_hash(r->seed ^ 0x9e3779b97f4a7c15ULL, key, n);
	if (h == 0)
		h = 1;
	b = &r->v[h % r->n];
	if (b->key != h) {
		/* A new flow, or another took the bucket: start afresh. */
		memset(b, 0, sizeof(*b));
		b->key = h;
		b->stamp = now;
	}
	/* Each second that passed pays back rate answers. */
	if (now > b->stamp) {
		allow = (int64_t)r->conf.rate * (int64_t)(now - b->stamp);
		b->debt = b->debt > allow ? b->debt - allow : 0;
		b->stamp = now;
	}
	if (++b->debt <= (int64_t)r->conf.rate) {
		b->limited = false;
		r->stats.passed++;
		return AUTH_RRL_PASS;
	}
	/* Beyond the rate: a debt of more than 15 s of answers is not
	 * kept, so that a flow that stops is free again within 15 s. */
	if (b->debt > (int64_t)r->conf.rate * 15)
		b->debt = (int64_t)r->conf.rate * 15;
	if (!b->limited) {
		b->limited = true;
		if (started_out != NULL)
			*started_out = true;
	}
	if (r->conf.slip > 0 && ++b->slipped % r->conf.slip == 0) {
		r->stats.slipped++;
		return AUTH_RRL_SLIP;
	}
	r->stats.dropped++;
	return AUTH_RRL_DROP;
}

int
auth_rrl_truncate(uint8_t *answer, size_t *len, struct err *err)
{
	size_t	off = DNS_WIRE_HDR;

	if (*len < DNS_WIRE_HDR || dns_wire_peek16(answer + 4) != 1 ||
	    dns_wire_question_skip(answer, *len, &off, 0) == -1) {
		err_set(err, AUTH_E_ZONE, "rate limiting: answer without a "
		    "question");
		return -1;
	}
	answer[2] |= 0x02;				/* TC */
	memset(answer + 6, 0, 6);			/* AN, NS, AR: 0 */
	*len = off;
	return 0;
}
