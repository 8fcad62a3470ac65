/*
 * dns.h: DNS for timbre's tools, daemons and DNS libraries, the one
 * header of src/dns: an asynchronous stub client over ldns and libevent
 * and the answer type the rest of timbre sees (below, first); the reader
 * of messages in wire form (wire.c); TSIG (tsig.c); where records stand
 * in master-file text (master.c); AXFR and UPDATE with a zone's primary
 * (xfr.c).  src/resolver and src/auth build on it.
 *
 * The client sends a question to one server (UDP, falling back to TCP when
 * the answer is truncated, or TCP only), with a timeout and retries, checks
 * that the answer matches the question (ID, name, type, class, source
 * address) and hands it to a callback as a struct dns_msg.  Malformed or
 * truncated answers are reported as such, never trusted.  RFC 1035, RFC
 * 7766 (TCP), RFC 6891 (EDNS0), RFC 5452 (spoofing).
 *
 * Over UDP each query has its own connected socket (a random source port)
 * and a random ID; datagrams that do not answer it are dropped and the
 * client keeps waiting.  A truncated answer sends the question again over
 * TCP; a FORMERR to a query with EDNS sends it again without.  Each of
 * these exchanges gets 1 + retries attempts of timeout_ms; an attempt that
 * fails at once (ICMP unreachable, connection refused or closed) moves on
 * to the next without waiting.  The code is in msg.c (no I/O), server.c
 * and stub.c.
 */
#ifndef TIMBRE_DNS_DNS_H
#define TIMBRE_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct buf;
struct err;
struct event_base;
/* ldns's types, for the DNS libraries that use ldns themselves
 * (src/resolver, src/auth): ldns_rdf, ldns_rr, ldns_pkt.  The rest of
 * timbre never needs them. */
struct ldns_struct_rdf;
struct ldns_struct_rr;
struct ldns_struct_pkt;

enum dns_error {
	DNS_E_SPEC = 200,	/* a server specification does not parse */
	DNS_E_RESOLV,		/* resolv.conf has no usable nameserver */
	DNS_E_NAME,		/* a name is not a valid domain name */
	DNS_E_MALFORMED,	/* the bytes are not a usable DNS message */
	DNS_E_MISMATCH,		/* a message, but not the answer asked for */
	DNS_E_TRUNCATED,	/* the answer is truncated (TC=1) */
	DNS_E_KEY,		/* a TSIG key or _keys file does not load */
};

/* Record types timbre asks for (numeric values are the IANA ones). */
enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6,
	DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
	DNS_T_TLSA = 52,
};

/* What became of a question. */
enum dns_status {
	DNS_OK,			/* NOERROR with at least one answer record */
	DNS_NODATA,		/* NOERROR, the name exists, no such type */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_SERVFAIL,		/* SERVFAIL, REFUSED or another error rcode */
	DNS_TIMEOUT,		/* no answer after every retry (timed out or refused) */
	DNS_MALFORMED,		/* an answer came but could not be used */
};

const char	*dns_status_str(enum dns_status);

/* Where to send questions. */
struct dns_server {
	int			 tcp;	/* 1: TCP only; 0: UDP, TCP on TC */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
};

/* Parses "udp:ADDR[:PORT]" or "tcp:ADDR[:PORT]" (IPv6 as "[ADDR]:PORT";
 * a bare address means udp; port 53 by default).
 *
 * Addresses are numeric (an IPv6 scope, "fe80::1%eth0", is allowed); a
 * bare IPv6 address ("::1", "udp:2001:db8::1") takes no port.  -1 with
 * DNS_E_SPEC in err when spec does not parse.
 */
int	dns_server_parse(const char *, struct dns_server *, struct err *);
/* The first nameserver of a resolv.conf file (UDP).
 *
 * path NULL means /etc/resolv.conf.  Lines that do not hold a usable
 * address are skipped (a scope naming an interface that does not exist
 * here is dropped); port 53.  -1 with DNS_E_RESOLV when the file cannot
 * be read or names no usable server.
 */
