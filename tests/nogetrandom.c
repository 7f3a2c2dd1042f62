/* SPDX-License-Identifier: BSD-2-Clause */
/* LD_PRELOAD shim for tests/entropy.sh: getrandom() fails as on a kernel without it (or
 * under a seccomp filter that refuses it). */
#include <errno.h>
#include <sys/random.h>

ssize_t getrandom(void *buf, size_t n, unsigned int flags)
{
	(void) buf;
	(void) n;
	(void) flags;
	errno = ENOSYS;
	return -1;
}
