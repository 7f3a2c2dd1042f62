/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file eve.h
 * @brief The EVE file writer: event lines from the detector thread, through a bounded ring,
 * to a thread of its own that appends them to [output] eve (or standard output), so a slow
 * or full disk delays only this thread, never capture or detection. Reopened on SIGHUP.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dx_eve dx_eve_t;

typedef struct dx_eve_stats {
	uint64_t written; /* lines written */
	uint64_t dropped; /* lines the ring had no room for */
	uint64_t failed;  /* lines a write error lost (a full disk) */
	uint64_t reopened;
} dx_eve_stats_t;

/** Open path ("-": standard output) for appending and start the writer; queue_bytes bounds
 * the lines waiting. wait: a full queue makes dx_eve_put() wait (a replay, whose rows must not
 * depend on timing) instead of dropping the line (live). 0, or -1 after writing one line into
 * err (DX_CONFIG_ERRMAX bytes). */
int dx_eve_open(dx_eve_t **out, const char *path, size_t queue_bytes, bool wait, char *err);

/** Queue one line (the detector thread only). False if it was dropped (counted). */
bool dx_eve_put(dx_eve_t *w, const char *line, size_t len);

/** Reopen the file before the next write (SIGHUP, after logrotate moved it). Any thread. */
void dx_eve_reopen(dx_eve_t *w);

/** Write what is queued (at most deadline_ms), stop the writer, close the file, free w; the
 * final counts into *last (may be NULL). Safe on NULL. */
void dx_eve_close(dx_eve_t *w, uint32_t deadline_ms, dx_eve_stats_t *last);

void dx_eve_get_stats(dx_eve_t *w, dx_eve_stats_t *out);

/** Bytes dx_eve_open() allocates for queue_bytes. */
size_t dx_eve_mem_bound(size_t queue_bytes);
