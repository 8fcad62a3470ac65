/*
 * test_dsn.c: reading delivery reports (src/mail/dsn.c): RFC 3464 DSNs
 * written by hand after the RFC's examples and the shapes Postfix, Exim,
 * Gmail and Exchange send, and the plain-text bounces of MTAs that send
 * none.  Each case is read whole and cut at every byte (no crash, no
 * read past the end).
 */
#include <stdlib.h>
#include <string.h>

#include "mail/dsn.h"
#include "test_deliver.h"

static const struct {
	const char		*name;
	const char		*msg;
	bool			 standard;
	size_t			 nrcpt;
	const char		*rcpt;
	enum mail_dsn_action	 action;
	const char		*status;
	const char		*diag_has;
	bool			 policy;
	const char		*message_id;
} cases[] = {
	{ "rfc3464 postfix",
	  "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
	  "To: dev-bounces+bob=example.net@lists.test\r\n"
	  "Subject: Undelivered Mail Returned to Sender\r\n"
	  "Message-ID: <bounce1@mx.example.net>\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	  "\tboundary=\"B1\"\r\n\r\n"
	  "--B1\r\nContent-Description: Notification\r\n"
	  "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	  "I'm sorry to have to inform you that your message could not\r\n"
	  "be delivered to one or more recipients.\r\n\r\n"
	  "<bob@example.net>: host mx[192.0.2.1] said: 550 5.1.1 unknown\r\n\r\n"
	  "--B1\r\nContent-Description: Delivery report\r\n"
	  "Content-Type: message/delivery-status\r\n\r\n"
	  "Reporting-MTA: dns; mx.example.net\r\n"
	  "X-Postfix-Queue-ID: 4Xyz\r\n"
	  "Arrival-Date: Mon,  7 Dec 2026 09:08:13 +0000 (UTC)\r\n\r\n"
	  "Final-Recipient: rfc822; bob@example.net\r\n"
	  "Original-Recipient: rfc822;bob@example.net\r\n"
	  "Action: failed\r\n"
	  "Status: 5.1.1\r\n"
	  "Remote-MTA: dns; mx.example.net\r\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient\r\n"
	  "    address rejected: User unknown in local recipient table\r\n\r\n"
	  "--B1\r\nContent-Description: Undelivered Message Headers\r\n"
	  "Content-Type: text/rfc822-headers\r\n\r\n"
	  "From: alice@example.org\r\n"
	  "Message-ID: <post1@example.org>\r\n"
	  "Subject: hello\r\n\r\n--B1--\r\n",
	  true, 1, "bob@example.net", MAIL_DSN_FAILED, "5.1.1",
	  "User unknown in local recipient table", false,
	  "<post1@example.org>" },
	{ "rfc3464 two recipients, LF, Original-Recipient only",
	  "Subject: report\n"
	  "Content-Type: multipart/report; report-type=delivery-status; "
	  "boundary=x\n\n"
	  "--x\nContent-Type: text/plain\n\nsee below\n"
	  "--x\nContent-Type: message/delivery-status\n\n"
	  "Reporting-MTA: dns; a.example\n\n"
	  "Original-Recipient: rfc822; <carol@example.com>\n"
	  "Action: delayed\nStatus: 4.4.7\n\n"
	  "Final-Recipient: RFC822; dave@example.com\nACTION: Failed\n"
	  "Status: 5.2.2 (mailbox full)\n"
	  "Diagnostic-Code: X-Unix; quota exceeded\n\n--x--\n",
	  true, 2, "carol@example.com", MAIL_DSN_DELAYED, "4.4.7", "", false,
	  "" },
	{ "gmail dmarc rejection",
	  "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
	  "Content-Type: multipart/report; boundary=\"g\"; "
	  "report-type=delivery-status\r\n\r\n"
	  "--g\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n"
	  "Message not delivered\r\n\r\n"
	  "--g\r\nContent-Type: message/delivery-status\r\n\r\n"
	  "Reporting-MTA: dns; googlemail.com\r\n\r\n"
	  "Final-Recipient: rfc822; erin@gmail.example\r\n"
	  "Action: failed\r\nStatus: 5.7.26\r\n"
	  "Diagnostic-Code: smtp; 550-5.7.26 Unauthenticated email from "
	  "example.org is not\r\n"
	  " accepted due to domain's DMARC policy. Please contact the "
	  "administrator\r\n--g--\r\n",
	  true, 1, "erin@gmail.example", MAIL_DSN_FAILED, "5.7.26", "DMARC",
	  true, "" },
	{ "outlook text (no DSN part)",
	  "From: postmaster@outlook.example\r\n"
	  "Subject: Undeliverable: hello\r\n"
	  "Content-Type: text/plain\r\n\r\n"
	  "Delivery has failed to these recipients or groups:\r\n\r\n"
	  "<frank@outlook.example>\r\n"
	  "The email address you entered couldn't be found.\r\n\r\n"
	  "Diagnostic information for administrators:\r\n"
	  "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound;"
	  " Recipient not found by SMTP address lookup'\r\n",
	  false, 1, "frank@outlook.example", MAIL_DSN_FAILED, "5.1.10",
	  "RecipientNotFound", false, "" },
	{ "exim text",
	  "From: Mail Delivery System <Mailer-Daemon@exim.example>\r\n"
	  "Subject: Mail delivery failed: returning message to sender\r\n\r\n"
	  "This message was created automatically by mail delivery software."
	  "\r\n\r\nA message that you sent could not be delivered to one or "
	  "more of its\r\nrecipients. This is a permanent error.\r\n\r\n"
	  "  gina@exim.example\r\n"
	  "    host mx.exim.example [192.0.2.7]\r\n"
	  "    SMTP error from remote mail server after RCPT "
	  "TO:<gina@exim.example>:\r\n"
	  "    550 5.7.1 Message rejected as spam by policy\r\n\r\n"
	  "------ This is a copy of the message's headers. ------\r\n\r\n"
	  "Message-ID: <post2@example.org>\r\n",
	  false, 1, "", MAIL_DSN_FAILED, "5.7.1", "spam", true,
	  "<post2@example.org>" },
	{ "qmail text, 4xx",
	  "From: MAILER-DAEMON@q.example\r\n\r\n"
	  "Hi. This is the qmail-send program at q.example.\r\n\r\n"
	  "<hank@q.example>:\r\n"
	  "192.0.2.9 does not like recipient.\r\n"
	  "Remote host said: 452 mailbox temporarily over quota\r\n",
	  false, 1, "hank@q.example", MAIL_DSN_DELAYED, "",
	  "over quota", false, "" },
	{ "gmail text, multi-line reply",
	  "From: mailer-daemon@googlemail.com\r\n\r\n"
	  "The response from the remote server was:\r\n"
	  "550-5.7.26 This mail has been blocked because the sender is\r\n"
	  "550-5.7.26 unauthenticated. Gmail requires all senders to\r\n"
	  "550 5.7.26 authenticate with either SPF or DKIM.\r\n",
	  false, 1, "", MAIL_DSN_FAILED, "5.7.26", "either SPF or DKIM",
	  true, "" },
	{ "out of office: no report",
	  "From: ivan@example.com\r\nSubject: Out of office\r\n\r\n"
	  "I am away until 12/24 and will reply at 10.30 when back.\r\n"
	  "Call 555 1234.\r\n",
	  false, 0, "", MAIL_DSN_NONE, "", "", false, "" },
	{ "empty", "", false, 0, "", MAIL_DSN_NONE, "", "", false, "" },
	{ "status part with no body",
	  "Content-Type: message/delivery-status\r\n",
	  false, 0, "", MAIL_DSN_NONE, "", "", false, "" },
};

