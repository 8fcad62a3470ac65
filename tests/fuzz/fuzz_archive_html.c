/*
 * fuzz_archive_html.c: the web view's message parser and thread page
 * (src/archive/html.c) on any bytes: a list archives whatever mail it
 * accepted.  The input is one or more messages separated by a line
 * "\n\x01\n"; they are threaded together and the page of every thread
 * is made, with the index, each month's page and the Atom feed.
 * Whatever the input, no page holds an unescaped '<' of a message (no
 * "<script", "<a", "<img" ... but the page's own markup) and every '@'
 * is preceded by the mask's ellipsis or a byte no local part holds: no
 * whole address.  The parts the thread pages link are handed to a
 * callback that reads every byte of them (the MIME walk's bounds, under
 * ASan) and checks their numbering.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive/archive.h"
#include "util/buf.h"
#include "util/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MSGS_MAX	8

struct input {
	const char	*p[MSGS_MAX];
	size_t		 n[MSGS_MAX];
};

static int
raw(void *arg, size_t i, const char **p_out, size_t *n_out)
{
	struct input	*in = arg;

	*p_out = in->p[i];
	*n_out = in->n[i];
	return 0;
}

/* archive_part_fn: every byte read, parts numbered from 1 per message. */
static int
part(void *arg, const char *id, unsigned k, const char *p, size_t n,
    struct err *err)
{
	volatile unsigned char	sum = 0;
	size_t			i;

	(void)arg;
	(void)err;
	if (strlen(id) != 40 || k == 0 || (p == NULL && n > 0))
		abort();
	for (i = 0; i < n; i++)
		sum ^= (unsigned char)p[i];
	(void)sum;
	return 0;
}

/* The tags the pages themselves use; anything else after '<' is a
 * message's markup escaping the escaping. */
static bool
is_ours(const char *s, size_t n)
{
	static const char *const	tags[] = { "<!DOCTYPE", "<html", "</html",
	    "<head", "</head", "<meta ", "<style>", "</style>", "<title>",
	    "</title>", "<link ", "<body>", "</body>", "<p>", "</p>",
	    "<p class=\"h\">", "<a href=\"", "<a rel=\"", "</a>", "<h1>", "</h1>", "<h2>",
	    "</h2>", "<ul", "</ul>", "<li>", "</li>", "<pre>", "</pre>",
	    "<div class=\"m\" id=\"m-", "</div>", "<br>", "<hr>", "<small>",
	    "</small>", "<?xml ", "<feed ", "</feed>", "<id>", "</id>",
	    "<updated>", "</updated>", "<entry>", "</entry>", "<author>",
	    "</author>", "<name>", "</name>", "<summary type=\"text\">",
	    "</summary>" };
	size_t				l, i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		l = strlen(tags[i]);
		if (n >= l && memcmp(s, tags[i], l) == 0)
			return true;
	}
	return false;
}

static bool
is_local(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%*+/=?^_`{|}~.-", c) != NULL;
}

static void
check(const struct buf *b)
{
	size_t	i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '<' && !is_ours(b->data + i, b->len - i))
			abort();
		if (b->data[i] == '@' && i > 0 &&
		    (unsigned char)b->data[i - 1] != 0xa6 &&
		    is_local((unsigned char)b->data[i - 1]))
			abort();
	}
	if (b->len >= 7 && memmem(b->data, b->len, "<script", 7) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct archive_msg	v[MSGS_MAX];
	struct archive_view	w;
	struct input		in;
	struct buf		b;
	struct err		err;
	const char		*s = (const char *)data, *e;
	char			(*months)[16];
	size_t			 n = 0, i, nm;

	while (n < MSGS_MAX) {
		e = n + 1 < MSGS_MAX ? memmem(s, len - (size_t)(s -
		    (const char *)data), "\n\x01\n", 3) : NULL;
		in.p[n] = s;
		in.n[n] = e != NULL ? (size_t)(e - s) + 1 :
		    len - (size_t)(s - (const char *)data);
		n++;
		if (e == NULL)
			break;
		s = e + 3;
	}
	for (i = 0; i < n; i++) {
		char id[48];

		snprintf(id, sizeof(id), "%040zx", i);
		if (archive_msg_parse(in.p[i], in.n[i], id, 1000, &v[i],
		    &err) == -1)
			abort();
	}
	if (archive_thread(v, n, &err) == -1)
		abort();
	memset(&w, 0, sizeof(w));
	w.title = "dev";
	w.v = v;
	w.n = n;
	w.now = 1000;
	w.part = part;
	w.page_size = 2;	/* month pages of two threads */
	buf_init(&b, 64u * 1024 * 1024);
	for (i = 0; i < n; i++) {
		if (v[i].thread == (size_t)-1 || v[v[i].thread].thread !=
		    v[i].thread)
			abort();
		if (v[i].thread != i)
			continue;
		buf_reset(&b);
		if (archive_html_thread(&w, i, raw, &in, &b, &err) == -1)
			abort();
		check(&b);
	}
	months = calloc(n + 1, 16);
	nm = months != NULL ? archive_months(&w, months, n) : 0;
	for (i = 0; i < nm; i++) {
		size_t	pg, npg = archive_month_pages(&w, months[i]);

		if (npg == 0 || npg > n)
			abort();
		for (pg = 1; pg <= npg; pg++) {
			buf_reset(&b);
			if (archive_html_month(&w, months[i], pg, &b,
			    &err) == -1)
				abort();
			check(&b);
		}
	}
	free(months);
	buf_reset(&b);
	if (archive_html_index(&w, &b, &err) == -1)
		abort();
	check(&b);
	buf_reset(&b);
	if (archive_html_atom(&w, "0123456789abcdef0123456789abcdef01234567",
	    30, raw, &in, &b, &err) == -1)
		abort();
	check(&b);
	buf_fini(&b);
	for (i = 0; i < n; i++)
		archive_msg_fini(&v[i]);
	return 0;
}
