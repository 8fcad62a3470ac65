/*
 * cmd_key.c: timbre key derive (docs/interface.md, "Stateless keys"),
 * and dnssec-show, dnssec-ds: the keys of timbre-primaryd's online
 * signing (below).
 *
 * derive prints the DKIM key record of a selector whose key is derived
 * from a password (derive.h): "v=DKIM1; k=rsa; p=...", or with --zone the
 * zone-file line "S._domainkey.D. IN TXT ..." in strings of at most 255
 * bytes (RFC 1035 section 3.3.14).  The password is read from a file or
 * standard input, never from argv, where every user of the machine could
 * read it; it is the file's bytes without one final newline.  For
 * --derivation nec the file holds what nec's --password was given: the
 * base64 of the password.
 *
 * --private-out FILE writes the private key as PKCS #8 PEM for tools that
 * want one (timbre dkim sign --key, opendkim): to a new file of mode 0600,
 * never to standard output, where it would end in terminals, logs and
 * pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "keys/derive.h"
#include "keys/key.h"
#include "keys/mac.h"
#include "tools/tool.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define KEY_TXT_STRING		255	/* bytes in one TXT string */

static const char derive_usage[] =
    "usage: timbre key derive --domain D --selector S --password-file FILE|-\n"
    "                         [--algorithm rsa-sha256|ed25519-sha256]\n"
    "                         [--key-bits N] [--derivation v1|nec]\n"
    "                         [--generation N] [--zone]\n"
    "                         [--private-out FILE]";

/* Prints record as the zone-file line of selector._domainkey.domain. */
static void
print_zone_line(const char *selector, const char *domain, const char *txt)
{
	size_t	len = strlen(domain), off, n;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	printf("%s._domainkey.%.*s. IN TXT", selector, (int)len, domain);
	/* The record holds no quote or backslash: base64 and "v=DKIM1;". */
	for (off = 0; txt[off] != '\0'; off += n) {
		n = strlen(txt + off);
		if (n > KEY_TXT_STRING)
			n = KEY_TXT_STRING;
		printf(" \"%.*s\"", (int)n, txt + off);
	}
	putchar('\n');
}

