/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file store.h
 * @brief The alert database: SQLite, one writing connection owned by the detector thread.
 *
 * Schema (README "Database") created and migrated through PRAGMA user_version (db.c); STRICT
 * tables; WAL, so readers (the sqlite3 shell, a SIEM forwarder) never block the writer.
 * Statements are prepared once. Every row waits in one bounded queue until the transaction
 * that writes it commits: dx_store_tick() writes the queue once it is flush_ms old by the
 * caller's clock, a batch_rows-th row or a block or stats row at once, dx_store_flush() now.
 * All values are bound parameters: nothing from the wire is SQL text.
 *
 * A write that fails in a way that may pass (another process holding the write lock past
 * DX_STORE_BUSY_MS, a full or read-only disk, an I/O error) is rolled back, counted and logged
 * at most once a minute; its rows stay queued, in order, and are tried again at later ticks.
 * Only what does not fit in the queue is lost, counted by table.
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/detect/alert.h"
#include "lib/base/common.h"

#define DX_STORE_VERSION 7 /* PRAGMA user_version written by this build */
#define DX_STORE_BUSY_MS 5 /* a write waits this long for a lock held elsewhere, then queues */
#define DX_STORE_STDERR_MAX 2048 /* a hook's stderr kept in blocks.hook_stderr */

/** The tables rows are lost from, for dx_store_lost_by_table(). */
enum dx_store_table {
	DX_TAB_ALERTS,
	DX_TAB_WINDOWS,
	DX_TAB_STATS,
	DX_TAB_BLOCKS,
	DX_TAB_RUNS,
	DX_STORE_TABLES
};

typedef struct dx_store dx_store_t;

/** A snapshot of the sensor's counters, for sensor_stats. */
typedef struct dx_store_stats {
	double wall;	/* Unix time of the snapshot (wall clock) */
	dx_ts_t pkt_ts; /* packet time of the newest message seen, 0 if none */
	uint64_t packets, bytes, dns_msgs, queries, responses, truncated;
	uint64_t ring_a_full, ring_b_full, pcap_drop, pcap_ifdrop;
	uint64_t apexes_tracked, evictions, alerts, rows_written;
	char malformed[1024]; /* JSON object, reason -> count */
} dx_store_stats_t;

/**
 * Open (creating if needed) the database at path, migrate it to DX_STORE_VERSION and prepare
 * the statements. flush_ms: the longest a write waits for its commit; batch_rows: rows after
 * which a batch commits anyway; sync: fsync at checkpoints (PRAGMA synchronous=NORMAL), so a
 * power loss cannot undo a checkpointed commit, or leave writing back to the kernel
 * (synchronous=OFF: a crash of the process still loses nothing committed). On failure returns
 * DX_ESTORE with one line in err (DX_CONFIG_ERRMAX bytes) naming the file: cannot open, not a
 * database, newer schema, ...
 */
int dx_store_open(dx_store_t **out, const char *path, uint32_t flush_ms, uint32_t batch_rows,
		  uint32_t queue_rows, bool sync, char *err) DX_MUSTCHECK;

/** Bytes dx_store_open() allocates for queue_rows waiting rows. */
size_t dx_store_mem_bound(uint32_t queue_rows);

/** Rows not yet committed (queue_rows at most). */
uint32_t dx_store_waiting(const dx_store_t *st);

/** Write the waiting rows, trying every 20 ms until deadline_us (the caller's monotonic
 * clock, now mono_now_us); those still waiting then are lost and counted. DX_ESTORE if any
 * row was ever lost. */
int dx_store_drain(dx_store_t *st, int64_t mono_now_us, int64_t deadline_us);

/** Rows lost, by table (DX_STORE_TABLES counters). */
const uint64_t *dx_store_lost_by_table(const dx_store_t *st);

/** Commit what is pending and close. Safe on NULL. */
void dx_store_close(dx_store_t *st);

/** For tests of migration: create path at schema version (1..DX_STORE_VERSION) and close. */
int dx_store_create_version(const char *path, int version, char *err) DX_MUSTCHECK;

/** Record this run's start (wall clock) by sensor (its id or host name); remembers the run's
 * id for later rows. */
int dx_store_run_begin(dx_store_t *st, const char *version, const char *config_digest,
		       const char *input, const char *sensor, double wall) DX_MUSTCHECK;
/** Record the run's end. */
int dx_store_run_end(dx_store_t *st, double wall) DX_MUSTCHECK;

/** Insert the alert (a->id == 0; sets a->id) or update its row in place (escalation). */
int dx_store_put_alert(dx_store_t *st, dx_alert_t *a) DX_MUSTCHECK;

/** Insert one closed window's statistics for one apex (replaces a row with the same key). */
int dx_store_add_window(dx_store_t *st, const dx_window_stats_t *w) DX_MUSTCHECK;

/** Insert a counter snapshot (committed at once). */
int dx_store_add_stats(dx_store_t *st, const dx_store_stats_t *s) DX_MUSTCHECK;

#define DX_STORE_KEEP INT32_MIN /* dx_store_update_block(): leave hook_exit as it is */

/** Insert a blocks row (action "add" or "remove", state "pending" or "dry_run"); *id gets its
 * row id. expires 0: never. */
int dx_store_add_block(dx_store_t *st, const char *domain, const char *apex, int64_t alert_id,
		       const char *action, dx_ts_t requested, dx_ts_t expires, const char *state,
		       int64_t *id) DX_MUSTCHECK;

/** Record a block's fate. hook_exit DX_STORE_KEEP, hook_stderr NULL, attempts 0 and
 * latency_ms < 0 leave those columns as they are. Ignores id 0. */
void dx_store_update_block(dx_store_t *st, int64_t id, const char *state, int hook_exit,
			   const char *hook_stderr, uint32_t attempts, double latency_ms);

/** Write the waiting rows now. DX_ESTORE if that failed (they still wait); a lock held
 * elsewhere is not a failure. */
int dx_store_flush(dx_store_t *st) DX_MUSTCHECK;

/** Write the waiting rows if the oldest is flush_ms old at mono_us (a monotonic µs clock the
 * caller reads; the library reads none), or, while the database is locked or failing, if the
 * last try was 20 ms ago. Cheap to call often. */
void dx_store_tick(dx_store_t *st, int64_t mono_us);

/**
 * Retention: delete window statistics that ended, and closed alerts last seen, before
 * now - days (packet time), at most max_rows rows per call so the writer is never held long.
 * Returns rows deleted (>= 0) or DX_ESTORE.
 */
int dx_store_retention(dx_store_t *st, dx_ts_t now, uint32_t days, unsigned max_rows);

/** Rows committed since open (a row of the open transaction counts once it commits), and
 * failed writes (statements, commits). */
uint64_t dx_store_rows_written(const dx_store_t *st);
/** Rows that will not reach the file: no room in the queue, refused by SQLite, or still
 * failing at dx_store_drain()'s deadline. (An alert's row is written whole again at its next
 * update, so a lost alert row may come back.) */
uint64_t dx_store_rows_lost(const dx_store_t *st);
uint64_t dx_store_errors(const dx_store_t *st);

/** Microsecond packet time as the REAL seconds stored in *_ts columns. */
static inline double dx_store_ts(dx_ts_t t)
{
	return (double) t / 1e6;
}
