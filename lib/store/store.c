/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SQLite store, owned by the detector thread (one connection, SQLITE_OPEN_NOMUTEX).
 *
 * Schema changes are steps in migrations[]: step k takes user_version k to k+1, and every
 * open runs the missing steps in one transaction. Views are derived, so they are dropped and
 * recreated on every open rather than migrated. A database with a user_version above ours was
 * written by a newer dnsexfild: we refuse it instead of guessing.
 *
 * Writes are batched: the first write after a commit opens a transaction, and dx_store_tick()
 * commits it once it is flush_ms old (or batch_rows long). A reader in another process sees a
 * new alert within about flush_ms, and a batch costs one fsync of the WAL at most.
 */
#include <sqlite3.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/err.h"
#include "lib/base/log.h"
#include "lib/decode/dns.h"
#include "lib/store/store.h"

static const char *const migrations[] = {
    /* 0 -> 1: the base schema */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  version TEXT NOT NULL,"
    "  config_digest TEXT NOT NULL,"
    "  input TEXT NOT NULL,"
    "  start_wall REAL NOT NULL,"
    "  end_wall REAL"
    ") STRICT;"
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  apex TEXT NOT NULL,"
    "  threat_type TEXT NOT NULL,"
    "  severity TEXT NOT NULL CHECK (severity IN ('LOW','MEDIUM','HIGH','CRITICAL')),"
    "  score REAL NOT NULL,"
    "  first_ts REAL NOT NULL,"
    "  detected_ts REAL NOT NULL,"
    "  last_ts REAL NOT NULL,"
    "  query_count INTEGER NOT NULL,"
    "  unique_subdomains INTEGER NOT NULL,"
    "  source_count INTEGER NOT NULL,"
    "  est_bytes INTEGER NOT NULL,"
    "  encoding TEXT NOT NULL,"
    "  top_qtype TEXT NOT NULL,"
    "  sample_qname TEXT NOT NULL,"
    "  sources TEXT NOT NULL,"
    "  vni INTEGER,"
    "  details TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('open','closed','blocked','allowlisted'))"
    ") STRICT;"
    "CREATE INDEX alerts_detected ON alerts(detected_ts);"
    "CREATE INDEX alerts_apex ON alerts(apex, detected_ts);"
    "CREATE TABLE apex_window_stats ("
    "  apex TEXT NOT NULL,"
    "  window_start_ts REAL NOT NULL,"
    "  window_end_ts REAL NOT NULL,"
    "  query_count INTEGER NOT NULL,"
    "  subdomain_query_count INTEGER NOT NULL,"
    "  unique_subdomains INTEGER NOT NULL,"
    "  source_count INTEGER NOT NULL,"
    "  nxdomain_count INTEGER NOT NULL,"
    "  qtype_counts TEXT NOT NULL,"
    "  max_label_len INTEGER NOT NULL,"
    "  max_qname_len INTEGER NOT NULL,"
    "  mean_entropy REAL NOT NULL,"
    "  est_bytes INTEGER NOT NULL,"
    "  PRIMARY KEY (apex, window_start_ts)"
    ") STRICT;"
    "CREATE INDEX window_end ON apex_window_stats(window_end_ts);"
    "CREATE TABLE blocks ("
    "  id INTEGER PRIMARY KEY,"
    "  domain TEXT NOT NULL,"
    "  apex TEXT NOT NULL,"
    "  alert_id INTEGER REFERENCES alerts(id),"
    "  action TEXT NOT NULL CHECK (action IN ('add','remove')),"
    "  requested_ts REAL NOT NULL,"
    "  expires_ts REAL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','done','failed','dry_run','removed')),"
    "  hook_exit INTEGER,"
    "  hook_stderr TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE INDEX blocks_apex ON blocks(apex, requested_ts);"
    "CREATE TABLE sensor_stats ("
    "  id INTEGER PRIMARY KEY,"
    "  wall REAL NOT NULL,"
    "  pkt_ts REAL,"
    "  packets INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  dns_msgs INTEGER NOT NULL,"
    "  queries INTEGER NOT NULL,"
    "  responses INTEGER NOT NULL,"
    "  truncated INTEGER NOT NULL,"
    "  ring_a_full INTEGER NOT NULL,"
    "  ring_b_full INTEGER NOT NULL,"
    "  pcap_drop INTEGER NOT NULL,"
    "  pcap_ifdrop INTEGER NOT NULL,"
    "  malformed TEXT NOT NULL,"
    "  apexes_tracked INTEGER NOT NULL,"
    "  evictions INTEGER NOT NULL,"
    "  alerts INTEGER NOT NULL,"
    "  rows_written INTEGER NOT NULL"
    ") STRICT;",
    /* 1 -> 2: which run raised an alert or took a snapshot, and the detection-to-hook
	 * latency of a block (wall clock, ms) */
    "ALTER TABLE alerts ADD COLUMN run_id INTEGER;"
    "ALTER TABLE sensor_stats ADD COLUMN run_id INTEGER;"
    "ALTER TABLE blocks ADD COLUMN latency_ms REAL;",
    /* 2 -> 3: the alerts CHECK constraints as ORs. SQLite builds an ephemeral table for each
     * "x IN (list)" at every row written: with them an alert upsert cost about 120,000
     * instructions (callgrind), most of the detector thread's time in an alert-heavy replay.
     * Rebuilt the documented way (create, copy, drop, rename); the views are recreated after
     * every migration. */
    "DROP VIEW IF EXISTS v_alerts; DROP VIEW IF EXISTS v_blocks;"
    "CREATE TABLE alerts_v3 ("
    "  id INTEGER PRIMARY KEY,"
    "  apex TEXT NOT NULL,"
    "  threat_type TEXT NOT NULL,"
    "  severity TEXT NOT NULL CHECK (severity = 'LOW' OR severity = 'MEDIUM'"
    "    OR severity = 'HIGH' OR severity = 'CRITICAL'),"
    "  score REAL NOT NULL,"
    "  first_ts REAL NOT NULL,"
    "  detected_ts REAL NOT NULL,"
    "  last_ts REAL NOT NULL,"
    "  query_count INTEGER NOT NULL,"
    "  unique_subdomains INTEGER NOT NULL,"
    "  source_count INTEGER NOT NULL,"
    "  est_bytes INTEGER NOT NULL,"
    "  encoding TEXT NOT NULL,"
    "  top_qtype TEXT NOT NULL,"
    "  sample_qname TEXT NOT NULL,"
    "  sources TEXT NOT NULL,"
    "  vni INTEGER,"
    "  details TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status = 'open' OR status = 'closed'"
    "    OR status = 'blocked' OR status = 'allowlisted'),"
    "  run_id INTEGER"
    ") STRICT;"
    "INSERT INTO alerts_v3 SELECT id, apex, threat_type, severity, score, first_ts,"
    "  detected_ts, last_ts, query_count, unique_subdomains, source_count, est_bytes,"
    "  encoding, top_qtype, sample_qname, sources, vni, details, status, run_id FROM alerts;"
    "DROP TABLE alerts;"
    "ALTER TABLE alerts_v3 RENAME TO alerts;"
    "CREATE INDEX alerts_detected ON alerts(detected_ts);"
    "CREATE INDEX alerts_apex ON alerts(apex, detected_ts);",
};

