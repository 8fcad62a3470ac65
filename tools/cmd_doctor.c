/*
 * cmd_doctor.c: timbre doctor DOMAIN: the postmaster's one command that
 * says why mail from or to a domain will be rejected (issue 19).
 *
 * It asks DNS, through the stub client (src/dns), what the domain
 * publishes and judges it with timbre's own engines: the zone's name
 * servers and their SOA serials, the MX set (RFC 7505 null MX, targets
 * that are CNAMEs or IP literals, their addresses), forward-confirmed
 * reverse DNS of each MX address and of --ip, SPF (the record parser and
 * the evaluator of src/spf, whose counts of DNS-querying terms and void
 * look-ups are the limits of RFC 7208 section 4.6.4), the DKIM key
 * records of the selectors given, or found as timbre-signd finds them,
 * by an AXFR of the zone from its primary with a TSIG key (--primary,
 * --tsig-key-file; src/dns/xfr.c), checked with src/dkim (with
 * --password-file, the published key against the one src/keys derives,
 * as timbre-signd does)
 * and DMARC (src/dmarc: policy, t=, np=, and the external report
 * destinations' authorisation records of RFC 7489 section 7.1).
 *
 * Then it talks to the domain's own hosts (tools/doctor_tls.c): SMTP
 * with STARTTLS on port 25 of each MX host, whose certificate is judged
 * as a sender that checks it would (chain, name, expiry), and HTTPS to
 * mta-sts.DOMAIN for the MTA-STS policy of RFC 8461, parsed by
 * src/mail/mtasts.c and held against the MX hosts and their TLS.
 *
 * One line per check, "NAME      RESULT EXPLANATION" (the name padded to
 * 9 columns, the result, one of ok, none, warn, FAIL and skip, to 6),
 * then "N failures, N warnings"; --json prints the same checks as a JSON
 * array of {check, result, detail}.  Text from DNS and from the hosts is
 * cut and its control bytes replaced, so that a hostile record or server
 * cannot forge lines.  DNSSEC and TLSA come from questions with the AD
 * bit (the stub with dnssec set; tools/doctor_dns.c keeps what the checks
 * read of the answer): the resolver's AD bit is what says
 * validated, and the TLSA records are matched against the chain the MX
 * presented to the TLS check.
 *
 * Every question waits at most until one deadline (--timeout, default 30
 * s) for the whole run: the event loop is broken by a timer, the stub
 * (and its question) dropped, and what was not answered says so; each
 * connection ends by the deadline too, and by DOC_CONN_MS.
 * Exit status: 0 when no check failed, 1 when one did (or with --strict
 * warned), 2 for usage and I/O errors.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dkim/dkim.h"
#include "dmarc/dmarc.h"
#include "keys/derive.h"
#include "keys/key.h"
#include "keys/mac.h"
#include "mail/mtasts.h"
#include "spf/spf.h"
#include "tools/tool.h"
#include "util/buf.h"
#include "util/err.h"

#include "doctor_dns.h"
#include "doctor_tls.h"

#define DOC_TIMEOUT_S		30	/* --timeout default */
#define DOC_TRY_MS		2000	/* one attempt of one question */
#define DOC_MAX_NS		13	/* name servers looked at */
#define DOC_MAX_MX		10	/* MX targets looked at */
#define DOC_MAX_ADDRS		8	/* addresses per name */
#define DOC_MAX_HOSTS		(DOC_MAX_MX * DOC_MAX_ADDRS + 1)
#define DOC_MAX_SELECTORS	16
#define DOC_MAX_FOUND		32	/* selectors found by AXFR checked */
#define DOC_MAX_PTR		10	/* PTR names per address (as SPF) */
#define DOC_DETAIL		2048	/* bytes of one line's explanation */
#define DOC_QUOTE		160	/* bytes of one quoted DNS string */
#define DOC_CONN_MS		10000	/* one SMTP or HTTPS connection */
#define DOC_CERT_DAYS		14	/* certificates expiring sooner warn */
#define DOC_MAX_CHAIN		10	/* certificates a server should send */
/* What timbre-signd appends to the selector of an ed25519 key
 * (daemons/signd/plan.h). */
#define DOC_ED25519_SUFFIX	"-ed25519"
/* An address that is no host's (the network address of TEST-NET-1,
 * RFC 5737): the SPF evaluation for it walks the whole record. */
#define DOC_PROBE_IP		"192.0.2.0"

static const char doctor_usage[] =
    "usage: timbre doctor [--ip IP] [--selector S]... [--password-file F]\n"
    "                     [--primary ADDR[:PORT] --tsig-key-file F]\n"
    "                     [--json] [--strict] [--timeout SECONDS]\n"
    "                     [-n udp:ADDR[:PORT]|tcp:ADDR[:PORT]] DOMAIN";

enum doc_result { DOC_OK, DOC_SKIP, DOC_NONE, DOC_WARN, DOC_FAIL };

static const char *const result_names[] = {
	"ok", "skip", "none", "warn", "FAIL",
};

/* One check's line as it is put together. */
struct line {
	enum doc_result	 res;
	char		 text[DOC_DETAIL];
	size_t		 len;
};

/* An MX host's address, for the PTR check. */
struct host {
	char		 name[DNS_MAX_NAME + 2];	/* "" for --ip */
	struct dns_addr	 addr;
};

/* What the TLS check found of one MX host, for the MTA-STS check. */
struct mxtls {
	char		 name[DNS_MAX_NAME + 2];
	bool		 probed;	/* an SMTP session got to EHLO */
	bool		 valid;		/* TLS with a certificate that verifies
					 * for the name and has not expired */
	struct doctor_tls tls;		/* the session's, for TLSA */
};

struct doc {
	char			 domain[DNS_MAX_NAME + 2];
	char			 zone[DNS_MAX_NAME + 2];	/* the NS check's */
	bool			 ns_servfail;	/* the NS question's status */
	bool			 validates;	/* the resolver set AD, or
						 * refused bogus data */
	const char		*ip;
	const char		*selectors[DOC_MAX_SELECTORS];
	size_t			 nselectors;
	const char		*pwfile;
	/* --primary and --tsig-key-file: the selectors by AXFR */
	struct dns_server	 primary;
	const char		*primary_spec;
	struct dns_tsig_key	*tsig;
	char			 found[DOC_MAX_FOUND][64];
	size_t			 nfound, nmore;
	bool			 json, strict;
	int			 timeout_s;
	int			 nfail, nwarn, nlines;

	struct event_base	*base;
	struct dns_server	 srv;		/* -n or resolv.conf */
	struct dns_stub		*stub;		/* to srv */
	struct dns_stub		*stub_ad[2];	/* to srv, AD and DO; CD */
	struct dns_stub_opts	 so;
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	bool			 expired;

	struct host		 hosts[DOC_MAX_HOSTS];
	size_t			 nhosts;

	struct doctor_tls_ctx	*tls;		/* made on first use */
	struct mxtls		 mxtls[DOC_MAX_MX];	/* the TLS check's */
	size_t			 nmxtls;
};

/* ---- Output ---- */

static void
line_init(struct line *l)
{
	l->res = DOC_OK;
	l->text[0] = '\0';
	l->len = 0;
}

/* Raises l's result to r if r is worse. */
static void
line_worst(struct line *l, enum doc_result r)
{
	if (r > l->res)
		l->res = r;
}

