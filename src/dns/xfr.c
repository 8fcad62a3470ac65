/*
 * xfr.c: AXFR and UPDATE with a zone's primary, TSIG-signed, over TCP
 * (dns.h, "Zone transfer and UPDATE").  RFC 5936 (AXFR), RFC 2136
 * (UPDATE), RFC 7766 (TCP), RFC 8945 (TSIG, signed and checked by
 * tsig.c).  timbre-signd lists and publishes its DKIM key records with
 * it; timbre doctor lists a domain's selectors the same way.
 *
 * Messages are built and read with ldns, as tools/cmd_notify.c does.
 * The answer's TSIG is checked with the request's MAC.  dns_tsig_verify
 * checks the first message of a transfer only (later ones are signed
 * over the prior MAC with timers alone, which tsig.c does not verify):
 * records of later messages are names to look at, and timbre-signd uses
 * none before the resolver has answered the same key for it.  The TSIG
 * time is the real clock, never a caller's offset one, or the primary
 * would answer BADTIME.
 *
 * The reading of the answers (dns_xfr_read_msg) does no I/O, so that
 * tests/fuzz/fuzz_dns_xfr.c can feed it any bytes.
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

#include "dns/dns_priv.h"
#include "keys/mac.h"
#include "util/buf.h"
#include "util/err.h"

/* The second and later messages of a transfer, checked by no MAC: this
 * many key records are kept of one transfer, no more. */
#define MAX_RECS	4096

enum xchg {
	XCHG_NONE,
	XCHG_AXFR,
	XCHG_UPDATE,
};

struct dns_xfr {
	struct event_base	*base;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			*zone;
	struct dns_tsig_key	*key;
	/* the exchange in progress */
	enum xchg		 x;
	struct bufferevent	*bev;
	struct event		*deadline;
	uint16_t		 id;
	uint8_t			 mac[64];
	size_t			 maclen;
	int			 nmsg;
	struct dns_xfr_read	 rd;
	dns_xfr_cb		*cb;
	void			*arg;
};

struct dns_xfr *
dns_xfr_new(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *zone, const struct dns_tsig_key *key,
    struct err *err)
{
	struct dns_xfr	*p;

	if (salen > sizeof(p->addr) || key == NULL) {
		err_set(err, ERR_ARG, "primary: an address and a TSIG key "
		    "are needed");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->zone = strdup(zone)) == NULL ||
	    (p->key = dns_tsig_key_dup(key)) == NULL) {
		dns_xfr_free(p);
		err_set(err, ERR_NOMEM, "primary: out of memory");
		return NULL;
	}
	p->base = base;
	memcpy(&p->addr, sa, salen);
	p->addrlen = salen;
	return p;
}

void
dns_xfr_read_init(struct dns_xfr_read *r, const char *under)
{
	size_t	n;

	memset(r, 0, sizeof(*r));
	snprintf(r->under, sizeof(r->under), "%s", under != NULL ? under : "");
	n = strlen(r->under);
	if (n > 0 && r->under[n - 1] == '.')
		r->under[n - 1] = '\0';
}

void
dns_xfr_read_fini(struct dns_xfr_read *r)
{
	dns_xfr_txts_free(r->recs, r->nrecs);
	r->recs = NULL;
	r->nrecs = 0;
}

void
dns_xfr_txts_free(struct dns_xfr_txt *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(r[i].label);
		free(r[i].txt);
	}
	free(r);
}

/* Ends the exchange: no callback. */
static void
xchg_end(struct dns_xfr *p)
{
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	p->bev = NULL;
	if (p->deadline != NULL)
		event_free(p->deadline);
	p->deadline = NULL;
	dns_xfr_read_fini(&p->rd);
	p->x = XCHG_NONE;
}

