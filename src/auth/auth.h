/*
 * auth.h: the authoritative side of timbre's DNS, for timbre-primaryd:
 * zones loaded from master files and checked before they are served
 * (zone.c) and written back as edits of their text (zonetext.c), TSIG
 * keys from "_keys" files and RFC 8945 signing (tsig.c), answers to
 * queries (auth.c: RFC 1034 section 4.3.2, RFC 4592
 * wildcards, RFC 6891 EDNS, RFC 8482 minimal ANY; zones signed offline
 * answered as RFC 4035 section 3.1 says, dnssec.c), AXFR (RFC 5936),
 * IXFR (RFC 1995) from older versions the daemon reads out of git, and
 * RFC 2136 UPDATE (update.c).
 *
 * Everything here is sans-I/O: bytes and the time in, bytes and requests
 * out.  The daemon does the fetching, committing and sending.  ldns types
 * appear only where the daemon needs them.
 */
#ifndef TIMBRE_AUTH_AUTH_H
#define TIMBRE_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

struct buf;
struct err;

enum auth_error {
	AUTH_E_ZONE = 800,	/* a zone file does not load or check */
};

#define AUTH_UDP_MAX	1232	/* our EDNS payload size (RFC 9715) */
struct auth_zone;

/* zone.c */
/* Parses and checks the master file text for zone origin ("example.org").
 * On failure err says "FILE:LINE: problem" (FILE is file as given). */
struct auth_zone *auth_zone_load(const char *origin, const char *text,
		    size_t len, const char *file, struct err *);
struct auth_zone *auth_zone_ref(struct auth_zone *);
void		 auth_zone_free(struct auth_zone *);
const char	*auth_zone_name(const struct auth_zone *);	/* no dot */
uint32_t	 auth_zone_serial(const struct auth_zone *);
/* 1 if both hold the same records. */
int		 auth_zone_same(const struct auth_zone *,
		    const struct auth_zone *);
/* The differences from one version of a zone to another, SOA aside:
 * records of from that are not in to are appended to del, records of
 * to that are not in from to add, as canonical copies (RFC 4034 section
 * 6.2) the lists then own; a record whose TTL changed is in both. */
int		 auth_zone_diff(const struct auth_zone *from,
		    const struct auth_zone *to, ldns_rr_list *del,
		    ldns_rr_list *add, struct err *);
/* The zone as a master file (one record a line, absolute names). */
int		 auth_zone_text(const struct auth_zone *, struct buf *,
		    struct err *);
/* The addresses of the zone's NS hosts found in its own data, as text
 * ("192.0.2.1", "2001:db8::1"); fn is called once per address. */
void		 auth_zone_ns_addrs(const struct auth_zone *,
		    void (*fn)(const char *, void *), void *);
/* The text a zone was loaded from (NULL, 0 if made by UPDATE and
 * not given one), and giving it one (copied; -1 out of memory). */
const char	*auth_zone_source(const struct auth_zone *, size_t *len);
int		 auth_zone_set_source(struct auth_zone *, const char *,
		    size_t);

/*
 * Serials (RFC 1982).  auth_serial_lt: a < b in serial number arithmetic
 * (section 3.2): b is newer.  auth_serial_next: the serial to serve
 * after served, by policy (Knot DNS's three): INCREMENT served + 1, which
 * wraps from 4294967295 to 0 (section 3.1: 0 is newer); UNIXTIME now, or
 * served + 1 if now is not newer; DATESERIAL YYYYMMDDnn of now (UTC), or
 * served + 1 if that is not newer (the same day's next nn included).
 * Always newer than served.
 */
enum auth_serial_policy {
	AUTH_SERIAL_INCREMENT,
	AUTH_SERIAL_UNIXTIME,
	AUTH_SERIAL_DATESERIAL,
};
int		 auth_serial_lt(uint32_t a, uint32_t b);
uint32_t	 auth_serial_next(uint32_t served, enum auth_serial_policy,
		    time_t now);
/* 1 if a and b hold the same records but for their SOA serials (which
 * may be equal too). */
int		 auth_zone_same_but_serial(const struct auth_zone *a,
		    const struct auth_zone *b);
/* A new zone holding z's records with the SOA serial set to serial (no
 * source text: auth_zone_edit of z into it changes that one number);
 * NULL and err if memory is short. */
