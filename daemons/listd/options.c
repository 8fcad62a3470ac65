/*
 * options.c: the option table of timbre-listd (docs/interface.md,
 * "timbre-listd" and "Conventions shared by every daemon") and what it
 * means: the host name that is also the authserv-id, the signer's
 * address or host name (util/opt.c resolves it; the address is the
 * only client --listen-signed accepts), what a DMARC
 * rejection does, and the delivery engine's settings (deliver.h),
 * --retry-schedule among them.
 */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "listd.h"
#include "util/err.h"

#define OFF(f) offsetof(struct listd_conf, f)
static const struct opt listd_options[] = {
	{ "listen", OPT_ADDR | OPT_REPEAT, "0.0.0.0:25", OFF(listen),
	  "public SMTP address, ADDR[:PORT] (repeatable)", 0, 25 },
	{ "listen-signed", OPT_ADDR, NULL, OFF(listen_signed),
	  "private SMTP address where the signer returns signed mail "
	  "(required)", 0, 25 },
	{ "domain", OPT_STRING, NULL, OFF(domain),
	  "the lists' domain (required)", 'd', 0 },
	{ "hostname", OPT_STRING, NULL, OFF(hostname),
	  "banner and EHLO name, and authserv-id (default: the host name)",
	  0, 0 },
	{ "db", OPT_STRING, "/var/lib/timbre/lists.db", OFF(db),
	  "the database made by timbre list create", 0, 0 },
	{ "signer", OPT_ADDR | OPT_HOSTNAME, NULL, OFF(signer),
	  "timbre-signd's SMTP address, ADDR[:PORT] or HOST[:PORT], a name "
	  "resolved at start (required)", 0, 25 },
	{ "resolver", OPT_ADDR, "127.0.0.1:53", OFF(resolver),
	  "DNS resolver, ADDR[:PORT]", 0, 53 },
	{ "tls-cert", OPT_STRING, NULL, OFF(tls_cert),
	  "certificate chain (PEM) for STARTTLS (default: no STARTTLS)",
	  0, 0 },
	{ "tls-key", OPT_STRING, NULL, OFF(tls_key),
	  "its private key (PEM)", 0, 0 },
	{ "deliver-port", OPT_INT, "25", OFF(deliver_port),
	  "port used on subscribers' MX hosts", 0, 0 },
	{ "tls-ca-file", OPT_STRING, NULL, OFF(tls_ca_file),
	  "CA certificates (PEM) for MTA-STS: the policy servers' and the "
	  "MX hosts' (default: the system's)", 0, 0 },
	{ "mta-sts-port", OPT_INT, "443", OFF(mta_sts_port),
	  "port of the MTA-STS policy servers (HTTPS)", 0, 0 },
	{ "max-message-size", OPT_INT, "26214400", OFF(max_message_size),
	  "largest message accepted, in bytes (SIZE)", 0, 0 },
	{ "require-tls", OPT_BOOL, NULL, OFF(require_tls),
	  "refuse MAIL before STARTTLS (530 5.7.0)", 0, 0 },
	{ "dmarc-reject", OPT_STRING, "reject", OFF(dmarc_reject),
	  "a DMARC failure under p=reject: reject, hold or accept", 0, 0 },
	{ "max-recipients", OPT_INT, "50", OFF(max_recipients),
	  "recipients of one transaction (452 4.5.3 beyond)", 0, 0 },
	{ "max-connections", OPT_INT, "100", OFF(max_connections),
	  "SMTP clients served at once (421 4.7.0 beyond)", 0, 0 },
	{ "max-per-ip", OPT_INT, "10", OFF(max_per_ip),
	  "SMTP clients served at once from one address", 0, 0 },
	{ "command-timeout", OPT_DURATION, "5m", OFF(command_timeout),
	  "time an SMTP client has to send each whole command", 0, 0 },
	{ "smarthost", OPT_STRING, NULL, OFF(smarthost),
	  "deliver every copy through HOST[:PORT] instead of MX hosts",
	  0, 0 },
	{ "retry-schedule", OPT_STRING, "5m,15m,30m,1h,2h,4h",
	  OFF(retry_schedule), "delays of the retries of a delivery, "
	  "after the first attempt", 0, 0 },
	{ "retry-every", OPT_DURATION, "4h", OFF(retry_every),
	  "delay between retries past the schedule", 0, 0 },
	{ "give-up", OPT_DURATION, "5d", OFF(give_up),
	  "time after which a delivery fails", 0, 0 },
	{ "max-per-domain", OPT_INT, "5", OFF(max_per_domain),
	  "delivery connections to one domain at once", 0, 0 },
	{ "bounce-disable", OPT_INT, "5", OFF(bounce_disable),
	  "bounce score that disables a subscriber", 0, 0 },
	{ "bounce-probe-after", OPT_DURATION, "1d", OFF(bounce_probe_after),
	  "time a disabled subscriber waits for its probe (0: no probes)",
	  0, 0 },
	{ "bounce-probe-wait", OPT_DURATION, "3d", OFF(bounce_probe_wait),
	  "time without a bounce of its probe that enables a subscriber "
	  "again", 0, 0 },
	{ "signer-retry", OPT_DURATION, "30s", OFF(signer_retry),
	  "first delay before a post is sent to the signer again", 0, 0 },
	{ "signer-retry-max", OPT_DURATION, "1h", OFF(signer_retry_max),
	  "longest delay between attempts to reach the signer", 0, 0 },
	{ "held-expiry", OPT_DURATION, "14d", OFF(held_expiry),
	  "time after which a held post is dropped", 0, 0 },
	{ "archive-dir", OPT_STRING, NULL, OFF(archive_dir),
	  "keep each list's archive, a public-inbox v2 inbox, in DIR/LIST "
	  "(default: no archive)", 0, 0 },
	{ "archive-url", OPT_STRING, NULL, OFF(archive_url),
	  "where the archives are published (URL/LIST/): List-Archive and "
	  "Archived-At in posts", 0, 0 },
	{ "archive-epoch-size", OPT_INT, "1073741824",
	  OFF(archive_epoch_size), "bytes of mail per git epoch of an "
	  "archive, as public-inbox counts them", 0, 0 },
	{ "digest-size", OPT_INT, "40960", OFF(digest_size),
	  "bytes of posts that send a list's digest before its time", 0,
	  0 },
	{ "digest-interval", OPT_DURATION, "1d", OFF(digest_interval),
	  "longest wait of a post for its list's digest", 0, 0 },
	{ "http-listen", OPT_ADDR, NULL, OFF(http_listen),
	  "one-click unsubscribe endpoint, ADDR[:PORT]: HTTPS with "
	  "--tls-cert, else plain HTTP on a loopback address only "
	  "(default: off)", 0, 443 },
	{ "http-url", OPT_STRING, NULL, OFF(http_url),
	  "public https:// base URL of the endpoint in List-Unsubscribe "
	  "(default: https://HOSTNAME)", 0, 0 },
	{ "signer-milter", OPT_ADDR, NULL, OFF(signer_milter),
	  "timbre-signd's milter, ADDR:PORT, to sign each copy with its own "
	  "List-Unsubscribe (default: off)", 0, 0 },
	{ "http-max-connections", OPT_INT, "100", OFF(http_max_connections),
	  "HTTP clients served at once", 0, 0 },
	{ "http-timeout", OPT_DURATION, "10s", OFF(http_timeout),
	  "time an HTTP client has to send its request", 0, 0 },
	OPT_DAEMON_COMMON(OFF),
	{ NULL, 0, NULL, 0, NULL, 0, 0 },
};

