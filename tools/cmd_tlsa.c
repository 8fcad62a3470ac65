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
 * it; contrib/acme/ publishes it that way from certbot's hooks.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tools/tool.h"

static const char tlsa_usage[] =
    "usage: timbre tlsa [--name HOST [--port N] [--proto tcp|udp|sctp]"
    " [--ttl N]] FILE";

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

int
cmd_tlsa(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*name = NULL, *proto = "tcp";
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen, i;
	long		 port = 25, ttl = 300;
	size_t		 nl;
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
		case 'h':
			printf("%s\n", tlsa_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", tlsa_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
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
	if (name != NULL)
		printf("_%ld._%s.%s%s %ld IN TLSA ", port, proto, name,
		    name[strlen(name) - 1] == '.' ? "" : ".", ttl);
	printf("3 1 1 ");
	for (i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	printf("\n");
	return 0;
}
