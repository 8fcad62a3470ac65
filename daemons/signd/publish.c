/*
 * publish.c: AXFR and UPDATE with the zone's primary for the keyring
 * (publish.h).  RFC 5936 (AXFR), RFC 2136 (UPDATE), RFC 7766 (TCP),
 * RFC 8945 (TSIG, signed and checked by src/dns/tsig.c).
 *
 * Messages are built and read with ldns, as tools/cmd_notify.c does;
 * only this file of signd touches it.  The answer's TSIG is checked
 * with the request's MAC.  dns_tsig_verify checks the first message of
 * a transfer only (later ones are signed over the prior MAC with timers
 * alone, which tsig.c does not verify): records of later messages are
 * names to look at, and the keyring uses none before the resolver has
 * answered the same key for it.  The TSIG time is the real clock, never
 * the keyring's offset one, or the primary would answer BADTIME.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "publish.h"
#include "dns/dns.h"
#include "keys/mac.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define MAX_RECS	4096	/* key records kept from one transfer */

enum xchg {
	XCHG_NONE,
	XCHG_AXFR,
	XCHG_UPDATE,
};

struct signd_primary {
	struct event_base	*base;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			*zone;
	struct dns_tsig_key		*key;
	/* the exchange in progress */
	enum xchg		 x;
	struct bufferevent	*bev;
	struct event		*deadline;
	uint16_t		 id;
	uint8_t			 mac[64];
	size_t			 maclen;
	int			 nmsg, nsoa;
	struct signd_rec	*recs;
	size_t			 nrecs;
	signd_primary_cb	*cb;
	void			*arg;
};

int
signd_record_name(const char *selector, const char *zone, char *out,
    size_t size)
{
	int	n;

	n = snprintf(out, size, "%s._domainkey.%s", selector, zone);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

struct signd_primary *
signd_primary_new(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *zone, const char *tsig_name,
    const char *tsig_alg, const uint8_t *secret, size_t secret_len,
    struct err *err)
{
	struct signd_primary	*p;
	struct buf		 spec;
	char			*b64 = NULL;

	if (salen > sizeof(p->addr) || tsig_name == NULL || tsig_alg == NULL ||
	    secret == NULL || secret_len == 0) {
		err_set(err, ERR_ARG, "primary: an address and a TSIG key "
		    "are needed");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->zone = strdup(zone)) == NULL ||
	    (b64 = malloc(b64_encoded_len(secret_len) + 1)) == NULL) {
		free(b64);
		signd_primary_free(p);
		err_set(err, ERR_NOMEM, "primary: out of memory");
		return NULL;
	}
	p->base = base;
	memcpy(&p->addr, sa, salen);
	p->addrlen = salen;
	b64[b64_encode(secret, secret_len, b64)] = '\0';
	buf_init(&spec, 4096);
	if (buf_printf(&spec, err, "%s:%s:%s", tsig_name, tsig_alg, b64) == 0 &&
	    buf_addc(&spec, '\0', err) == 0)
		p->key = dns_tsig_key_parse(spec.data, err);
	key_wipe(b64, strlen(b64));
	free(b64);
	buf_fini_secret(&spec);
	if (p->key == NULL) {
		err_prefix(err, "tsig key %s", tsig_name);
		signd_primary_free(p);
		return NULL;
	}
	return p;
}

static void
recs_free(struct signd_rec *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(r[i].selector);
		free(r[i].txt);
	}
	free(r);
}

/* Ends the exchange: no callback. */
static void
xchg_end(struct signd_primary *p)
{
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	p->bev = NULL;
	if (p->deadline != NULL)
		event_free(p->deadline);
	p->deadline = NULL;
	recs_free(p->recs, p->nrecs);
	p->recs = NULL;
	p->nrecs = 0;
	p->x = XCHG_NONE;
}

/* Ends the exchange and says how it went. */
static void
xchg_done(struct signd_primary *p, bool ok, const char *why)
{
	signd_primary_cb	*cb = p->cb;
	void			*arg = p->arg;
	struct signd_rec	*recs = p->recs;
	size_t			 n = p->nrecs;

	p->recs = NULL;
	p->nrecs = 0;
	xchg_end(p);
	cb(ok, why, ok ? recs : NULL, ok ? n : 0, arg);
	recs_free(recs, n);
}

void
signd_primary_free(struct signd_primary *p)
{
	if (p == NULL)
		return;
	xchg_end(p);
	dns_tsig_key_free(p->key);
	free(p->zone);
	free(p);
}

