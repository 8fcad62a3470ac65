/*
 * publish.h: timbre-signd's side of the zone's primary: an AXFR of the
 * zone (RFC 5936) to read the key records it publishes, and RFC 2136
 * UPDATEs that add and delete them, over TCP (RFC 7766), TSIG-signed
 * (RFC 8945, src/dns/tsig.c) with the key of --tsig-key-file, on the
 * daemon's event base.  One exchange at a time; each has a deadline.
 */
#ifndef TIMBRE_SIGND_PUBLISH_H
#define TIMBRE_SIGND_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct err;

#define SIGND_PRIMARY_TIMEOUT_MS	10000

/* A TXT record at <selector>._domainkey.<zone>, strings concatenated. */
struct signd_rec {
	char	*selector;	/* the first label, as published */
	char	*txt;
};

/* An UPDATE change: add a TXT record (ttl, txt) or delete the TXT
 * RRset at <selector>._domainkey.<zone>. */
struct signd_change {
	bool		 add;
	const char	*selector;
	const char	*txt;		/* add only */
	uint32_t	 ttl;		/* add only */
};

/*
 * The outcome of an exchange: ok, or why not in a few words that name
 * the DNS error ("REFUSED", "NOTAUTH (BADSIG)", "timeout", "connection
 * refused", "answer not signed with KEY").  recs and n are for AXFR.
 */
typedef void	signd_primary_cb(bool ok, const char *why,
		    const struct signd_rec *recs, size_t n, void *arg);

struct signd_primary;

/* The TSIG secret is copied and wiped when freed.  NULL with err for a
 * bad key name or algorithm, or no memory. */
struct signd_primary *signd_primary_new(struct event_base *,
		    const struct sockaddr *, socklen_t, const char *zone,
		    const char *tsig_name, const char *tsig_alg,
		    const uint8_t *secret, size_t secret_len, struct err *);
/* Cancels an exchange in progress (its callback is not called). */
void		 signd_primary_free(struct signd_primary *);
bool		 signd_primary_busy(const struct signd_primary *);

/*
 * Starts an AXFR of the zone / an UPDATE of it.  An UPDATE that adds
 * a record first requires that the name is not in use (RFC 2136 section
 * 2.4.5), so two signers never publish twice under one name.  cb is
 * called once, from the loop.  -1 with err when it cannot start (busy,
 * no socket, no memory).
 */
int		 signd_primary_axfr(struct signd_primary *, signd_primary_cb *,
		    void *, struct err *);
int		 signd_primary_update(struct signd_primary *,
		    const struct signd_change *, size_t, signd_primary_cb *,
		    void *, struct err *);

/* The name of the record of selector in zone, to out (DNS_MAX_NAME+2). */
int		 signd_record_name(const char *selector, const char *zone,
		    char *out, size_t size);

#endif