int	dns_server_from_resolv_conf(const char *path, struct dns_server *,
	    struct err *);

/* An answer, owned by the client until the callback returns. */
struct dns_msg;

/* The RCODE, with the EDNS0 extended bits (RFC 6891 section 6.1.3). */
int	dns_msg_rcode(const struct dns_msg *);
/*
 * The TXT records for name in the answer section, following a CNAME chain
 * inside the answer; each record's character-strings are concatenated
 * (RFC 6376 section 3.6.2.2 and RFC 7208 section 3.3).  *txts_out is a
 * malloc'ed array of malloc'ed strings (free with dns_txts_free); embedded
 * NUL bytes make the record unusable and it is skipped.
 *
 * name NULL means the question's name.  No record gives 0 with *n_out 0
 * and *txts_out NULL.  -1 with err for a bad name (DNS_E_NAME), a CNAME
 * chain longer than 16 or looping (DNS_E_MALFORMED), or no memory.
 */
int	dns_msg_txts(const struct dns_msg *, const char *name, char ***txts_out,
	    size_t *n_out, struct err *);
void	dns_txts_free(char **, size_t);

/*
 * Zero fields (or opts NULL) mean the defaults; retries < 0 means none.
 * Values are clamped to at most 3600000 ms and 16 retries, and to an
 * edns_size of 512 to 65535.
 */
struct dns_stub_opts {
	int	timeout_ms;	/* per attempt; 0: 2000 */
	int	retries;	/* attempts after the first; <0: 0, default 2 */
	size_t	edns_size;	/* advertised UDP payload; 0: 1232 */
	/*
	 * Ask with AD=1 and DO=1 (RFC 6840 section 5.7, RFC 3225), so that
	 * a validating resolver says by the AD bit of its answer whether
	 * the answer was proven secure (dns_msg_ad).  Only a resolver the
	 * host trusts, over a path it trusts, makes that bit worth
	 * believing (RFC 4035 section 4.9.3).
	 */
	bool	dnssec;
	/* CD=1 (RFC 4035 section 3.2.2): the resolver answers what it
	 * would reject as bogus, so that bogus tells from broken. */
	bool	cd;
};

/* Queries one stub holds at once; more fail with ERR_LIMIT. */
#define DNS_STUB_MAX_PENDING	4096

struct dns_stub;

typedef void	dns_stub_cb(enum dns_status, const struct dns_msg *, void *arg);

/*
 * The server and options are copied; base is borrowed and must outlive
 * the stub.  NULL with ERR_ARG for a server without an IPv4 or IPv6
 * address, or ERR_NOMEM.
 */
struct dns_stub	*dns_stub_new(struct event_base *, const struct dns_server *,
		    const struct dns_stub_opts *, struct err *);
/* Cancels every outstanding query (their callbacks are not called).
 *
 * May be called from a callback: the query being answered is already
 * off the stub and finishes normally.  NULL does nothing.
 */
void		 dns_stub_free(struct dns_stub *);
/*
 * Asks for (name, type, class IN).  cb is called exactly once, from the
 * event loop, never from inside this call; msg is NULL unless the status
 * is DNS_OK, DNS_NODATA or DNS_NXDOMAIN.  -1 with err if the question
 * cannot even be sent (bad name, out of memory, no socket).
 *
 * name is copied.  A callback may free the stub or ask new questions.
 * DNS_MALFORMED comes from a bad answer over TCP (over UDP it is ignored);
 * DNS_SERVFAIL also stands for a local failure after the question was sent
 * (no socket or memory for the next attempt) and for FORMERR without EDNS.
 * -1 also with ERR_LIMIT past DNS_STUB_MAX_PENDING, ERR_ARG without cb.
 */
