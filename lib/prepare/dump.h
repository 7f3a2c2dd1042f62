/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file dump.h
 * @brief The --dump line: one line of text per decoded DNS message, stable and documented
 * (README "Dump format"), compared against golden files by the tests.
 */
#pragma once

#include <stddef.h>

#include "lib/prepare/query.h"

#define DX_DUMP_LINEMAX 1400 /* the longest line dx_dump_format() can write, NUL included */

/** Format q into buf (at least DX_DUMP_LINEMAX bytes), newline included; returns length. */
size_t dx_dump_format(const dx_query_t *q, char *buf);

/** ISO 8601 UTC with microseconds ("2024-03-01T00:00:00.000123Z") into buf[32]; returns
 * length. */
size_t dx_dump_time(dx_ts_t ts_us, char *buf);
