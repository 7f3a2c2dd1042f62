/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SQLite store, owned by the detector thread (one connection, SQLITE_OPEN_NOMUTEX); the file,
 * its schema and its statements are db.c's.
 *
 * Every row goes through one bounded queue (queue_rows, allocated at open) and leaves it only
 * when the transaction that wrote it has committed. The queue is written in one transaction
 * when it is flush_ms old by the caller's clock (dx_store_tick()), when it holds batch_rows
 * rows, when a block row or a counter snapshot comes (news: at once), and at shutdown. A
 * reader in another process sees a new alert within about flush_ms, a batch costs one fsync of
 * the WAL at most, and the writer never commits per row.
 *
 * When the write fails in a way that may pass (another process holds the write lock; the disk
 * is full or read-only; an I/O error), the transaction is rolled back and every row stays in
 * the queue, in order, to be tried again at most every RETRY_US: nothing is lost but what
 * does not fit, which is counted by table and said once. A row SQLite can never take (a
 * constraint) is dropped and counted, so it cannot hold the queue. Ids the rows need before
 * they are written (an alert's, a block's) are handed out when the row is queued, as SQLite
 * would: the next after the highest, never twice.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/err.h"
#include "lib/base/log.h"
#include "lib/decode/dns.h"
#include "lib/store/db.h"
#include "lib/store/store.h"

#define RETRY_US 20000 /* a failing or locked database is tried again this often at most */

enum op_kind { OP_ALERT, OP_WINDOW, OP_STATS, OP_BLOCK_ADD, OP_BLOCK_UPD, OP_DROPPED };

/* A row waiting for its commit. */
struct op {
	enum op_kind kind;
	uint32_t puts; /* the rows it stands for: an alert's updates while it waited */
	union {
		dx_alert_t alert;
		dx_window_stats_t window;
		dx_store_stats_t stats;
		struct {
			int64_t id, alert_id;
			char domain[DX_DNAME_MAXTEXT + 3], apex[DX_DNAME_MAXTEXT + 1];
			char action[8], state[12];
			dx_ts_t requested, expires;
		} add;
		struct {
			int64_t id;
			char state[12];
			int hook_exit;
			bool has_stderr;
			char stderr_text[DX_STORE_STDERR_MAX + 1];
			uint32_t attempts;
			double latency_ms;
		} upd;
	} u;
};

static const enum dx_store_table op_table[] = {[OP_ALERT] = DX_TAB_ALERTS,
					       [OP_WINDOW] = DX_TAB_WINDOWS,
					       [OP_STATS] = DX_TAB_STATS,
					       [OP_BLOCK_ADD] = DX_TAB_BLOCKS,
					       [OP_BLOCK_UPD] = DX_TAB_BLOCKS};

struct dx_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[DX_DB_STMTS];
	char *path;
	int64_t run_id;
	int64_t last_tick_us; /* the caller's monotonic clock at its last tick */
	int64_t first_us;     /* ... when the oldest row in the queue came */
	int64_t retry_us;     /* ... when a failing or locked database was last tried */
	int64_t flush_us;
	uint32_t batch_rows;
	uint64_t rows, errors, lost; /* rows committed; failed statements and commits; rows lost */
	uint64_t lost_by[DX_STORE_TABLES];
	int64_t max_id; /* the highest alert id handed out */
	int64_t max_block_id;
	dx_ratelimit_t err_rl;
	struct op *q;	 /* rows not yet committed: the one queued k-th is at q[k % q_cap] */
	uint64_t q_tail; /* rows ever queued; the q_n before the tail wait */
	uint32_t q_cap, q_n;
	bool q_full_logged;
	bool locked;   /* another process held the write lock at the last try */
	bool degraded; /* the last try failed (disk full, read-only, I/O) */
};

size_t dx_store_mem_bound(uint32_t queue_rows)
{
	return sizeof(dx_store_t) + (size_t) queue_rows * sizeof(struct op);
}