/* Ends the exchange and says how it went. */
static void
xchg_done(struct dns_xfr *p, bool ok, const char *why)
{
	dns_xfr_cb		*cb = p->cb;
	void			*arg = p->arg;
	struct dns_xfr_txt	*recs = p->rd.recs;
	size_t			 n = p->rd.nrecs;

	p->rd.recs = NULL;
	p->rd.nrecs = 0;
	xchg_end(p);
	cb(ok, why, ok ? recs : NULL, ok ? n : 0, arg);
	dns_xfr_txts_free(recs, n);
}

void
dns_xfr_free(struct dns_xfr *p)
{
	if (p == NULL)
		return;
	xchg_end(p);
	dns_tsig_key_free(p->key);
	free(p->zone);
	free(p);
}

bool
dns_xfr_busy(const struct dns_xfr *p)
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
	struct dns_xfr	*p = arg;
	char		 why[96];

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

/* Keeps the TXT record rr if it is at <label>.<under>: 0, or -1 when
 * memory is short. */
static int
keep_txt(struct dns_xfr_read *r, const ldns_rr *rr)
{
	struct dns_xfr_txt	*v;
	struct err		 err;
	char			*owner, *txt;
	size_t			 olen, ulen = strlen(r->under), len;
	int			 rc;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || r->nrecs >= MAX_RECS)
		return 0;
	if ((owner = ldns_rdf2str(ldns_rr_owner(rr))) == NULL)
		return -1;
	olen = strlen(owner);
	if (olen > 0 && owner[olen - 1] == '.')
		owner[--olen] = '\0';
	if (olen <= ulen + 1 || owner[olen - ulen - 1] != '.' ||
	    strcasecmp(owner + olen - ulen, r->under) != 0) {
		free(owner);
		return 0;
	}
	owner[olen - ulen - 1] = '\0';
	if (strchr(owner, '.') != NULL || strchr(owner, '\\') != NULL) {
		free(owner);	/* deeper, or an escaped label: not ours */
		return 0;
	}
	/* A NUL inside (1): not a key record. */
	if ((rc = dns_txt_join(rr, false, &txt, &len, &err)) != 0) {
		free(owner);
		return rc == 1 ? 0 : -1;
	}
	if ((v = reallocarray(r->recs, r->nrecs + 1, sizeof(*v))) == NULL) {
		free(owner);
		free(txt);
		return -1;
	}
	r->recs = v;
	v[r->nrecs].label = owner;
	v[r->nrecs].txt = txt;
	r->nrecs++;
	return 0;
}

int
dns_xfr_read_msg(struct dns_xfr_read *r, const uint8_t *m, size_t len,
    char *why, size_t whylen)
{
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*an;
	size_t		 i;
	int		 rcode, rc = 0;

	if (ldns_wire2pkt(&pkt, m, len) != LDNS_STATUS_OK) {
		snprintf(why, whylen, "malformed answer");
		return -1;
	}
	if ((rcode = ldns_pkt_get_rcode(pkt)) != LDNS_RCODE_NOERROR) {
		rcode_name(pkt, rcode, why, whylen);
		ldns_pkt_free(pkt);
		return -1;
	}
	if (r->update) {
		ldns_pkt_free(pkt);
		return 1;
	}
	an = ldns_pkt_answer(pkt);
	for (i = 0; rc == 0 && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			/* RFC 5936 section 2.2: the SOA opens and closes. */
			if (r->nsoa++ > 0)
				rc = 1;
		} else if (r->nsoa == 0) {
			snprintf(why, whylen, "transfer does not start with "
			    "SOA");
			rc = -1;
		} else if (keep_txt(r, rr) == -1) {
			snprintf(why, whylen, "out of memory");
			rc = -1;
		}
	}
	ldns_pkt_free(pkt);
	return rc;
}