/* Appends to l's text, cut at DOC_DETAIL bytes. */
static void __attribute__((__format__(printf, 2, 3)))
line_add(struct line *l, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (l->len + 1 >= sizeof(l->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->len += (size_t)n;
	if (l->len >= sizeof(l->text))
		l->len = sizeof(l->text) - 1;
}

/* "; " between the parts of a line. */
static void
line_sep(struct line *l)
{
	if (l->len > 0)
		line_add(l, "; ");
}

/* Writes s as a JSON string. */
static void
json_string(const char *s)
{
	const unsigned char	*p;

	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	putchar('"');
}

/* Prints one check's line and counts it. */
static void
emit(struct doc *d, const char *check, const struct line *l)
{
	char	text[DOC_DETAIL];
	size_t	i;

	/* Control bytes from DNS text would forge or break lines, and
	 * bytes that are not ASCII may not be UTF-8 (JSON). */
	for (i = 0; l->text[i] != '\0' && i + 1 < sizeof(text); i++)
		text[i] = (unsigned char)l->text[i] < 0x20 ||
		    (unsigned char)l->text[i] >= 0x7f ? '?' : l->text[i];
	text[i] = '\0';
	if (l->res == DOC_FAIL)
		d->nfail++;
	else if (l->res == DOC_WARN)
		d->nwarn++;
	if (d->json) {
		printf("%s\n  {\"check\": ", d->nlines == 0 ? "[" : ",");
		json_string(check);
		printf(", \"result\": \"%s\", \"detail\": ",
		    result_names[l->res]);
		json_string(text);
		putchar('}');
	} else
		printf("%-9s %-6s %s\n", check, result_names[l->res], text);
	d->nlines++;
}

/* A check of one line with a fixed result. */
static void __attribute__((__format__(printf, 4, 5)))
emit1(struct doc *d, const char *check, enum doc_result res,
    const char *fmt, ...)
{
	struct line	l;
	va_list		ap;
	int		n;

	line_init(&l);
	l.res = res;
	va_start(ap, fmt);
	n = vsnprintf(l.text, sizeof(l.text), fmt, ap);
	va_end(ap);
	l.len = n < 0 ? 0 : strlen(l.text);
	emit(d, check, &l);
}

/* An address as text. */
static const char *
addr_str(const struct dns_addr *a, char *out, size_t n)
{
	if (inet_ntop(a->family, a->addr, out, (socklen_t)n) == NULL)
		snprintf(out, n, "?");
	return out;
}

/* ---- Questions ---- */

/* What an answer held, for the type asked (take_all). */
struct take {
	uint16_t	 type;
	const char	*name;		/* asked; for the SOA owner */
	char		**names;	/* NS, PTR, CNAME, TXT */
	size_t		 nnames;
	struct dns_addr	*addrs;		/* A, AAAA */
	size_t		 naddrs;
	struct dns_mx	*mxs;
	size_t		 nmxs;
	uint32_t	 serial;	/* SOA */
	bool		 have_serial;
	bool		 malformed;	/* the records could not be read */
};

static void
take_all(struct take *t, const struct dns_msg *msg)
{
	struct err	err;
	int		rc = 0;

	switch (t->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		rc = dns_msg_addrs(msg, NULL, t->type, &t->addrs, &t->naddrs,
		    &err);
		break;
	case DNS_T_MX:
		rc = dns_msg_mxs(msg, NULL, &t->mxs, &t->nmxs, &err);
		break;
	case DNS_T_TXT:
		rc = dns_msg_txts(msg, NULL, &t->names, &t->nnames, &err);
		break;
	case DNS_T_SOA:
		if ((rc = dns_msg_soa_serial(msg, NULL, &t->serial, &err)) == 1)
			t->have_serial = true;
		break;
	default:
		rc = dns_msg_names(msg, NULL, t->type, &t->names, &t->nnames,
		    &err);
		break;
	}
	if (rc == -1)
		t->malformed = true;
}

static void
take_free(struct take *t)
{
	dns_txts_free(t->names, t->nnames);
	free(t->addrs);
	free(t->mxs);
	t->names = NULL;
	t->addrs = NULL;
	t->mxs = NULL;
	t->nnames = t->naddrs = t->nmxs = 0;
}

/* What to do with an answer: called once per question, with msg NULL
 * unless the status is DNS_OK, DNS_NODATA or DNS_NXDOMAIN. */
typedef void	doc_answer_fn(void *, enum dns_status, const struct dns_msg *);

/* One question on the way: the answer's status, or the deadline. */
struct ask {
	struct event_base	*base;
	doc_answer_fn		*fn;
	void			*arg;
	enum dns_status		 st;
	bool			 done;
};

static void
ask_answer(enum dns_status st, const struct dns_msg *msg, void *arg)
{
	struct ask	*a = arg;

	a->st = st;
	a->done = true;
	a->fn(a->arg, st, msg);
	event_base_loopbreak(a->base);
}

/* A wait on the loop that the deadline ends. */
struct wait {
	struct event_base	*base;
	bool			 late;
};

static void
wait_late(evutil_socket_t fd, short what, void *arg)
{
	struct wait	*w = arg;

	(void)fd;
	(void)what;
	w->late = true;
	event_base_loopbreak(w->base);
}

/*
 * Runs the loop until *done is set (by a callback that then breaks the
 * loop), at most ms milliseconds: 1 when it was set, 0 when the time ran
 * out first, -1 when no timer could be made.
 */
static int
run_until(struct doc *d, const bool *done, long ms)
{
	struct wait	 w = { d->base, false };
	struct event	*timer;
	struct timeval	 tv;

	if ((timer = evtimer_new(d->base, wait_late, &w)) == NULL)
		return -1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(timer, &tv);
	while (!*done && !w.late)
		if (event_base_dispatch(d->base) == -1)
			break;
	event_free(timer);
	return *done ? 1 : 0;
}

/* Milliseconds until the deadline, 0 when it is past. */
static long
doc_left_ms(const struct doc *d)
{
	return doctor_ms_until(&d->deadline);
}

/*
 * Asks (name, type) of the server srv through *stubp (made on first use)
 * and waits for the answer, at most until the deadline, then calls fn
 * once, from the answer or, without one, with DNS_TIMEOUT (the deadline
 * passed: d->expired is set and the stub dropped) or DNS_SERVFAIL (the
 * question could not be asked).  Returns the status fn got.
 */
static enum dns_status
lookup(struct doc *d, struct dns_stub **stubp, const struct dns_server *srv,
    const char *name, uint16_t type, doc_answer_fn *fn, void *arg)
{
	struct ask	 a;
	struct err	 err;
	long		 ms;
	int		 rc;

	memset(&a, 0, sizeof(a));
	a.base = d->base;
	a.fn = fn;
	a.arg = arg;
	a.st = DNS_SERVFAIL;
	if ((ms = doc_left_ms(d)) == 0) {
		d->expired = true;
		a.st = DNS_TIMEOUT;
		goto unanswered;
	}
	if (*stubp == NULL &&
	    (*stubp = dns_stub_new(d->base, srv, &d->so, &err)) == NULL)
		goto unanswered;
	if (dns_stub_query(*stubp, name, type, ask_answer, &a, &err) == -1)
		goto unanswered;
	if ((rc = run_until(d, &a.done, ms)) == 1)
		return a.st;
	/* Freeing the stub cancels the question and its callback. */
	dns_stub_free(*stubp);
	*stubp = NULL;
	if (rc == -1)
		goto unanswered;
	d->expired = true;
	a.st = DNS_TIMEOUT;
unanswered:
	fn(arg, a.st, NULL);
	return a.st;
}

static void
take_answer(void *arg, enum dns_status st, const struct dns_msg *msg)
{
	if (msg != NULL && st == DNS_OK)
		take_all(arg, msg);
}

/* Asks srv through *stubp for (name, type); t (zeroed) gets the records. */
static enum dns_status
lookup_take(struct doc *d, struct dns_stub **stubp,
    const struct dns_server *srv, const char *name, uint16_t type,
    struct take *t)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->name = name;
	return lookup(d, stubp, srv, name, type, take_answer, t);
}

/* Asks the resolver. */
static enum dns_status
ask(struct doc *d, const char *name, uint16_t type, struct take *t)
{
	return lookup_take(d, &d->stub, &d->srv, name, type, t);
}

/* Why a question got no records, for a line. */
static const char *
why_none(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "no usable record";
	case DNS_NODATA:
		return "no such record";
	case DNS_NXDOMAIN:
		return "the name does not exist";
	case DNS_SERVFAIL:
		return "SERVFAIL";
	case DNS_TIMEOUT:
		return "no answer (time-out)";
	case DNS_MALFORMED:
		return "a malformed answer";
	}
	return "?";
}

/* Is the status a failure to get an answer at all? */
static bool
is_dns_error(enum dns_status st)
{
	return st == DNS_SERVFAIL || st == DNS_TIMEOUT ||
	    st == DNS_MALFORMED;
}

/* ---- NS ---- */

/*
 * The zone of the domain: the nearest name at or above it with NS
 * records, into zone.  0; 1 when the domain does not exist; 2 when the
 * resolver gave no answer, -1 when there are no NS records (line says
 * why).
 */
static int
find_zone(struct doc *d, char *zone, size_t n, struct take *ns,
    struct line *l)
{
	const char	*name = d->domain;
	enum dns_status	 st;

	for (;;) {
		st = ask(d, name, DNS_T_NS, ns);
		if (st == DNS_OK && ns->nnames > 0) {
			snprintf(zone, n, "%s", name);
			return 0;
		}
		take_free(ns);
		if (st == DNS_NXDOMAIN && name == d->domain)
			return 1;
		if (is_dns_error(st)) {
			line_add(l, "NS of %s: %s from the resolver", name,
			    why_none(st));
			d->ns_servfail = st == DNS_SERVFAIL;
			return 2;
		}
		if ((name = strchr(name, '.')) == NULL || *++name == '\0') {
			line_add(l, "no NS records at or above %s", d->domain);
			return -1;
		}
	}
}

/* The socket address of a and port. */
static socklen_t
sockaddr_at(const struct dns_addr *a, uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4;
	struct sockaddr_in6	*s6;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->addr, 16);
	return sizeof(*s6);
}

/* A server at addr, port 53, as -n chose UDP or TCP. */
static void
server_at(const struct doc *d, const struct dns_addr *a,
    struct dns_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->tcp = d->srv.tcp;
	srv->addrlen = sockaddr_at(a, 53, &srv->addr);
}

/*
 * The A and AAAA addresses of name (at most max): how many.  *st_out is
 * why there are none: the A question's status, unless the AAAA question
 * failed where that one found nothing.
 */
static size_t
addresses(struct doc *d, const char *name, struct dns_addr *out, size_t max,
    enum dns_status *st_out)
{
	struct take		 t;
	enum dns_status		 st;
	size_t			 j, n = 0;

	*st_out = ask(d, name, DNS_T_A, &t);
	for (j = 0; j < t.naddrs && n < max; j++)
		out[n++] = t.addrs[j];
	take_free(&t);
	if (*st_out == DNS_NXDOMAIN)
		return n;
	st = ask(d, name, DNS_T_AAAA, &t);
	for (j = 0; j < t.naddrs && n < max; j++)
		out[n++] = t.addrs[j];
	take_free(&t);
	if (is_dns_error(st) && !is_dns_error(*st_out))
		*st_out = st;
	return n;
}

static void
check_ns(struct doc *d, bool *go_on_out)
{
	struct line	 l;
	struct take	 ns, soa;
	struct dns_addr	 addrs[DOC_MAX_ADDRS];
	struct dns_server srv;
	struct dns_stub	*stub;
	enum dns_status	 st;
	char		 zone[DNS_MAX_NAME + 2], a[INET6_ADDRSTRLEN];
	char		 good[DOC_DETAIL / 2];
	uint32_t	 serial = 0;
	size_t		 i, j, n, nanswered = 0, goodlen = 0;
	bool		 differ = false;
	int		 rc;

	line_init(&l);
	*go_on_out = true;
	memset(&ns, 0, sizeof(ns));
	if ((rc = find_zone(d, zone, sizeof(zone), &ns, &l)) != 0) {
		if (rc == 1) {
			*go_on_out = false;
			line_add(&l, "%s does not exist (NXDOMAIN): receivers "
			    "reject mail from it and senders cannot deliver to "
			    "it; register it or fix its delegation", d->domain);
		} else {
			/* Without a resolver, every other check would only
			 * wait for its time-outs. */
			*go_on_out = rc != 2;
			line_add(&l, ": the domain cannot be checked; fix its "
			    "delegation or give a working resolver with -n");
		}
		l.res = DOC_FAIL;
		emit(d, "NS", &l);
		return;
	}
	snprintf(d->zone, sizeof(d->zone), "%s", zone);
	good[0] = '\0';
	for (i = 0; i < ns.nnames && i < DOC_MAX_NS; i++) {
		n = addresses(d, ns.names[i], addrs, DOC_MAX_ADDRS, &st);
		if (n == 0) {
			line_sep(&l);
			line_add(&l, "%.*s has no address (%s)", DOC_QUOTE,
			    ns.names[i], why_none(st));
			line_worst(&l, DOC_FAIL);
			continue;
		}
		for (j = 0; j < n; j++) {
			addr_str(&addrs[j], a, sizeof(a));
			server_at(d, &addrs[j], &srv);
			stub = NULL;
			st = lookup_take(d, &stub, &srv, zone, DNS_T_SOA, &soa);
			dns_stub_free(stub);
			if (st != DNS_OK || !soa.have_serial) {
				line_sep(&l);
				line_add(&l, "%.*s (%s) %s", DOC_QUOTE,
				    ns.names[i], a, st == DNS_OK ||
				    st == DNS_NODATA ? "answers without the "
				    "zone's SOA (lame)" : why_none(st));
				line_worst(&l, DOC_FAIL);
			} else {
				if (nanswered > 0 && soa.serial != serial)
					differ = true;
				if (nanswered == 0)
					serial = soa.serial;
				nanswered++;
				if (goodlen + 1 < sizeof(good)) {
					snprintf(good + goodlen,
					    sizeof(good) - goodlen, "%s%.*s "
					    "(%s) serial %lu", goodlen > 0 ?
					    ", " : "", DOC_QUOTE, ns.names[i],
					    a, (unsigned long)soa.serial);
					goodlen = strlen(good);
				}
			}
			take_free(&soa);
		}
	}
	if (l.res == DOC_FAIL)
		line_add(&l, ": resolvers that ask it wait or get no answer, "
		    "and mail is delayed or bounced; fix the server or remove "
		    "its NS record");
	if (differ) {
		line_sep(&l);
		line_add(&l, "SOA serials differ (%s): a secondary has not "
		    "caught up, so answers depend on the server asked; check "
		    "the zone transfers", good);
		line_worst(&l, DOC_WARN);
	} else if (nanswered > 0 && l.res != DOC_OK) {
		line_sep(&l);
		line_add(&l, "answered: %s", good);
	} else if (nanswered > 0)
		line_add(&l, "zone %s: %s", zone, good);
	if (ns.nnames == 1) {
		line_sep(&l);
		line_add(&l, "only one name server: RFC 2182 asks for at "
		    "least two, on different networks");
		line_worst(&l, DOC_WARN);
	}
	take_free(&ns);
	emit(d, "NS", &l);
}