int dx_store_create_version(const char *path, int version, char *err)
{
	return dx_db_create(path, version, err);
}

static int write_queue(dx_store_t *st);

void dx_store_close(dx_store_t *st)
{
	if (st == NULL)
		return;
	if (st->q != NULL && st->q_n > 0 && write_queue(st) != DX_OK)
		dx_log(DX_LOG_ERR, DX_GRP_STORE, "%s: final commit: %s: %u rows not written",
		       st->path, sqlite3_errmsg(st->db), st->q_n);
	free(st->q);
	for (int i = 0; i < DX_DB_STMTS; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int dx_store_open(dx_store_t **out, const char *path, uint32_t flush_ms, uint32_t batch_rows,
		  uint32_t queue_rows, bool sync, char *err)
{
	dx_store_t *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory", path);
		free(st);
		return DX_ESTORE;
	}
	st->flush_us = (int64_t) flush_ms * 1000;
	st->batch_rows = batch_rows ? batch_rows : 1;
	if (dx_db_open(&st->db, path, sync, err) != DX_OK ||
	    dx_db_migrate(st->db, DX_STORE_VERSION, err, path) != DX_OK ||
	    dx_db_prepare(st->db, st->stmt, path, err) != DX_OK)
		goto fail;
	st->q_cap = queue_rows ? queue_rows : 1;
	st->q = calloc(st->q_cap, sizeof(*st->q));
	if (st->q == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory for queue_rows %u", path,
			 queue_rows);
		goto fail;
	}
	st->max_id = dx_db_max_id(st->db, "SELECT coalesce(max(id), 0) FROM alerts");
	st->max_block_id = dx_db_max_id(st->db, "SELECT coalesce(max(id), 0) FROM blocks");
	/* From now on a write waits a few ms for a lock held elsewhere, then its rows wait in
	 * the queue instead of the detector thread (opening and migrating waited 2 s). */
	sqlite3_busy_timeout(st->db, DX_STORE_BUSY_MS);
	*out = st;
	return DX_OK;
fail:
	dx_store_close(st);
	return DX_ESTORE;
}

static void failed(dx_store_t *st, const char *what)
{
	st->errors++;
	/* At most one line a minute of the caller's clock, whatever the failure rate. */
	if (dx_ratelimit_ok(&st->err_rl, st->last_tick_us, 60 * 1000000LL))
		dx_log(DX_LOG_ERR, DX_GRP_STORE, "%s: %s: %s (%llu writes failed so far)", st->path,
		       what, sqlite3_errmsg(st->db), (unsigned long long) st->errors);
}

/* SQLITE_BUSY: another connection holds the write lock (a second sqlite3 writing, a backup). */
static bool is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY;
}

/* Whether the last failure is one the database may get over by itself (a full disk, a file
 * made read-only, an I/O error): then the rows wait in the queue instead of being lost. */
static bool retryable(dx_store_t *st)
{
	int e = sqlite3_errcode(st->db) & 0xff;
	return e == SQLITE_FULL || e == SQLITE_IOERR || e == SQLITE_READONLY ||
	       e == SQLITE_CANTOPEN || e == SQLITE_BUSY || e == SQLITE_LOCKED ||
	       e == SQLITE_NOMEM || e == SQLITE_PERM;
}

/* Run a bound statement to completion: DX_OK; DX_EAGAIN if the database is locked by
 * another writer; DX_ESTORE (counted, logged) if it failed. */
static int step(dx_store_t *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (is_busy(rc))
		return DX_EAGAIN;
	if (rc != SQLITE_DONE) {
		failed(st, what);
		return DX_ESTORE;
	}
	return DX_OK;
}

/* The runs rows come once at start and once at the end, outside the queue (later rows need
 * the run's id): they wait for a lock as opening does. */