/* Derived, recreated at every open. Times as ISO 8601 UTC with milliseconds. */
#define ISO(x) "strftime('%Y-%m-%dT%H:%M:%fZ', " x ", 'unixepoch')"
static const char views[] =
    "DROP VIEW IF EXISTS v_alerts; DROP VIEW IF EXISTS v_blocks;"
    "CREATE VIEW v_alerts AS SELECT a.id, a.apex, a.threat_type, a.severity, a.score,"
    "  " ISO("a.first_ts") " AS first_seen, " ISO(
	"a.detected_ts") " AS detected,"
			 "  " ISO(
			     "a.last_ts") " AS last_seen, a.query_count, a.unique_subdomains,"
					  "  a.source_count, a.est_bytes, a.encoding, a.top_qtype, a.sample_qname, a.sources,"
					  "  a.vni, a.status,"
					  "  (SELECT b.state FROM blocks b WHERE b.alert_id = a.id ORDER BY b.id DESC LIMIT 1)"
					  "    AS block_state,"
					  "  a.details, a.first_ts, a.detected_ts, a.last_ts"
					  "  FROM alerts a;"
					  "CREATE VIEW v_blocks AS SELECT id, domain, apex, alert_id, action,"
					  "  " ISO("requested_ts") " AS requested, " ISO(
					      "expires_ts") " AS expires,"
							    "  state, hook_exit, hook_stderr, attempts, latency_ms FROM blocks;";

