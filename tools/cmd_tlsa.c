/*
 * cmd_tlsa.c: timbre tlsa: the DANE-EE TLSA record (RFC 6698, RFC 7671
 * and RFC 7672: usage 3, selector 1, matching type 1) of a certificate's
 * public key, the SHA-256 of its SubjectPublicKeyInfo.  Usage 3 with the
 * SPKI is what RFC 7672 section 3.1.1 recommends for SMTP: the record
 * survives a renewal that keeps the key, and names no CA.
 *
 * The file is a PEM certificate, public key or unencrypted private key,
 * so that the record of a key can be published before any certificate
 * for it exists (RFC 7671 section 8.1: the new record is served for a
 * TTL before the new certificate is used, the old one kept meanwhile).
 * With --name the output is a whole record, `_PORT._PROTO.NAME. TTL IN
 * TLSA 3 1 1 HEX`, as `nsupdate`'s "update add" and the zone file take
 * it.  With --server as well, the record is added by a TSIG-signed UPDATE
 * instead (tool_tsig_send, as timbre notify sends its NOTIFY), the
 * others at the name kept: the first step of the rollover.  --retire is
 * the last: one UPDATE deletes the name's TLSA RRset and adds this
 * record, atomically, so that no moment serves neither.
 * contrib/acme/deploy-hook runs both from certbot.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tools/tool.h"

static const char tlsa_usage[] =
    "usage: timbre tlsa [--name HOST [--port N] [--proto tcp|udp|sctp]"
    " [--ttl N] [--server ADDR[:PORT] --key-file F --zone ZONE"
    " [--retire] [--timeout SECONDS]]] FILE";

/* No passphrase: an encrypted key is refused, never asked for. */
static int
no_passphrase(char *buf, int size, int rw, void *arg)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)arg;
	return -1;
}

/* The public key in the PEM file at path (certificate, public key or
 * private key), or NULL. */
static EVP_PKEY *
read_pubkey(const char *path)
{
	BIO		*b;
	X509		*x;
	EVP_PKEY	*k = NULL;

	if ((b = BIO_new_file(path, "r")) == NULL)
		return NULL;
	if ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
		k = X509_get_pubkey(x);
		X509_free(x);
	} else if (BIO_reset(b) == 0 && (k = PEM_read_bio_PUBKEY(b, NULL,
	    no_passphrase, NULL)) == NULL && BIO_reset(b) == 0)
		k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return k;
}

/* Writes the SHA-256 of k's SubjectPublicKeyInfo to md; 0 or -1. */
static int
spki_sha256(EVP_PKEY *k, unsigned char md[EVP_MAX_MD_SIZE], unsigned *len)
{
	unsigned char	*der = NULL;
	int		 n, rc;

	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return -1;
	rc = EVP_Digest(der, (size_t)n, md, len, EVP_sha256(), NULL) == 1 ?
	    0 : -1;
	OPENSSL_free(der);
	return rc;
}

static long
number_arg(const char *opt, const char *s, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		tool_usage_error("tlsa", "--%s wants a number from 0 to %ld, "
		    "not \"%s\"", opt, max, s);
	return v;
}

/*
 * Sends the UPDATE of zone that adds rec (a whole TLSA record, owner
 * first), after deleting the TLSA RRset of its owner if retire.
 */
static int
publish(const char *server, const char *keyfile, const char *zone,
    const char *rec, bool retire, long long timeout)
{
	struct dns_tsig_key	*k;
	ldns_pkt		*p;
	ldns_rr			*add = NULL, *del = NULL;
	int			 status;

	if (ldns_pkt_query_new_frm_str(&p, zone, LDNS_RR_TYPE_SOA,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		tool_usage_error("tlsa", "--zone: bad zone name %s", zone);
	if (ldns_rr_new_frm_str(&add, rec, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    (retire && ((del = ldns_rr_new()) == NULL ||
	    (ldns_rr_set_owner(del, ldns_rdf_clone(ldns_rr_owner(add))),
	    ldns_rr_owner(del) == NULL)))) {
		ldns_rr_free(add);
		ldns_rr_free(del);
		ldns_pkt_free(p);
		tool_warn("tlsa", "cannot build the record");
		return EXIT_USAGE;
	}
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt_set_rd(p, 0);
	if (del != NULL) {
		/* RFC 2136 section 2.5.2: class ANY, TTL 0, no data. */
		ldns_rr_set_type(del, LDNS_RR_TYPE_TLSA);
		ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
		ldns_rr_set_ttl(del, 0);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, del);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, add);
	k = tool_tsig_key_read("tlsa", keyfile);
	status = tool_tsig_send("tlsa", server, k, p, timeout);
	dns_tsig_key_free(k);
	ldns_pkt_free(p);
	return status;
}

int
cmd_tlsa(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "ttl", required_argument, NULL, 't' },
		{ "server", required_argument, NULL, 's' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "zone", required_argument, NULL, 'z' },
		{ "retire", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*name = NULL, *proto = "tcp", *server = NULL;
	const char	*keyfile = NULL, *zone = NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 rec[600];
	unsigned	 mdlen, i;
	long		 port = 25, ttl = 300, timeout = 30;
	size_t		 nl = 0, at;
	bool		 retire = false;
	EVP_PKEY	*k;
	int		 c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			port = number_arg("port", optarg, 65535);
			break;
		case 'P':
			proto = optarg;
			if (strcmp(proto, "tcp") != 0 &&
			    strcmp(proto, "udp") != 0 &&
			    strcmp(proto, "sctp") != 0)
				tool_usage_error("tlsa", "--proto wants tcp, "
				    "udp or sctp, not \"%s\"", proto);
			break;
		case 't':
			ttl = number_arg("ttl", optarg, 2147483647L);
			break;
		case 's':
			server = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'r':
			retire = true;
			break;
		case 'T':
			timeout = number_arg("timeout", optarg, 3600);
			break;
		case 'h':
			printf("%s\n", tlsa_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", tlsa_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || ((server != NULL || keyfile != NULL ||
	    zone != NULL || retire) && (server == NULL || keyfile == NULL ||
	    zone == NULL || name == NULL)) || timeout < 1)
		tool_usage_error("tlsa", "%s", tlsa_usage + 7);
	if (name != NULL && ((nl = strlen(name)) == 0 || nl > 240 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != nl))
		tool_usage_error("tlsa", "--name wants a host name, not "
		    "\"%s\"", name);
	if ((k = read_pubkey(argv[optind])) == NULL) {
		tool_warn("tlsa", "%s: no PEM certificate, public key or "
		    "unencrypted private key", argv[optind]);
		return EXIT_USAGE;
	}
	if (spki_sha256(k, md, &mdlen) == -1) {
		EVP_PKEY_free(k);
		tool_warn("tlsa", "%s: cannot encode the public key",
		    argv[optind]);
		return EXIT_CHECK_FAILED;
	}
	EVP_PKEY_free(k);
	at = 0;
	if (name != NULL)
		at = (size_t)snprintf(rec, sizeof(rec), "_%ld._%s.%s%s %ld IN "
		    "TLSA ", port, proto, name, name[nl - 1] == '.' ? "" : ".",
		    ttl);
	at += (size_t)snprintf(rec + at, sizeof(rec) - at, "3 1 1 ");
	for (i = 0; i < mdlen && at + 3 < sizeof(rec); i++)
		at += (size_t)snprintf(rec + at, sizeof(rec) - at, "%02x",
		    md[i]);
	if (server != NULL)
		return publish(server, keyfile, zone, rec, retire, timeout);
	printf("%s\n", rec);
	return 0;
}