/* ---- MX ---- */

/* Is an address one no MX may have (loopback, unspecified)? */
static bool
addr_is_local(const struct dns_addr *a)
{
	static const uint8_t	zero[16], one[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->addr[0] == 127 || a->addr[0] == 0;
	return memcmp(a->addr, zero, 16) == 0 || memcmp(a->addr, one, 16) == 0;
}

/* Is name an IP address, bare or as a literal ("[192.0.2.1]")? */
static bool
is_ip_literal(const char *name)
{
	uint8_t	buf[16];
	char	tmp[DNS_MAX_NAME + 2];
	size_t	len = strlen(name);

	if (len >= 2 && name[0] == '[' && name[len - 1] == ']' &&
	    len - 2 < sizeof(tmp)) {
		memcpy(tmp, name + 1, len - 2);
		tmp[len - 2] = '\0';
		name = tmp;
	}
	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

static void
check_mx(struct doc *d)
{
	struct line	 l;
	struct take	 mx, cn;
	struct dns_addr	 addrs[DOC_MAX_ADDRS];
	enum dns_status	 st;
	char		 a[INET6_ADDRSTRLEN];
	const char	*x;
	size_t		 i, j, n;
	bool		 bad;

	line_init(&l);
	st = ask(d, d->domain, DNS_T_MX, &mx);
	if (st != DNS_OK || mx.nmxs == 0) {
		if (is_dns_error(st))
			line_add(&l, "MX of %s: %s: senders retry, then "
			    "bounce; fix the name servers", d->domain,
			    why_none(st));
		else
			line_add(&l, "no MX record (%s): senders fall back to "
			    "the address of %s itself (RFC 5321 section 5.1) "
			    "or bounce; publish an MX, or a null MX "
			    "\"0 .\" (RFC 7505) if the domain takes no mail",
			    why_none(st), d->domain);
		l.res = DOC_FAIL;
		take_free(&mx);
		emit(d, "MX", &l);
		return;
	}
	if (dns_mxs_are_null(mx.mxs, mx.nmxs)) {
		line_add(&l, "null MX (RFC 7505): %s accepts no mail, and "
		    "receivers may reject mail from it, whose bounces could "
		    "not come back", d->domain);
		take_free(&mx);
		emit(d, "MX", &l);
		return;
	}
	for (i = 0; i < mx.nmxs && i < DOC_MAX_MX; i++) {
		x = mx.mxs[i].exchange;
		line_sep(&l);
		line_add(&l, "%u %.*s", (unsigned)mx.mxs[i].preference,
		    DOC_QUOTE, x);
		if (strcmp(x, ".") == 0) {
			line_add(&l, " is a null MX among other MX records: "
			    "RFC 7505 says it must be the only one; remove "
			    "it or the others");
			line_worst(&l, DOC_FAIL);
			continue;
		}
		if (is_ip_literal(x)) {
			line_add(&l, " is an IP address, not a host name: "
			    "senders look it up as a name and fail; point the "
			    "MX at a name with an A or AAAA record");
			line_worst(&l, DOC_FAIL);
			continue;
		}
		st = ask(d, x, DNS_T_CNAME, &cn);
		if (st == DNS_OK && cn.nnames > 0) {
			line_add(&l, " is a CNAME (to %.*s): RFC 2181 section "
			    "10.3 forbids it and some senders refuse it; point "
			    "the MX at the canonical name", DOC_QUOTE,
			    cn.names[0]);
			line_worst(&l, DOC_FAIL);
		}
		take_free(&cn);
		n = addresses(d, x, addrs, DOC_MAX_ADDRS, &st);
		if (n == 0) {
			line_add(&l, " has no A or AAAA record (%s): mail "
			    "to it cannot be delivered; give it an address",
			    why_none(st));
			line_worst(&l, DOC_FAIL);
			continue;
		}
		line_add(&l, " ->");
		bad = false;
		for (j = 0; j < n; j++) {
			line_add(&l, "%s %s", j > 0 ? "," : "",
			    addr_str(&addrs[j], a, sizeof(a)));
			if (addr_is_local(&addrs[j]))
				bad = true;
			else if (d->nhosts < DOC_MAX_HOSTS - 1) {
				snprintf(d->hosts[d->nhosts].name,
				    sizeof(d->hosts[0].name), "%s", x);
				d->hosts[d->nhosts++].addr = addrs[j];
			}
		}
		if (bad) {
			line_add(&l, " (a loopback or unspecified address: "
			    "senders cannot reach it; publish the host's "
			    "public address)");
			line_worst(&l, DOC_FAIL);
		}
	}
	if (mx.nmxs > DOC_MAX_MX)
		line_add(&l, "; %zu more not checked", mx.nmxs - DOC_MAX_MX);
	take_free(&mx);
	emit(d, "MX", &l);
}

/* ---- PTR ---- */

/* The reverse name of a (in-addr.arpa or ip6.arpa) into out. */
static void
reverse_name(const struct dns_addr *a, char *out, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, off = 0;

	if (a->family == AF_INET) {
		snprintf(out, n, "%u.%u.%u.%u.in-addr.arpa", a->addr[3],
		    a->addr[2], a->addr[1], a->addr[0]);
		return;
	}
	for (i = 16; i-- > 0 && off + 4 < n;) {
		out[off++] = hex[a->addr[i] & 0xf];
		out[off++] = '.';
		out[off++] = hex[a->addr[i] >> 4];
		out[off++] = '.';
	}
	snprintf(out + off, n - off, "ip6.arpa");
}

/* Does name have a as one of its addresses? */
static bool
name_has_addr(struct doc *d, const char *name, const struct dns_addr *a)
{
	struct take	t;
	size_t		i;
	bool		found = false;

	(void)ask(d, name, a->family == AF_INET ? DNS_T_A : DNS_T_AAAA, &t);
	for (i = 0; i < t.naddrs && !found; i++)
		found = memcmp(t.addrs[i].addr, a->addr,
		    a->family == AF_INET ? 4 : 16) == 0;
	take_free(&t);
	return found;
}

static void
check_ptr(struct doc *d)
{
	struct line	 l;
	struct take	 t;
	enum dns_status	 st;
	char		 rev[80], a[INET6_ADDRSTRLEN];
	const struct host *h;
	size_t		 i, j;
	bool		 ok;

	line_init(&l);
	if (d->nhosts == 0) {
		l.res = DOC_NONE;
		line_add(&l, "no address to check (no usable MX address; "
		    "give --ip for the sending host)");
		emit(d, "PTR", &l);
		return;
	}
	for (i = 0; i < d->nhosts; i++) {
		h = &d->hosts[i];
		addr_str(&h->addr, a, sizeof(a));
		reverse_name(&h->addr, rev, sizeof(rev));
		line_sep(&l);
		st = ask(d, rev, DNS_T_PTR, &t);
		if (st != DNS_OK || t.nnames == 0) {
			line_add(&l, "%s has no PTR record (%s): Gmail and "
			    "Outlook reject mail from hosts without "
			    "forward-confirmed reverse DNS; ask the address's "
			    "owner to set one", a, why_none(st));
			line_worst(&l, DOC_FAIL);
			take_free(&t);
			continue;
		}
		ok = false;
		for (j = 0; j < t.nnames && j < DOC_MAX_PTR && !ok; j++)
			ok = name_has_addr(d, t.names[j], &h->addr);
		line_add(&l, "%s -> %.*s", a, DOC_QUOTE, t.names[j - 1]);
		if (!ok) {
			line_add(&l, " (does not resolve back to %s: Gmail and "
			    "Outlook reject mail from hosts without "
			    "forward-confirmed reverse DNS; set the PTR to a "
			    "name whose address is %s)", a, a);
			line_worst(&l, DOC_FAIL);
		} else if (h->name[0] != '\0' &&
		    strcasecmp(t.names[j - 1], h->name) != 0)
			line_add(&l, " (confirmed; not the MX name %.*s)",
			    DOC_QUOTE, h->name);
		else
			line_add(&l, " (confirmed)");
		take_free(&t);
	}
	emit(d, "PTR", &l);
}

/* ---- SPF ---- */

static void
spf_answer(void *ev, enum dns_status st, const struct dns_msg *msg)
{
	struct err	err;

	(void)spf_eval_answer(ev, st, msg, &err);
}

/* Runs an SPF evaluation of the domain for ip to its end: the evaluator
 * (NULL when ip does not parse or memory is short). */
static struct spf_eval *
spf_run(struct doc *d, const char *ip, enum spf_result *res_out)
{
	struct spf_params	 p;
	struct spf_eval		*ev;
	struct dns_question	 q;
	struct err		 err;
	char			 from[DNS_MAX_NAME + 16];

	memset(&p, 0, sizeof(p));
	snprintf(from, sizeof(from), "postmaster@%s", d->domain);
	p.ip = ip;
	p.mail_from = from;
	p.identity = SPF_ID_MAILFROM;
	if ((ev = spf_eval_new(&p, &err)) == NULL)
		return NULL;
	while (spf_eval_next(ev, time(NULL), &q, res_out) == SPF_STEP_QUERY)
		(void)lookup(d, &d->stub, &d->srv, q.name, q.type,
		    spf_answer, ev);
	return ev;
}

/* The SPF records among txts: how many, the first in *rec_out. */
static size_t
spf_records(const struct take *t, const char **rec_out)
{
	size_t	i, n = 0;

	*rec_out = NULL;
	for (i = 0; i < t->nnames; i++)
		if (spf_record_is_spf(t->names[i]) && n++ == 0)
			*rec_out = t->names[i];
	return n;
}

static void
check_spf(struct doc *d)
{
	struct line		 l;
	struct take		 t;
	struct spf_record	 rec;
	struct spf_eval		*ev;
	enum spf_result		 res = SPF_TEMPERROR;
	enum dns_status		 st;
	struct err		 err;
	const char		*txt, *why, *mech;
	size_t			 i, n;
	bool			 has_all = false;

	line_init(&l);
	memset(&rec, 0, sizeof(rec));
	st = ask(d, d->domain, DNS_T_TXT, &t);
	n = spf_records(&t, &txt);
	if (n == 0) {
		if (is_dns_error(st))
			line_add(&l, "TXT of %s: %s: receivers get temperror "
			    "and defer the mail; fix the name servers",
			    d->domain, why_none(st));
		else
			line_add(&l, "no SPF record: Gmail and Outlook reject "
			    "or junk mail that SPF and DKIM do not "
			    "authenticate; publish one, e.g. \"v=spf1 mx "
			    "-all\"");
		l.res = DOC_FAIL;
		goto out;
	}
	line_add(&l, "%.*s", DOC_QUOTE, txt);
	if (n > 1) {
		line_add(&l, " (and %zu more SPF records: receivers get "
		    "permerror, RFC 7208 section 4.5; merge them into one)",
		    n - 1);
		l.res = DOC_FAIL;
		goto out;
	}
	if (spf_record_parse(txt, &rec, &err) == -1) {
		line_add(&l, " (%s: receivers get permerror and treat the mail "
		    "as unauthenticated; fix the record)", err.msg);
		l.res = DOC_FAIL;
		goto out;
	}
	for (i = 0; i < rec.nterms; i++) {
		const struct spf_term *tm = &rec.terms[i];

		if (tm->mech == SPF_MECH_ALL) {
			has_all = true;
			if (tm->qual == SPF_PASS) {
				line_add(&l, "; +all lets every host on the "
				    "Internet send as %s, so receivers give "
				    "SPF no weight; end the record with -all "
				    "or ~all", d->domain);
				line_worst(&l, DOC_FAIL);
			} else if (tm->qual == SPF_NEUTRAL) {
				line_add(&l, "; ?all says nothing about other "
				    "hosts; end the record with -all or ~all");
				line_worst(&l, DOC_WARN);
			}
		} else if (tm->mech == SPF_MECH_PTR) {
			line_add(&l, "; the ptr mechanism is slow and "
			    "unreliable (RFC 7208 section 5.5: do not use "
			    "it) and some receivers skip it; list the "
			    "addresses with ip4:/ip6: instead");
			line_worst(&l, DOC_WARN);
		}
	}
	if (!has_all && rec.redirect < 0) {
		line_add(&l, "; no all or redirect= term: hosts not listed "
		    "get neutral; end the record with -all or ~all");
		line_worst(&l, DOC_WARN);
	}
	/* An address that is no host's walks the whole record. */
	if ((ev = spf_run(d, DOC_PROBE_IP, &res)) == NULL) {
		line_add(&l, "; out of memory");
		line_worst(&l, DOC_FAIL);
		goto out;
	}
	line_add(&l, " -- %d of %d DNS look-ups, %d of %d void look-ups",
	    spf_eval_terms(ev), SPF_MAX_DNS_TERMS, spf_eval_voids(ev),
	    SPF_MAX_VOID);
	why = spf_eval_problem(ev);
	mech = spf_eval_mechanism(ev);
	if (res == SPF_PERMERROR) {
		line_add(&l, "; permerror (%s): receivers treat the mail as "
		    "unauthenticated and DMARC fails it; stay within the "
		    "limits of RFC 7208 section 4.6.4 (fewer include:, a, "
		    "mx terms; ip4:/ip6: instead)", why != NULL ? why : "?");
		line_worst(&l, DOC_FAIL);
	} else if (res == SPF_TEMPERROR) {
		line_add(&l, "; temperror (%s): receivers defer the mail; fix "
		    "the DNS the record depends on", why != NULL ? why : "?");
		line_worst(&l, DOC_FAIL);
	} else if (res == SPF_PASS) {
		line_add(&l, "; %s, which is no host, passes (by %.*s): the "
		    "record lets anyone send as %s; remove that term",
		    DOC_PROBE_IP, DOC_QUOTE, mech != NULL ? mech : "?",
		    d->domain);
		line_worst(&l, DOC_FAIL);
	}
	spf_eval_free(ev);
	if (d->ip != NULL && res != SPF_PERMERROR) {
		if ((ev = spf_run(d, d->ip, &res)) == NULL) {
			line_add(&l, "; --ip %s: not an address", d->ip);
			line_worst(&l, DOC_FAIL);
		} else if (res == SPF_PASS)
			line_add(&l, "; %s is permitted", d->ip);
		else {
			line_add(&l, "; %s is not permitted (%s): receivers "
			    "reject or junk its mail; add ip4:/ip6: for it to "
			    "the record", d->ip, spf_result_str(res));
			line_worst(&l, DOC_FAIL);
		}
		spf_eval_free(ev);
	}
out:
	spf_record_fini(&rec);
	take_free(&t);
	emit(d, "SPF", &l);
}

/* ---- DKIM ---- */

/*
 * Is the published key k the one derived from the password for the
 * selector, with k's type and size?  1 yes, 0 no, -1 (why in err) when
 * no key could be derived.
 */
static int
dkim_derived_matches(struct doc *d, const char *selector, struct key *k,
    const uint8_t *pw, size_t pwlen, struct err *err)
{
	struct key_derive_params p;
	struct key		*dk;
	struct buf		 a, b;
	int			 rc = -1;

	memset(&p, 0, sizeof(p));
	p.derivation = KEY_DERIVE_V1;
	p.type = key_type(k);
	p.password = pw;
	p.password_len = pwlen;
	p.domain = d->domain;
	p.selector = selector;
	p.bits = key_type(k) == KEY_RSA ? key_bits(k) : 0;
	if ((dk = key_derive(&p, err)) == NULL)
		return -1;
	buf_init(&a, 65536);
	buf_init(&b, 65536);
	if (key_public_b64(dk, &a, err) == 0 &&
	    key_public_b64(k, &b, err) == 0)
		rc = a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
	buf_fini(&a);
	buf_fini(&b);
	key_free(dk);
	return rc;
}

/* Checks one selector into l. */
static void
check_selector(struct doc *d, struct line *l, const char *sel,
    const uint8_t *pw, size_t pwlen)
{
	struct dkim_keyrec	 kr;
	struct take		 t;
	enum dns_status		 st;
	struct err		 err;
	char			 name[2 * DNS_MAX_NAME + 16];
	const char		*txt = NULL;
	size_t			 i, nkeys = 0;
	int			 bits, m;

	line_sep(l);
	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, d->domain);
	st = ask(d, name, DNS_T_TXT, &t);
	/* RFC 6376 section 3.6.2.2: one record; a "v=" other than
	 * DKIM1 is not a key record. */
	for (i = 0; i < t.nnames; i++)
		if (strncmp(t.names[i], "v=", 2) != 0 ||
		    strncmp(t.names[i], "v=DKIM1", 7) == 0)
			if (nkeys++ == 0)
				txt = t.names[i];
	if (txt == NULL) {
		line_add(l, "%.*s: no key record at %.*s (%s): signatures "
		    "by this selector fail; publish its key (timbre key "
		    "derive --zone)", DOC_QUOTE, sel, DOC_QUOTE, name,
		    why_none(st));
		line_worst(l, DOC_FAIL);
		goto out;
	}
	if (nkeys > 1) {
		line_add(l, "%.*s: %zu key records: receivers may pick "
		    "either; keep one", DOC_QUOTE, sel, nkeys);
		line_worst(l, DOC_FAIL);
		goto out;
	}
	if (dkim_keyrec_parse(txt, &kr, &err) == -1) {
		line_add(l, "%.*s: %s: signatures by this selector fail; "
		    "publish a key of 2048 bits or an ed25519 key", DOC_QUOTE,
		    sel, err.msg);
		line_worst(l, DOC_FAIL);
		goto out;
	}
	if (kr.revoked || kr.key == NULL) {
		line_add(l, "%.*s: revoked (empty p=): signatures by this "
		    "selector fail; sign with a current selector, or publish "
		    "its key", DOC_QUOTE, sel);
		line_worst(l, DOC_FAIL);
		dkim_keyrec_fini(&kr);
		goto out;
	}
	bits = key_bits(kr.key);
	if (key_type(kr.key) == KEY_RSA)
		line_add(l, "%.*s (rsa, %d bits)", DOC_QUOTE, sel, bits);
	else
		line_add(l, "%.*s (%s)", DOC_QUOTE, sel,
		    key_type_name(key_type(kr.key)));
	if (key_type(kr.key) == KEY_RSA && bits < KEY_DERIVE_RSA_BITS) {
		line_add(l, " is shorter than the 2048 bits RFC 8301 asks "
		    "signers for: some receivers distrust it; publish a "
		    "longer key");
		line_worst(l, DOC_WARN);
	}
	if (kr.testing) {
		line_add(l, " has t=y: receivers treat its signatures as "
		    "if unsigned; remove t=y once signing works");
		line_worst(l, DOC_WARN);
	}
	if (!kr.sha256_ok) {
		line_add(l, " has h= without sha256: its signatures fail; "
		    "remove h=");
		line_worst(l, DOC_FAIL);
	}
	if (pw != NULL) {
		m = dkim_derived_matches(d, sel, kr.key, pw, pwlen, &err);
		if (m == 1)
			line_add(l, ", the key derived from the password");
		else if (m == 0) {
			line_add(l, " is not the key derived from the "
			    "password: timbre-signd signs with the derived "
			    "key, so its signatures fail; publish the record "
			    "of timbre key derive, or check the password");
			line_worst(l, DOC_FAIL);
		} else {
			line_add(l, " (no key derived: %s)", err.msg);
			line_worst(l, DOC_FAIL);
		}
	}
	dkim_keyrec_fini(&kr);
out:
	take_free(&t);
}

/*
 * The creation time a selector of timbre-signd's default format carries
 * ("dkim-1767225600", "dkim-1767225600-ed25519": docs/interface.md, Key
 * life cycle), or 0 when it carries none.
 */
static time_t
selector_created(const char *sel)
{
	const char	*dash, *end = sel + strlen(sel), *p;
	size_t		 sl = strlen(DOC_ED25519_SUFFIX);
	long long	 t = 0;

	if ((size_t)(end - sel) > sl &&
	    strcmp(end - sl, DOC_ED25519_SUFFIX) == 0)
		end -= sl;
	for (dash = end; dash > sel && dash[-1] != '-'; dash--)
		continue;
	if (dash == sel || end - dash < 1 || end - dash > 11 || *dash == '0')
		return 0;
	for (p = dash; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		t = t * 10 + (*p - '0');
	}
	return (time_t)t;
}

/* An AXFR on the way: its outcome. */
struct axfr_wait {
	struct doc	*d;
	bool		 done, ok;
	char		 why[256];
};

/* Keeps the selectors of the transfer, each once. */
static void
axfr_answer(bool ok, const char *why, const struct dns_xfr_txt *recs,
    size_t n, void *arg)
{
	struct axfr_wait	*w = arg;
	struct doc		*d = w->d;
	size_t			 i, j;

	w->done = true;
	w->ok = ok;
	snprintf(w->why, sizeof(w->why), "%s", why);
	for (i = 0; ok && i < n; i++) {
		for (j = 0; j < d->nfound; j++)
			if (strcasecmp(d->found[j], recs[i].label) == 0)
				break;
		if (j < d->nfound)
			continue;
		if (d->nfound == DOC_MAX_FOUND ||
		    strlen(recs[i].label) >= sizeof(d->found[0])) {
			d->nmore++;
			continue;
		}
		snprintf(d->found[d->nfound++], sizeof(d->found[0]), "%s",
		    recs[i].label);
	}
	event_base_loopbreak(d->base);
}

/*
 * Lists the selectors as timbre-signd does: the TXT records one label
 * below _domainkey.DOMAIN in an AXFR of the zone (the NS check's) from
 * --primary, signed with the key of --tsig-key-file.  false when the
 * transfer failed (l says why).
 */
static bool
find_selectors(struct doc *d, struct line *l)
{
	struct axfr_wait	 w;
	struct dns_xfr		*x;
	struct err		 err;
	const char		*zone = d->zone[0] != '\0' ? d->zone : d->domain;
	char			 under[DNS_MAX_NAME + 16];
	long			 ms;
	int			 rc;

	memset(&w, 0, sizeof(w));
	w.d = d;
	snprintf(under, sizeof(under), "_domainkey.%s", d->domain);
	if ((ms = doc_left_ms(d)) == 0) {
		d->expired = true;
		snprintf(w.why, sizeof(w.why), "timeout");
	} else if ((x = dns_xfr_new(d->base, (struct sockaddr *)
	    &d->primary.addr, d->primary.addrlen, zone, d->tsig,
	    &err)) == NULL)
		snprintf(w.why, sizeof(w.why), "%s", err.msg);
	else {
		if (dns_xfr_axfr(x, under, axfr_answer, &w, &err) == -1)
			snprintf(w.why, sizeof(w.why), "%s", err.msg);
		else if ((rc = run_until(d, &w.done, ms)) == -1)
			snprintf(w.why, sizeof(w.why), "out of memory");
		else if (rc == 0) {
			d->expired = true;
			snprintf(w.why, sizeof(w.why), "timeout");
		}
		/* Cancels a transfer still on the way. */
		dns_xfr_free(x);
	}
	if (!w.ok) {
		line_add(l, "AXFR of %s from %s failed (%s): timbre-signd "
		    "with this --primary and key cannot list or publish its "
		    "keys either; the primary must allow the key transfers "
		    "(a _transfer or _update key of the zone)", zone,
		    d->primary_spec, w.why);
		line_worst(l, DOC_FAIL);
		return false;
	}
	line_add(l, "%zu selector%s under %s in the AXFR of %s", d->nfound +
	    d->nmore, d->nfound + d->nmore == 1 ? "" : "s", under, zone);
	if (d->nmore > 0)
		line_add(l, " (the first %d checked)", DOC_MAX_FOUND);
	if (d->nfound == 0 && d->nselectors == 0) {
		line_add(l, ": no DKIM key published, so no mail from %s is "
		    "signed in a way receivers can check; DMARC then rests on "
		    "SPF alone, and large receivers ask bulk senders for "
		    "DKIM; publish a key (timbre key derive --zone, or "
		    "timbre-signd --primary)", d->domain);
		line_worst(l, DOC_WARN);
	}
	return true;
}

static void
check_dkim(struct doc *d)
{
	struct line	 l;
	struct tm	 tm;
	uint8_t		*pw = NULL;
	size_t		 i, j = 0, pwlen = 0;
	time_t		 t, newest = 0, now;
	const char	*sel;
	char		 date[16];

	line_init(&l);
	if (d->tsig != NULL && !find_selectors(d, &l)) {
		emit(d, "DKIM", &l);
		return;
	}
	if (d->nselectors == 0 && d->tsig == NULL) {
		l.res = DOC_SKIP;
		line_add(&l, "not checked: give the selectors with "
		    "--selector, or --primary and --tsig-key-file to list "
		    "them");
		emit(d, "DKIM", &l);
		return;
	}
	if (d->pwfile != NULL) {
		if ((pw = malloc(TOOL_PASSWORD_MAX)) == NULL)
			tool_usage_error("doctor", "out of memory");
		pwlen = tool_read_password("doctor", d->pwfile, pw);
	}
	for (i = 0; i < d->nselectors + d->nfound; i++) {
		sel = i < d->nselectors ? d->selectors[i] :
		    d->found[i - d->nselectors];
		/* A selector given and listed is checked once. */
		for (j = 0; i >= d->nselectors && j < d->nselectors; j++)
			if (strcasecmp(d->selectors[j], sel) == 0)
				break;
		if (i >= d->nselectors && j < d->nselectors)
			continue;
		check_selector(d, &l, sel, pw, pwlen);
		if ((t = selector_created(sel)) > newest)
			newest = t;
	}
	if (pw != NULL) {
		key_wipe(pw, TOOL_PASSWORD_MAX);
		free(pw);
	}
	if (newest > 0 && gmtime_r(&newest, &tm) != NULL &&
	    strftime(date, sizeof(date), "%Y-%m-%d", &tm) > 0) {
		now = time(NULL);
		line_add(&l, "; newest created %s, %lld days ago", date,
		    (long long)(now > newest ? (now - newest) / 86400 : 0));
	}
	emit(d, "DKIM", &l);
}

/* ---- DMARC ---- */

/* Is a the name b or below it (labels, without case)? */
static bool
name_under(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la < lb || strcasecmp(a + la - lb, b) != 0)
		return false;
	return la == lb || a[la - lb - 1] == '.';
}

