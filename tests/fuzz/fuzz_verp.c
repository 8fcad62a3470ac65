/*
 * fuzz_verp.c: timbre-listd's return-path decoders (daemons/listd/
 * verp.c) on any bytes, since the local part of a bounce's RCPT is
 * anyone's: listd_verp_decode and listd_verp_probe_decode on the input
 * as what follows "bounces+", listd_verp_probe_of on it as a whole
 * path.  A decoded address has one '@' with something on both sides, a
 * decoded token is LISTD_PROBE_TOKEN_LEN lower-case hex digits, and a
 * probe path encoded from them decodes back to the same two.
 *
 * verp.c is the daemon's, not libtimbre's, and `make fuzz` compiles
 * only the harness against the library, so it is compiled in here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemons/listd/verp.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_addr(const char *a)
{
	const char	*at = strrchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	in[600], out[600], back[600], path[600];
	char	token[LISTD_PROBE_TOKEN_LEN + 1], t2[LISTD_PROBE_TOKEN_LEN + 1];
	size_t	i;

	if (len >= sizeof(in) || memchr(data, '\0', len) != NULL)
		return 0;
	memcpy(in, data, len);
	in[len] = '\0';
	if (listd_verp_decode(in, out, sizeof(out)))
		check_addr(out);
	if (listd_verp_probe_decode(in, token, out, sizeof(out))) {
		check_addr(out);
		for (i = 0; i < LISTD_PROBE_TOKEN_LEN; i++)
			if (!((token[i] >= '0' && token[i] <= '9') ||
			    (token[i] >= 'a' && token[i] <= 'f')))
				abort();
		if (token[LISTD_PROBE_TOKEN_LEN] != '\0')
			abort();
		if (listd_verp_probe_encode("dev", "lists.test", out, token,
		    path, sizeof(path))) {
			if (!listd_verp_probe_of("dev", "lists.test", out, path,
			    t2) || strcmp(t2, token) != 0)
				abort();
			*strrchr(path, '@') = '\0';
			if (!listd_verp_probe_decode(path +
			    strlen("dev-bounces+"), t2, back, sizeof(back)) ||
			    strcmp(back, out) != 0)
				abort();
		}
	}
	(void)listd_verp_probe_of("dev", "lists.test", "bob@example.net", in,
	    token);
	return 0;
}