enum stmt_id {
	S_RUN_BEGIN,
	S_RUN_END,
	S_ALERT_PUT,
	S_ALERT_REFRESH,
	S_WINDOW,
	S_STATS,
	S_BLOCK_INS,
	S_BLOCK_UPD,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_RUN_BEGIN] = "INSERT INTO runs(version, config_digest, input, start_wall)"
		    " VALUES (?1, ?2, ?3, ?4)",
    [S_RUN_END] = "UPDATE runs SET end_wall = ?2 WHERE id = ?1",
    /* An upsert, so that an alert whose row was lost with a failed commit (a full or
     * read-only disk) is written whole at its next update: writes resume where they can. */
    [S_ALERT_PUT] = "INSERT INTO alerts(id, apex, threat_type, severity, score, first_ts,"
		    " detected_ts, last_ts, query_count, unique_subdomains, source_count,"
		    " est_bytes, encoding, top_qtype, sample_qname, sources, vni, details,"
		    " status, run_id) VALUES (?20, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) ON CONFLICT(id) DO UPDATE SET"
		    " apex = ?1, threat_type = ?2, severity = ?3, score = ?4, first_ts = ?5,"
		    " detected_ts = ?6, last_ts = ?7, query_count = ?8, unique_subdomains = ?9,"
		    " source_count = ?10, est_bytes = ?11, encoding = ?12, top_qtype = ?13,"
		    " sample_qname = ?14, sources = ?15, vni = ?16, details = ?17, status = ?18",
    /* A refresh sets no indexed column (apex, detected_ts), so SQLite leaves both indexes
     * alone: about half the work of the upsert. Every open alert is refreshed at each window
     * close, so this is most alert writes. */
    [S_ALERT_REFRESH] = "UPDATE alerts SET last_ts = ?2, query_count = ?3,"
			" unique_subdomains = ?4, source_count = ?5, est_bytes = ?6,"
			" top_qtype = ?7, sources = ?8, vni = ?9, details = ?10, status = ?11"
			" WHERE id = ?1",
    [S_WINDOW] = "INSERT OR REPLACE INTO apex_window_stats(apex, window_start_ts,"
		 " window_end_ts, query_count, subdomain_query_count, unique_subdomains,"
		 " source_count, nxdomain_count, qtype_counts, max_label_len, max_qname_len,"
		 " mean_entropy, est_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		 " ?11, ?12, ?13)",
    [S_STATS] = "INSERT INTO sensor_stats(wall, pkt_ts, packets, bytes, dns_msgs, queries,"
		" responses, truncated, ring_a_full, ring_b_full, pcap_drop, pcap_ifdrop,"
		" malformed, apexes_tracked, evictions, alerts, rows_written, run_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" ?16, ?17, ?18)",
    [S_BLOCK_INS] = "INSERT INTO blocks(id, domain, apex, alert_id, action, requested_ts,"
		    " expires_ts, state, attempts) VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
    [S_BLOCK_UPD] = "UPDATE blocks SET state = ?2, hook_exit = coalesce(?3, hook_exit),"
		    " hook_stderr = coalesce(?4, hook_stderr),"
		    " attempts = max(attempts, ?5), latency_ms = coalesce(?6, latency_ms)"
		    " WHERE id = ?1",
};

enum op_kind { OP_ALERT, OP_WINDOW, OP_STATS, OP_BLOCK_ADD, OP_BLOCK_UPD };

struct op {
	enum op_kind kind;
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

struct dx_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	char *path;
	int64_t run_id;
	bool in_txn;
	int64_t txn_start_us; /* caller's monotonic clock when the batch opened; -1: unknown */
	int64_t last_tick_us;
	int64_t flush_us;
	uint32_t batch_rows, txn_rows;
	uint64_t rows, errors; /* rows committed; failed statements and commits */
	uint64_t pending;      /* rows of the open transaction: written once it commits */
	uint64_t lost;	       /* rows of transactions that failed or were rolled back */
	int64_t max_id;	       /* the highest alert id handed out */
	int64_t max_block_id;
	dx_ratelimit_t err_rl;
	/* rows waiting while another process holds the write lock: see enqueue() */
	struct op *q;
	uint32_t q_cap, q_head, q_n;
	uint64_t lost_by[DX_STORE_TABLES], pending_by[DX_STORE_TABLES];
	bool q_full_logged;
	bool degraded; /* a write failed (disk full, read-only): rows queue until one commits */
};

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? DX_OK : DX_ESTORE;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return DX_ESTORE;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? DX_OK : DX_ESTORE;
}

/* Bring db to version target inside one transaction. */
static int migrate(sqlite3 *db, int target, char *err, const char *path)
{
	int v;
	if (exec(db, "BEGIN IMMEDIATE") != DX_OK || user_version(db, &v) != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(db));
		exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	if (v > DX_STORE_VERSION) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 "%s: schema version %d is newer than this dnsexfild understands (%d); "
			 "use a newer dnsexfild or another database file",
			 path, v, DX_STORE_VERSION);
		exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	for (; v < target; v++) {
		char pragma[48];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(db, migrations[v]) != DX_OK || exec(db, pragma) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: migrating schema %d -> %d: %s", path,
				 v, v + 1, sqlite3_errmsg(db));
			exec(db, "ROLLBACK");
			return DX_ESTORE;
		}
	}
	if (target == DX_STORE_VERSION && exec(db, views) != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: views: %s", path, sqlite3_errmsg(db));
		exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	if (exec(db, "COMMIT") != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(db));
		exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	return DX_OK;
}