/*
 * Checks the report destinations of a rua= or ruf= list (tag) of the
 * record found at dom: a mailto: address in a domain outside dom's needs
 * the destination's authorisation record "dom._report._dmarc.DEST"
 * (RFC 7489 section 7.1, RFC 9990).  Domains are compared by name: one
 * at or below the other counts as the same organisation, without the
 * Public Suffix List.
 */
static void
check_dests(struct doc *d, struct line *l, const char *tag, const char *list,
    const char *dom)
{
	struct take	 t;
	char		 dest[DNS_MAX_NAME + 2], name[2 * DNS_MAX_NAME + 16];
	const char	*p, *at, *end;
	size_t		 i, n, ndest = 0;
	bool		 ok;

	for (p = list; *p != '\0' && ndest < 8; p = *end == ',' ? end + 1 :
	    end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		if (end - p < 7 || strncasecmp(p, "mailto:", 7) != 0)
			continue;
		if ((at = memchr(p, '@', (size_t)(end - p))) == NULL)
			continue;
		n = strcspn(at + 1, "!, \t");
		if (at + 1 + n > end || n == 0 || n >= sizeof(dest))
			continue;
		memcpy(dest, at + 1, n);
		dest[n] = '\0';
		ndest++;
		if (name_under(dest, dom) || name_under(dom, dest))
			continue;
		snprintf(name, sizeof(name), "%s._report._dmarc.%s", dom,
		    dest);
		(void)ask(d, name, DNS_T_TXT, &t);
		ok = false;
		for (i = 0; i < t.nnames && !ok; i++)
			ok = dmarc_record_is_dmarc(t.names[i]);
		take_free(&t);
		if (ok)
			line_add(l, "; %s to %.*s authorised", tag, DOC_QUOTE,
			    dest);
		else {
			line_add(l, "; %s to %.*s is not authorised (no "
			    "v=DMARC1 record at %.*s, RFC 7489 section 7.1): "
			    "reporters send no reports there; publish it in "
			    "%.*s or send reports to %s", tag, DOC_QUOTE,
			    dest, DOC_QUOTE, name, DOC_QUOTE, dest, dom);
			line_worst(l, DOC_WARN);
		}
	}
}

