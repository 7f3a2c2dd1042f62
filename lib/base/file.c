/* SPDX-License-Identifier: BSD-2-Clause */
/* Operator files read whole, with their kind and size checked before the first byte. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/err.h"
#include "lib/base/file.h"

char *dx_file_slurp(const char *path, size_t max, bool chr_ok, const char *what, size_t *n,
		    char *err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open %s: %s", path, what,
			 strerror(errno));
		return NULL;
	}
	struct stat sb;
	char why[128] = "";
	if (fstat(fd, &sb) != 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (S_ISDIR(sb.st_mode))
		snprintf(why, sizeof(why), "is a directory, not %s", what);
	else if (!S_ISREG(sb.st_mode) && !(chr_ok && S_ISCHR(sb.st_mode)))
		snprintf(why, sizeof(why), "is not a regular file (a FIFO, socket or device)");
	else if (S_ISREG(sb.st_mode) && (size_t) sb.st_size > max)
		snprintf(why, sizeof(why), "is larger than the %zu MiB %s may have", max >> 20,
			 what);
	char *buf = why[0] ? NULL : malloc(max + 1);
	size_t got = 0;
	while (buf != NULL && got <= max) {
		ssize_t r = read(fd, buf + got, max + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			snprintf(why, sizeof(why), "%s", strerror(errno));
		if (r <= 0)
			break;
		got += (size_t) r;
	}
	if (buf == NULL && why[0] == '\0')
		snprintf(why, sizeof(why), "out of memory");
	else if (got > max) /* it grew, or a device that does not end */
		snprintf(why, sizeof(why), "is larger than the %zu MiB %s may have", max >> 20,
			 what);
	close(fd);
	if (why[0]) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, why);
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*n = got;
	return buf;
}