/* A database whose header is intact but whose pages are damaged opens fine and then fails
 * every write: refuse it at open, naming the file, rather than run without storing anything.
 * quick_check reads every page once (O(N), without the index cross-checks of integrity_check). */
static int check_pages(sqlite3 *db, const char *path, char *err)
{
	sqlite3_stmt *s = NULL;
	const char *first = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		first = (const char *) sqlite3_column_text(s, 0);
	bool ok = first != NULL && strcmp(first, "ok") == 0;
	if (!ok) {
		char why[160]; /* one line: SQLite's report has several */
		snprintf(why, sizeof(why), "%s", first ? first : sqlite3_errmsg(db));
		for (char *c = why; *c; c++)
			if (*c == '\n' || (unsigned char) *c < 0x20)
				*c = ' ';
		snprintf(err, DX_CONFIG_ERRMAX,
			 "%s: the database is damaged (quick_check: %s): move it aside, or recover "
			 "it with sqlite3's .recover",
			 path, why);
	}
	sqlite3_finalize(s);
	return ok ? DX_OK : DX_ESTORE;
}

static int open_db(sqlite3 **db, const char *path, bool sync, char *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open database: %s", path,
			 *db ? sqlite3_errmsg(*db) : "out of memory");
		return DX_ESTORE;
	}
	sqlite3_busy_timeout(*db, 2000); /* outside readers may hold locks briefly */
	sqlite3_extended_result_codes(*db, 1);
	/* synchronous first, so that switching a new file to WAL already goes by it;
	 * journal_mode answers with a row; a file that is not a database fails there. */
	if (exec(*db, sync ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF") != DX_OK ||
	    exec(*db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;") != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(*db));
		return DX_ESTORE;
	}
	return check_pages(*db, path, err);
}

int dx_store_create_version(const char *path, int version, char *err)
{
	sqlite3 *db = NULL;
	int rc = DX_EINVAL;
	if (version >= 1 && version <= DX_STORE_VERSION) {
		rc = open_db(&db, path, true, err);
		if (rc == DX_OK)
			rc = migrate(db, version, err, path);
	}
	sqlite3_close(db);
	return rc;
}

void dx_store_close(dx_store_t *st)
{
	if (st == NULL)
		return;
	free(st->q);
	if (st->in_txn && exec(st->db, "COMMIT") != DX_OK)
		dx_log(DX_LOG_ERR, DX_GRP_STORE, "%s: final commit: %s", st->path,
		       sqlite3_errmsg(st->db));
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* The highest id of a table, 0 if empty. */
static int64_t max_id(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
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
	st->txn_start_us = -1;
	if (open_db(&st->db, path, sync, err) != DX_OK ||
	    migrate(st->db, DX_STORE_VERSION, err, path) != DX_OK)
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(st->db));
			goto fail;
		}
	st->q_cap = queue_rows ? queue_rows : 1;
	st->q = calloc(st->q_cap, sizeof(*st->q));
	if (st->q == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory for queue_rows %u", path,
			 queue_rows);
		goto fail;
	}
	st->max_id = max_id(st->db, "SELECT coalesce(max(id), 0) FROM alerts");
	st->max_block_id = max_id(st->db, "SELECT coalesce(max(id), 0) FROM blocks");
	/* From now on a write waits a few ms for a lock held elsewhere, then its row waits in
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

static int begin(dx_store_t *st)
{
	if (st->in_txn)
		return DX_OK;
	if (exec(st->db, "BEGIN") != DX_OK) {
		failed(st, "begin");
		return DX_ESTORE;
	}
	st->in_txn = true;
	st->txn_rows = 0;
	st->txn_start_us = st->last_tick_us;
	return DX_OK;
}

/* A row of table t was stored: committed now if no transaction is open, else when it
 * commits. */
static void row_done(dx_store_t *st, enum dx_store_table t)
{
	if (st->in_txn && sqlite3_get_autocommit(st->db) == 0) {
		st->pending++;
		st->pending_by[t]++;
	} else {
		st->rows++;
	}
}