static void
check_dmarc(struct doc *d)
{
	char			 names[DMARC_MAX_WALK][DNS_MAX_NAME + 1];
	char			 q[DNS_MAX_NAME + 16];
	struct dmarc_record	 rec;
	struct line		 l;
	struct take		 t;
	enum dns_status		 st = DNS_NODATA;
	struct err		 err;
	const char		*txt = NULL, *dom = NULL;
	enum dmarc_policy	 pol;
	size_t			 i, j, nw, nrec = 0;

	line_init(&l);
	memset(&t, 0, sizeof(t));
	nw = dmarc_walk_names(d->domain, names);
	for (i = 0; i < nw && txt == NULL; i++) {
		take_free(&t);
		snprintf(q, sizeof(q), "_dmarc.%.*s", DNS_MAX_NAME, names[i]);
		st = ask(d, q, DNS_T_TXT, &t);
		if (is_dns_error(st))
			break;
		for (j = 0, nrec = 0; j < t.nnames; j++)
			if (dmarc_record_is_dmarc(t.names[j]) && nrec++ == 0)
				txt = t.names[j];
		if (txt != NULL)
			dom = names[i];
	}
	if (txt == NULL) {
		if (is_dns_error(st))
			line_add(&l, "TXT of %s: %s: receivers get temperror; "
			    "fix the name servers", q, why_none(st));
		else
			line_add(&l, "no DMARC record at _dmarc.%s or above: "
			    "Gmail and Yahoo reject bulk mail from domains "
			    "without one; publish \"v=DMARC1; p=none; "
			    "rua=mailto:...\" and tighten it later",
			    d->domain);
		l.res = DOC_FAIL;
		goto out;
	}
	if (nrec > 1) {
		line_add(&l, "%zu DMARC records at _dmarc.%s: receivers "
		    "ignore them all (RFC 9989 section 4.10); keep one", nrec,
		    dom);
		l.res = DOC_FAIL;
		goto out;
	}
	if (dmarc_record_parse(txt, &rec, &err) == -1) {
		line_add(&l, "_dmarc.%s: %s: receivers ignore it; fix the "
		    "record", dom, err.msg);
		l.res = DOC_FAIL;
		goto out;
	}
	pol = strcasecmp(dom, d->domain) == 0 ? rec.p : rec.sp;
	line_add(&l, "p=%s", dmarc_policy_str(rec.p));
	if (rec.sp_set)
		line_add(&l, " sp=%s", dmarc_policy_str(rec.sp));
	if (rec.np_set)
		line_add(&l, " np=%s", dmarc_policy_str(rec.np));
	if (rec.testing)
		line_add(&l, " t=y");
	if (strcasecmp(dom, d->domain) != 0)
		line_add(&l, " (from _dmarc.%s: %s applies to %s)", dom,
		    dmarc_policy_str(pol), d->domain);
	if (rec.p_from_rua) {
		line_add(&l, "; no valid p=, taken as p=none (RFC 9989 "
		    "section 5.3); give p=");
		line_worst(&l, DOC_WARN);
	}
	if (pol == DMARC_POLICY_NONE) {
		line_add(&l, "; p=none: receivers will not act on failures; "
		    "consider p=quarantine after reading reports");
		line_worst(&l, DOC_WARN);
	}
	if (rec.testing) {
		line_add(&l, "; t=y: receivers apply one step less than the "
		    "policy asks; remove t=y when the reports are clean");
		line_worst(&l, DOC_WARN);
	}
	if (rec.rua == NULL)
		line_add(&l, "; no rua=: no aggregate reports will tell you "
		    "who sends as %s", d->domain);
	else
		check_dests(d, &l, "rua", rec.rua, dom);
	if (rec.ruf != NULL)
		check_dests(d, &l, "ruf", rec.ruf, dom);
	dmarc_record_fini(&rec);
out:
	take_free(&t);
	emit(d, "DMARC", &l);
}

