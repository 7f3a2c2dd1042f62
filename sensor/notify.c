/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sd_notify(3) by hand: the protocol is one AF_UNIX datagram of "KEY=VALUE" lines to the
 * socket named in $NOTIFY_SOCKET, which systemd reads with SO_PASSCRED to learn the sender.
 * Doing it here (about 60 lines) spares a dependency on libsystemd for the three messages
 * the sensor sends. The socket is connected once, before privileges are dropped, so the
 * unprivileged sensor can still reach it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensor/notify.h"

static int fd = -1;
static int64_t watchdog_us;

void dx_notify_init(void)
{
	const char *e = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	if (e != NULL && (pid == NULL || strtol(pid, NULL, 10) == (long) getpid())) {
		char *end;
		long long v = strtoll(e, &end, 10);
		if (*end == '\0' && v > 0)
			watchdog_us = v;
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = path ? strlen(path) : 0;
	if (n < 2 || n >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@')) {
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* the abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &sa,
			       (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n)) != 0) {
		close(fd);
		fd = -1;
	}
	unsetenv("NOTIFY_SOCKET"); /* the hooks are not the service's main process */
}

bool dx_notify(const char *msg)
{
	return fd >= 0 && send(fd, msg, strlen(msg), MSG_NOSIGNAL) == (ssize_t) strlen(msg);
}

int64_t dx_notify_watchdog_us(void)
{
	return fd >= 0 ? watchdog_us : 0;
}
