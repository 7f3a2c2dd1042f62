/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file file.h
 * @brief Reading an operator's file whole, safely: a configuration or an allowlist must be a
 * regular file of bounded size, so a directory, a FIFO (which would wait for a writer) or
 * /dev/zero (which never ends) is refused in one line before anything is parsed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/**
 * Read the file at path into a NUL-terminated buffer (malloc'd: the caller frees it) of at
 * most max bytes; *n gets its length. chr_ok: a character device is read too, up to max
 * (-c /dev/null stands for "no file"). what names the kind of file in messages ("an
 * allowlist"). NULL on failure, with "path: reason" in err (DX_CONFIG_ERRMAX bytes).
 */
char *dx_file_slurp(const char *path, size_t max, bool chr_ok, const char *what, size_t *n,
		    char *err);