/* ---- TLS ---- */

/* The end of one connection: DOC_CONN_MS from now, or the deadline. */
static void
conn_end(const struct doc *d, struct timespec *end)
{
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += DOC_CONN_MS / 1000;
	if (end->tv_sec > d->deadline.tv_sec || (end->tv_sec ==
	    d->deadline.tv_sec && end->tv_nsec > d->deadline.tv_nsec))
		*end = d->deadline;
}

/* The run's TLS context, or NULL (out of memory: l says so). */
static struct doctor_tls_ctx *
tls_ctx(struct doc *d, struct line *l)
{
	if (d->tls == NULL && (d->tls = doctor_tls_ctx_new()) == NULL) {
		line_add(l, "out of memory for TLS");
		line_worst(l, DOC_FAIL);
	}
	return d->tls;
}

/* Judges the certificate a handshake showed, into l (after "; "); true
 * when it verifies for the name and has not expired. */
static bool
cert_judge(struct line *l, const struct doctor_tls *t, const char *name)
{
	bool	ok = true;

	if (!t->have_cert) {
		line_add(l, ", no certificate");
		return false;
	}
	if (t->days_left < 0) {
		line_add(l, ", the certificate has expired");
		ok = false;
	} else
		line_add(l, ", certificate valid %ld more day%s",
		    t->days_left, t->days_left == 1 ? "" : "s");
	if (!t->name_ok) {
		line_add(l, ", not valid for the name %.*s", DOC_QUOTE, name);
		ok = false;
	}
	if (t->verify_err != 0 && t->days_left >= 0) {
		line_add(l, ", the chain does not verify (%s)",
		    t->verify_why);
		ok = false;
	}
	return ok;
}

/* Reports one MX's SMTP session t into l. */
static void
tls_report(struct line *l, const char *name, const struct doctor_tls *t,
    struct mxtls *m)
{
	line_add(l, "%.*s:25", DOC_QUOTE, name);
	if (!t->connected) {
		if (t->refused) {
			line_add(l, " refuses connections: senders cannot "
			    "deliver to it; start its MTA or open port 25");
			line_worst(l, DOC_FAIL);
		} else {
			line_add(l, " %s (from here; port 25 may be blocked "
			    "on the way): senders that cannot reach it defer "
			    "the mail; check that it listens on port 25",
			    t->timed_out ? "did not answer in time" : t->why);
			line_worst(l, DOC_WARN);
		}
		return;
	}
	if (!t->tls && !t->starttls && t->why[0] != '\0') {
		line_add(l, " %s: senders cannot deliver to it; fix the "
		    "MTA", t->why);
		line_worst(l, DOC_FAIL);
		return;
	}
	m->probed = true;
	if (!t->starttls) {
		line_add(l, " offers no STARTTLS: senders deliver in plain "
		    "text, and those that require TLS (MTA-STS, DANE) do not "
		    "deliver; give the MTA a certificate");
		line_worst(l, DOC_WARN);
		return;
	}
	if (!t->tls) {
		line_add(l, " STARTTLS fails (%s): senders that try TLS "
		    "defer the mail or send it in plain text; fix the MTA's "
		    "TLS set-up", t->why);
		line_worst(l, DOC_FAIL);
		return;
	}
	line_add(l, " STARTTLS %s", t->version);
	m->valid = cert_judge(l, t, name);
	if (!m->valid) {
		line_add(l, ": senders that check certificates (MTA-STS, "
		    "DANE, some large providers) do not deliver; install a "
		    "certificate for %.*s from a public CA, with its "
		    "intermediates", DOC_QUOTE, name);
		line_worst(l, DOC_WARN);
	} else if (t->days_left < DOC_CERT_DAYS) {
		line_add(l, ": it expires soon; renew it");
		line_worst(l, DOC_WARN);
	}
	if (t->chain_len > DOC_MAX_CHAIN) {
		line_add(l, "; the server sends %zu certificates: senders that "
		    "verify chains only so deep (Postfix: 9 by default) do "
		    "not trust it; send the certificate and its intermediates "
		    "only", t->chain_len);
		line_worst(l, DOC_WARN);
	}
}

/*
 * STARTTLS on each MX host (RFC 3207): the first of its addresses that
 * accepts a connection on port 25 is asked EHLO, STARTTLS and the
 * handshake; its certificate is judged by the system's trusted CAs, the
 * MX name and its expiry.
 */
static void
check_tls(struct doc *d)
{
	struct line		 l;
	struct doctor_tls	 t;
	struct sockaddr_storage	 ss;
	struct timespec		 end;
	struct mxtls		*m;
	char			 helo[DNS_MAX_NAME + 2];
	const char		*name;
	size_t			 i, j, k;
	socklen_t		 sl;

	line_init(&l);
	if (gethostname(helo, sizeof(helo)) == -1 || helo[0] == '\0')
		snprintf(helo, sizeof(helo), "localhost");
	helo[sizeof(helo) - 1] = '\0';
	for (i = 0; i < d->nhosts && d->nmxtls < DOC_MAX_MX; i++) {
		name = d->hosts[i].name;
		for (k = 0; k < d->nmxtls; k++)
			if (strcasecmp(d->mxtls[k].name, name) == 0)
				break;
		if (name[0] == '\0' || k < d->nmxtls)
			continue;
		if (tls_ctx(d, &l) == NULL)
			break;
		m = &d->mxtls[d->nmxtls++];
		snprintf(m->name, sizeof(m->name), "%s", name);
		memset(&t, 0, sizeof(t));
		snprintf(t.why, sizeof(t.why), "not tried");
		for (j = i; j < d->nhosts; j++) {
			if (strcmp(d->hosts[j].name, name) != 0)
				continue;
			if (doc_left_ms(d) == 0) {
				d->expired = true;
				break;
			}
			sl = sockaddr_at(&d->hosts[j].addr, 25, &ss);
			conn_end(d, &end);
			doctor_tls_fini(&t);
			doctor_smtp_probe(d->tls, (struct sockaddr *)&ss, sl,
			    name, helo, &end, &t);
			if (t.connected)
				break;
		}
		line_sep(&l);
		tls_report(&l, name, &t, m);
		m->tls = t;
	}
	if (d->nmxtls == 0 && l.len == 0) {
		l.res = DOC_NONE;
		line_add(&l, "no MX host to check");
	}
	emit(d, "TLS", &l);
}

/* ---- DNSSEC and TLSA ---- */

/* What ask_ad keeps of an answer (doctor_dns.c). */
struct ask_ad_take {
	uint16_t			 type;
	struct doctor_dns_answer	*a;
};

static void
ask_ad_take(void *arg, enum dns_status st, const struct dns_msg *msg)
{
	struct ask_ad_take	*t = arg;

	doctor_dns_take(st, msg, t->type, t->a);
}

/* Asks the resolver (name, type) with AD=1, DO=1 and cd, by the stub
 * (d->stub_ad): false when no answer came (a->why). */
static bool
ask_ad(struct doc *d, const char *name, uint16_t type, bool cd,
    struct doctor_dns_answer *a)
{
	struct ask_ad_take	 t;
	struct dns_stub_opts	 so = d->so;
	struct err		 err;

	memset(a, 0, sizeof(*a));
	t.type = type;
	t.a = a;
	so.dnssec = true;
	so.cd = cd;
	if (d->stub_ad[cd] == NULL && (d->stub_ad[cd] = dns_stub_new(d->base,
	    &d->srv, &so, &err)) == NULL) {
		snprintf(a->why, sizeof(a->why), "%.120s", err.msg);
		return false;
	}
	(void)lookup(d, &d->stub_ad[cd], &d->srv, name, type, ask_ad_take,
	    &t);
	return a->answered;
}

/*
 * DNSSEC, as the resolver sees it: the domain's MX answer with the AD bit
 * is validated (RFC 4035 section 3.2.3: a validating resolver sets it
 * only for data it validated, RFC 6840 section 5.7 for a question with
 * AD=1).  Without it: a SERVFAIL that CD=1 turns into an answer is
 * bogus; a zone without DNSKEY is unsigned; one with DNSKEY but no DS at
 * its parent an island; with both, the resolver does not validate.
 */
static void
check_dnssec(struct doc *d)
{
	struct doctor_dns_answer a, b;
	struct line		 l;
	char			 parent_why[128];

	line_init(&l);
	if (!ask_ad(d, d->domain, DNS_T_MX, false, &a)) {
		line_add(&l, "MX of %s with AD=1: %s: not checked", d->domain,
		    a.why);
		l.res = DOC_WARN;
	} else if (a.ad) {
		d->validates = true;
		line_add(&l, "%s is signed and its answers validate (the "
		    "resolver set the AD bit: a chain of trust from its trust "
		    "anchor)", d->domain);
	} else if (!a.ra) {
		line_add(&l, "the server given is no resolver (no RA bit in "
		    "its answer), so it validates nothing: not checked; give "
		    "a validating resolver with -n");
		l.res = DOC_SKIP;
	} else if (a.rcode == 2 && ask_ad(d, d->domain, DNS_T_MX, true, &b) &&
	    (b.rcode == 0 || b.rcode == 3)) {
		d->validates = true;
		line_add(&l, "%s is bogus: the resolver validates and rejects "
		    "its answers (SERVFAIL, an answer with CD=1): validating "
		    "resolvers cannot resolve it, so mail to and from it "
		    "fails; fix the signatures or the DS at the parent",
		    d->domain);
		l.res = DOC_FAIL;
	} else if (a.rcode == 2)
		line_add(&l, "MX of %s: SERVFAIL, with CD=1 too: not checked",
		    d->domain);
	else if (d->zone[0] == '\0' || !ask_ad(d, d->zone,
	    DOCTOR_DNS_T_DNSKEY, true, &b)) {
		line_add(&l, "no AD bit on the answers for %s, and no DNSKEY "
		    "answer: not checked", d->domain);
		l.res = DOC_WARN;
	} else if (b.ntype == 0) {
		line_add(&l, "zone %s is not signed (no DNSKEY): answers about "
		    "it can be forged, and DANE (TLSA) cannot protect its "
		    "mail; sign it", d->zone);
		l.res = DOC_NONE;
	} else if (ask_ad(d, d->zone, DOCTOR_DNS_T_DS, true, &b) &&
	    b.ntype == 0 && (b.rcode == 0 || b.rcode == 3)) {
		line_add(&l, "zone %s has DNSKEY records but its parent gives "
		    "no DS for it: no chain of trust reaches it, so resolvers "
		    "treat it as unsigned and DANE does not work; publish the "
		    "DS at the parent", d->zone);
		l.res = DOC_WARN;
	} else if (b.ntype == 0) {
		snprintf(parent_why, sizeof(parent_why), "%s", b.answered ?
		    "an error" : b.why);
		line_add(&l, "zone %s is signed (DNSKEY), the resolver set no "
		    "AD bit and the DS question got %s: nothing was checked; "
		    "give a validating resolver with -n", d->zone,
		    parent_why);
		l.res = DOC_SKIP;
	} else {
		line_add(&l, "zone %s is signed (DNSKEY, DS at the parent) but "
		    "the resolver set no AD bit: it does not validate, so "
		    "nothing was checked; give a validating resolver with -n",
		    d->zone);
		l.res = DOC_SKIP;
	}
	emit(d, "DNSSEC", &l);
}

