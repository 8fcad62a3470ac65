/*
 * options.c: the option table of timbre-resolverd (docs/interface.md,
 * "timbre-resolverd" and "Conventions shared by every daemon") and what
 * it means: the --allow networks (util/acl.c: by default those of the
 * --listen addresses, read from the interfaces), the --port-outgoing-range, the
 * root hints and trust anchor files read into memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "resolverd.h"
#include "util/err.h"

#define OFF(f) offsetof(struct resolverd_conf, f)
static const struct opt resolverd_options[] = {
	{ "listen", OPT_ADDR | OPT_REPEAT, "127.0.0.1:53", OFF(listen),
	  "where to serve, UDP and TCP (repeatable)", 0, 53 },
	{ "allow", OPT_STRING | OPT_REPEAT, NULL, OFF(allow),
	  "CIDR of clients allowed to query (repeatable; default: the "
	  "listen addresses' networks)", 0, 0 },
	{ "root-hints", OPT_STRING, NULL, OFF(root_hints),
	  "root server names and addresses, zone-file syntax (default: "
	  "built in)", 0, 0 },
	{ "trust-anchor", OPT_STRING, NULL, OFF(trust_anchor),
	  "DNSSEC trust anchors, DS or DNSKEY records (default: the root "
	  "KSKs)", 0, 0 },
	{ "no-dnssec", OPT_BOOL, NULL, OFF(no_dnssec),
	  "do not validate", 0, 0 },
	{ "no-qname-minimisation", OPT_BOOL, NULL, OFF(no_qname_minimisation),
	  "send whole names to every zone (no RFC 9156)", 0, 0 },
	{ "no-case-randomisation", OPT_BOOL, NULL, OFF(no_case_randomisation),
	  "send questions in their own case (no 0x20)", 0, 0 },
	{ "cache-size", OPT_INT, "64", OFF(cache_size),
	  "cache memory bound in MB", 0, 0 },
	{ "cache-min-ttl", OPT_DURATION, "0", OFF(cache_min_ttl),
	  "TTLs below this are raised to it in the cache", 0, 0 },
	{ "cache-max-ttl", OPT_DURATION, "1d", OFF(cache_max_ttl),
	  "TTLs above this are lowered to it in the cache", 0, 0 },
	{ "port-outgoing-range", OPT_STRING, "1024-65535", OFF(port_range),
	  "source ports for queries, LO-HI", 0, 0 },
	OPT_DAEMON_COMMON(OFF),
	{ NULL, 0, NULL, 0, NULL, 0, 0 },
};

const struct opt_program resolverd_program = {
	"timbre-resolverd",
	"recursive, caching, DNSSEC-validating resolver",
	SYSCONFDIR "/timbre/timbre-resolverd.conf",
	resolverd_options,
};

bool
resolverd_acl_allows(const struct resolverd_settings *s,
    const struct sockaddr *sa)
{
	return acl_allows(&s->acl, sa);
}

static char *
read_file(const char *opt, const char *path, struct err *err)
{
	FILE	*f;
	char	*data = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, OPT_E_CONFIG, "--%s %s: %s", opt, path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char	*p;

			cap = cap ? cap * 2 : 8192;
			if (cap > (16u << 20) || (p = realloc(data, cap)) ==
			    NULL) {
				err_set(err, OPT_E_CONFIG, "--%s %s: too large",
				    opt, path);
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		if ((n = fread(data + len, 1, 4096, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		err_set(err, OPT_E_CONFIG, "--%s %s: read error", opt, path);
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[len] = '\0';
	return data;
}

int
resolverd_settings_load(int argc, char *argv[], struct resolverd_settings *s,
    struct err *err)
{
	struct acl_net	 n;
	char		*end;
	unsigned long	 lo, hi;
	size_t		 i;

	memset(s, 0, sizeof(*s));
	if (opt_load(&resolverd_program, argc, argv, &s->conf, NULL, err) ==
	    -1) {
		/* What it set before the bad value: a reload goes on. */
		opt_free(&resolverd_program, &s->conf);
		return -1;
	}
	if (s->conf.cache_size < 1 || s->conf.cache_size > 65536) {
		err_set(err, OPT_E_CONFIG, "--cache-size %lld: not between 1 "
		    "and 65536 MB", s->conf.cache_size);
		goto fail;
	}
	if (s->conf.cache_max_ttl < s->conf.cache_min_ttl ||
	    s->conf.cache_max_ttl > 604800) {
		err_set(err, OPT_E_CONFIG, "--cache-max-ttl: below "
		    "--cache-min-ttl or above a week");
		goto fail;
	}
	lo = strtoul(s->conf.port_range, &end, 10);
	if (*end != '-' || (hi = strtoul(end + 1, &end, 10), *end != '\0') ||
	    lo < 1024 || hi > 65535 || lo > hi) {
		err_set(err, OPT_E_CONFIG, "--port-outgoing-range %s: not "
		    "LO-HI within 1024-65535", s->conf.port_range);
		goto fail;
	}
	s->port_lo = (uint16_t)lo;
	s->port_hi = (uint16_t)hi;
	for (i = 0; i < s->conf.allow.n; i++) {
		if (acl_parse("--allow", ((char **)s->conf.allow.v)[i], &n,
		    err) == -1 || acl_add(&s->acl, &n, err) == -1)
			goto fail;
	}
	if (s->conf.allow.n == 0 && acl_add_listen_nets(&s->acl,
	    s->conf.listen.v, s->conf.listen.n, err) == -1)
		goto fail;
	if (s->conf.root_hints != NULL && (s->hints = read_file("root-hints",
	    s->conf.root_hints, err)) == NULL)
		goto fail;
	if (s->conf.trust_anchor != NULL && (s->anchors =
	    read_file("trust-anchor", s->conf.trust_anchor, err)) == NULL)
		goto fail;
	return 0;
fail:
	if (err->code != OPT_E_USAGE)
		err->code = OPT_E_CONFIG;
	resolverd_settings_free(s);
	return -1;
}

void
resolverd_settings_free(struct resolverd_settings *s)
{
	opt_free(&resolverd_program, &s->conf);
	acl_fini(&s->acl);
	free(s->hints);
	free(s->anchors);
	memset(s, 0, sizeof(*s));
}