static int step_run(dx_store_t *st, sqlite3_stmt *s)
{
	sqlite3_busy_timeout(st->db, 2000);
	int rc = step(st, s, "runs");
	sqlite3_busy_timeout(st->db, DX_STORE_BUSY_MS);
	if (rc == DX_EAGAIN)
		failed(st, "runs");
	if (rc == DX_OK) {
		st->rows++;
	} else {
		st->lost++;
		st->lost_by[DX_TAB_RUNS]++;
	}
	return rc == DX_OK ? DX_OK : DX_ESTORE;
}

int dx_store_run_begin(dx_store_t *st, const char *version, const char *config_digest,
		       const char *input, const char *sensor, double wall)
{
	sqlite3_stmt *s = st->stmt[DX_DB_RUN_BEGIN];
	sqlite3_bind_text(s, 5, sensor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 1, version, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, config_digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, input, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(s, 4, wall);
	int rc = step_run(st, s);
	if (rc == DX_OK)
		st->run_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int dx_store_run_end(dx_store_t *st, double wall)
{
	if (dx_store_flush(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[DX_DB_RUN_END];
	sqlite3_bind_int64(s, 1, st->run_id);
	sqlite3_bind_double(s, 2, wall);
	return step_run(st, s);
}

/* The refresh of a row already written: 1 if updated, 0 if the row is not there (lost with a
 * failed commit: the caller writes it whole), -1 on error. */
static int refresh_alert(dx_store_t *st, const dx_alert_t *a, const char *tn)
{
	sqlite3_stmt *s = st->stmt[DX_DB_ALERT_REFRESH];
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_double(s, 2, dx_store_ts(a->last_ts));
	sqlite3_bind_int64(s, 3, (sqlite3_int64) a->query_count);
	sqlite3_bind_int64(s, 4, (sqlite3_int64) a->unique_subdomains);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) a->source_count);
	sqlite3_bind_int64(s, 6, (sqlite3_int64) a->est_bytes);
	sqlite3_bind_text(s, 7, tn, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 8, a->sources[0] ? a->sources : "[]", -1, SQLITE_STATIC);
	if (a->has_vni)
		sqlite3_bind_int64(s, 9, a->vni);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_text(s, 10, a->details[0] ? a->details : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, dx_status_name(a->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, dx_encoding_name(a->encoding), -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (is_busy(rc))
		return -2;
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int dx_store_retention(dx_store_t *st, dx_ts_t now, uint32_t days, unsigned max_rows)
{
	if (days == 0 || st->locked || st->degraded) /* the queue's rows first */
		return 0;
	double cutoff = dx_store_ts(now) - (double) days * 86400.0;
	static const char *const sql[] = {
	    "DELETE FROM apex_window_stats WHERE rowid IN (SELECT rowid FROM apex_window_stats"
	    " WHERE window_end_ts < ?1 LIMIT ?2)",
	    /* closed alerts only, and never one a block row still refers to */
	    "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE status = 'closed'"
	    " AND last_ts < ?1 AND id NOT IN (SELECT alert_id FROM blocks WHERE alert_id IS NOT"
	    " NULL) LIMIT ?2)",
	};
	int total = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
			failed(st, "retention");
			return DX_ESTORE;
		}
		sqlite3_bind_double(s, 1, cutoff);
		sqlite3_bind_int64(s, 2, (sqlite3_int64) max_rows);
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			failed(st, "retention");
			return DX_ESTORE;
		}
		total += sqlite3_changes(st->db);
	}
	return total;
}

uint64_t dx_store_rows_written(const dx_store_t *st)
{
	return st->rows;
}

uint64_t dx_store_rows_lost(const dx_store_t *st)
{
	return st->lost;
}

uint64_t dx_store_errors(const dx_store_t *st)
{
	return st->errors;
}

uint32_t dx_store_waiting(const dx_store_t *st)
{
	return st->q_n;
}

const uint64_t *dx_store_lost_by_table(const dx_store_t *st)
{
	return st->lost_by;
}

/* ---- writing the queue ---- */

static int do_alert(dx_store_t *st, const dx_alert_t *a)
{
	char qtype[16];
	const char *tn = dx_dns_type_name(a->top_qtype);
	if (tn == NULL) {
		snprintf(qtype, sizeof(qtype), "TYPE%u", a->top_qtype);
		tn = qtype;
	}
	if (a->refresh) {
		int r = refresh_alert(st, a, tn);
		if (r == -2)
			return DX_EAGAIN;
		if (r < 0) {
			failed(st, "alerts");
			return DX_ESTORE;
		}
		if (r > 0)
			return DX_OK;
	}
	sqlite3_stmt *s = st->stmt[DX_DB_ALERT_PUT];
	sqlite3_bind_text(s, 1, a->apex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, dx_threat_name(a->threat), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, dx_severity_name(a->severity), -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 4, a->score);
	sqlite3_bind_double(s, 5, dx_store_ts(a->first_ts));
	sqlite3_bind_double(s, 6, dx_store_ts(a->detected_ts));
	sqlite3_bind_double(s, 7, dx_store_ts(a->last_ts));
	sqlite3_bind_int64(s, 8, (sqlite3_int64) a->query_count);
	sqlite3_bind_int64(s, 9, (sqlite3_int64) a->unique_subdomains);
	sqlite3_bind_int64(s, 10, (sqlite3_int64) a->source_count);
	sqlite3_bind_int64(s, 11, (sqlite3_int64) a->est_bytes);
	sqlite3_bind_text(s, 12, dx_encoding_name(a->encoding), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, tn, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 14, a->sample_qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, a->sources[0] ? a->sources : "[]", -1, SQLITE_STATIC);
	if (a->has_vni)
		sqlite3_bind_int64(s, 16, a->vni);
	else
		sqlite3_bind_null(s, 16);
	sqlite3_bind_text(s, 17, a->details[0] ? a->details : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 18, dx_status_name(a->status), -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(s, 19, st->run_id);
	else
		sqlite3_bind_null(s, 19);
	sqlite3_bind_int64(s, 20, a->id);
	return step(st, s, "alerts");
}

static int do_window(dx_store_t *st, const dx_window_stats_t *w)
{
	sqlite3_stmt *s = st->stmt[DX_DB_WINDOW];
	sqlite3_bind_text(s, 1, w->apex, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 2, dx_store_ts(w->start_ts));
	sqlite3_bind_double(s, 3, dx_store_ts(w->end_ts));
	sqlite3_bind_int64(s, 4, (sqlite3_int64) w->query_count);
	sqlite3_bind_int64(s, 5, (sqlite3_int64) w->subdomain_query_count);
	sqlite3_bind_int64(s, 6, (sqlite3_int64) w->unique_subdomains);
	sqlite3_bind_int64(s, 7, (sqlite3_int64) w->source_count);
	sqlite3_bind_int64(s, 8, (sqlite3_int64) w->nxdomain_count);
	sqlite3_bind_text(s, 9, w->qtype_counts[0] ? w->qtype_counts : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, w->max_label_len);
	sqlite3_bind_int64(s, 11, w->max_qname_len);
	sqlite3_bind_double(s, 12, w->mean_entropy);
	sqlite3_bind_int64(s, 13, (sqlite3_int64) w->est_bytes);
	return step(st, s, "apex_window_stats");
}

static int do_stats(dx_store_t *st, const dx_store_stats_t *x)
{
	sqlite3_stmt *s = st->stmt[DX_DB_STATS];
	sqlite3_bind_double(s, 1, x->wall);
	if (x->pkt_ts)
		sqlite3_bind_double(s, 2, dx_store_ts(x->pkt_ts));
	else
		sqlite3_bind_null(s, 2);
	const uint64_t v[] = {x->packets,   x->bytes,	   x->dns_msgs,	   x->queries,
			      x->responses, x->truncated,  x->ring_a_full, x->ring_b_full,
			      x->pcap_drop, x->pcap_ifdrop};
	for (int i = 0; i < 10; i++)
		sqlite3_bind_int64(s, 3 + i, (sqlite3_int64) v[i]);
	sqlite3_bind_text(s, 13, x->malformed[0] ? x->malformed : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, (sqlite3_int64) x->apexes_tracked);
	sqlite3_bind_int64(s, 15, (sqlite3_int64) x->evictions);
	sqlite3_bind_int64(s, 16, (sqlite3_int64) x->alerts);
	sqlite3_bind_int64(s, 17, (sqlite3_int64) x->rows_written);
	if (st->run_id)
		sqlite3_bind_int64(s, 18, st->run_id);
	else
		sqlite3_bind_null(s, 18);
	return step(st, s, "sensor_stats");
}

static int do_block_add(dx_store_t *st, const struct op *o)
{
	sqlite3_stmt *s = st->stmt[DX_DB_BLOCK_INS];
	sqlite3_bind_text(s, 1, o->u.add.domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, o->u.add.apex, -1, SQLITE_STATIC);
	if (o->u.add.alert_id)
		sqlite3_bind_int64(s, 3, o->u.add.alert_id);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, o->u.add.action, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 5, dx_store_ts(o->u.add.requested));
	if (o->u.add.expires)
		sqlite3_bind_double(s, 6, dx_store_ts(o->u.add.expires));
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, o->u.add.state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, o->u.add.id);
	return step(st, s, "blocks");
}

static int do_block_upd(dx_store_t *st, int64_t id, const char *state, int hook_exit,
			const char *hook_stderr, uint32_t attempts, double latency_ms)
{
	sqlite3_stmt *s = st->stmt[DX_DB_BLOCK_UPD];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	if (hook_exit != DX_STORE_KEEP)
		sqlite3_bind_int(s, 3, hook_exit);
	else
		sqlite3_bind_null(s, 3);
	if (hook_stderr)
		sqlite3_bind_text(s, 4, hook_stderr, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, attempts);
	if (latency_ms >= 0)
		sqlite3_bind_double(s, 6, latency_ms);
	else
		sqlite3_bind_null(s, 6);
	return step(st, s, "blocks");
}

static int do_op(dx_store_t *st, const struct op *o)
{
	switch (o->kind) {
	case OP_ALERT:
		return do_alert(st, &o->u.alert);
	case OP_WINDOW:
		return do_window(st, &o->u.window);
	case OP_STATS:
		return do_stats(st, &o->u.stats);
	case OP_BLOCK_ADD:
		return do_block_add(st, o);
	case OP_BLOCK_UPD:
		return do_block_upd(st, o->u.upd.id, o->u.upd.state, o->u.upd.hook_exit,
				    o->u.upd.has_stderr ? o->u.upd.stderr_text : NULL,
				    o->u.upd.attempts, o->u.upd.latency_ms);
	case OP_DROPPED:
		break;
	}
	return DX_OK;
}

static void lose(dx_store_t *st, enum op_kind kind, uint32_t puts)
{
	st->lost += puts;
	st->lost_by[op_table[kind]] += puts;
}

/*
 * Write every row of the queue in one transaction. DX_OK: all committed (or none waiting),
 * and the queue is empty. DX_EAGAIN: locked by another process; DX_ESTORE: a failure that may
 * pass. In both, the transaction is rolled back and every row still waits, in order.
 */
static int write_queue(dx_store_t *st)
{
	if (st->q_n == 0)
		return DX_OK;
	st->retry_us = st->last_tick_us;
	if (dx_db_exec(st->db, "BEGIN") != DX_OK) {
		failed(st, "begin");
		st->degraded = true;
		return DX_ESTORE;
	}
	uint64_t written = 0;
	int rc = DX_OK;
	for (uint64_t k = st->q_tail - st->q_n; k < st->q_tail && rc == DX_OK; k++) {
		struct op *o = &st->q[k % st->q_cap];
		if (o->kind == OP_DROPPED)
			continue;
		rc = do_op(st, o);
		if (rc == DX_OK) {
			written += o->puts;
		} else if (rc == DX_ESTORE && !retryable(st) &&
			   sqlite3_get_autocommit(st->db) == 0) {
			/* a row SQLite refuses whatever the disk does: dropped, counted */
			lose(st, o->kind, o->puts);
			o->kind = OP_DROPPED;
			rc = DX_OK;
		}
	}
	if (rc == DX_OK) {
		if (dx_db_exec(st->db, "COMMIT") == DX_OK) {
			st->rows += written;
			st->q_n = 0;
			if (st->degraded || st->locked)
				dx_log(DX_LOG_NOTICE, DX_GRP_STORE,
				       "%s: writes resumed; %llu waiting rows written", st->path,
				       (unsigned long long) written);
			st->degraded = st->locked = st->q_full_logged = false;
			return DX_OK;
		}
		rc = is_busy(sqlite3_errcode(st->db)) ? DX_EAGAIN : DX_ESTORE;
		if (rc == DX_ESTORE)
			failed(st, "commit");
	}
	/* SQLite rolls a transaction back by itself on some errors (SQLITE_FULL) */
	if (sqlite3_get_autocommit(st->db) == 0)
		(void) dx_db_exec(st->db, "ROLLBACK");
	st->locked = rc == DX_EAGAIN;
	st->degraded = rc != DX_EAGAIN;
	return rc;
}

/* Write the queue unless the database failed or was locked less than RETRY_US ago. */
static void try_write(dx_store_t *st)
{
	if ((st->locked || st->degraded) && st->last_tick_us - st->retry_us < RETRY_US)
		return;
	(void) write_queue(st);
}

/* A slot at the queue's tail for kind, or NULL (counted as lost) if it is full and cannot be
 * written now. */
static struct op *enqueue(dx_store_t *st, enum op_kind kind)
{
	if (st->q_n == st->q_cap)
		try_write(st);
	if (st->q_n == st->q_cap) {
		lose(st, kind, 1);
		if (!st->q_full_logged)
			dx_log(DX_LOG_ERR, DX_GRP_STORE,
			       "%s: %s and %u rows waiting (queue_rows): rows are lost until it "
			       "is %s (counted by table)",
			       st->path,
			       st->locked ? "locked by another process" : "writes failing",
			       st->q_cap, st->locked ? "released" : "writable");
		st->q_full_logged = true;
		return NULL;
	}
	if (st->q_n == 0)
		st->first_us = st->last_tick_us;
	struct op *o = &st->q[st->q_tail++ % st->q_cap];
	st->q_n++;
	o->kind = kind;
	o->puts = 1;
	return o;
}

/* A row was queued: the batch is written once it is batch_rows long. */
static void queued(dx_store_t *st)
{
	if (st->q_n >= st->batch_rows)
		try_write(st);
}

int dx_store_flush(dx_store_t *st)
{
	return write_queue(st) == DX_ESTORE ? DX_ESTORE : DX_OK;
}

void dx_store_tick(dx_store_t *st, int64_t mono_us)
{
	st->last_tick_us = mono_us;
	if (st->q_n > 0 && (st->locked || st->degraded || mono_us - st->first_us >= st->flush_us))
		try_write(st);
}

int dx_store_put_alert(dx_store_t *st, dx_alert_t *a)
{
	if (a->id == 0) /* the id it will have, given now: blocks rows refer to it */
		a->id = ++st->max_id;
	/* Its row still waiting (every open alert is refreshed at each window close, and a
	 * response may change its status at once): the waiting row takes the new values, so an
	 * alert holds one place in the queue. A whole write stays whole; refreshes combine. */
	uint64_t k = a->store_seq - 1;
	if (a->store_seq != 0 && k >= st->q_tail - st->q_n && k < st->q_tail) {
		struct op *w = &st->q[k % st->q_cap];
		if (w->kind == OP_ALERT && w->u.alert.id == a->id) {
			bool refresh = w->u.alert.refresh && a->refresh;
			w->u.alert = *a;
			w->u.alert.refresh = refresh;
			w->puts++; /* counted as the rows it was, so the summary is the same whatever
				      the batches */
			return DX_OK;
		}
	}
	struct op *o = enqueue(st, OP_ALERT);
	if (o == NULL)
		return DX_OK;	   /* counted; the alert's next update writes it whole */
	a->store_seq = st->q_tail; /* 1 + its position */
	o->u.alert = *a;
	queued(st);
	return DX_OK;
}

int dx_store_add_window(dx_store_t *st, const dx_window_stats_t *w)
{
	struct op *o = enqueue(st, OP_WINDOW);
	if (o != NULL) {
		o->u.window = *w;
		queued(st);
	}
	return DX_OK;
}

/* Counter snapshots and block rows are news: written at once (with what waits before them). */
int dx_store_add_stats(dx_store_t *st, const dx_store_stats_t *x)
{
	struct op *o = enqueue(st, OP_STATS);
	if (o == NULL)
		return DX_OK;
	o->u.stats = *x;
	try_write(st);
	return st->degraded ? DX_ESTORE : DX_OK;
}

int dx_store_add_block(dx_store_t *st, const char *domain, const char *apex, int64_t alert_id,
		       const char *action, dx_ts_t requested, dx_ts_t expires, const char *state,
		       int64_t *id)
{
	struct op *o = enqueue(st, OP_BLOCK_ADD);
	if (o == NULL)
		return DX_ESTORE;
	o->u.add.id = *id = ++st->max_block_id;
	o->u.add.alert_id = alert_id;
	snprintf(o->u.add.domain, sizeof(o->u.add.domain), "%s", domain);
	snprintf(o->u.add.apex, sizeof(o->u.add.apex), "%s", apex);
	snprintf(o->u.add.action, sizeof(o->u.add.action), "%s", action);
	snprintf(o->u.add.state, sizeof(o->u.add.state), "%s", state);
	o->u.add.requested = requested;
	o->u.add.expires = expires;
	try_write(st);
	return st->degraded ? DX_ESTORE : DX_OK;
}

void dx_store_update_block(dx_store_t *st, int64_t id, const char *state, int hook_exit,
			   const char *hook_stderr, uint32_t attempts, double latency_ms)
{
	if (id == 0)
		return;
	struct op *o = enqueue(st, OP_BLOCK_UPD);
	if (o == NULL)
		return;
	o->u.upd.id = id;
	snprintf(o->u.upd.state, sizeof(o->u.upd.state), "%s", state);
	o->u.upd.hook_exit = hook_exit;
	o->u.upd.has_stderr = hook_stderr != NULL;
	snprintf(o->u.upd.stderr_text, sizeof(o->u.upd.stderr_text), "%s",
		 hook_stderr ? hook_stderr : "");
	o->u.upd.attempts = attempts;
	o->u.upd.latency_ms = latency_ms;
	try_write(st);
}

int dx_store_drain(dx_store_t *st, int64_t mono_now_us, int64_t deadline_us)
{
	for (int64_t now = mono_now_us; st->q_n > 0; now += RETRY_US) {
		if (write_queue(st) == DX_OK || now >= deadline_us)
			break;
		struct timespec ts = {0, RETRY_US * 1000L};
		nanosleep(&ts, NULL);
	}
	if (st->q_n > 0) { /* still failing at the deadline: these are lost */
		for (uint64_t k = st->q_tail - st->q_n; k < st->q_tail; k++) {
			const struct op *o = &st->q[k % st->q_cap];
			if (o->kind != OP_DROPPED)
				lose(st, o->kind, o->puts);
		}
		dx_log(DX_LOG_ERR, DX_GRP_STORE, "%s: %s: %u waiting rows lost", st->path,
		       st->locked ? "still locked" : "still failing", st->q_n);
		st->q_n = 0;
	}
	return st->lost > 0 ? DX_ESTORE : DX_OK;
}
