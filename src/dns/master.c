/*
 * master.c: where the records ldns reads from master-file text (RFC 1035
 * section 5.1) stand, for the zone loader (src/auth/zone.c) and the _keys
 * reader (tsig.c): the first byte of a record past blanks and comments,
 * and the line it starts on.  ldns's own line counter differs between
 * 1.7 and 1.8 (empty lines), so lines are counted here.
 */
#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

size_t
dns_record_first(const char *text, size_t from, size_t to)
{
	bool	comment = false;
	size_t	i;

	for (i = from; i < to; i++) {
		if (text[i] == '\n')
			comment = false;
		else if (comment || text[i] == ' ' || text[i] == '\t' ||
		    text[i] == '\r')
			continue;
		else if (text[i] == ';')
			comment = true;
		else
			break;
	}
	return i;
}

int
dns_record_line(const char *text, size_t from, size_t to, size_t *scan_off,
    int *scan_line)
{
	size_t	i, first = dns_record_first(text, from, to);
	int	l;

	for (; *scan_off < from; (*scan_off)++)
		if (text[*scan_off] == '\n')
			(*scan_line)++;
	for (i = from, l = *scan_line; i < first; i++)
		if (text[i] == '\n')
			l++;
	return l;
}
