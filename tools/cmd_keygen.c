/*
 * cmd_keygen.c: timbre keygen and timbre tsig-keygen (docs/interface.md).
 *
 * keygen prints the SSH key for timbre-primaryd's --ssh-key on line 1
 * ("ed25519:BASE64", the 32-byte private key as awa_gen_key prints it,
 * or "rsa:BASE64", the DER private key) and the OpenSSH public key line for
 * authorized_keys on line 2.  --seed B64 takes an existing ed25519 key
 * and prints it again with its public line (awa_gen_key's --seed feeds
 * a DRBG that only mirage-crypto reproduces).
 *
 * tsig-keygen prints the _keys DNSKEY record on line 1 and the
 * NAME:ALGORITHM:SECRET line for --tsig-key-file, dig -y and nsupdate -y
 * on line 2.  Secrets come from OpenSSL's CSPRNG
 * (key_random).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "git/repo.h"
#include "keys/mac.h"
#include "tools/tool.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

static const char keygen_usage[] =
    "usage: timbre keygen [--keytype ed25519|rsa] [--bits N] [--seed B64]";
static const char tsig_usage[] =
    "usage: timbre tsig-keygen NAME [--algorithm hmac-sha256]";

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keytype", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum repo_keytype	 type = REPO_KEY_ED25519;
	const char		*seed = NULL;
	struct buf		 b;
	struct err		 err;
	char			 spec[256];
	void			*pk;
	long			 bits = 3072;
	int			 c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (strcmp(optarg, "ed25519") == 0)
				type = REPO_KEY_ED25519;
			else if (strcmp(optarg, "rsa") == 0)
				type = REPO_KEY_RSA;
			else
				tool_usage_error("keygen", "--keytype: "
				    "ed25519 or rsa, not %s", optarg);
			break;
		case 'b':
			bits = strtol(optarg, NULL, 10);
			if (bits < 2048 || bits > 16384)
				tool_usage_error("keygen", "--bits: 2048 to "
				    "16384");
			break;
		case 's':
			seed = optarg;
			break;
		case 'h':
			printf("%s\n", keygen_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", keygen_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		tool_usage_error("keygen", "no arguments expected");
	if (seed != NULL) {
		if (type != REPO_KEY_ED25519)
			tool_usage_error("keygen", "--seed works with "
			    "ed25519 keys only");
		snprintf(spec, sizeof(spec), "ed25519:%s", seed);
		pk = repo_sshkey_parse(spec, &err);
		key_wipe(spec, sizeof(spec));
	} else
		pk = repo_sshkey_generate(type, (int)bits, &err);
	if (pk == NULL) {
		tool_warn("keygen", "%s", err.msg);
		return EXIT_USAGE;
	}
	buf_init(&b, 65536);
	if (repo_sshkey_private_text(pk, &b, &err) == -1 ||
	    buf_addc(&b, '\n', &err) == -1 ||
	    repo_sshkey_public_line(pk, "timbre@keygen", &b, &err) == -1) {
		tool_warn("keygen", "%s", err.msg);
		buf_fini_secret(&b);
		repo_sshkey_free(pk);
		return EXIT_USAGE;
	}
	printf("%s\n", b.data);
	buf_fini_secret(&b);
	repo_sshkey_free(pk);
	return 0;
}

static const struct {
	const char	*name;
	int		 dnskey, bytes;
} tsig_algs[] = {
	{ "hmac-sha1", 161, 20 },
	{ "hmac-sha224", 162, 28 },
	{ "hmac-sha256", 163, 32 },
	{ "hmac-sha384", 164, 48 },
	{ "hmac-sha512", 165, 64 },
};

int
cmd_tsig_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*alg = "hmac-sha256";
	uint8_t		 secret[64];
	char		 b64[100], name[256];
	size_t		 i, n;
	struct err	 err;
	int		 c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 'h':
			printf("%s\n", tsig_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", tsig_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		tool_usage_error("tsig-keygen", "expected one NAME");
	for (i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++)
		if (strcasecmp(alg, tsig_algs[i].name) == 0)
			break;
	if (i == sizeof(tsig_algs) / sizeof(tsig_algs[0]))
		tool_usage_error("tsig-keygen", "--algorithm: hmac-sha1, "
		    "hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512");
	snprintf(name, sizeof(name), "%s", argv[optind]);
	n = strlen(name);
	if (n == 0 || n > 250 || strchr(name, ':') != NULL ||
	    strchr(name, ' ') != NULL)
		tool_usage_error("tsig-keygen", "bad key name");
	if (name[n - 1] == '.')
		name[--n] = '\0';
	/* cppcheck-suppress arrayIndexOutOfBounds ; exited above */
	if (key_random(secret, tsig_algs[i].bytes, &err) == -1) {
		tool_warn("tsig-keygen", "%s", err.msg);
		return EXIT_USAGE;
	}
	b64_encode(secret, tsig_algs[i].bytes, b64);
	printf("%s. DNSKEY 0 3 %d %s\n%s:%s:%s\n", name, tsig_algs[i].dnskey,
	    b64, name, tsig_algs[i].name, b64);
	key_wipe(secret, sizeof(secret));
	key_wipe(b64, sizeof(b64));
	return 0;
}