bool
signd_primary_busy(const struct signd_primary *p)
{
	return p->x != XCHG_NONE;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	xchg_done(arg, false, "timeout");
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct signd_primary	*p = arg;
	char			 why[96];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_ERROR) {
		snprintf(why, sizeof(why), "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		xchg_done(p, false, why);
	} else
		xchg_done(p, false, "connection closed");
}

/* RFC 8945 section 3 (ldns does not export its table). */
static const char *
tsig_error_name(uint16_t e)
{
	switch (e) {
	case 16:
		return "BADSIG";
	case 17:
		return "BADKEY";
	case 18:
		return "BADTIME";
	case 22:
		return "BADTRUNC";
	default:
		return "tsig error";
	}
}

/* "NOTAUTH (BADSIG)": the rcode, and the TSIG error if the answer has one. */
static void
rcode_name(const ldns_pkt *pkt, int rcode, char *out, size_t size)
{
	ldns_lookup_table	*rc;
	const ldns_rr		*t;
	const ldns_rdf		*e;
	uint16_t		 terr = 0;

	rc = ldns_lookup_by_id(ldns_rcodes, rcode);
	if ((t = ldns_pkt_tsig(pkt)) != NULL && ldns_rr_rd_count(t) > 5 &&
	    (e = ldns_rr_rdf(t, 5)) != NULL && ldns_rdf_size(e) == 2)
		terr = ldns_rdf2native_int16(e);
	if (terr == 0) {
		snprintf(out, size, "%s", rc != NULL ? rc->name : "rcode");
		return;
	}
	snprintf(out, size, "%s (%s)", rc != NULL ? rc->name : "rcode",
	    tsig_error_name(terr));
}

/* Keeps the TXT record rr if it is at <label>._domainkey.<zone>. */
static int
keep_txt(struct signd_primary *p, const ldns_rr *rr)
{
	struct signd_rec	*r;
	struct buf		 txt;
	struct err		 err;
	char			*owner, suffix[DNS_MAX_NAME + 16];
	size_t			 i, olen, slen;
	const ldns_rdf		*rd;
	int			 rc = 0;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || p->nrecs >= MAX_RECS)
		return 0;
	if ((owner = ldns_rdf2str(ldns_rr_owner(rr))) == NULL)
		return -1;
	olen = strlen(owner);
	if (olen > 0 && owner[olen - 1] == '.')
		owner[--olen] = '\0';
	snprintf(suffix, sizeof(suffix), "._domainkey.%s", p->zone);
	slen = strlen(suffix);
	if (slen > 0 && suffix[slen - 1] == '.')
		suffix[--slen] = '\0';
	if (olen <= slen || strcasecmp(owner + olen - slen, suffix) != 0) {
		free(owner);
		return 0;
	}
	owner[olen - slen] = '\0';
	if (strchr(owner, '.') != NULL || owner[0] == '\\') {
		free(owner);	/* deeper, or an escaped label: not ours */
		return 0;
	}
	buf_init(&txt, 65536);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rd = ldns_rr_rdf(rr, i);
		if (ldns_rdf_size(rd) < 1 || buf_add(&txt,
		    ldns_rdf_data(rd) + 1, ldns_rdf_size(rd) - 1, &err) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && (buf_addc(&txt, '\0', &err) == -1 ||
	    memchr(txt.data, '\0', txt.len - 1) != NULL))
		rc = -1;	/* a NUL inside: not a key record */
	if (rc == 0 && (r = reallocarray(p->recs, p->nrecs + 1,
	    sizeof(*r))) != NULL) {
		p->recs = r;
		r[p->nrecs].selector = owner;
		r[p->nrecs].txt = txt.data;
		p->nrecs++;
		return 0;
	}
	free(owner);
	buf_fini(&txt);
	return rc == -1 ? 0 : -1;
}