/* Checks the TLSA records of one MX host (RFC 7672) into l. */
static void
tlsa_one(struct doc *d, struct line *l, const struct mxtls *m)
{
	struct doctor_dns_answer a;
	const struct doctor_tlsa *t;
	char			 name[DNS_MAX_NAME + 16], why[96];
	size_t			 i;
	int			 r;
	bool			 match = false, usable = false;

	snprintf(name, sizeof(name), "_25._tcp.%s", m->name);
	line_sep(l);
	if (!ask_ad(d, name, DOCTOR_DNS_T_TLSA, false, &a)) {
		line_add(l, "%.*s: %s", DOC_QUOTE, name, a.why);
		line_worst(l, DOC_WARN);
		return;
	}
	if (a.rcode == 2) {
		line_add(l, "%.*s: SERVFAIL: DANE senders defer mail to %.*s "
		    "(RFC 7672 section 2.1.1); fix the zone's signatures",
		    DOC_QUOTE, name, DOC_QUOTE, m->name);
		line_worst(l, DOC_FAIL);
		return;
	}
	if (a.ntlsa == 0) {
		line_add(l, "%.*s: none", DOC_QUOTE, m->name);
		return;
	}
	if (!a.ad && !d->validates) {
		line_add(l, "%.*s: %zu TLSA record%s, not judged: the resolver "
		    "set no AD bit and is not known to validate (see DNSSEC)",
		    DOC_QUOTE, m->name, a.ntlsa, a.ntlsa == 1 ? "" : "s");
		line_worst(l, DOC_SKIP);
		return;
	}
	if (!a.ad) {
		line_add(l, "%.*s: %zu TLSA record%s, not validated (no AD "
		    "bit from a resolver that validates: the zone of %.*s is "
		    "unsigned or its chain broken): DANE senders ignore them "
		    "(RFC 7672 section 2.2)", DOC_QUOTE, m->name, a.ntlsa,
		    a.ntlsa == 1 ? "" : "s", DOC_QUOTE, name);
		line_worst(l, DOC_WARN);
		return;
	}
	if (!m->probed) {
		/* From here port 25 may be blocked: nothing to match. */
		line_add(l, "%.*s: TLSA records, not matched: no SMTP session "
		    "reached it (see TLS)", DOC_QUOTE, m->name);
		line_worst(l, DOC_WARN);
		return;
	}
	if (!m->tls.tls) {
		line_add(l, "%.*s: TLSA records, but no TLS session (see TLS): "
		    "DANE senders do not deliver to it", DOC_QUOTE, m->name);
		line_worst(l, DOC_FAIL);
		return;
	}
	line_add(l, "%.*s:", DOC_QUOTE, m->name);
	for (i = 0; i < a.ntlsa; i++) {
		t = &a.tlsa[i];
		why[0] = '\0';
		/* DANE-TA: the chain verified up to the anchor, the name. */
		if (!t->cut && t->usage == 2)
			r = doctor_tls_dane_ta(&m->tls, t->selector, t->mtype,
			    t->data, t->len, why, sizeof(why));
		else
			r = t->cut ? 0 : doctor_tls_tlsa_match(&m->tls,
			    t->usage, t->selector, t->mtype, t->data, t->len);
		line_add(l, "%s TLSA %u %u %u %s", i > 0 ? "," : "", t->usage,
		    t->selector, t->mtype, r == 1 ? "matches" : r == 0 ?
		    "does not match" : "unusable");
		if (r == 0 && why[0] != '\0')
			line_add(l, " (%s)", why);
		match = match || r == 1;
		usable = usable || r != -1;
	}
	if (!match) {
		line_add(l, ": DANE senders do not deliver to %.*s (RFC 7672 "
		    "section 2.2); publish the TLSA of the key it serves "
		    "(both, while keys change)%s", DOC_QUOTE, m->name,
		    usable ? "" : ", with usage 2 or 3");
		line_worst(l, DOC_FAIL);
	}
}

/* TLSA (DANE for SMTP, RFC 7672) of each MX host the TLS check reached,
 * held against the chain it presented. */
static void
check_tlsa(struct doc *d)
{
	struct line	l;
	size_t		i;

	line_init(&l);
	for (i = 0; i < d->nmxtls; i++)
		tlsa_one(d, &l, &d->mxtls[i]);
	if (d->nmxtls == 0) {
		l.res = DOC_NONE;
		line_add(&l, "no MX host to check");
	} else if (strstr(l.text, "TLSA") == NULL && l.res == DOC_OK) {
		l.res = DOC_NONE;
		line_add(&l, " (no TLSA records at _25._tcp of any MX: senders "
		    "use TLS opportunistically; DANE, RFC 7672, needs a "
		    "signed zone)");
	}
	emit(d, "TLSA", &l);
}

/* ---- MTA-STS and TLS-RPT ---- */

/* An optional record at a name below the domain, as RFC 8461 section 3.1
 * and RFC 8460 section 3 select theirs. */
struct optional {
	const char	*check;		/* "MTA-STS" */
	const char	*label;		/* "_mta-sts" */
	const char	*version;	/* "STSv1": the first tag v=STSv1 */
	const char	*absent;	/* what no record means */
	const char	*users;		/* who ignores several: "senders" */
	const char	*rfc;		/* "RFC 8461" */
	const char	*section;	/* "section 3.1" */
};

/*
 * Finds the record o describes in t (TXT records whose first tag is
 * v=version, then ";", a blank or the end).  None (result none, or warn
 * when DNS failed) or several (warn) settle l and give NULL; else the
 * record.
 */
static const char *
optional_record(struct doc *d, const struct optional *o, struct line *l,
    struct take *t)
{
	char		 name[DNS_MAX_NAME + 16];
	enum dns_status	 st;
	const char	*x, *txt = NULL;
	size_t		 i, n = 0, len = strlen(o->version);

	snprintf(name, sizeof(name), "%s.%s", o->label, d->domain);
	st = ask(d, name, DNS_T_TXT, t);
	for (i = 0; i < t->nnames; i++) {
		x = t->names[i];
		if (strncmp(x, "v=", 2) == 0 && strncmp(x + 2, o->version,
		    len) == 0 && (x[2 + len] == ';' || x[2 + len] == ' ' ||
		    x[2 + len] == '\0') && n++ == 0)
			txt = x;
	}
	if (n == 0) {
		l->res = is_dns_error(st) ? DOC_WARN : DOC_NONE;
		line_add(l, "no %s record at %s (%s): %s (optional, %s)",
		    o->check, name, why_none(st), o->absent, o->rfc);
	} else if (n > 1) {
		l->res = DOC_WARN;
		line_add(l, "%zu %s records at %s: %s use none (%s %s); "
		    "keep one", n, o->check, name, o->users, o->rfc,
		    o->section);
		txt = NULL;
	}
	return txt;
}

/* Fetches https://mta-sts.DOMAIN/.well-known/mta-sts.txt into buf (up
 * to cap bytes, *len): 0, or -1 with l settled. */
static int
sts_fetch(struct doc *d, struct line *l, const char *host, char *buf,
    size_t cap, size_t *len)
{
	struct dns_addr		 addrs[DOC_MAX_ADDRS];
	struct doctor_tls	 t;
	struct sockaddr_storage	 ss;
	struct timespec		 end;
	enum dns_status		 st;
	size_t			 i, n;
	socklen_t		 sl;
	int			 rc = -1;

	n = addresses(d, host, addrs, DOC_MAX_ADDRS, &st);
	if (n == 0) {
		line_add(l, "; %s has no address (%s): senders cannot fetch "
		    "the policy, so it protects nothing; give it an address "
		    "and serve the policy over HTTPS", host, why_none(st));
		line_worst(l, DOC_FAIL);
		return -1;
	}
	if (tls_ctx(d, l) == NULL)
		return -1;
	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		if (doc_left_ms(d) == 0) {
			d->expired = true;
			break;
		}
		sl = sockaddr_at(&addrs[i], 443, &ss);
		conn_end(d, &end);
		doctor_tls_fini(&t);
		rc = doctor_https_get(d->tls, (struct sockaddr *)&ss, sl, host,
		    "/.well-known/mta-sts.txt", &end, &t, buf, cap, len);
		if (t.connected)
			break;
	}
	if (rc == -1) {
		line_add(l, "; https://%s/.well-known/mta-sts.txt: %s: "
		    "senders cannot fetch the policy, so it protects nothing; "
		    "serve it over HTTPS", host, t.why[0] != '\0' ? t.why :
		    "no answer");
		line_worst(l, DOC_FAIL);
		doctor_tls_fini(&t);
		return -1;
	}
	if (t.verify_err != 0 || !t.name_ok || t.days_left < 0) {
		line_add(l, "; https://%s/: TLS %s", host, t.version);
		(void)cert_judge(l, &t, host);
		line_add(l, ": senders ignore the policy (RFC 8461 section "
		    "3.3); install a certificate for %s from a public CA",
		    host);
		line_worst(l, DOC_FAIL);
		rc = -1;
	}
	doctor_tls_fini(&t);
	return rc;
}

/* Judges the policy against the MX hosts and what the TLS check found
 * of them. */
static void
sts_judge(struct doc *d, struct line *l, const struct mail_sts_policy *p)
{
	enum doc_result	 bad;
	size_t		 i, k;
	bool		 match;

	line_add(l, "; policy mode=%s max_age=%ld mx=",
	    mail_sts_mode_str(p->mode), p->max_age);
	for (i = 0; i < p->nmx; i++)
		line_add(l, "%s%.*s", i > 0 ? "," : "", DOC_QUOTE, p->mx[i]);
	if (p->mode == MAIL_STS_NONE) {
		line_add(l, " (mode none: senders drop the policy)");
		return;
	}
	/* What enforce breaks, testing only reports (RFC 8461 5). */
	bad = p->mode == MAIL_STS_ENFORCE ? DOC_FAIL : DOC_WARN;
	for (k = 0; k < d->nmxtls; k++) {
		for (i = 0, match = false; i < p->nmx && !match; i++)
			match = mail_sts_mx_match(p->mx[i], d->mxtls[k].name);
		if (!match) {
			line_add(l, "; MX %.*s matches no mx: of the policy: "
			    "senders that %s it do not deliver to it; add it "
			    "to the policy", DOC_QUOTE, d->mxtls[k].name,
			    bad == DOC_FAIL ? "honour" : "test");
			line_worst(l, bad);
		} else if (d->mxtls[k].probed && !d->mxtls[k].valid) {
			line_add(l, "; MX %.*s has no TLS with a certificate "
			    "that verifies (see TLS): senders that %s the "
			    "policy do not deliver to it", DOC_QUOTE,
			    d->mxtls[k].name, bad == DOC_FAIL ? "honour" :
			    "test");
			line_worst(l, bad);
		}
	}
	if (p->max_age < 86400) {
		line_add(l, "; max_age under a day: senders forget the policy "
		    "between messages; RFC 8461 suggests weeks");
		line_worst(l, DOC_WARN);
	}
}

