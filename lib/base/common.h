/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file common.h
 * @brief Compiler helpers shared by every file: attributes, ARRAY_SIZE, branch hints and
 * the always-on DX_REQUIRE assertion. No state, no functions with bodies beyond one line.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define DX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define DX_MUSTCHECK __attribute__((warn_unused_result))
#define DX_COLD __attribute__((cold))
#define DX_UNUSED __attribute__((unused))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Always on, release builds included: only for programmer errors that would corrupt state.
 * Never for input checks (style 2.4). */
#define DX_REQUIRE(x)                                                                          \
	do {                                                                                   \
		if (unlikely(!(x))) {                                                          \
			fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, \
				#x);                                                           \
			abort();                                                               \
		}                                                                              \
	} while (0)

#define DX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DX_MAX(a, b) ((a) > (b) ? (a) : (b))

typedef int64_t dx_ts_t; /* µs since the Unix epoch, packet time (never the wall clock) */