struct auth_zone *auth_zone_with_serial(const struct auth_zone *z,
		    uint32_t serial, struct err *);

/* dnssec.c: the RRSIG records of a zone signed offline whose signature
 * expiration (RFC 4034 section 3.1.5) has passed at now: their number,
 * and in *first_out (may be NULL) the earliest expiration among them,
 * in seconds since 1970 modulo 2^32.  They are served all the same. */
size_t		 auth_zone_sigs_expired(const struct auth_zone *, time_t now,
		    uint32_t *first_out);

/*
 * sign.c, signkey.c: online signing (timbre-primaryd --dnssec-sign).
 * auth_zone_sign: the zone served for the unsigned zone plain: plain's
 * records, a DNSKEY for each key, an NSEC chain (d NULL or NSEC) or
 * NSEC3PARAM and NSEC3 chain (d), an RRSIG by each key over each
 * authoritative RRset, expiring AUTH_SIGN_LIFETIME less some jitter
 * (below AUTH_SIGN_JITTER, fixed per owner and type) from now; those
 * of prev (the version signed
 * before, may be NULL) kept where the RRset did not change and the
 * signature is good for more than AUTH_SIGN_REFRESH (st, may be NULL,
 * counts the RRsets kept and signed).  Its SOA serial is plain's, or
 * the one policy gives after prev's if plain's is not newer.  NULL (err) for a zone holding
 * RRSIG, NSEC or NSEC3 records (signed offline), or on failure.
 * auth_zone_plain: the unsigned zone a signed one was made from (z
 * itself for any other).  auth_zone_sign_due: a signature of z expires
 * within AUTH_SIGN_REFRESH of now (sign again).
 */
#define AUTH_SIGN_LIFETIME	(14 * 86400)	/* Knot's rrsig-lifetime */
#define AUTH_SIGN_REFRESH	(7 * 86400)	/* and rrsig-refresh */
#define AUTH_SIGN_BACKDATE	3600		/* inception before now */
#define AUTH_SIGN_JITTER	(2 * 86400)	/* expirations spread over */
/*
 * The denial of existence a zone signed online gets: NSEC (nsec3 false),
 * or NSEC3 (RFC 5155) with SHA-1, these iterations and salt, opt-out
 * off; RFC 9276 asks for 0 iterations and no salt.
 * auth_sign_denial_parse reads "nsec", "nsec3" or
 * "nsec3:ITERATIONS[:SALT]" (SALT in hexadecimal, "-" for none).
 * auth_zone_sign_denial_is: was z (signed online) signed with d?
 */
#define AUTH_NSEC3_SHA1		1
#define AUTH_NSEC3_ITER_MAX	100
struct auth_sign_denial {
	bool		nsec3;
	uint16_t	iterations;
	uint8_t		saltlen;
	uint8_t		salt[255];
};
int		 auth_sign_denial_parse(const char *,
		    struct auth_sign_denial *, struct err *);
bool		 auth_zone_sign_denial_is(const struct auth_zone *,
		    const struct auth_sign_denial *);
struct auth_sign_stats {
	size_t	reused, made;	/* RRsets whose signatures were kept, made */
};
struct auth_zone *auth_zone_sign(const struct auth_zone *plain,
		    const struct auth_zone *prev, ldns_key_list *keys,
		    const struct auth_sign_denial *d, time_t now,
		    enum auth_serial_policy,
		    struct auth_sign_stats *st, struct err *);
/* The signed versions served before z, newest first (i from 0), at most
 * AUTH_SIGN_HISTORY, for IXFR; NULL past them. */
#define AUTH_SIGN_HISTORY	16
struct auth_zone *auth_zone_older(const struct auth_zone *z, size_t i);
const struct auth_zone *auth_zone_plain(const struct auth_zone *);
bool		 auth_zone_signed_online(const struct auth_zone *);
/* Was s (a signed zone, as auth_sign_saved reads it) signed from plain's
 * records, its serial not older?  (Then it may be served as it is.) */
bool		 auth_zone_signed_from(const struct auth_zone *s,
		    const struct auth_zone *plain);
