/*
 * daemon.c: sd_notify(3)'s protocol (a datagram to $NOTIFY_SOCKET, which
 * may be in the abstract namespace when it starts with "@") and the
 * privilege drop.
 */
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/daemon.h"
#include "util/err.h"

int
daemon_notify(const char *state, struct err *err)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	size_t			 n;
	int			 fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		err_set(err, ERR_ARG, "NOTIFY_SOCKET=%s is not usable", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		err_set(err, ERR_IO, "notify socket: %s", strerror(errno));
		return -1;
	}
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sun,
	    len) == -1) {
		err_set(err, ERR_IO, "notify %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
daemon_drop_privileges(const char *user, struct err *err)
{
	struct passwd	*pw;

	if (user == NULL || user[0] == '\0')
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		err_set(err, ERR_ARG, "user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		err_set(err, ERR_IO, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		err_set(err, ERR_IO, "could regain root after dropping to %s",
		    user);
		return -1;
	}
	return 0;
}