/* One message of the answer; 1 when the exchange is over (done called). */
static int
on_msg(struct signd_primary *p, const uint8_t *m, size_t len)
{
	const struct dns_tsig_key	*vk;
	ldns_pkt		*pkt = NULL;
	ldns_rr_list		*an;
	uint8_t			 rmac[64];
	size_t			 rmaclen, i;
	char			 why[96];
	int			 rcode;
	uint16_t		 te = DNS_TSIG_NOERROR;
	struct err		 err;

	if (len < 12 || ((m[0] << 8) | m[1]) != p->id)
		return 0;	/* not ours: RFC 7766 allows none here */
	if (ldns_wire2pkt(&pkt, m, len) != LDNS_STATUS_OK) {
		xchg_done(p, false, "malformed answer");
		return 1;
	}
	rcode = ldns_pkt_get_rcode(pkt);
	if (rcode != LDNS_RCODE_NOERROR) {
		rcode_name(pkt, rcode, why, sizeof(why));
		ldns_pkt_free(pkt);
		xchg_done(p, false, why);
		return 1;
	}
	if (p->nmsg++ == 0) {
		if (dns_tsig_verify(NULL, p->key, m, len, p->mac, p->maclen,
		    time(NULL), &vk, rmac, &rmaclen, &te, &err) == -1 ||
		    te != DNS_TSIG_NOERROR) {
			snprintf(why, sizeof(why), "answer not signed with %s%s",
			    dns_tsig_key_name(p->key),
			    te == DNS_TSIG_BADTIME ? " (BADTIME)" :
			    te == DNS_TSIG_BADSIG ? " (BADSIG)" : "");
			ldns_pkt_free(pkt);
			xchg_done(p, false, why);
			return 1;
		}
	}
	if (p->x == XCHG_UPDATE) {
		ldns_pkt_free(pkt);
		xchg_done(p, true, "NOERROR");
		return 1;
	}
	an = ldns_pkt_answer(pkt);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			p->nsoa++;
		else if (p->nsoa == 0) {
			ldns_pkt_free(pkt);
			xchg_done(p, false, "transfer does not start with SOA");
			return 1;
		} else if (keep_txt(p, rr) == -1) {
			ldns_pkt_free(pkt);
			xchg_done(p, false, "out of memory");
			return 1;
		}
	}
	ldns_pkt_free(pkt);
	if (p->nsoa >= 2) {
		xchg_done(p, true, "NOERROR");
		return 1;
	}
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct signd_primary	*p = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	uint8_t			 hdr[2], *m;
	size_t			 len;

	while (evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		if ((m = malloc(len > 0 ? len : 1)) == NULL) {
			xchg_done(p, false, "out of memory");
			return;
		}
		evbuffer_remove(in, m, len);
		if (on_msg(p, m, len) == 1) {
			free(m);
			return;		/* p->bev is gone */
		}
		free(m);
	}
}

/* Signs the message in pkt and sends it on a new connection. */
static int
xchg_start(struct signd_primary *p, enum xchg x, ldns_pkt *pkt,
    signd_primary_cb *cb, void *arg, struct err *err)
{
	struct timeval	 tv = { SIGND_PRIMARY_TIMEOUT_MS / 1000,
			    (SIGND_PRIMARY_TIMEOUT_MS % 1000) * 1000 };
	struct buf	 q;
	uint8_t		*wire = NULL, len[2];
	size_t		 size;
	int		 rc = -1;

	buf_init(&q, 65535);
	if (key_random(&p->id, sizeof(p->id), err) == -1)
		goto done;
	ldns_pkt_set_id(pkt, p->id);
	if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) {
		err_set(err, ERR_NOMEM, "cannot build the message");
		goto done;
	}
	if (buf_add(&q, wire, size, err) == -1 ||
	    dns_tsig_sign(p->key, &q, NULL, 0, NULL, 0, time(NULL), 0,
	    p->mac, &p->maclen, err) == -1)
		goto done;
	p->x = x;
	p->cb = cb;
	p->arg = arg;
	p->nmsg = p->nsoa = 0;
	len[0] = q.len >> 8;
	len[1] = q.len & 0xff;
	if ((p->bev = bufferevent_socket_new(p->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (p->deadline = evtimer_new(p->base, on_deadline, p)) == NULL ||
	    evtimer_add(p->deadline, &tv) == -1) {
		err_set(err, ERR_NOMEM, "primary: out of memory");
		xchg_end(p);
		goto done;
	}
	bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
	if (bufferevent_write(p->bev, len, 2) == -1 ||
	    bufferevent_write(p->bev, q.data, q.len) == -1 ||
	    bufferevent_enable(p->bev, EV_READ | EV_WRITE) == -1) {
		err_set(err, ERR_NOMEM, "primary: out of memory");
		xchg_end(p);
		goto done;
	}
	/* A refused connection is reported through on_event, from the loop. */
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&p->addr,
	    (int)p->addrlen) == -1) {
		err_set(err, ERR_IO, "primary: %s", strerror(errno));
		xchg_end(p);
		goto done;
	}
	rc = 0;