/* Commit the open batch. */
static int commit(dx_store_t *st)
{
	if (!st->in_txn)
		return DX_OK;
	st->in_txn = false;
	/* SQLite rolls a transaction back by itself on some errors (SQLITE_FULL): its rows are
	 * gone then, and COMMIT would only say there is no transaction */
	if (sqlite3_get_autocommit(st->db) == 0 && exec(st->db, "COMMIT") == DX_OK) {
		st->rows += st->pending;
		st->pending = 0;
		memset(st->pending_by, 0, sizeof(st->pending_by));
		return DX_OK;
	}
	failed(st, "commit");
	exec(st->db, "ROLLBACK"); /* the batch is lost, counted; the next one starts afresh */
	st->degraded = true;	  /* and later rows wait in the queue for the disk */
	st->lost += st->pending;
	st->pending = 0;
	for (int t = 0; t < DX_STORE_TABLES; t++)
		st->lost_by[t] += st->pending_by[t];
	memset(st->pending_by, 0, sizeof(st->pending_by));
	return DX_ESTORE;
}

static void drain(dx_store_t *st);

int dx_store_flush(dx_store_t *st)
{
	int rc = commit(st);
	if (rc == DX_OK && st->q_n > 0)
		drain(st); /* and what waits for a lock, if it is gone */
	return rc;
}

void dx_store_tick(dx_store_t *st, int64_t mono_us)
{
	st->last_tick_us = mono_us;
	if (st->q_n > 0) {
		drain(st);
		return;
	}
	/* A failed commit is counted and logged by dx_store_flush(); nothing more to do here. */
	if (st->in_txn && mono_us - st->txn_start_us >= st->flush_us && dx_store_flush(st) != DX_OK)
		return;
}

/* SQLITE_BUSY: another connection holds the write lock (a second sqlite3 writing, a backup). */
static bool is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY;
}

/* Run a bound statement to completion; counts the row. DX_EAGAIN, uncounted, if the
 * database is locked by another writer: the caller queues the row. */
static int step(dx_store_t *st, sqlite3_stmt *s, const char *what, enum dx_store_table t)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (is_busy(rc))
		return DX_EAGAIN;
	if (rc != SQLITE_DONE) {
		failed(st, what);
		st->lost++;
		st->lost_by[t]++;
		return DX_ESTORE;
	}
	row_done(st, t);
	if (st->in_txn && ++st->txn_rows >= st->batch_rows)
		return commit(st);
	return DX_OK;
}

/* The runs rows come once at start and once at the end: they may wait for a lock as opening
 * does, rather than queue (later rows need the run's id). */
static int step_waiting(dx_store_t *st, sqlite3_stmt *s, const char *what)
{
	sqlite3_busy_timeout(st->db, 2000);
	int rc = step(st, s, what, DX_TAB_RUNS);
	sqlite3_busy_timeout(st->db, DX_STORE_BUSY_MS);
	if (rc == DX_EAGAIN) {
		failed(st, what);
		rc = DX_ESTORE;
	}
	return rc;
}