int		 dns_stub_query(struct dns_stub *, const char *name, uint16_t type,
		    dns_stub_cb *cb, void *arg, struct err *);
/* Number of queries still waiting for an answer. */
size_t		 dns_stub_pending(const struct dns_stub *);

/*
 * Checks a wire-format answer against the question and classifies it, for
 * the client and for fuzzing: 0 and *status_out and *msg_out (caller frees
 * with dns_msg_free) or -1 with err when the bytes are not a usable answer.
 *
 * The answer must carry id, QR=1, opcode QUERY and the question (name
 * compared without case, type, class IN).  Status: DNS_OK when the answer
 * section holds a record of the type for name after CNAMEs within it,
 * DNS_NODATA for NOERROR without one, DNS_NXDOMAIN, DNS_SERVFAIL for any
 * other rcode (FORMERR too, whose question may be missing) and for a
 * CNAME loop.  Errors: DNS_E_NAME (name), DNS_E_MISMATCH (not this
 * question's answer), DNS_E_TRUNCATED (TC=1), DNS_E_MALFORMED (bad bytes),
 * ERR_NOMEM.  msg_out may be NULL when only the status is wanted.
 */
int	dns_answer_parse(const uint8_t *, size_t, uint16_t id, const char *name,
	    uint16_t type, enum dns_status *status_out, struct dns_msg **msg_out,
	    struct err *);
void	dns_msg_free(struct dns_msg *);

/*
 * More of an answer (rr.c): addresses, names, raw TXT data, questions.
 *
 * Like dns_msg_txts, these read the answer section for name (NULL: the
 * question's name) after following a CNAME chain inside it, and give 0
 * with *n_out 0 and *out NULL when there is no such record.
 */

/* Longest domain name in presentation form, without the final dot. */
#define DNS_MAX_NAME		253

/* A question for a sans-I/O engine to have asked (SPF, DMARC, DKIM). */
struct dns_question {
	char		name[DNS_MAX_NAME + 2];	/* presentation form */
	uint16_t	type;			/* enum dns_type */
};

/* One address of an A (family AF_INET, 4 bytes) or AAAA (AF_INET6). */
struct dns_addr {
	int		family;
	uint8_t		addr[16];
};

/*
 * The addresses of the A or AAAA records (type) for name: *addrs_out is a
 * malloc'ed array the caller frees.  -1 with err for a bad name
 * (DNS_E_NAME), a type other than A or AAAA (ERR_ARG), a CNAME chain too
 * long (DNS_E_MALFORMED) or no memory.
 */
int	dns_msg_addrs(const struct dns_msg *, const char *name, uint16_t type,
	    struct dns_addr **addrs_out, size_t *n_out, struct err *);
/*
 * The target names of the MX (exchanges; preferences ignored), PTR, NS
 * or CNAME records (type) for name, in presentation form without the
 * final dot ("." for the root), in answer order, as dns_msg_txts gives
 * them (free with dns_txts_free).  Errors as dns_msg_addrs.
 */
int	dns_msg_names(const struct dns_msg *, const char *name, uint16_t type,
	    char ***names_out, size_t *n_out, struct err *);
/*
 * The MX records for name (mx.c), sorted by preference, equal ones in
 * answer order: *mxs_out is a malloc'ed array the caller frees.  An
 * exchange is in presentation form without the final dot, "." for the
 * root; dns_mxs_are_null says the answer is a null MX (RFC 7505: one
 * record, exchange "."), which means the domain takes no mail.  Errors
 * as dns_msg_addrs.
 */
struct dns_mx {
	uint16_t	preference;
	size_t		order;			/* in the answer */
	char		exchange[DNS_MAX_NAME + 2];
};
int	dns_msg_mxs(const struct dns_msg *, const char *name,
	    struct dns_mx **mxs_out, size_t *n_out, struct err *);
