/*
 * daemon.h: what every timbre daemon does the same way at start-up:
 * telling systemd it is ready (sd_notify, without libsystemd) and
 * dropping root after binding its sockets.
 */
#ifndef TIMBRE_UTIL_DAEMON_H
#define TIMBRE_UTIL_DAEMON_H

struct err;

/* Sends "READY=1" (or any state line) to $NOTIFY_SOCKET if it is set;
 * 0 when sent or not under systemd, -1 with err if sending failed. */
int	daemon_notify(const char *state, struct err *);
/* Drops to user (its uid, gid and groups); NULL or "" does nothing.
 * -1 with err if the user is unknown or a step fails. */
int	daemon_drop_privileges(const char *user, struct err *);

#endif
