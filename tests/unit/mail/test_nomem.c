/*
 * test_nomem.c: every allocation of src/mail can fail.  check_mail is
 * linked with the failing allocator of tests/unit/nomem.h (malloc, calloc,
 * realloc and reallocarray: see src/mail/local.mk; src/mail makes its
 * copies with mail_addr_strdup, over malloc).  Each operation runs with
 * its first, second, ... allocation failing until it no longer reaches
 * the failure, and must report ERR_NOMEM each time; under
 * --enable-sanitizers LeakSanitizer proves that nothing leaks on the way.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_mail.h"

static const char	 msg[] = "From: a\r\nTo: b,\r\n c\r\nSubject: x\r\n"
    "\r\nbody line\r\nand another\r\n";

/* Reads msg in pieces; 0, or -1 with err. */
static int
nomem_read(enum mail_newline nl, struct err *err)
{
	struct mail_reader	*r;
	struct mail_hdrs	*h = NULL;
	const char		*p;
	size_t			 n, len, off;
	enum mail_read		 ev;
	int			 rc = -1;

	if ((r = mail_reader_new(nl, 0, err)) == NULL)
		return -1;
	for (off = 0; off <= sizeof(msg) - 1; off += n) {
		n = sizeof(msg) - 1 - off < 7 ? sizeof(msg) - 1 - off : 7;
		if (n == 0) {
			mail_reader_finish(r);
			n = 1;
		} else if (mail_reader_feed(r, msg + off, n, err) == -1)
			goto out;
		while ((ev = mail_reader_next(r, &p, &len, err)) !=
		    MAIL_READ_NEED_MORE) {
			if (ev == MAIL_READ_ERROR)
				goto out;
			if (ev == MAIL_READ_END) {
				rc = 0;
				goto out;
			}
			if (ev == MAIL_READ_HEADERS)
				h = mail_reader_take_hdrs(r);
		}
	}
	err_set(err, ERR_ARG, "reader did not end");
out:
	mail_hdrs_free(h);
	mail_reader_free(r);
	return rc;
}

static int
nomem_hdrs(struct err *err)
{
	static const char	 in[] = "A: 1\r\nB: 2\r\n 3\r\n";
	struct mail_hdrs	*h;

	if ((h = mail_hdrs_parse(in, strlen(in), err)) == NULL)
		return -1;
	mail_hdrs_free(h);
	return 0;
}

static int
nomem_addrs(struct err *err)
{
	static const char	 in[] = "Ann <a@x>, team: \"b c\"@y, "
	    "d@[1.2.3.4];, e@z, f@z, g@z, (c) Hal <@r:h@z>";
	struct mail_addrs	 a;

	size_t			 n;

	if (mail_addrs_parse(in, strlen(in), &a, err) == -1)
		return -1;
	n = a.n;
	mail_addrs_fini(&a);
	return n == 7 ? 0 : -1;
}

START_TEST(test_nomem)
{
	struct err	err;
	long		n;
	int		rc, hit;

	for (n = 0;; n++) {
		err_clear(&err);
		nomem_arm(n);
		switch (_i) {
		case 0:
			rc = nomem_read(MAIL_NL_LF, &err);
			break;
		case 1:
			rc = nomem_read(MAIL_NL_CRLF, &err);
			break;
		case 2:
			rc = nomem_hdrs(&err);
			break;
		default:
			rc = nomem_addrs(&err);
			break;
		}
		hit = nomem_disarm();
		if (!hit) {
			ck_assert_msg(rc == 0, "%s", err.msg);
			break;
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(err.code == ERR_NOMEM, "allocation %ld: %d %s",
		    n, err.code, err.msg);
	}
	ck_assert_int_gt(n, 2);
}
END_TEST

TCase *
mail_nomem_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("nomem");
	tcase_add_loop_test(tc, test_nomem, 0, 4);
	return tc;
}
