/*
 * resolver.h: the engine of timbre-resolverd: iterative resolution from
 * root hints (RFC 1034 section 5.3.3), an RRset cache with negative
 * caching (RFC 2308) and credibility ranking (RFC 2181 section 5.4.1),
 * DNSSEC validation (RFC 4033 to 4035, RFC 5155) with ldns, QNAME
 * minimisation (RFC 9156) and 0x20 case randomisation.
 *
 * The engine does no I/O (docs/style.md section 3).  A struct res_query
 * resolves one client question: res_query_next() says which server to ask
 * what (the wire form of the query, built with the ID the caller drew),
 * the caller sends it, and hands the answer's bytes (or NULL for a timeout
 * or an unreachable server) to res_query_answer(), until res_query_next()
 * says RES_DONE.  Then res_reply() builds the answer to the
 * client.  Client queries are parsed by res_req_parse() (reqreply.c).
 */
#ifndef TIMBRE_RESOLVER_RESOLVER_H
#define TIMBRE_RESOLVER_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>

#include "dns/dns.h"

struct err;

enum res_error {
	RES_E_HINTS = 300,	/* root hints do not parse or are empty */
	RES_E_ANCHOR,	/* trust anchors do not parse or are empty */
};

/* Limits on the work one client question may cause. */
#define RES_MAX_REFERRALS	24	/* zone cuts followed per name */
#define RES_MAX_CNAMES	10	/* CNAME/DNAME links in a chain */
#define RES_MAX_SENDS	96	/* upstream queries per client query */
#define RES_MAX_DEPTH	8	/* nested side look-ups (NS, keys) */
#define RES_MAX_QMIN	10	/* minimised steps per zone */

struct res_conf {
	size_t		 cache_bytes;	/* cache memory bound */
	uint32_t	 min_ttl;	/* TTLs below are raised to this */
	uint32_t	 max_ttl;	/* and above lowered to this */
	uint32_t	 neg_max_ttl;	/* cap on negative TTLs */
	bool		 dnssec;	/* validate */
	bool		 qname_minimisation;	/* RFC 9156 */
	/* 0x20 (draft-vixie-dnsext-dns0x20): the letters of each question
	 * in random case, echoed exactly or the answer is not taken; off
	 * when random is NULL.  random gives 32 random bits per call. */
	uint32_t	(*random)(void *);
	void		*random_arg;
	const char	*hints;		/* root hints, zone-file text; NULL:
					   the built-in IANA hints */
	const char	*anchors;	/* DS/DNSKEY text; NULL: built-in */
	uint64_t	 hash_seed;	/* random (key_random): keys the
					   cache's hash (dns_hash) */
};

/* Counters for SIGUSR1. */
struct res_stats {
	uint64_t	queries;	/* res_query_new calls */
	uint64_t	cache_hits;	/* answered without upstream queries */
	uint64_t	upstream;	/* queries sent */
	uint64_t	timeouts;	/* upstream timeouts/unreachable */
	uint64_t	mismatched;	/* answers to another question, or
					 * with its 0x20 case changed */
	uint64_t	secure, insecure, bogus;
	uint64_t	servfail;
	uint64_t	cache_entries;
	uint64_t	cache_bytes;
};

struct res_resolver;
struct res_query;

/* Extended DNS Error codes used (RFC 8914 section 4). */
enum res_ede {
	RES_EDE_NONE = -1,
	RES_EDE_OTHER = 0,
	RES_EDE_DNSSEC_BOGUS = 6,
	RES_EDE_SIG_EXPIRED = 7,
	RES_EDE_SIG_NOT_YET = 8,
	RES_EDE_DNSKEY_MISSING = 9,
	RES_EDE_RRSIGS_MISSING = 10,
	RES_EDE_NSEC_MISSING = 12,
	RES_EDE_NO_REACHABLE = 22,
	RES_EDE_NSEC3_ITER = 27,	/* RFC 9276 section 3.2 */
};

/* The validation status of an answer (RFC 4035 section 4.3). */
enum res_sec {
	RES_SEC_UNKNOWN = 0,	/* not validated (--no-dnssec) */
	RES_SEC_SECURE,
	RES_SEC_INSECURE,
	RES_SEC_BOGUS,
};

/* Parses the hints and anchors and makes an empty cache.  NULL with err
 * (RES_E_HINTS, RES_E_ANCHOR naming the line, ERR_NOMEM). */
struct res_resolver *res_resolver_new(const struct res_conf *,
		    struct err *);
void		 res_resolver_free(struct res_resolver *);
void		 res_resolver_stats(const struct res_resolver *,
		    struct res_stats *out);
/* Empties the cache (SIGHUP with new hints or anchors makes a new one). */
void		 res_resolver_flush(struct res_resolver *);

