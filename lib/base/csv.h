/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file csv.h
 * @brief Comma-separated lists of ids and addresses, as the hooks' environment carries them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/** Whether list ("a,b,c", NUL-terminated) has the item of len bytes as one of its entries. */
static inline bool dx_csv_has(const char *list, const char *item, size_t len)
{
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t) (c - p) : strlen(p);
		if (n == len && memcmp(p, item, len) == 0)
			return true;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return false;
}