bool	dns_mxs_are_null(const struct dns_mx *, size_t);
/*
 * The SERIAL of the SOA record for name (timbre doctor compares it
 * across a zone's name servers): 1 with *serial_out, 0 when the answer
 * holds no SOA record for name.  Errors (-1) as dns_msg_addrs.
 */
int	dns_msg_soa_serial(const struct dns_msg *, const char *name,
	    uint32_t *serial_out, struct err *);
/*
 * The TXT records for name as dns_msg_txts reads them, but keeping the
 * records that hold NUL bytes (SPF must see them to reject them): each
 * is data[0..len), NUL-terminated as well.  Free with dns_txts_bin_free.
 */
struct dns_txt {
	char		*data;
	size_t		 len;
};
int	dns_msg_txts_bin(const struct dns_msg *, const char *name,
	    struct dns_txt **txts_out, size_t *n_out, struct err *);
void	dns_txts_bin_free(struct dns_txt *, size_t);
/*
 * Builds an answer to (qname, type) with rcode and the records rrs[0..n)
 * in zone-file syntax ("example.com. 300 IN TXT \"v=spf1 -all\""), for
 * tests and tools that answer from a table instead of the network.
 * *msg_out is freed with dns_msg_free.  -1 with err (DNS_E_NAME,
 * ERR_SYNTAX for a record that does not parse, ERR_NOMEM).
 */
int	dns_msg_build(const char *qname, uint16_t type, int rcode,
	    const char *const *rrs, size_t n, struct dns_msg **msg_out,
	    struct err *);
/*
 * The TLSA records for name (RFC 6698 section 2.1): each with its
 * certificate usage, selector, matching type and association data
 * (data[0..len), malloc'ed), in answer order.  Free with
 * dns_tlsas_free.  A record whose data is empty is skipped.  Errors as
 * dns_msg_addrs.
 */
struct dns_tlsa {
	uint8_t		 usage, selector, mtype;
	uint8_t		*data;
	size_t		 len;
};
int	dns_msg_tlsas(const struct dns_msg *, const char *name,
	    struct dns_tlsa **tlsas_out, size_t *n_out, struct err *);
void	dns_tlsas_free(struct dns_tlsa *, size_t);
/* The answer's AD bit: with a stub asking with dnssec, whether the
 * resolver validated every record in it.  dns_msg_ra: its RA bit (a
 * resolver answered, not only an authoritative server). */
bool	dns_msg_ad(const struct dns_msg *);
bool	dns_msg_ra(const struct dns_msg *);
/* How many records of type the answer section holds for name (NULL: the
 * question's), after the CNAMEs: 0 and *n_out, or -1 as dns_msg_addrs. */
int	dns_msg_count(const struct dns_msg *, const char *name,
	    uint16_t type, size_t *n_out, struct err *);
/* The status the stub would give msg for its question (as in
 * dns_answer_parse): DNS_OK, DNS_NODATA, DNS_NXDOMAIN or DNS_SERVFAIL. */
enum dns_status dns_msg_status(const struct dns_msg *);

/*
 * Names and replies over ldns (msg.c), for the resolver and the
 * authoritative server.  dns_name_in_zone: is name zone or below it
 * (RFC 1034 section 3.1; case-insensitive, as ldns compares)?
 * dns_reply_new: the start of a reply to a message of this ID and opcode:
 * QR set, RD and CD copied, and question (taken, may be NULL) as its
 * question section; NULL (question freed) if memory is short.
 */
bool	dns_name_in_zone(const struct ldns_struct_rdf *name,
	    const struct ldns_struct_rdf *zone);
struct ldns_struct_pkt *dns_reply_new(uint16_t id, int opcode, bool rd,
	    bool cd, struct ldns_struct_rr *question);