START_TEST(test_dsn_cases)
{
	struct mail_dsn	 d;
	const char	*m = cases[_i].msg;

	mail_dsn_parse(m, strlen(m), &d);
	ck_assert_msg(d.nrcpt == cases[_i].nrcpt, "%s: %zu recipients",
	    cases[_i].name, d.nrcpt);
	if (cases[_i].nrcpt == 0)
		return;
	ck_assert_msg(d.standard == cases[_i].standard, "%s", cases[_i].name);
	ck_assert_str_eq(d.rcpt[0].recipient, cases[_i].rcpt);
	ck_assert_int_eq(d.rcpt[0].action, cases[_i].action);
	ck_assert_str_eq(d.rcpt[0].status, cases[_i].status);
	ck_assert_msg(strstr(d.rcpt[0].diagnostic, cases[_i].diag_has) !=
	    NULL, "%s: diagnostic \"%s\"", cases[_i].name,
	    d.rcpt[0].diagnostic);
	ck_assert_msg(mail_dsn_is_policy(d.rcpt[0].status,
	    d.rcpt[0].diagnostic) == cases[_i].policy, "%s", cases[_i].name);
	ck_assert_str_eq(d.message_id, cases[_i].message_id);
}
END_TEST

START_TEST(test_dsn_second_recipient)
{
	struct mail_dsn	 d;
	const char	*m = cases[1].msg;

	mail_dsn_parse(m, strlen(m), &d);
	ck_assert_str_eq(d.rcpt[1].recipient, "dave@example.com");
	ck_assert_int_eq(d.rcpt[1].action, MAIL_DSN_FAILED);
	ck_assert_str_eq(d.rcpt[1].status, "5.2.2");
	ck_assert_str_eq(d.rcpt[1].diagnostic, "quota exceeded");
}
END_TEST