const struct opt_program listd_program = {
	"timbre-listd",
	"mailing-list MTA: SMTP in, verification, lists, fan-out",
	SYSCONFDIR "/timbre/timbre-listd.conf",
	listd_options,
};

int
listd_retry_parse(const char *text, struct listd_deliver_cfg *c,
    struct err *err)
{
	char		*copy, *p, *tok, *save = NULL;
	long long	 d, prev = 0;

	c->nretry = 0;
	if ((copy = strdup(text)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	for (p = copy; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL) {
		if (c->nretry == LISTD_RETRY_MAX) {
			err_set(err, OPT_E_CONFIG, "--retry-schedule %s: more "
			    "than %d retries", text, LISTD_RETRY_MAX);
			goto fail;
		}
		if (opt_parse_duration(tok, &d, err) == -1 || d <= 0) {
			err_set(err, OPT_E_CONFIG, "--retry-schedule %s: %s is "
			    "not a duration", text, tok);
			goto fail;
		}
		/* The delays add up: each retry is due that long after the
		 * one before, and the engine wants the time since the
		 * first attempt. */
		prev += d;
		c->retry[c->nretry++] = (time_t)prev;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	return -1;
}

static int
range(const char *opt, long long v, long long lo, long long hi,
    struct err *err)
{
	if (v >= lo && v <= hi)
		return 0;
	err_set(err, OPT_E_CONFIG, "--%s %lld: not between %lld and %lld",
	    opt, v, lo, hi);
	return -1;
}

/*
 * --http-listen and --http-url.  RFC 8058 section 3.1 wants an HTTPS
 * link; the endpoint speaks plain HTTP only on a loopback address (a
 * test, or a proxy on the same host that does the TLS), never where a
 * network could read the links.  The URL goes into every copy's
 * List-Unsubscribe, on a line of its own beside a token of up to
 * LISTD_UNSUB_TOKEN_MAX bytes: short, printable, no slash at its end.
 */
static int
http_check(struct listd_settings *s, struct err *err)
{
	struct listd_conf	*c = &s->conf;
	const struct sockaddr_storage *ss = &c->http_listen.ss;
	const uint8_t		*a6;
	size_t			 i, n;
	bool			 loop;

	if (c->http_listen.len == 0) {
		if (c->http_url != NULL) {
			err_set(err, OPT_E_CONFIG, "--http-url: needs "
			    "--http-listen");
			return -1;
		}
		return 0;
	}
	if (ss->ss_family == AF_INET)
		loop = (ntohl(((const struct sockaddr_in *)(const void *)ss)->
		    sin_addr.s_addr) >> 24) == 127;
	else {
		a6 = ((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_addr.s6_addr;
		loop = a6[15] == 1;
		for (i = 0; i < 15; i++)
			loop = loop && a6[i] == 0;
	}
	if (c->tls_cert == NULL && !loop) {
		err_set(err, OPT_E_CONFIG, "--http-listen %s: plain HTTP on "
		    "a loopback address only; give --tls-cert and --tls-key "
		    "for HTTPS", c->http_listen.text);
		return -1;
	}
	if (c->http_url == NULL)
		return 0;
	n = strlen(c->http_url);
	while (n > 0 && c->http_url[n - 1] == '/')
		n--;
	if (strncmp(c->http_url, "https://", 8) != 0 || n <= 8 ||
	    n > 255) {
		err_set(err, OPT_E_CONFIG, "--http-url %s: not an https:// "
		    "URL of at most 255 bytes", c->http_url);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)c->http_url[i] <= ' ' ||
		    (unsigned char)c->http_url[i] >= 0x7f ||
		    strchr("<>\"\\", c->http_url[i]) != NULL) {
			err_set(err, OPT_E_CONFIG, "--http-url: a byte that "
			    "has no place in a URL");
			return -1;
		}
	memcpy(s->unsub_url, c->http_url, n);
	s->unsub_url[n] = '\0';
	return 0;
}

int
listd_settings_load(int argc, char *argv[], struct listd_settings *s,
    struct err *err)
{
	struct listd_conf	*c = &s->conf;
	struct acl_net		 n;
	char			 ip[NI_MAXHOST];

	memset(s, 0, sizeof(*s));
	if (opt_load(&listd_program, argc, argv, c, NULL, err) == -1) {
		/* What it set before the bad value: a reload goes on. */
		opt_free(&listd_program, c);
		return -1;
	}
	if (c->domain == NULL || store_domain_normalize(c->domain, s->domain,
	    err) == -1) {
		err_set(err, OPT_E_CONFIG, "--domain: %s", c->domain ?
		    "not a domain name" : "required");
		goto fail;
	}
	if (c->signer.len == 0) {
		err_set(err, OPT_E_CONFIG, "--signer: required");
		goto fail;
	}
	if (c->listen_signed.len == 0) {
		err_set(err, OPT_E_CONFIG, "--listen-signed: required (where "
		    "the signer sends signed mail back)");
		goto fail;
	}
	if (strcmp(c->dmarc_reject, "reject") == 0)
		s->dmarc_reject = LISTD_DMARC_REJECT;
	else if (strcmp(c->dmarc_reject, "hold") == 0)
		s->dmarc_reject = LISTD_DMARC_HOLD;
	else if (strcmp(c->dmarc_reject, "accept") == 0)
		s->dmarc_reject = LISTD_DMARC_ACCEPT;
	else {
		err_set(err, OPT_E_CONFIG, "--dmarc-reject %s: not reject, "
		    "hold or accept", c->dmarc_reject);
		goto fail;
	}
	if (range("max-message-size", c->max_message_size, 1024,
	    1LL << 31, err) == -1 ||
	    range("max-recipients", c->max_recipients, 1, 1000, err) == -1 ||
	    range("max-connections", c->max_connections, 1, 65536, err) ==
	    -1 || range("max-per-ip", c->max_per_ip, 1, 65536, err) == -1 ||
	    range("command-timeout", c->command_timeout, 1, 3600, err) ==
	    -1 ||
	    range("deliver-port", c->deliver_port, 1, 65535, err) == -1 ||
	    range("mta-sts-port", c->mta_sts_port, 1, 65535, err) == -1 ||
	    range("max-per-domain", c->max_per_domain, 1, 1000, err) == -1 ||
	    range("bounce-disable", c->bounce_disable, 1, 1000000, err) ==
	    -1 || range("bounce-probe-after", c->bounce_probe_after, 0,
	    365 * 86400, err) == -1 || range("bounce-probe-wait",
	    c->bounce_probe_wait, 60, 365 * 86400, err) == -1 ||
	    range("signer-retry", c->signer_retry, 1, 86400, err) ==
	    -1 || range("signer-retry-max", c->signer_retry_max,
	    c->signer_retry, 7 * 86400, err) == -1 ||
	    range("held-expiry", c->held_expiry, 60, 365 * 86400, err) == -1 ||
	    range("archive-epoch-size", c->archive_epoch_size, 4096,
	    1LL << 40, err) == -1 ||
	    range("digest-size", c->digest_size, 1, 1LL << 26, err) == -1 ||
	    range("digest-interval", c->digest_interval, 1, 365 * 86400,
	    err) == -1)
		goto fail;
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		err_set(err, OPT_E_CONFIG, "--tls-cert and --tls-key go "
		    "together");
		goto fail;
	}
	if (c->require_tls && c->tls_cert == NULL) {
		err_set(err, OPT_E_CONFIG, "--require-tls: needs --tls-cert "
		    "and --tls-key");
		goto fail;
	}
	if (range("http-max-connections", c->http_max_connections, 1, 65536,
	    err) == -1 || range("http-timeout", c->http_timeout, 1, 3600,
	    err) == -1 || http_check(s, err) == -1)
		goto fail;
	/* Read by every MTA-STS fetch and connection: a typo is said now,
	 * not as failed deliveries later. */
	if (c->tls_ca_file != NULL && access(c->tls_ca_file, R_OK) == -1) {
		err_set(err, OPT_E_CONFIG, "--tls-ca-file %s: %s",
		    c->tls_ca_file, strerror(errno));
		goto fail;
	}
	if (c->hostname != NULL)
		snprintf(s->hostname, sizeof(s->hostname), "%s", c->hostname);
	else if (gethostname(s->hostname, sizeof(s->hostname) - 1) == -1 ||
	    s->hostname[0] == '\0')
		snprintf(s->hostname, sizeof(s->hostname), "localhost");
	/* The signer's address (a name's, as resolved) is the one client
	 * of --listen-signed. */
	if (getnameinfo((struct sockaddr *)&c->signer.ss, c->signer.len, ip,
	    sizeof(ip), NULL, 0, NI_NUMERICHOST) != 0) {
		err_set(err, OPT_E_CONFIG, "--signer %s: no address",
		    c->signer.text);
		goto fail;
	}
	if (acl_parse("--signer", ip, &n, err) == -1 ||
	    acl_add(&s->signer_acl, &n, err) == -1)
		goto fail;
	if (listd_retry_parse(c->retry_schedule, &s->deliver, err) == -1)
		goto fail;
	s->deliver.hostname = s->hostname;
	s->deliver.domain = s->domain;
	s->deliver.resolver = c->resolver.ss;
	s->deliver.resolver_len = c->resolver.len;
	s->deliver.deliver_port = (uint16_t)c->deliver_port;
	s->deliver.smarthost = c->smarthost;
	s->deliver.tls_ca_file = c->tls_ca_file;
	s->deliver.mta_sts_port = (uint16_t)c->mta_sts_port;
	s->deliver.retry_every = (time_t)c->retry_every;
	s->deliver.give_up = (time_t)c->give_up;
	s->deliver.max_connections = (unsigned)c->max_connections;
	s->deliver.per_domain = (unsigned)c->max_per_domain;
	s->deliver.bounce_disable = (unsigned)c->bounce_disable;
	s->deliver.probe_after = (time_t)c->bounce_probe_after;
	s->deliver.probe_wait = (time_t)c->bounce_probe_wait;
	if (c->http_listen.len != 0) {
		if (c->http_url == NULL)
			snprintf(s->unsub_url, sizeof(s->unsub_url),
			    "https://%s", s->hostname);
		s->deliver.unsub_url = s->unsub_url;
	}
	s->deliver.signer_milter = c->signer_milter.ss;
	s->deliver.signer_milter_len = c->signer_milter.len;
	return 0;
fail:
	if (err->code != OPT_E_USAGE)
		err->code = OPT_E_CONFIG;
	listd_settings_free(s);
	return -1;
}

void
listd_settings_free(struct listd_settings *s)
{
	opt_free(&listd_program, &s->conf);
	acl_fini(&s->signer_acl);
	memset(s, 0, sizeof(*s));
}
