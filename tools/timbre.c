/*
 * timbre.c: the operator's and postmaster's tool, timbre(1): dispatches
 * to one subcommand per protocol (cmd_<name>.c).
 */
#include <stdio.h>
#include <string.h>

#include "tools/tool.h"

static const struct tool_cmd commands[] = {
	{ "dkim", cmd_dkim, "dkim verify|sign ...   DKIM signatures" },
	{ "arc", cmd_arc, "arc verify|sign ...    ARC chains" },
	{ "spf", cmd_spf, "spf check ...          SPF for a client and sender" },
	{ "dmarc", cmd_dmarc, "dmarc verify ...       SPF, DKIM and DMARC, stamped" },
	{ "keygen", cmd_keygen, "keygen [--keytype ed25519|rsa]  SSH key for git" },
	{ "tsig-keygen", cmd_tsig_keygen, "tsig-keygen NAME       TSIG key" },
	{ "notify", cmd_notify, "notify --server A --key-file F ZONE  signed NOTIFY" },
	{ "tlsa", cmd_tlsa, "tlsa [--name HOST] FILE  DANE TLSA 3 1 1 of a key" },
	{ "key", cmd_key, "key derive ...         DKIM key records from a password" },
	{ "doctor", cmd_doctor, "doctor DOMAIN ...       why mail from or to a domain fails" },
	{ "list", cmd_list, "list create|add|show ...  lists of timbre-listd" },
};

static void
usage(FILE *out)
{
	size_t	i;

	fprintf(out, "usage: timbre COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].synopsis);
	fprintf(out, "\nSee timbre(1).\n");
}

int
main(int argc, char *argv[])
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("timbre %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "timbre: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