/*
 * The wire form (wire.c): the one reader of DNS messages in wire form (RFC
 * 1035 section 4.1) for the code that walks them by hand before, or instead
 * of, ldns: the reply cache of timbre-primaryd, the message walk that finds
 * TSIG and OPT records (RFC 8945, RFC 6891), the resolver's query parser
 * and its message cache.  Every read is checked against the message's
 * length; names obey RFC 1035 sections 2.3.4 and 4.1.4 (labels of at most
 * 63 octets, names of at most 255 including the root label, pointers only
 * where the caller allows them, and followed only backwards, so that a loop
 * or a forward pointer is an error); the label types 01 and 10 (RFC 6891
 * section 5) are errors.  Also the seeded hash of the tables keyed by names
 * (dns_hash).
 *
 * Offsets are size_t, passed by address: a function advances *off past
 * what it read and returns 0 (or a length), and on error returns -1 (or
 * 0) with *off unchanged.  Nothing here allocates.
 */
#define DNS_WIRE_HDR		12	/* the header's octets */
#define DNS_WIRE_NAME_MAX	255	/* a name's octets, root included */
#define DNS_WIRE_LABEL_MAX	63

/* Flags of the name functions. */
#define DNS_WIRE_PTR	0x01	/* compression pointers allowed */
#define DNS_WIRE_LOWER	0x02	/* copy A-Z as a-z (RFC 4343 section 3) */

/*
 * The big-endian 16 and 32-bit values at p, whose octets the caller has
 * already checked are in the message (after dns_wire_need, or inside a
 * record dns_wire_rr_skip returned).
 */
