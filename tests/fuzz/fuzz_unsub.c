/*
 * fuzz_unsub.c: timbre-listd's one-click unsubscribe parsers
 * (daemons/listd/unsub.c) on any bytes, since tokens and form bodies
 * come from anyone on the web: listd_unsub_check on the input as a
 * token, listd_unsub_is_one_click on it as a body under each content
 * type, and a round trip: the input split at its first two NULs into a
 * list, a domain and an address, made into a token that must check
 * back to the same three in lower case (and be refused under another
 * key).  Whatever the input, a refused token leaves who_out empty, and
 * an accepted one has NUL-terminated fields.
 *
 * unsub.c is the daemon's, not libtimbre's, and `make fuzz` compiles
 * only the harness against the library, so it is compiled in here.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemons/listd/unsub.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	key[LISTD_UNSUB_KEY_LEN] = { 1, 2, 3, 4, 5 };
static const uint8_t	key2[LISTD_UNSUB_KEY_LEN] = { 5, 4, 3, 2, 1 };

static void
round_trip(const char *data, size_t len)
{
	char			 part[3][STORE_DOMAIN_MAX + 2];
	char			 token[LISTD_UNSUB_TOKEN_MAX + 1];
	struct listd_unsub_who	 who;
	struct err		 err;
	const char		*p = data, *end = data + len, *nul;
	size_t			 i, k, n;

	for (i = 0; i < 3; i++) {
		nul = i < 2 ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		n = (size_t)((nul != NULL ? nul : end) - p);
		if (n >= sizeof(part[i]))
			return;
		memcpy(part[i], p, n);
		part[i][n] = '\0';
		p = nul != NULL ? nul + 1 : end;
		if (i < 2 && nul == NULL)
			return;
	}
	if (listd_unsub_token(key, part[0], part[1], part[2], token,
	    sizeof(token), &err) == -1)
		return;
	if (strlen(token) > LISTD_UNSUB_TOKEN_MAX ||
	    listd_unsub_check(key, token, strlen(token), &who, &err) == -1)
		abort();
	for (i = 0; i < 3; i++) {
		const char *got = i == 0 ? who.list : i == 1 ? who.domain :
		    who.address;

		if (strlen(got) != strlen(part[i]))
			abort();
		for (k = 0; part[i][k] != '\0'; k++)
			if ((unsigned char)got[k] !=
			    tolower((unsigned char)part[i][k]))
				abort();
	}
	if (listd_unsub_check(key2, token, strlen(token), &who, &err) != -1 ||
	    who.list[0] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const	 types[] = { NULL,
	    "application/x-www-form-urlencoded",
	    "multipart/form-data; boundary=x", "text/plain" };
	struct listd_unsub_who		 who;
	struct err			 err;
	char				*copy;
	size_t				 i;

	/* Exactly len bytes, so that a read past the end is seen. */
	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	if (listd_unsub_check(key, copy, len, &who, &err) == 0) {
		if (memchr(who.list, '\0', sizeof(who.list)) == NULL ||
		    memchr(who.domain, '\0', sizeof(who.domain)) == NULL ||
		    memchr(who.address, '\0', sizeof(who.address)) == NULL)
			abort();
	} else if (who.list[0] != '\0' || who.address[0] != '\0')
		abort();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		(void)listd_unsub_is_one_click(types[i], copy, len);
	round_trip(copy, len);
	free(copy);
	return 0;
}