/* A question to ask a server, valid until the next call on its query. */
struct res_request {
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	bool			 tcp;		/* the UDP answer was truncated */
	const uint8_t		*wire;
	size_t			 len;
	uint16_t		 id;
	char			 qname[DNS_MAX_NAME + 2];	/* for logs */
	uint16_t		 qtype;
};

enum res_step {
	RES_SEND,		/* send *req_out, then res_query_answer */
	RES_DONE,		/* res_reply gives the answer */
};

/* qname in presentation form.  NULL with err (DNS_E_NAME, ERR_NOMEM). */
struct res_query *res_query_new(struct res_resolver *,
		    const char *qname, uint16_t qtype, time_t now,
		    struct err *);
void		 res_query_free(struct res_query *);
/* The next step; id is a fresh random query ID the caller drew. */
enum res_step res_query_next(struct res_query *, time_t now,
		    uint16_t id, struct res_request *req_out);
/* The answer to the last request: its bytes (checked here against the
 * request's ID and question) or NULL when none came; rtt_ms measured. */
void		 res_query_answer(struct res_query *, const uint8_t *,
		    size_t, unsigned rtt_ms, time_t now);
/* The outcome once done. */
int		 res_query_rcode(const struct res_query *);
enum res_sec	 res_query_security(const struct res_query *);
enum res_ede	 res_query_ede(const struct res_query *,
		    const char **text_out);

/* A client's query (reqreply.c). */
struct res_req {
	uint16_t	id;
	bool		rd, cd, ad, do_bit, edns;
	uint16_t	udp_size;	/* 512 without EDNS */
	char		qname[4 * 255 + 2];	/* presentation, escaped */
	uint8_t		qwire[255];	/* the name as sent (case kept) */
	size_t		qwire_len;
	uint16_t	qtype;
	uint16_t	qclass;
	int		rcode;		/* 0, or FORMERR/NOTIMP to answer */
};

/*
 * Parses a client query.  0 with *req_out filled (req_out->rcode non-zero
 * when the query must be answered with that error: FORMERR, NOTIMP,
 * BADVERS as 16); -1 when the bytes do not even carry a header (drop).
 */
int	res_req_parse(const uint8_t *, size_t, struct res_req *req_out);
/*
 * The answer to req: from q when not NULL (its records, rcode, AD when
 * secure and req->cd or not bogus; SERVFAIL with the EDE when bogus
 * unless CD), else just rcode.  Truncated (TC=1, empty sections) when
 * larger than max_len.  *wire_out is malloc'ed.  0 or -1 (ERR_NOMEM).
 */
int	res_reply(const struct res_req *, const struct res_query *,
	    int rcode, size_t max_len, uint8_t **wire_out, size_t *len_out,
	    struct err *);

/*
 * CHAOS-class TXT questions a resolver answers about itself (the
 * convention of BIND and Unbound): "stats.timbre." its counters,
 * "version.bind." and "version.server." its version.  Any other CHAOS
 * question is REFUSED by res_req_parse().
 */
enum res_chaos {
	RES_CHAOS_NONE = 0,	/* not one of them */
	RES_CHAOS_STATS,
	RES_CHAOS_VERSION,
};

enum res_chaos	res_req_chaos(const struct res_req *);
/*
 * The answer to a CHAOS question of req: one TXT record of one string per
 * element of txt (n of them, each at most 255 bytes, longer ones cut), AA
 * set, in the order given.  Truncated (TC=1) beyond max_len.  *wire_out
 * is malloc'ed.  0 or -1 (ERR_NOMEM).
 */
int	res_chaos_reply(const struct res_req *, const char *const *txt,
	    size_t n, size_t max_len, uint8_t **wire_out, size_t *len_out,
	    struct err *);

/*
 * The answers cache (msgcache.c): whole answers in wire form, so that a
 * question asked again costs a look-up, a copy and TTLs counted down.
 * Keyed by the question (without case) and the flags that change the
 * answer (EDNS, DO, CD, AD); answers are kept no longer than their
 * smallest TTL, and only NOERROR and NXDOMAIN without TC.
 */
struct res_msgcache;

/* seed: random bits (key_random) that key the table's hash (dns_hash). */
struct res_msgcache *res_msgcache_new(size_t max_bytes, uint64_t seed);
void	res_msgcache_free(struct res_msgcache *);
/* Keeps a copy of wire, the answer res_reply built for req. */
void	res_msgcache_put(struct res_msgcache *, const struct res_req *,
	    const uint8_t *wire, size_t len, time_t now);
/*
 * The answer to req into buf (at most size bytes, the client's limit):
 * 0 and *len_out (TC=1 with no records when the answer is larger than
 * size), or -1 when there is none (ask the engine).
 */
int	res_msgcache_get(struct res_msgcache *, const struct res_req *,
	    time_t now, uint8_t *buf, size_t size, size_t *len_out);
void	res_msgcache_usage(const struct res_msgcache *, uint64_t *entries,
	    uint64_t *hits);

#endif