bool		 auth_zone_sign_due(const struct auth_zone *, time_t now);
/*
 * The state directory dir: auth_sign_dir makes it (mode 0700).
 * auth_sign_keys_load: zone's key, dir/ZONE.key; with alg (an ldns
 * signing algorithm, auth_sign_alg gives it from "ecdsap256" or
 * "ed25519": -1 for another name, -2 for ed25519 when the ldns built
 * against has no Ed25519, as Debian 11's) a zone that has none and was never signed (no
 * dir/ZONE.signed) gets one made (*made_out set); alg 0 only reads.
 * auth_sign_save writes the signed zone z to dir/ZONE.signed;
 * auth_sign_saved reads it back, as signed from plain.
 */
int		 auth_sign_alg(const char *name, int *alg_out);
int		 auth_sign_dir(const char *dir, struct err *);
ldns_key_list	*auth_sign_keys_load(const char *dir, const char *zone,
		    int alg, bool *made_out, struct err *);
void		 auth_sign_keys_free(ldns_key_list *);
int		 auth_sign_save(const char *dir, const struct auth_zone *,
		    struct err *);
struct auth_zone *auth_sign_saved(const char *dir,
		    const struct auth_zone *plain, struct err *);

/* zonetext.c */
/* The master file of new as an edit of old's source text: lines of
 * records new no longer has are removed, records it gained are
 * appended (absolute names, explicit TTL), the SOA rewritten where it
 * stood; comments, blank lines, directives and the layout of every
 * other record are kept.  When the edit would not load back to
 * exactly new's records (or old has no source text), the whole zone
 * is written as auth_zone_text does and *rewritten is set to 1.
 * An SOA whose serial alone moved keeps its layout, the serial edited
 * in place.  A zone given its source by auth_zone_set_source has it read
 * again to find its records.  The text is appended to out; *rewritten
 * (rewritten may be NULL) is 0 for an edit; -1 (err) if out cannot hold
 * the text, memory is short, or not even the whole zone written out
 * loads back to new's records (nothing may then be committed). */
int		 auth_zone_edit(const struct auth_zone *old,
		    const struct auth_zone *new, struct buf *out,
		    int *rewritten, struct err *);

/* auth.c */
struct auth_db;
/* hash_seed: random bits, drawn anew for each db (key_random), that key
 * the hash of its reply cache (dns_hash in dns/dns.h). */
struct auth_db	*auth_db_new(uint64_t hash_seed);
void		 auth_db_free(struct auth_db *);
/* Adds a zone (the db takes a reference) / replaces the keys (taken). */
int		 auth_db_add_zone(struct auth_db *, struct auth_zone *,
		    struct err *);
void		 auth_db_set_keys(struct auth_db *, struct dns_tsig_keys *);
/* Takes the keys out of the db (which then has none). */
struct dns_tsig_keys *auth_db_take_keys(struct auth_db *);
struct auth_zone *auth_db_zone(const struct auth_db *, const char *name);
struct auth_zone *auth_db_zone_rdf(const struct auth_db *, const ldns_rdf *);
/* Allow AXFR to anyone (--axfr). */
void		 auth_db_set_axfr(struct auth_db *, int);
size_t		 auth_db_nzones(const struct auth_db *);
struct auth_zone *auth_db_zone_at(const struct auth_db *, size_t);
/* The served zone that holds name, or NULL. */
struct auth_zone *auth_db_find(const struct auth_db *, const ldns_rdf *);
/* Replaces the zone of the same name (reference taken). */
void		 auth_db_replace(struct auth_db *, struct auth_zone *);

/*
 * The answers to plain UDP queries, kept as wire bytes (replycache.c),
 * emptied whenever the db's zones, keys or settings change.  By default
 * AUTH_CACHE_ENTRIES answers of at most AUTH_CACHE_BYTES in all, the
 * table made on the first store; auth_db_set_cache changes the bounds
 * (0 entries: no cache) and empties it.  auth_cache_answer: 1 if the
 * answer to the UDP query in (which auth_handle would give) is now in
 * out, 0 if the cache does not have it, -1 if out is full (err).
 * auth_cache_store keeps the answer auth_handle put in out for the
 * request, if it is one the cache may give again.
 */