/* Every prefix, in a buffer of its exact size (ASan sees any read past
 * the end). */
START_TEST(test_dsn_every_cut)
{
	struct mail_dsn	 d;
	const char	*m = cases[_i].msg;
	size_t		 len = strlen(m), cut;
	char		*p;

	for (cut = 0; cut <= len; cut++) {
		p = malloc(cut == 0 ? 1 : cut);
		memcpy(p, m, cut);
		mail_dsn_parse(p, cut, &d);
		ck_assert(d.nrcpt <= MAIL_DSN_MAX_RCPT);
		free(p);
	}
}
END_TEST

static const struct {
	const char	*text;
	const char	*want;
} statuses[] = {
	{ "550 5.1.1 user unknown", "5.1.1" },
	{ "at 192.0.2.1 said 4.2.2", "4.2.2" },
	{ "v1.2.3 then 5.7.26.", "5.7.26" },
	{ "5.1234.1", NULL },
	{ "6.1.1 3.1.1", NULL },
	{ "15.1.1", NULL },
	{ "5.1.", NULL },
};

START_TEST(test_find_status)
{
	char	out[MAIL_DSN_STATUS_MAX];
	bool	found;

	found = mail_dsn_find_status(statuses[_i].text,
	    strlen(statuses[_i].text), out);
	if (statuses[_i].want == NULL)
		ck_assert(!found);
	else {
		ck_assert(found);
		ck_assert_str_eq(out, statuses[_i].want);
	}
}
END_TEST

TCase *
test_dsn_tcase(void)
{
	TCase	*tc = tcase_create("dsn");
	int	 n = (int)(sizeof(cases) / sizeof(cases[0]));

	tcase_add_loop_test(tc, test_dsn_cases, 0, n);
	tcase_add_test(tc, test_dsn_second_recipient);
	tcase_add_loop_test(tc, test_dsn_every_cut, 0, n);
	tcase_add_loop_test(tc, test_find_status, 0,
	    (int)(sizeof(statuses) / sizeof(statuses[0])));
	return tc;
}
