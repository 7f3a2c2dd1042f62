/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file log.h
 * @brief Leveled logging to stderr. dx_log() checks the level before evaluating its
 * arguments. dx_log_ratelimited() prints at most one line per key per interval of the
 * caller's clock, so nothing a remote sender controls can flood the log.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/base/common.h"

enum dx_log_level { DX_LOG_ERR = 0, DX_LOG_WARN, DX_LOG_NOTICE, DX_LOG_INFO, DX_LOG_DEBUG };
enum dx_log_group {
	DX_GRP_MAIN = 0,
	DX_GRP_CAPTURE,
	DX_GRP_PARSE,
	DX_GRP_DETECT,
	DX_GRP_STORE,
	DX_GRP_HOOK,
	DX_GRP_CONFIG
};

/* The one process-wide mutable setting (style 2.3). */
extern _Atomic int dx_log_level;

void dx_log_emit(int level, int group, const char *fmt, ...) DX_PRINTF(3, 4);

#define dx_log(level, group, ...)                                                         \
	do {                                                                              \
		if ((level) <= atomic_load_explicit(&dx_log_level, memory_order_relaxed)) \
			dx_log_emit((level), (group), __VA_ARGS__);                       \
	} while (0)

/** Per-key limiter: caller-owned, zero-initialised. */
typedef struct dx_ratelimit {
	int64_t next_us;     /* earliest time the next line may go out */
	uint64_t suppressed; /* lines swallowed since the last one printed */
} dx_ratelimit_t;

/** True when a line may be printed at now_us (any monotonic µs clock); at most one per
 * interval_us. The caller prints rl->suppressed with it if it likes. */
bool dx_ratelimit_ok(dx_ratelimit_t *rl, int64_t now_us, int64_t interval_us);

/** Send later lines to syslog(3) (facility daemon) instead of standard error. */
/** Replace the control bytes of s (a path, a library's message: text an operator or a file
 * supplied) with '?', so that nothing reaching the terminal can drive it. Every log line
 * goes through it; wire names are escaped before that (\DDD). */
void dx_log_sanitize(char *s);

void dx_log_use_syslog(void);
/** Whether stderr is the systemd journal (JOURNAL_STREAM names it): then every line starts
 * with its syslog priority, "<3>" for an error and so on. Call once at start. */
bool dx_log_detect_journal(void);

/** Parse "err|warn|notice|info|debug"; returns the level or -1. */
int dx_log_level_parse(const char *s);