int dx_store_run_begin(dx_store_t *st, const char *version, const char *config_digest,
		       const char *input, double wall)
{
	sqlite3_stmt *s = st->stmt[S_RUN_BEGIN];
	sqlite3_bind_text(s, 1, version, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, config_digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, input, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(s, 4, wall);
	int rc = step_waiting(st, s, "runs");
	if (rc == DX_OK)
		st->run_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int dx_store_run_end(dx_store_t *st, double wall)
{
	if (dx_store_flush(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[S_RUN_END];
	sqlite3_bind_int64(s, 1, st->run_id);
	sqlite3_bind_double(s, 2, wall);
	return step_waiting(st, s, "runs");
}

/* The refresh of a row already written: 1 if updated, 0 if the row is not there (lost with a
 * failed commit: the caller writes it whole), -1 on error. */
static int refresh_alert(dx_store_t *st, const dx_alert_t *a, const char *tn)
{
	sqlite3_stmt *s = st->stmt[S_ALERT_REFRESH];
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
	if (days == 0)
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

/* ---- rows waiting for the database ----
 *
 * Another process holding the write lock (a sqlite3 shell in a transaction, a backup) made
 * every statement wait the busy timeout, two seconds each, and the detector thread with it:
 * a live sensor then dropped at ring B. Now the writer waits at most a few milliseconds;
 * a row that finds the database locked is copied into a bounded queue (queue_rows, allocated
 * at open), so are all rows after it while the queue is not empty (order is kept), and the
 * queue is written in one transaction as soon as the lock goes (each tick tries). A row that
 * does not fit is counted as lost by table and said once. Ids the rows need before they are
 * written (an alert's, a block's) are handed out here, as SQLite would: the next after the
 * highest.
 */
static const enum dx_store_table op_table[] = {[OP_ALERT] = DX_TAB_ALERTS,
					       [OP_WINDOW] = DX_TAB_WINDOWS,
					       [OP_STATS] = DX_TAB_STATS,
					       [OP_BLOCK_ADD] = DX_TAB_BLOCKS,
					       [OP_BLOCK_UPD] = DX_TAB_BLOCKS};

size_t dx_store_mem_bound(uint32_t queue_rows)
{
	return sizeof(dx_store_t) + (size_t) queue_rows * sizeof(struct op);
}

/* Whether the last failure is one the database may get over by itself (a full disk, a file
 * made read-only, an I/O error): then the row waits in the queue instead of being lost. */
static bool retryable(dx_store_t *st)
{
	int e = sqlite3_errcode(st->db) & 0xff;
	return e == SQLITE_FULL || e == SQLITE_IOERR || e == SQLITE_READONLY ||
	       e == SQLITE_CANTOPEN || e == SQLITE_BUSY || e == SQLITE_LOCKED ||
	       e == SQLITE_NOMEM || e == SQLITE_PERM;
}

/* A statement of table t failed (counted as lost): if the failure may pass, the row is kept
 * for the queue after all and later rows go there too; the rest of the open batch is lost. */
static bool requeue(dx_store_t *st, enum dx_store_table t)
{
	if (!retryable(st))
		return false;
	st->lost--;
	st->lost_by[t]--;
	if (st->in_txn) {
		exec(st->db, "ROLLBACK");
		st->in_txn = false;
		st->lost += st->pending;
		for (int k = 0; k < DX_STORE_TABLES; k++)
			st->lost_by[k] += st->pending_by[k];
	}
	st->pending = 0;
	memset(st->pending_by, 0, sizeof(st->pending_by));
	st->degraded = true;
	return true;
}

/* A slot at the queue's tail for kind, or NULL (counted as lost) if it is full. */
static struct op *enqueue(dx_store_t *st, enum op_kind kind)
{
	if (st->q_n == st->q_cap) {
		st->lost++;
		st->lost_by[op_table[kind]]++;
		if (!st->q_full_logged)
			dx_log(DX_LOG_ERR, DX_GRP_STORE,
			       "%s: locked by another process and %u rows waiting (queue_rows): "
			       "rows are lost until it is released (counted by table)",
			       st->path, st->q_cap);
		st->q_full_logged = true;
		return NULL;
	}
	struct op *o = &st->q[(st->q_head + st->q_n++) % st->q_cap];
	o->kind = kind;
	return o;
}

/* The database was locked at the first statement of a batch: nothing of ours is in it. */
static void locked(dx_store_t *st)
{
	if (st->in_txn && sqlite3_get_autocommit(st->db) == 0)
		exec(st->db, "ROLLBACK");
	st->in_txn = false;
}

static int do_alert(dx_store_t *st, dx_alert_t *a)
{
	if (begin(st) != DX_OK)
		return DX_ESTORE;
	bool insert = a->id == 0;
	sqlite3_stmt *s = st->stmt[S_ALERT_PUT];
	char qtype[16];
	const char *tn = dx_dns_type_name(a->top_qtype);
	if (tn == NULL) {
		snprintf(qtype, sizeof(qtype), "TYPE%u", a->top_qtype);
		tn = qtype;
	}
	if (a->refresh && !insert) {
		int r = refresh_alert(st, a, tn);
		if (r == -2)
			return DX_EAGAIN;
		if (r < 0) {
			failed(st, "alerts");
			st->lost++;
			st->lost_by[DX_TAB_ALERTS]++;
			return DX_ESTORE;
		}
		if (r > 0)
			goto written;
	}
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
	/* Ids are handed out here, the next after the highest, as SQLite would; but also when
	 * the row then waits for a lock or its batch fails: a lost row's id is never given twice,
	 * and the alert's next update writes it whole under that id. */
	if (insert)
		a->id = ++st->max_id;
	sqlite3_bind_int64(s, 20, a->id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (is_busy(rc))
		return DX_EAGAIN; /* queued with the id it has now */
	if (rc != SQLITE_DONE) {
		failed(st, "alerts");
		st->lost++;
		st->lost_by[DX_TAB_ALERTS]++;
		return DX_ESTORE;
	}
written:
	if (a->id > st->max_id)
		st->max_id = a->id;
	row_done(st, DX_TAB_ALERTS);
	if (++st->txn_rows >= st->batch_rows)
		return commit(st);
	return DX_OK;
}

int dx_store_put_alert(dx_store_t *st, dx_alert_t *a)
{
	if (st->q_n == 0 && !st->degraded) {
		int rc = do_alert(st, a);
		if (rc == DX_EAGAIN)
			locked(st);
		else if (!(rc == DX_ESTORE && requeue(st, DX_TAB_ALERTS)))
			return rc;
	}
	if (a->id == 0) /* the id it will have, given now: blocks rows refer to it */
		a->id = ++st->max_id;
	struct op *o = enqueue(st, OP_ALERT);
	if (o != NULL) {
		o->u.alert = *a;
		o->u.alert.refresh = false; /* the row may not be there yet: write it whole */
	}
	return DX_OK;
}

static int do_window(dx_store_t *st, const dx_window_stats_t *w)
{
	if (begin(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[S_WINDOW];
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
	return step(st, s, "apex_window_stats", DX_TAB_WINDOWS);
}

int dx_store_add_window(dx_store_t *st, const dx_window_stats_t *w)
{
	if (st->q_n == 0 && !st->degraded) {
		int rc = do_window(st, w);
		if (rc == DX_EAGAIN)
			locked(st);
		else if (!(rc == DX_ESTORE && requeue(st, DX_TAB_WINDOWS)))
			return rc;
	}
	struct op *o = enqueue(st, OP_WINDOW);
	if (o != NULL)
		o->u.window = *w;
	return DX_OK;
}

static int do_stats(dx_store_t *st, const dx_store_stats_t *x)
{
	if (begin(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[S_STATS];
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
	return step(st, s, "sensor_stats", DX_TAB_STATS);
}

int dx_store_add_stats(dx_store_t *st, const dx_store_stats_t *x)
{
	if (st->q_n == 0 && !st->degraded) {
		int rc = do_stats(st, x);
		if (rc == DX_OK)
			return dx_store_flush(st);
		if (rc == DX_EAGAIN)
			locked(st);
		else if (!(rc == DX_ESTORE && requeue(st, DX_TAB_STATS)))
			return rc;
	}
	struct op *o = enqueue(st, OP_STATS);
	if (o != NULL)
		o->u.stats = *x;
	return DX_OK;
}

static int do_block_add(dx_store_t *st, int64_t id, const char *domain, const char *apex,
			int64_t alert_id, const char *action, dx_ts_t requested, dx_ts_t expires,
			const char *state, int64_t *out)
{
	if (begin(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[S_BLOCK_INS];
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, apex, -1, SQLITE_TRANSIENT);
	if (alert_id)
		sqlite3_bind_int64(s, 3, alert_id);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 5, dx_store_ts(requested));
	if (expires)
		sqlite3_bind_double(s, 6, dx_store_ts(expires));
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, state, -1, SQLITE_STATIC);
	if (id == 0) /* as for alerts: the next after the highest, never given twice */
		id = ++st->max_block_id;
	sqlite3_bind_int64(s, 8, id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (is_busy(rc))
		return DX_EAGAIN;
	if (rc != SQLITE_DONE) {
		failed(st, "blocks");
		st->lost++;
		st->lost_by[DX_TAB_BLOCKS]++;
		return DX_ESTORE;
	}
	*out = id;
	row_done(st, DX_TAB_BLOCKS);
	return DX_OK;
}

int dx_store_add_block(dx_store_t *st, const char *domain, const char *apex, int64_t alert_id,
		       const char *action, dx_ts_t requested, dx_ts_t expires, const char *state,
		       int64_t *id)
{
	if (st->q_n == 0 && !st->degraded) {
		int rc = do_block_add(st, 0, domain, apex, alert_id, action, requested, expires,
				      state, id);
		/* a block request is news: commit it now rather than at the next tick */
		if (rc == DX_OK)
			return dx_store_flush(st);
		if (rc == DX_EAGAIN)
			locked(st);
		else if (!(rc == DX_ESTORE && requeue(st, DX_TAB_BLOCKS)))
			return rc;
	}
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
	return DX_OK;
}

static int do_block_upd(dx_store_t *st, int64_t id, const char *state, int hook_exit,
			const char *hook_stderr, uint32_t attempts, double latency_ms)
{
	if (begin(st) != DX_OK)
		return DX_ESTORE;
	sqlite3_stmt *s = st->stmt[S_BLOCK_UPD];
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
	return step(st, s, "blocks", DX_TAB_BLOCKS);
}

void dx_store_update_block(dx_store_t *st, int64_t id, const char *state, int hook_exit,
			   const char *hook_stderr, uint32_t attempts, double latency_ms)
{
	if (id == 0)
		return;
	if (st->q_n == 0 && !st->degraded) {
		int rc = do_block_upd(st, id, state, hook_exit, hook_stderr, attempts, latency_ms);
		if (rc == DX_OK) {
			if (dx_store_flush(st) != DX_OK)
				return; /* counted there */
			return;
		}
		if (rc == DX_EAGAIN)
			locked(st);
		else if (!(rc == DX_ESTORE && requeue(st, DX_TAB_BLOCKS)))
			return;
	}
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
}

static int do_op(dx_store_t *st, struct op *o)
{
	int64_t id;
	switch (o->kind) {
	case OP_ALERT:
		return do_alert(st, &o->u.alert);
	case OP_WINDOW:
		return do_window(st, &o->u.window);
	case OP_STATS:
		return do_stats(st, &o->u.stats);
	case OP_BLOCK_ADD:
		return do_block_add(st, o->u.add.id, o->u.add.domain, o->u.add.apex,
				    o->u.add.alert_id, o->u.add.action, o->u.add.requested,
				    o->u.add.expires, o->u.add.state, &id);
	case OP_BLOCK_UPD:
		return do_block_upd(st, o->u.upd.id, o->u.upd.state, o->u.upd.hook_exit,
				    o->u.upd.has_stderr ? o->u.upd.stderr_text : NULL,
				    o->u.upd.attempts, o->u.upd.latency_ms);
	}
	return DX_EINVAL;
}

/* Write the waiting rows in one transaction, if the lock (or the failure) is gone. A batch of
 * them that fails is rolled back and tried again at the next tick: nothing of the queue is
 * lost but what does not fit in it. A row that cannot be written at all (not a failure that
 * may pass) is counted as lost and dropped, so it cannot hold the queue. */
static void drain(dx_store_t *st)
{
	if (st->q_n == 0)
		return;
	if (commit(st) != DX_OK) /* our own open batch first */
		return;
	uint64_t lost = st->lost, lost_by[DX_STORE_TABLES];
	memcpy(lost_by, st->lost_by, sizeof(lost_by));
	uint32_t done = 0;
	bool ok = true;
	while (done < st->q_n) {
		struct op *o = &st->q[(st->q_head + done) % st->q_cap];
		int rc = do_op(st, o);
		if (rc == DX_OK) {
			done++;
			if (!st->in_txn) /* do_op committed the batch itself (batch_rows) */
				break;
			continue;
		}
		if (rc == DX_EAGAIN && done == 0) { /* still locked: try at the next tick */
			locked(st);
			return;
		}
		if (rc != DX_EAGAIN && done == 0 && !retryable(st)) {
			/* this row cannot be written (counted as lost by do_op): drop it */
			st->q_head = (st->q_head + 1) % st->q_cap;
			st->q_n--;
			lost = st->lost;
			memcpy(lost_by, st->lost_by, sizeof(lost_by));
			locked(st);
			continue;
		}
		ok = rc == DX_EAGAIN; /* locked after some rows: cannot happen in our transaction */
		break;
	}
	if (ok && commit(st) == DX_OK) {
		st->q_head = (st->q_head + done) % st->q_cap;
		st->q_n -= done;
		if (st->degraded || (st->q_n == 0 && st->q_full_logged))
			dx_log(DX_LOG_NOTICE, DX_GRP_STORE,
			       "%s: writes resumed; waiting rows written", st->path);
		st->degraded = false;
		if (st->q_n == 0)
			st->q_full_logged = false;
		return;
	}
	/* failed: rolled back; the rows are still queued, so none of them is lost yet */
	locked(st);
	st->lost = lost;
	memcpy(st->lost_by, lost_by, sizeof(lost_by));
	st->pending = 0;
	memset(st->pending_by, 0, sizeof(st->pending_by));
	st->degraded = true;
}

int dx_store_drain(dx_store_t *st, int64_t mono_now_us, int64_t deadline_us)
{
	for (int64_t now = mono_now_us; st->q_n > 0; now += 20000) {
		drain(st);
		if (st->q_n == 0 || now >= deadline_us)
			break;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (st->q_n > 0) { /* still locked at the deadline: these are lost */
		for (uint32_t i = 0; i < st->q_n; i++)
			st->lost_by[op_table[st->q[(st->q_head + i) % st->q_cap].kind]]++;
		st->lost += st->q_n;
		dx_log(DX_LOG_ERR, DX_GRP_STORE, "%s: still locked: %u waiting rows lost", st->path,
		       st->q_n);
		st->q_n = 0;
	}
	return st->lost > 0 ? DX_ESTORE : DX_OK;
}

uint32_t dx_store_waiting(const dx_store_t *st)
{
	return st->q_n;
}

const uint64_t *dx_store_lost_by_table(const dx_store_t *st)
{
	return st->lost_by;
}
