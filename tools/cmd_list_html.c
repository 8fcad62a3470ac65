/*
 * cmd_list_html.c: timbre list archive-html (docs/interface.md, "timbre
 * (the tool)"): the static web view of a list's archive, the public-inbox
 * v2 inbox timbre-listd keeps in ARCHIVE-DIR/LIST (its --archive-dir),
 * written to OUTDIR by src/archive/site.c:
 *
 *	archive-html [--title TEXT] [--url URL] ARCHIVE-DIR LIST OUTDIR
 *
 * Reads the inbox only (no lock: git objects and refs are written
 * atomically, and a post committed during the run is in the next run's
 * pages).  Prints one line of counts; exit status 0 written, 1 refused
 * (the inbox or OUTDIR; the error says which and why), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/archive.h"
#include "tools/tool.h"
#include "util/err.h"

const char list_archive_html_usage[] =
    "usage: timbre list archive-html [--title TEXT] [--url URL]\n"
    "                                ARCHIVE-DIR LIST OUTDIR";

int
list_archive_html_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 'T' },
		{ "url", required_argument, NULL, 'u' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char		 cmd[] = "list archive-html";
	struct archive_site_conf	 c;
	struct archive_site_stats	 st;
	struct err			 err;
	char				*inbox, *url = NULL;
	const char			*list;
	size_t				 n;
	time_t				 now = time(NULL);
	int				 ch;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		switch (ch) {
		case 'T':
			c.title = optarg;
			break;
		case 'u':
			c.url = optarg;
			break;
		case 't':
			now = tool_time(cmd, optarg);
			break;
		case 'h':
			puts(list_archive_html_usage);
			return 0;
		default:
			fprintf(stderr, "%s\n", list_archive_html_usage);
			return EXIT_USAGE;
		}
	if (argc - optind != 3)
		tool_usage_error(cmd, "%s arguments\n%s", argc - optind < 3 ?
		    "missing" : "too many", list_archive_html_usage);
	list = argv[optind + 1];
	if (list[0] == '\0' || strchr(list, '/') != NULL ||
	    strcmp(list, ".") == 0 || strcmp(list, "..") == 0)
		tool_usage_error(cmd, "LIST must be a list's name, not \"%s\"",
		    list);
	if (c.url != NULL && strncmp(c.url, "https://", 8) != 0 &&
	    strncmp(c.url, "http://", 7) != 0)
		tool_usage_error(cmd, "--url must be an http:// or https:// "
		    "URL, not \"%s\"", c.url);
	n = strlen(argv[optind]) + strlen(list) + 2;
	if ((inbox = malloc(n)) == NULL)
		tool_usage_error(cmd, "out of memory");
	snprintf(inbox, n, "%s/%s", argv[optind], list);
	/* Links are made by appending to the URL: it ends in '/'. */
	if (c.url != NULL && c.url[strlen(c.url) - 1] != '/') {
		n = strlen(c.url) + 2;
		if ((url = malloc(n)) == NULL)
			tool_usage_error(cmd, "out of memory");
		snprintf(url, n, "%s/", c.url);
		c.url = url;
	}
	c.inbox = inbox;
	c.out = argv[optind + 2];
	if (c.title == NULL)
		c.title = list;
	if (archive_site_write(&c, now, &st, &err) == -1) {
		tool_warn(cmd, "%s", err.msg);
		free(inbox);
		free(url);
		return 1;
	}
	printf("%s: %zu messages, %zu threads, %zu months; %zu files "
	    "written, %zu removed\n", list, st.messages, st.threads,
	    st.months, st.written, st.removed);
	free(inbox);
	free(url);
	return 0;
}