#define AUTH_CACHE_ENTRIES	32768
#define AUTH_CACHE_BYTES	(16 * 1024 * 1024)
struct auth_req;
void		 auth_db_set_cache(struct auth_db *, size_t entries,
		    size_t bytes);
int		 auth_cache_answer(const struct auth_db *, const uint8_t *,
		    size_t, struct buf *out, struct err *);
void		 auth_cache_store(struct auth_db *, const struct auth_req *,
		    const struct buf *);

enum auth_kind {
	AUTH_REPLY,		/* send out (maybe empty: drop) */
	AUTH_NOTIFY,		/* signed NOTIFY: fetch, then auth_finish */
	AUTH_UPDATE,		/* signed UPDATE: auth_update, then finish */
	AUTH_AXFR,		/* transfer: auth_axfr */
	AUTH_IXFR,		/* incremental transfer: auth_ixfr_* */
};

/* One request, from auth_handle to auth_finish. */
struct auth_req {
	enum auth_kind		 kind;
	ldns_pkt		*query;		/* NULL if unparsable */
	ldns_pkt		*reply;		/* the answer being built */
	const struct dns_tsig_key *key;		/* verified TSIG key */
	struct auth_zone	*zone;		/* the zone named (no ref) */
	uint8_t			 mac[64];	/* the request's MAC */
	size_t			 maclen;
	uint16_t		 tsig_error;
	int			 tcp;
	size_t			 limit;		/* answer size limit */
	const uint8_t		*raw;		/* the request (borrowed) */
	size_t			 rawlen;
	size_t			 tsig_off;	/* its TSIG record, or 0 */
	uint32_t		 ixfr_serial;	/* AUTH_IXFR: the client's */
};

/* Handles one message (which must stay in place until auth_finish).
 * For AUTH_REPLY, out holds the answer (empty:
 * send nothing); for the other kinds the daemon acts, sets the rcode in
 * req->reply and calls auth_finish.  On -1 (err) req holds nothing to
 * free and out may hold part of an answer, not to be sent. */
int		 auth_handle(const struct auth_db *, const uint8_t *, size_t,
		    int tcp, time_t now, struct auth_req *, struct buf *out,
		    struct err *);
/* Renders req->reply into out: truncation, TSIG. */
int		 auth_finish(struct auth_req *, time_t now, struct buf *out,
		    struct err *);
void		 auth_req_fini(struct auth_req *);
/* The messages of an AXFR of req->zone, each signed if the request was;
 * fn is called for each rendered message. */
int		 auth_axfr(struct auth_req *, time_t now,
		    int (*fn)(const uint8_t *, size_t, void *), void *,
		    struct err *);
/*
 * The same transfer one message at a time, for a daemon that makes the
 * next message only once the client has read the ones before (and so
 * holds one message per client, not the zone).  The cursor keeps its
 * own copies of what it needs (the query, the key, a reference to the
 * zone): req may be finished and the db freed while it lives.
 * auth_xfr_next: 1 with the next message in out (emptied first, at
 * most 65535 bytes, signed if the request was), 0 when the transfer is
 * over, -1 (err) on failure, after which it is over.
 */
struct auth_xfr;
struct auth_xfr	*auth_xfr_new(const struct auth_req *, struct err *);
int		 auth_xfr_next(struct auth_xfr *, time_t now,
		    struct buf *out, struct err *);
void		 auth_xfr_free(struct auth_xfr *);

/*
 * IXFR (RFC 1995).  auth_handle answers an IXFR whose serial is not
 * older than req->zone's (RFC 1982) itself, with the current SOA; the
 * rest come back as AUTH_IXFR, over UDP as over TCP.  The daemon then
 * feeds the zone's older versions, newest first (what the history holds,
 * so possibly versions newer than the one served, which are passed
 * over), until auth_ixfr_older says to stop, and sends.  req->zone, the
 * zone served, is always the current version.
 */
enum auth_ixfr_step {
	AUTH_IXFR_MORE,		/* feed the next older version */
	AUTH_IXFR_FOUND,	/* the client's version: incremental */
	AUTH_IXFR_FULL,		/* the history cannot serve: full zone */
};
struct auth_ixfr;
/* At most max_versions versions (older than the current) are kept. */
struct auth_ixfr *auth_ixfr_new(struct auth_req *, size_t max_versions);
void		 auth_ixfr_free(struct auth_ixfr *);
/* The next older version (reference taken), or NULL for one that did
 * not load or is missing. */