/* One message of the answer; 1 when the exchange is over (done called). */
static int
on_msg(struct dns_xfr *p, const uint8_t *m, size_t len)
{
	const struct dns_tsig_key	*vk;
	uint8_t			 rmac[64];
	size_t			 rmaclen;
	char			 why[96];
	uint16_t		 te = DNS_TSIG_NOERROR;
	struct err		 err;
	int			 rc;

	if (len < 12 || ((m[0] << 8) | m[1]) != p->id)
		return 0;	/* not ours: RFC 7766 allows none here */
	/* An error answer is unsigned (RFC 8945 section 5.3.2): its rcode
	 * says more than the missing TSIG would. */
	if (p->nmsg++ == 0 && (m[3] & 0x0f) == LDNS_RCODE_NOERROR &&
	    (dns_tsig_verify(NULL, p->key, m, len, p->mac, p->maclen,
	    time(NULL), &vk, rmac, &rmaclen, &te, &err) == -1 ||
	    te != DNS_TSIG_NOERROR)) {
		snprintf(why, sizeof(why), "answer not signed with %s%s",
		    dns_tsig_key_name(p->key),
		    te == DNS_TSIG_BADTIME ? " (BADTIME)" :
		    te == DNS_TSIG_BADSIG ? " (BADSIG)" : "");
		xchg_done(p, false, why);
		return 1;
	}
	if ((rc = dns_xfr_read_msg(&p->rd, m, len, why, sizeof(why))) == 0)
		return 0;
	xchg_done(p, rc == 1, rc == 1 ? "NOERROR" : why);
	return 1;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct dns_xfr	*p = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[2], *m;
	size_t		 len;

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
xchg_start(struct dns_xfr *p, enum xchg x, ldns_pkt *pkt, dns_xfr_cb *cb,
    void *arg, struct err *err)
{
	struct timeval	 tv = { DNS_XFR_TIMEOUT_MS / 1000,
			    (DNS_XFR_TIMEOUT_MS % 1000) * 1000 };
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
	p->nmsg = 0;
	p->rd.update = x == XCHG_UPDATE;
	p->rd.nsoa = 0;
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
dns_xfr_axfr(struct dns_xfr *p, const char *under, dns_xfr_cb *cb,
    void *arg, struct err *err)
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
	dns_xfr_read_init(&p->rd, under);
	rc = xchg_start(p, XCHG_AXFR, pkt, cb, arg, err);
	ldns_pkt_free(pkt);
	return rc;
}

/* An RR at name of class and ttl, type t. */
static ldns_rr *
change_rr(const char *name, ldns_rr_type t, ldns_rr_class c, uint32_t ttl)
{
	ldns_rr		*rr;
	ldns_rdf	*owner;

	if (ldns_str2rdf_dname(&owner, name) != LDNS_STATUS_OK)
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
dns_xfr_update(struct dns_xfr *p, const struct dns_xfr_change *ch,
    size_t n, dns_xfr_cb *cb, void *arg, struct err *err)
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
			if ((rr = change_rr(ch[i].name, LDNS_RR_TYPE_ANY,
			    LDNS_RR_CLASS_NONE, 0)) == NULL ||
			    !ldns_rr_list_push_rr(pre, rr)) {
				ldns_rr_free(rr);
				goto fail;
			}
			if ((rr = change_rr(ch[i].name, LDNS_RR_TYPE_TXT,
			    LDNS_RR_CLASS_IN, ch[i].ttl)) == NULL ||
			    add_strings(rr, ch[i].txt) == -1 ||
			    !ldns_rr_list_push_rr(up, rr)) {
				ldns_rr_free(rr);
				goto fail;
			}
		} else if ((rr = change_rr(ch[i].name, LDNS_RR_TYPE_TXT,
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
	dns_xfr_read_init(&p->rd, NULL);
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

struct dns_tsig_key *
dns_tsig_key_read(const char *path, struct err *err)
{
	FILE			*f;
	char			 line[1024];
	struct dns_tsig_key	*k;

	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	k = dns_tsig_key_parse(line, err);
	key_wipe(line, sizeof(line));
	if (k == NULL)
		err_prefix(err, "%s", path);
	return k;
}