/* Writes k's private PEM to a new file path of mode 0600. */
static int
write_private(struct key *k, const char *path)
{
	struct buf	 pem;
	struct err	 err;
	size_t		 off;
	ssize_t		 w;
	int		 fd, rc = -1;

	buf_init(&pem, 65536);
	if (key_private_pem(k, &pem, &err) == -1) {
		tool_warn("key derive", "%s", err.msg);
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		tool_warn("key derive", "--private-out %s: %s%s", path,
		    strerror(errno), errno == EEXIST ? " (not overwritten)" :
		    "");
		goto out;
	}
	for (off = 0; off < pem.len; off += (size_t)w)
		if ((w = write(fd, pem.data + off, pem.len - off)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			break;
		}
	if (off < pem.len || fsync(fd) == -1) {
		tool_warn("key derive", "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) == -1) {
		tool_warn("key derive", "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	buf_fini_secret(&pem);
	return rc;
}

static int
key_derive_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "key-bits", required_argument, NULL, 'b' },
		{ "derivation", required_argument, NULL, 'D' },
		{ "generation", required_argument, NULL, 'g' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "zone", no_argument, NULL, 'z' },
		{ "private-out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct key_derive_params p;
	struct buf		 txt;
	uint8_t			*pw;
	size_t			 pwlen;
	struct key		*k = NULL;
	struct err		 err;
	const char		*alg = NULL, *pwfile = NULL, *privout = NULL;
	uint8_t			*decoded = NULL;
	size_t			 declen = 0;
	char			*end;
	long			 bits = 0;
	unsigned long		 gen = 0;
	bool			 zone = false;
	int			 c, rc = EXIT_USAGE;

	memset(&p, 0, sizeof(p));
	p.derivation = KEY_DERIVE_V1;
	while ((c = getopt_long(argc, argv, "a:d:hs:", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			p.domain = optarg;
			break;
		case 's':
			p.selector = optarg;
			break;
		case 'a':
			alg = optarg;
			break;
		case 'b':
			errno = 0;
			bits = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    bits < KEY_DERIVE_RSA_MIN_BITS ||
			    bits > KEY_DERIVE_RSA_MAX_BITS || bits % 16 != 0)
				tool_usage_error("key derive", "--key-bits "
				    "wants a multiple of 16 from %d to %d, not "
				    "\"%s\"", KEY_DERIVE_RSA_MIN_BITS,
				    KEY_DERIVE_RSA_MAX_BITS, optarg);
			break;
		case 'D':
			if (strcmp(optarg, "v1") == 0)
				p.derivation = KEY_DERIVE_V1;
			else if (strcmp(optarg, "nec") == 0)
				p.derivation = KEY_DERIVE_NEC;
			else
				tool_usage_error("key derive", "--derivation "
				    "must be v1 or nec, not \"%s\"", optarg);
			break;
		case 'g':
			errno = 0;
			gen = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[0] == '-' || gen == 0 || gen > INT_MAX)
				tool_usage_error("key derive", "--generation "
				    "wants a number from 1 to %d, not \"%s\"",
				    INT_MAX, optarg);
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'z':
			zone = true;
			break;
		case 'o':
			privout = optarg;
			break;
		case 'h':
			puts(derive_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", derive_usage);
			return EXIT_USAGE;
		}
	if (optind != argc)
		tool_usage_error("key derive", "no arguments expected\n%s",
		    derive_usage);
	if (p.domain == NULL || p.selector == NULL || pwfile == NULL)
		tool_usage_error("key derive", "--domain, --selector and "
		    "--password-file are required\n%s", derive_usage);
	if (!key_derive_domain_ok(p.domain))
		tool_usage_error("key derive", "--domain \"%s\" is not a "
		    "domain name", p.domain);
	if (!key_derive_selector_ok(p.selector))
		tool_usage_error("key derive", "--selector \"%s\" is not a "
		    "DKIM selector (letters, digits and inner hyphens, in "
		    "dot-separated labels)", p.selector);
	if (alg == NULL)
		p.type = p.derivation == KEY_DERIVE_NEC ? KEY_ED25519 :
		    KEY_RSA;
	else if (strcmp(alg, "rsa-sha256") == 0)
		p.type = KEY_RSA;
	else if (strcmp(alg, "ed25519-sha256") == 0)
		p.type = KEY_ED25519;
	else
		tool_usage_error("key derive", "--algorithm must be "
		    "rsa-sha256 or ed25519-sha256, not \"%s\"", alg);
	if (bits != 0 && p.type != KEY_RSA)
		tool_usage_error("key derive", "--key-bits is for rsa-sha256 "
		    "keys");
	if (p.derivation == KEY_DERIVE_NEC && p.type != KEY_ED25519)
		tool_usage_error("key derive", "--derivation nec reproduces "
		    "ed25519-sha256 keys only");
	if (gen != 0 && p.derivation != KEY_DERIVE_NEC)
		tool_usage_error("key derive", "--generation is for "
		    "--derivation nec");
	p.bits = (int)bits;
	p.generation = gen != 0 ? gen : 1;

	if ((pw = malloc(TOOL_PASSWORD_MAX)) == NULL)
		tool_usage_error("key derive", "out of memory");
	buf_init(&txt, 65536);
	pwlen = tool_read_password("key derive", pwfile, pw);
	if (p.derivation == KEY_DERIVE_NEC) {
		if (b64_decode((const char *)pw, pwlen, &decoded, &declen,
		    &err) == -1) {
			tool_warn("key derive", "%s: not base64, as nec's "
			    "--password wants: %s", tool_input_name(pwfile),
			    err.msg);
			goto out;
		}
		p.password = decoded;
		p.password_len = declen;
	} else {
		p.password = pw;
		p.password_len = pwlen;
	}
	if ((k = key_derive(&p, &err)) == NULL) {
		tool_warn("key derive", "%s", err.msg);
		goto out;
	}
	if (key_dkim_txt(k, &txt, &err) == -1) {
		tool_warn("key derive", "%s", err.msg);
		goto out;
	}
	if (privout != NULL && write_private(k, privout) == -1)
		goto out;
	if (zone)
		print_zone_line(p.selector, p.domain, txt.data);
	else
		printf("%s\n", txt.data);
	if (fflush(stdout) == EOF)
		tool_warn("key derive", "standard output: %s",
		    strerror(errno));
	else
		rc = 0;
out:
	key_free(k);
	if (decoded != NULL) {
		key_wipe(decoded, declen);
		free(decoded);
	}
	key_wipe(pw, TOOL_PASSWORD_MAX);
	free(pw);
	buf_fini(&txt);
	return rc;
}

static const char dnssec_show_usage[] =
    "usage: timbre key dnssec-show [--dir DIR] ZONE...";
static const char dnssec_ds_usage[] =
    "usage: timbre key dnssec-ds [--dir DIR] ZONE...";

/*
 * The keys timbre-primaryd signs zones with (--dnssec-sign; its state
 * directory, --dnssec-dir): dnssec-show prints each zone's key (tag,
 * algorithm, role, state) and its DNSKEY record, dnssec-ds the DS record
 * (SHA-256, RFC 4509) to give the parent's registrar.  Read only: the
 * daemon makes the keys.
 */
static int
key_dnssec(int argc, char *argv[], bool ds)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*cmd = ds ? "key dnssec-ds" : "key dnssec-show";
	const char	*usage = ds ? dnssec_ds_usage : dnssec_show_usage;
	const char	*dir = "/var/lib/timbre/primary-dnssec";
	ldns_key_list	*keys;
	ldns_key	*k;
	ldns_rr		*dnskey, *out;
	char		*text, zone[256];
	struct err	 err;
	size_t		 len;
	int		 c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			puts(usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", usage);
			return EXIT_USAGE;
		}
	if (optind == argc)
		tool_usage_error(cmd, "a zone is required\n%s", usage);
	for (i = optind; i < argc; i++) {
		len = strlen(argv[i]);
		if (len > 1 && argv[i][len - 1] == '.')
			len--;
		snprintf(zone, sizeof(zone), "%.*s", (int)len, argv[i]);
		if ((keys = auth_sign_keys_load(dir, zone, 0, NULL,
		    &err)) == NULL) {
			tool_warn(cmd, "%s", err.msg);
			rc = 1;
			continue;
		}
		k = ldns_key_list_key(keys, 0);
		dnskey = ldns_key2rr(k);
		out = dnskey != NULL && ds ? ldns_key_rr2ds(dnskey,
		    LDNS_SHA256) : dnskey;
		if (out == NULL || (text = ldns_rr2str(out)) == NULL) {
			tool_warn(cmd, "%s: no record made", zone);
			rc = 1;
		} else {
			if (!ds)
				printf("%s. key tag=%u algorithm=%d role=csk "
				    "state=active\n", zone, ldns_key_keytag(k),
				    (int)ldns_key_algorithm(k));
			fputs(text, stdout);
			free(text);
		}
		if (out != dnskey)
			ldns_rr_free(out);
		ldns_rr_free(dnskey);
		auth_sign_keys_free(keys);
	}
	return rc;
}

static int
key_dnssec_show_main(int argc, char *argv[])
{
	return key_dnssec(argc, argv, false);
}

static int
key_dnssec_ds_main(int argc, char *argv[])
{
	return key_dnssec(argc, argv, true);
}

int
cmd_key(int argc, char *argv[])
{
	static const struct tool_cmd verbs[] = {
		{ "derive", key_derive_main, derive_usage },
		{ "dnssec-show", key_dnssec_show_main, dnssec_show_usage },
		{ "dnssec-ds", key_dnssec_ds_main, dnssec_ds_usage },
	};

	return tool_verb_run("key", verbs, sizeof(verbs) / sizeof(verbs[0]),
	    argc, argv);
}