done:
	free(wire);
	buf_fini(&q);
	return rc;
}

int
signd_primary_axfr(struct signd_primary *p, signd_primary_cb *cb, void *arg,
    struct err *err)
{
	ldns_pkt	*pkt;
	int		 rc;

	if (p->x != XCHG_NONE) {
		err_set(err, ERR_ARG, "primary: busy");
		return -1;
	}
	if (ldns_pkt_query_new_frm_str(&pkt, p->zone, LDNS_RR_TYPE_AXFR,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK) {
		err_set(err, ERR_ARG, "primary: bad zone name %s", p->zone);
		return -1;
	}
	rc = xchg_start(p, XCHG_AXFR, pkt, cb, arg, err);
	ldns_pkt_free(pkt);
	return rc;
}

/* An RR at <selector>._domainkey.<zone> of class and ttl, type t. */
static ldns_rr *
change_rr(const struct signd_primary *p, const char *selector,
    ldns_rr_type t, ldns_rr_class c, uint32_t ttl)
{
	ldns_rr		*rr;
	ldns_rdf	*owner;
	char		 name[DNS_MAX_NAME + 2];

	if (signd_record_name(selector, p->zone, name, sizeof(name)) == -1 ||
	    ldns_str2rdf_dname(&owner, name) != LDNS_STATUS_OK)
		return NULL;
	if ((rr = ldns_rr_new()) == NULL) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, t);
	ldns_rr_set_class(rr, c);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* txt as character-strings of at most 255 octets (RFC 6376 3.6.2.2). */
static int
add_strings(ldns_rr *rr, const char *txt)
{
	uint8_t		 s[256];
	size_t		 len = strlen(txt), n;
	ldns_rdf	*rd;

	do {
		n = len > 255 ? 255 : len;
		s[0] = (uint8_t)n;
		memcpy(s + 1, txt, n);
		if ((rd = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1,
		    s)) == NULL || !ldns_rr_push_rdf(rr, rd)) {
			ldns_rdf_deep_free(rd);
			return -1;
		}
		txt += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int
signd_primary_update(struct signd_primary *p, const struct signd_change *ch,
    size_t n, signd_primary_cb *cb, void *arg, struct err *err)
{
	ldns_rr_list	*pre = NULL, *up = NULL;
	ldns_rdf	*zone = NULL;
	ldns_pkt	*pkt = NULL;
	ldns_rr		*rr;
	size_t		 i;
	int		 rc = -1;

	if (p->x != XCHG_NONE) {
		err_set(err, ERR_ARG, "primary: busy");
		return -1;
	}
	if ((pre = ldns_rr_list_new()) == NULL ||
	    (up = ldns_rr_list_new()) == NULL ||
	    ldns_str2rdf_dname(&zone, p->zone) != LDNS_STATUS_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if (ch[i].add) {
			/* RFC 2136 2.4.5: the name is not in use. */
			if ((rr = change_rr(p, ch[i].selector,
			    LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_NONE, 0)) == NULL ||
			    !ldns_rr_list_push_rr(pre, rr)) {
				ldns_rr_free(rr);
				goto fail;
			}
			if ((rr = change_rr(p, ch[i].selector, LDNS_RR_TYPE_TXT,
			    LDNS_RR_CLASS_IN, ch[i].ttl)) == NULL ||
			    add_strings(rr, ch[i].txt) == -1 ||
			    !ldns_rr_list_push_rr(up, rr)) {
				ldns_rr_free(rr);
				goto fail;
			}
		} else if ((rr = change_rr(p, ch[i].selector, LDNS_RR_TYPE_TXT,
		    LDNS_RR_CLASS_ANY, 0)) == NULL ||
		    !ldns_rr_list_push_rr(up, rr)) {
			/* RFC 2136 2.5.2: delete the TXT RRset */
			ldns_rr_free(rr);
			goto fail;
		}
	}
	/* The packet takes zone (even when it fails); the lists are copied. */
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, pre, up, NULL);
	zone = NULL;
	if (pkt == NULL)
		goto fail;
	rc = xchg_start(p, XCHG_UPDATE, pkt, cb, arg, err);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return rc;
fail:
	err_set(err, ERR_NOMEM, "update: cannot build the message");
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(zone);
	return -1;
}