static inline uint16_t
dns_wire_peek16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
dns_wire_peek32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Are n octets at off inside a message of len octets?  (No overflow.) */
static inline int
dns_wire_need(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

/* Skips n octets: 0, or -1 if fewer than n are left. */
static inline int
dns_wire_skip(size_t len, size_t *off, size_t n)
{
	if (!dns_wire_need(len, *off, n))
		return -1;
	*off += n;
	return 0;
}

/* Reads an 8, 16 or 32-bit value at *off (network order): 0, or -1 if
 * the message ends first. */
static inline int
dns_wire_u8(const uint8_t *p, size_t len, size_t *off, uint8_t *v_out)
{
	if (!dns_wire_need(len, *off, 1))
		return -1;
	*v_out = p[(*off)++];
	return 0;
}

static inline int
dns_wire_u16(const uint8_t *p, size_t len, size_t *off, uint16_t *v_out)
{
	if (!dns_wire_need(len, *off, 2))
		return -1;
	*v_out = dns_wire_peek16(p + *off);
	*off += 2;
	return 0;
}

static inline int
dns_wire_u32(const uint8_t *p, size_t len, size_t *off, uint32_t *v_out)
{
	if (!dns_wire_need(len, *off, 4))
		return -1;
	*v_out = dns_wire_peek32(p + *off);
	*off += 4;
	return 0;
}

/*
 * Skips the name at *off.  With DNS_WIRE_PTR a pointer ends it (two
 * octets, its target not read: dns_wire_name_copy follows them); without,
 * a pointer is an error.  -1 if the name is cut, has a label of another
 * type, or (the part of it here) is longer than 255 octets.
 */
int	dns_wire_name_skip(const uint8_t *, size_t len, size_t *off,
	    int flags);

/*
 * Copies the name at *off to out, at most size octets (DNS_WIRE_NAME_MAX
 * is always enough), uncompressed; with DNS_WIRE_LOWER, A-Z as a-z.  With
 * DNS_WIRE_PTR, pointers are followed, each to an offset before the part
 * of the name read so far (so no loop, no forward pointer) and past the
 * header (p is a whole message, as ldns_wire2dname wants).  Returns the
 * name's length in out (at least 1, the root label), *off past the name
 * where it is in the message; 0 on error (cut, bad label type, pointer
 * not allowed or not backwards, longer than 255 octets or than size), out
 * then holding any octets.
 */
size_t	dns_wire_name_copy(const uint8_t *, size_t len, size_t *off,
	    uint8_t *out, size_t size, int flags);

/* Skips a question (name, type and class): 0, or -1 when it is cut or
 * its name bad (flags as dns_wire_name_skip). */
int	dns_wire_question_skip(const uint8_t *, size_t len, size_t *off,
	    int flags);

/* A resource record found by dns_wire_rr_skip: offsets into the message. */
struct dns_wire_rr {
	size_t		owner;		/* the owner name */
	size_t		fixed;		/* TYPE; CLASS, TTL, RDLENGTH follow */
	size_t		rdata;		/* RDATA, rdlen octets */
	uint16_t	type, class;
	uint32_t	ttl;
	uint16_t	rdlen;
};

/* Skips a resource record (RFC 1035 section 4.1.3; owner compressed or
 * not): 0 with *rr_out filled (if not NULL), or -1 when it is cut or its
 * owner bad. */
int	dns_wire_rr_skip(const uint8_t *, size_t len, size_t *off,
	    struct dns_wire_rr *rr_out);

/*
 * The hash of the tables keyed by names (replycache.c, msgcache.c,
 * cache.c): 32 bits of len octets at p, under seed.  Each table draws its
 * seed at random when it is made, so that which keys share a bucket
 * cannot be known from outside (the choice of function: wire.c).
 */
uint32_t dns_hash(uint64_t seed, const void *p, size_t len);

/*
 * TSIG (RFC 8945), tsig.c: keys and the signing and verification of
 * messages with the HMAC of keys/mac.h, for timbre-primaryd (NOTIFY,
 * UPDATE, transfers), timbre notify and timbre-signd (UPDATE).
 *
 * Keys come from "_keys" files as DNSKEY records (docs/interface.md): the
 * label "_update", "_transfer" or "_notify" nearest the right names what
 * the key may do (enum dns_tsig_op), the labels right of it the zone.
 */
#define DNS_TSIG_FUDGE	300	/* TSIG fudge, seconds */

/* What a key may do, per docs/interface.md: _update > _transfer > _notify. */
enum dns_tsig_op {
	DNS_TSIG_OP_NOTIFY = 1,
	DNS_TSIG_OP_TRANSFER = 2,
	DNS_TSIG_OP_UPDATE = 3,
};

struct dns_tsig_key;
struct dns_tsig_keys;

/* Adds the keys of a _keys file (name is the file's name: "_keys" or
 * "ZONE._keys"); err names file and line (DNS_E_KEY). */
struct dns_tsig_keys *dns_tsig_keys_new(void);
void		 dns_tsig_keys_free(struct dns_tsig_keys *);
int		 dns_tsig_keys_load(struct dns_tsig_keys *, const char *file,
		    const char *text, size_t len, struct err *);
size_t		 dns_tsig_keys_count(const struct dns_tsig_keys *);
/* May key do op on zone (a name in the zone)?  A key whose zone labels
 * begin with an underscore label (NAME._update._acme-challenge.ZONE.)
 * may update ZONE and zones below it, but only names with that label:
 * dns_tsig_key_allows_name says 0 for a name it may change, -1 (err
 * says why, DNS_E_KEY) for one it may not. */
int		 dns_tsig_key_allows(const struct dns_tsig_key *,
		    enum dns_tsig_op, const struct ldns_struct_rdf *zone);
int		 dns_tsig_key_allows_name(const struct dns_tsig_key *,
		    const struct ldns_struct_rdf *zone,
		    const struct ldns_struct_rdf *name, struct err *);
const char	*dns_tsig_key_name(const struct dns_tsig_key *); /* no dot */
/* Parses "NAME:ALG:BASE64" (ALG hmac-sha256, SHA256, ...), for tools. */
struct dns_tsig_key *dns_tsig_key_parse(const char *, struct err *);
void		 dns_tsig_key_free(struct dns_tsig_key *);
/* A copy that outlives the key set it came from (NULL: no memory). */
struct dns_tsig_key *dns_tsig_key_dup(const struct dns_tsig_key *);
/* Appends a TSIG record to the message in b (ARCOUNT + 1).  req_mac is
 * the request's MAC for a response (NULL for a request); prior is the
 * previous message's MAC for the second and later messages of a
 * transfer (timers only, RFC 8945 section 5.3.1).  The MAC is returned
 * in mac_out (64 bytes room) if not NULL. */
int		 dns_tsig_sign(const struct dns_tsig_key *, struct buf *,
		    const uint8_t *req_mac, size_t req_mac_len,
		    const uint8_t *prior, size_t prior_len, time_t now,
		    uint16_t error, uint8_t *mac_out, size_t *mac_len_out,
		    struct err *);
/* The TSIG errors of a message that does not verify (RFC 8945 section
 * 5.2), as they go in the TSIG record of the answer. */
enum dns_tsig_error {
	DNS_TSIG_NOERROR = 0,	/* it verifies */
	DNS_TSIG_BADSIG = 16,	/* the MAC is wrong */
	DNS_TSIG_BADKEY = 17,	/* no such key, or another algorithm */
	DNS_TSIG_BADTIME = 18,	/* signed outside the fudge (the MAC is
				   right) */
};
/* Verifies a signed message (request or response, req_mac as above)
 * with the key of keys it names, or with only if only is not NULL.
 * 0 when the message could be checked, with the outcome in
 * *tsig_error_out (DNS_TSIG_NOERROR if it verifies); on DNS_TSIG_NOERROR
 * and DNS_TSIG_BADTIME, *key_out is the key and mac_out holds the
 * message's MAC.  -1 (err) if it could not be checked: DNS_E_MALFORMED
 * for a message or TSIG record that does not parse (a server answers
 * FORMERR), another code (ERR_NOMEM, ERR_CRYPTO) if the MAC could not
 * be computed. */
int		 dns_tsig_verify(const struct dns_tsig_keys *,
		    const struct dns_tsig_key *only, const uint8_t *, size_t,
		    const uint8_t *req_mac, size_t req_mac_len, time_t now,
		    const struct dns_tsig_key **key_out, uint8_t *mac_out,
		    size_t *mac_len_out, uint16_t *tsig_error_out,
		    struct err *);
/* Appends to b (a response) an unsigned TSIG carrying error, copied
 * from the request's TSIG record at tsig_off. */
int		 dns_tsig_append_error(struct buf *, const uint8_t *, size_t,
		    size_t tsig_off, uint16_t error, struct err *);

/* Where things are in a message, found without trusting it (tsig.c):
 * what a server checks before it hands the message to ldns. */
struct dns_msg_layout {
	uint16_t	 id, flags, qd, an, ns, ar;
	size_t		 qend;		/* end of the question */
	int		 nopt;		/* OPT records in additional */
	int		 opt_bad;	/* OPT not owned by the root */
	size_t		 tsig_off;	/* the TSIG record, or 0 */
	int		 tsig_misplaced;	/* a TSIG that is not last */
};
/* 0, or -1 if the message is truncated or a name is bad. */
int		 dns_msg_walk(const uint8_t *, size_t,
		    struct dns_msg_layout *);

/*
 * Zone transfer and UPDATE with a zone's primary (xfr.c): an AXFR of the
 * zone (RFC 5936) that keeps the TXT records one label below a name (the
 * DKIM key records at <selector>._domainkey.<domain>), and RFC 2136
 * UPDATEs that add and delete TXT records, over TCP (RFC 7766), signed
 * with a TSIG key (RFC 8945), on the caller's event base.  One exchange
 * at a time; each has a deadline of DNS_XFR_TIMEOUT_MS.  For
 * timbre-signd's keyring and timbre doctor.
 */
#define DNS_XFR_TIMEOUT_MS	10000

/* A TXT record at <label>.<under>, its strings concatenated. */
struct dns_xfr_txt {
	char	*label;		/* the first label, as published */
	char	*txt;
};

/* An UPDATE change: add a TXT record (ttl, txt) at name, or delete the
 * TXT RRset at name (a name in the zone). */
struct dns_xfr_change {
	bool		 add;
	const char	*name;
	const char	*txt;		/* add only */
	uint32_t	 ttl;		/* add only */
};

/*
 * The outcome of an exchange: ok, or why not in a few words that name
 * the DNS error ("REFUSED", "NOTAUTH (BADSIG)", "timeout", "connection
 * refused", "answer not signed with KEY").  recs and n are for AXFR.
 */
typedef void	dns_xfr_cb(bool ok, const char *why,
		    const struct dns_xfr_txt *recs, size_t n, void *arg);

struct dns_xfr;

/* The primary at sa for zone; the key is copied, its copy wiped when
 * freed.  NULL with err (ERR_ARG without a key, ERR_NOMEM). */
struct dns_xfr	*dns_xfr_new(struct event_base *, const struct sockaddr *,
		    socklen_t, const char *zone, const struct dns_tsig_key *,
		    struct err *);
/* Cancels an exchange in progress (its callback is not called). */
void		 dns_xfr_free(struct dns_xfr *);
bool		 dns_xfr_busy(const struct dns_xfr *);
/*
 * Starts an AXFR of the zone, keeping the TXT records at <label>.<under>
 * (at most 4096; labels with "\" escapes are skipped) / an UPDATE of
 * it.  An UPDATE that adds a record first requires that the name is not
 * in use (RFC 2136 section 2.4.5), so two signers never publish twice
 * under one name.  cb is called once, from the loop.  -1 with err when
 * it cannot start (busy, no socket, no memory).
 */
int		 dns_xfr_axfr(struct dns_xfr *, const char *under,
		    dns_xfr_cb *, void *, struct err *);
int		 dns_xfr_update(struct dns_xfr *,
		    const struct dns_xfr_change *, size_t, dns_xfr_cb *,
		    void *, struct err *);
void		 dns_xfr_txts_free(struct dns_xfr_txt *, size_t);
/* Reads a TSIG key, "NAME:ALG:BASE64" on the file's first line (as
 * timbre tsig-keygen prints it), for tools.  NULL with err naming the
 * file. */
struct dns_tsig_key *dns_tsig_key_read(const char *path, struct err *);

/*
 * The answers' reader, without I/O (for the client and for fuzzing).
 * dns_xfr_read_msg reads one message: -1 with why (an error rcode, with
 * the TSIG error if any: "NOTAUTH (BADSIG)"; malformed; a transfer that
 * does not start with SOA; no memory), 0 when more messages are to come,
 * 1 when the exchange is complete (the closing SOA of a transfer; the
 * NOERROR of an UPDATE).  The TSIG is checked by the caller.
 */
struct dns_xfr_read {
	char			 under[DNS_MAX_NAME + 2];	/* no dot */
	bool			 update;
	int			 nsoa;
	struct dns_xfr_txt	*recs;
	size_t			 nrecs;
};
void	dns_xfr_read_init(struct dns_xfr_read *, const char *under);
int	dns_xfr_read_msg(struct dns_xfr_read *, const uint8_t *, size_t,
	    char *why, size_t whylen);
void	dns_xfr_read_fini(struct dns_xfr_read *);

/*
 * Master-file text (RFC 1035 section 5.1), master.c: where a record that
 * ldns read from text[from..to) starts (its first byte neither blank nor
 * in a comment; to if there is none), and the line it starts on.  ldns's
 * own line counter differs between 1.7 and 1.8 (empty lines), so lines
 * are counted here; *scan_off and *scan_line carry the count forward
 * from one record to the next.  For the zone loader and the _keys reader.
 */
size_t	dns_record_first(const char *text, size_t from, size_t to);
int	dns_record_line(const char *text, size_t from, size_t to,
	    size_t *scan_off, int *scan_line);

#endif
