/* SPDX-License-Identifier: BSD-2-Clause */
/* The allowlist loader on arbitrary file contents (through a memfd), then lookups of every
 * line as a name. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/prepare/allow.h"
#include "lib/prepare/apex.h"
#include "lib/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("allow", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t) size) {
		close(fd);
		return 0;
	}
	char path[64], err[DX_CONFIG_ERRMAX];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dx_hash_key_t k = {5, 6};
	dx_allow_t *al = dx_allow_new(k);
	if (al != NULL && dx_allow_load(al, path, NULL, err) == DX_OK) {
		char name[256];
		size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
		memcpy(name, data, n);
		name[n] = '\0';
		dx_allow_match(al, name);
		dx_allow_has_below(al, name);
	}
	dx_allow_free(al);
	close(fd);
	return 0;
}
