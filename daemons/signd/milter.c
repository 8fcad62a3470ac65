/*
 * milter.c: timbre-signd's milter path (--milter), not written yet: a
 * configuration that asks for it is refused at start.
 */
#include "signd.h"
#include "util/err.h"

int
signd_milter_start(struct signd *sd, struct err *err)
{
	if (!sd->set.milter_on)
		return 0;
	err_set(err, ERR_ARG, "--milter: not implemented yet");
	return -1;
}

void
signd_milter_stop(struct signd *sd)
{
	(void)sd;
}

size_t
signd_milter_conns(const struct signd *sd)
{
	(void)sd;
	return 0;
}