enum auth_ixfr_step auth_ixfr_older(struct auth_ixfr *, struct auth_zone *);
/* The same for a history in which timbre-primaryd's serial fix-ups
 * stand (a commit that changed the zone without a newer serial, then
 * the commit that gave it one): each version is handed to
 * auth_ixfr_older once the next older one shows it was served, those
 * never served are left out.  NULL for a version that did not load or
 * is missing, and once at the end of the history (or of the walk). */
enum auth_ixfr_step auth_ixfr_version(struct auth_ixfr *, struct auth_zone *);
/* Sends the answer through fn: the differences (RFC 1995 section 4) if
 * the client's version was found and they are smaller than the zone
 * (or than 10000 records), else the full zone, AXFR-style.  Over UDP
 * one message: if it does not fit, the current SOA alone (section 2:
 * retry over TCP).  Each message is signed if the request was.
 * *incremental_out says which (may be NULL). */
int		 auth_ixfr_send(struct auth_ixfr *, time_t now,
		    int (*fn)(const uint8_t *, size_t, void *), void *,
		    int *incremental_out, struct err *);
/* What auth_ixfr_send sends over TCP, as a cursor (auth_xfr_next);
 * x may be freed while it lives. */
struct auth_xfr	*auth_ixfr_xfr(struct auth_ixfr *, int *incremental_out,
		    struct err *);

/* update.c: applies the UPDATE in req->query to req->zone.  Returns the
 * rcode; on NOERROR with a change, *new_out is the new zone and summary
 * describes the change for logs and the commit.  Unless the UPDATE
 * brought a newer SOA, the serial is the one auth_serial_next gives
 * under policy at now, as for a push without a newer serial. */
int		 auth_update(const struct auth_req *,
		    enum auth_serial_policy policy, time_t now,
		    struct auth_zone **new_out, struct buf *summary,
		    struct err *);

/*
 * rrl.c: response rate limiting of UDP answers (what BIND, NSD and Knot
 * do): at most rate answers a second per flow (client /24 or /56, kind
 * of answer, name or zone); beyond, answers are dropped but every
 * slip-th, which goes out truncated (auth_rrl_truncate) so that a real
 * client retries over TCP.  rate 0: off; slip 0: drop them all.
 */
#define AUTH_RRL_BUCKETS	65536	/* flows tracked; 32 octets each */
struct auth_rrl_conf {
	unsigned	rate;
	unsigned	slip;
	size_t		buckets;	/* 0: AUTH_RRL_BUCKETS */
};
struct auth_rrl_stats {
	uint64_t	passed, dropped, slipped;
};
enum auth_rrl_action {
	AUTH_RRL_PASS,		/* send the answer */
	AUTH_RRL_DROP,		/* send nothing */
	AUTH_RRL_SLIP,		/* send it truncated */
};
struct auth_rrl;
struct sockaddr;
/* seed: a random value drawn at start (which flows share a bucket
 * cannot then be known from outside).  NULL with ERR_NOMEM. */
struct auth_rrl	*auth_rrl_new(const struct auth_rrl_conf *, uint64_t seed,
		    struct err *);
void		 auth_rrl_free(struct auth_rrl *);
/* What to do with answer, going to client at now.  *started_out (if not
 * NULL) is true when this answer starts limiting its flow: the one to
 * log. */
enum auth_rrl_action auth_rrl_check(struct auth_rrl *,
		    const struct sockaddr *client, const uint8_t *answer,
		    size_t len, time_t now, bool *started_out);
/* Truncates answer in place to its header, with TC set and no records,
 * and its question; *len becomes the new length.  -1 (err) if it has no
 * question to keep. */
int		 auth_rrl_truncate(uint8_t *answer, size_t *len, struct err *);
void		 auth_rrl_stats(const struct auth_rrl *,
		    struct auth_rrl_stats *out);

/* A NOTIFY for zone (SOA serial), signed with key if not NULL. */
int		 auth_notify_msg(const struct auth_zone *, uint16_t id,
		    const struct dns_tsig_key *, time_t now, struct buf *out,
		    struct err *);

#endif
