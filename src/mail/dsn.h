/*
 * dsn.h: reading delivery reports, for the bounce handling of
 * timbre-listd: RFC 3464 delivery status notifications (a
 * multipart/report whose message/delivery-status part holds
 * Final-Recipient, Action, Status and Diagnostic-Code per recipient,
 * RFC 3463 status codes) and, where cheap, the plain-text bounces of
 * MTAs that send no DSN (a line quoting the remote server's SMTP reply,
 * as Postfix, Exim, qmail, Gmail and Exchange write them).
 *
 * The input is mail from anyone: the parser reads at most
 * MAIL_DSN_MAX_RCPT recipients and cuts every string to its field; it
 * never fails on malformed input, it just finds less.
 */
#ifndef TIMBRE_MAIL_DSN_H
#define TIMBRE_MAIL_DSN_H

#include <stdbool.h>
#include <stddef.h>

enum mail_dsn_action {
	MAIL_DSN_NONE = 0,	/* no Action field, or not one of these */
	MAIL_DSN_FAILED,
	MAIL_DSN_DELAYED,
	MAIL_DSN_DELIVERED,
	MAIL_DSN_RELAYED,
	MAIL_DSN_EXPANDED,
};

#define MAIL_DSN_MAX_RCPT	16
#define MAIL_DSN_ADDR_MAX	256
#define MAIL_DSN_STATUS_MAX	16
#define MAIL_DSN_DIAG_MAX	512

struct mail_dsn_rcpt {
	/* Final-Recipient (else Original-Recipient) without its type
	 * ("rfc822;") and angle brackets; "" if none.  Text bounces: the
	 * address the MTA named, if it did in a usual way. */
	char			recipient[MAIL_DSN_ADDR_MAX];
	enum mail_dsn_action	action;
	char			status[MAIL_DSN_STATUS_MAX];	/* "5.1.1" or "" */
	/* Diagnostic-Code after its type ("smtp;"), unfolded; text
	 * bounces: the line(s) quoting the reply. */
	char			diagnostic[MAIL_DSN_DIAG_MAX];
};

struct mail_dsn {
	bool			standard;	/* a delivery-status part */
	size_t			nrcpt;
	struct mail_dsn_rcpt	rcpt[MAIL_DSN_MAX_RCPT];
	/* The Message-ID of the returned message (with its angle
	 * brackets) when the report quotes its header; "" if not. */
	char			message_id[MAIL_DSN_ADDR_MAX];
};

/*
 * Reads msg[0..len) (lines ending in CRLF or LF) into out.  A report
 * with no recipient found (an auto-reply, a challenge, spam) gives
 * nrcpt 0.  Text bounces give one recipient at most: action FAILED for a
 * 5xx reply, DELAYED for a 4xx one.
 */
void	mail_dsn_parse(const char *msg, size_t len, struct mail_dsn *out);

/*
 * Whether a failure names a policy of the sender's domain or a spam
 * verdict rather than a problem of the recipient's mailbox: a status
 * 5.7.x (from status, or if that is empty the first enhanced code in
 * diagnostic) whose diagnostic names DMARC, SPF, a policy or spam
 * (without case).  Such bounces are the author's, not the subscriber's.
 */
bool	mail_dsn_is_policy(const char *status, const char *diagnostic);

/* The first RFC 3463 enhanced status code ("5.1.1") in text, copied to
 * out; false if there is none.  A code is class.subject.detail, class
 * 2, 4 or 5, subject and detail of 1 to 3 digits, not inside a longer
 * run of digits and dots. */
bool	mail_dsn_find_status(const char *text, size_t len,
	    char out[MAIL_DSN_STATUS_MAX]);

#endif