/*
 * MTA-STS (RFC 8461): without a record there is no policy, which is all
 * there is to check ("none"); with one, the policy is fetched over HTTPS
 * from mta-sts.DOMAIN (a certificate that verifies for that name,
 * status 200 without redirect, text/plain), parsed, and its mx: patterns
 * matched against the MX hosts; in mode enforce, an MX that matches
 * none, or whose TLS the TLS check found wanting, fails.
 */
static void
check_mtasts(struct doc *d)
{
	static const struct optional o = { "MTA-STS", "_mta-sts", "STSv1",
	    "senders may deliver without TLS", "senders",
	    "RFC 8461", "section 3.1" };
	struct mail_sts_policy pol;
	struct mail_http	 h;
	struct line		 l;
	struct take		 t;
	char			 host[DNS_MAX_NAME + 16], why[128];
	const char		*txt, *hwhy;
	char			*buf;
	size_t			 cap = MAIL_STS_MAX_BODY + 16384, len;

	line_init(&l);
	if ((txt = optional_record(d, &o, &l, &t)) == NULL)
		goto out;
	line_add(&l, "%.*s", DOC_QUOTE, txt);
	snprintf(host, sizeof(host), "mta-sts.%s", d->domain);
	if ((buf = malloc(cap)) == NULL) {
		line_add(&l, "; out of memory");
		line_worst(&l, DOC_FAIL);
		goto out;
	}
	if (sts_fetch(d, &l, host, buf, cap, &len) == -1)
		goto out_buf;
	if (mail_http_parse(buf, len, &h, &hwhy) == -1) {
		line_add(&l, "; https://%s/.well-known/mta-sts.txt: %s: "
		    "senders ignore the policy; serve the file as it is",
		    host, hwhy);
		line_worst(&l, DOC_FAIL);
	} else if (h.status != 200) {
		line_add(&l, "; https://%s/.well-known/mta-sts.txt: HTTP "
		    "status %d%s: senders ignore the policy; serve the file "
		    "with status 200", host, h.status, h.has_location ?
		    " (a redirect, which senders must not follow, RFC 8461 "
		    "section 3.3)" : "");
		line_worst(&l, DOC_FAIL);
	} else if (h.chunked) {
		line_add(&l, "; https://%s/.well-known/mta-sts.txt: a chunked "
		    "answer to an HTTP/1.0 request: senders may not read it; "
		    "fix the web server", host);
		line_worst(&l, DOC_FAIL);
	} else if (mail_sts_parse(h.body, h.body_len, &pol, why,
	    sizeof(why)) == -1) {
		line_add(&l, "; the policy at https://%s/.well-known/"
		    "mta-sts.txt does not parse (%s): senders ignore it "
		    "(RFC 8461 section 3.2); fix it", host, why);
		line_worst(&l, DOC_FAIL);
	} else {
		sts_judge(d, &l, &pol);
		if (!mail_http_is_text_plain(&h)) {
			line_add(&l, "; served as %.*s, not text/plain (RFC "
			    "8461 section 3.2): some senders ignore it; fix "
			    "the Content-Type", h.content_type == NULL ? 6 :
			    (int)(h.content_type_len > 60 ? 60 :
			    h.content_type_len), h.content_type == NULL ?
			    "(none)" : h.content_type);
			line_worst(&l, DOC_WARN);
		}
	}
out_buf:
	free(buf);
out:
	take_free(&t);
	emit(d, o.check, &l);
}

/* TLS-RPT (RFC 8460): a record without a mailto: or https: rua= gets no
 * reports. */
static void
check_tlsrpt(struct doc *d)
{
	static const struct optional o = { "TLS-RPT", "_smtp._tls",
	    "TLSRPTv1", "no one reports failed TLS to you", "reporters",
	    "RFC 8460", "section 3" };
	struct line	 l;
	struct take	 t;
	const char	*txt, *rua;

	line_init(&l);
	if ((txt = optional_record(d, &o, &l, &t)) != NULL) {
		line_add(&l, "%.*s", DOC_QUOTE, txt);
		rua = strstr(txt, "rua=");
		if (rua == NULL || (strncasecmp(rua + 4, "mailto:", 7) != 0 &&
		    strncasecmp(rua + 4, "https:", 6) != 0)) {
			line_add(&l, "; no rua= with a mailto: or https: "
			    "destination: reporters have nowhere to send "
			    "reports; add one");
			l.res = DOC_WARN;
		}
	}
	take_free(&t);
	emit(d, o.check, &l);
}

/* ---- The command ---- */

static int
doctor_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "selector", required_argument, NULL, 's' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "primary", required_argument, NULL, 'P' },
		{ "tsig-key-file", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nameserver", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doc	*d;
	struct spf_ip	 ip = { 0 };	/* set with d->ip */
	struct err	 err;
	const char	*ns = NULL, *keyfile = NULL;
	char		*end;
	size_t		 len, i;
	long		 v;
	bool		 go_on;
	int		 c, rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		tool_usage_error("doctor", "out of memory");
	/* cppcheck-suppress nullPointerRedundantCheck ; exited above */
	d->timeout_s = DOC_TIMEOUT_S;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:s:", opts, NULL)) != -1)
		switch (c) {
		case 'i':
			if (spf_ip_parse(optarg, &ip, &err) == -1)
				tool_usage_error("doctor", "--ip \"%s\" is not "
				    "an IP address", optarg);
			d->ip = optarg;
			break;
		case 's':
			if (!key_derive_selector_ok(optarg))
				tool_usage_error("doctor", "--selector \"%s\" "
				    "is not a DKIM selector", optarg);
			if (d->nselectors == DOC_MAX_SELECTORS)
				tool_usage_error("doctor", "at most %d "
				    "--selector options", DOC_MAX_SELECTORS);
			d->selectors[d->nselectors++] = optarg;
			break;
		case 'p':
			d->pwfile = optarg;
			break;
		case 'P':
			if (dns_server_parse(optarg, &d->primary, &err) == -1)
				tool_usage_error("doctor", "--primary: %s",
				    err.msg);
			d->primary_spec = optarg;
			break;
		case 'K':
			keyfile = optarg;
			break;
		case 'j':
			d->json = true;
			break;
		case 'S':
			d->strict = true;
			break;
		case 't':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 1 || v > 3600)
				tool_usage_error("doctor", "--timeout wants "
				    "seconds from 1 to 3600, not \"%s\"",
				    optarg);
			d->timeout_s = (int)v;
			break;
		case 'n':
			ns = optarg;
			break;
		case 'h':
			puts(doctor_usage);
			free(d);
			return 0;
		default:
			fprintf(stderr, "%s\n", doctor_usage);
			free(d);
			return EXIT_USAGE;
		}
	if (optind + 1 != argc)
		tool_usage_error("doctor", "one DOMAIN expected\n%s",
		    doctor_usage);
	len = strlen(argv[optind]);
	if (len > 1 && argv[optind][len - 1] == '.')
		len--;
	if (!dmarc_name_is_valid(argv[optind], len) || len >= sizeof(d->domain))
		tool_usage_error("doctor", "\"%s\" is not a domain name",
		    argv[optind]);
	for (i = 0; i < len; i++)
		d->domain[i] = (char)tolower((unsigned char)argv[optind][i]);
	/* cppcheck-suppress arrayIndexOutOfBoundsCond ; exited above */
	d->domain[len] = '\0';
	if ((keyfile == NULL) != (d->primary_spec == NULL))
		tool_usage_error("doctor", "--primary and --tsig-key-file go "
		    "together");
	if (d->pwfile != NULL && d->nselectors == 0 && keyfile == NULL)
		tool_usage_error("doctor", "--password-file needs --selector "
		    "or --primary");
	if (keyfile != NULL && (d->tsig = dns_tsig_key_read(keyfile,
	    &err)) == NULL)
		tool_usage_error("doctor", "--tsig-key-file %s", err.msg);
	tool_dns_server("doctor", ns, &d->srv);
	/* A host that closes while we write must not end the run. */
	(void)signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &d->deadline);
	d->deadline.tv_sec += d->timeout_s;
	d->so.timeout_ms = d->timeout_s * 1000 < DOC_TRY_MS ?
	    d->timeout_s * 1000 : DOC_TRY_MS;
	d->so.retries = 1;
	if ((d->base = event_base_new()) == NULL) {
		tool_warn("doctor", "out of memory");
		free(d);
		return EXIT_USAGE;
	}

	check_ns(d, &go_on);
	if (go_on) {
		check_mx(d);
		if (d->ip != NULL) {
			d->hosts[d->nhosts].name[0] = '\0';
			d->hosts[d->nhosts].addr.family = ip.family;
			memcpy(d->hosts[d->nhosts].addr.addr, ip.addr, 16);
			d->nhosts++;
		}
		check_ptr(d);
		check_spf(d);
		check_dkim(d);
		check_dmarc(d);
		check_dnssec(d);
		check_tls(d);
		check_tlsa(d);
		check_mtasts(d);
		check_tlsrpt(d);
	} else if (d->ns_servfail)
		/* A validating resolver's SERVFAIL may be bogus data. */
		check_dnssec(d);
	if (d->expired)
		emit1(d, "TIMEOUT", DOC_FAIL, "the --timeout of %d s ran out: "
		    "the checks that waited on it are incomplete; find the "
		    "name server that does not answer", d->timeout_s);
	if (d->json)
		printf("%s\n]\n", d->nlines == 0 ? "[" : "");
	else
		printf("%d failure%s, %d warning%s\n", d->nfail,
		    d->nfail == 1 ? "" : "s", d->nwarn,
		    d->nwarn == 1 ? "" : "s");
	if (fflush(stdout) == EOF) {
		tool_warn("doctor", "standard output: %s", strerror(errno));
		rc = EXIT_USAGE;
	} else if (d->nfail > 0 || (d->strict && d->nwarn > 0))
		rc = EXIT_CHECK_FAILED;
	else
		rc = 0;
	dns_stub_free(d->stub);
	dns_stub_free(d->stub_ad[0]);
	dns_stub_free(d->stub_ad[1]);
	event_base_free(d->base);
	for (i = 0; i < d->nmxtls; i++)
		doctor_tls_fini(&d->mxtls[i].tls);
	doctor_tls_ctx_free(d->tls);
	dns_tsig_key_free(d->tsig);
	free(d);
	return rc;
}

int
cmd_doctor(int argc, char *argv[])
{
	return doctor_main(argc, argv);
}
