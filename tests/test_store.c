/* SPDX-License-Identifier: BSD-2-Clause */
/* The store against real SQLite files in a temporary directory. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/base/err.h"
#include "lib/store/report.h"
#include "lib/store/store.h"

static char dir[64];

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dx_store_XXXXXX");
	return mkdtemp(dir) ? 0 : 1;
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* One integer from SQL run on a separate connection (as an outside reader would). */
static long long query_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static char *query_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			v = strdup((const char *) sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static void mk_alert(dx_alert_t *a, const char *apex, enum dx_severity sev, dx_ts_t t)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->apex, sizeof(a->apex), "%s", apex);
	a->threat = DX_T_ENCODED_SUBDOMAIN;
	a->severity = sev;
	a->status = DX_ST_OPEN;
	a->encoding = DX_ENC_BASE32;
	a->score = 0.5;
	a->first_ts = t - 2000000;
	a->detected_ts = t;
	a->last_ts = t;
	a->query_count = 120;
	a->unique_subdomains = 118;
	a->source_count = 1;
	a->est_bytes = 4321;
	a->top_qtype = 10;
	snprintf(a->sample_qname, sizeof(a->sample_qname), "abc.%s", apex);
	snprintf(a->sources, sizeof(a->sources), "[\"10.0.1.5\"]");
	snprintf(a->details, sizeof(a->details), "{\"why\":\"test\"}");
}

static void test_store_schema_created(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "new.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "PRAGMA user_version"), DX_STORE_VERSION);
	char *mode = query_text(p, "PRAGMA journal_mode");
	CU_ASSERT_STRING_EQUAL(mode ? mode : "", "wal");
	free(mode);
	const char *tables[] = {"runs",		"alerts",   "apex_window_stats", "blocks",
				"sensor_stats", "v_alerts", "v_blocks"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema WHERE name = '%s'",
			 tables[i]);
		CU_ASSERT_EQUAL(query_int(p, sql), 1);
	}
	/* STRICT: a text in an INTEGER column is refused */
	sqlite3 *db;
	sqlite3_open(p, &db);
	CU_ASSERT_NOT_EQUAL(sqlite3_exec(db,
					 "INSERT INTO sensor_stats(wall, packets, bytes, dns_msgs,"
					 " queries, responses, truncated, ring_a_full, ring_b_full,"
					 " pcap_drop, pcap_ifdrop, malformed, apexes_tracked,"
					 " evictions, alerts, rows_written) VALUES (1, 'x', 0, 0,"
					 " 0, 0, 0, 0, 0, 0, 0, '{}', 0, 0, 0, 0)",
					 NULL, NULL, NULL),
			    SQLITE_OK);
	sqlite3_close(db);
}

/* A version 4 database: its incidents get the srcids column, filled from their alerts'
 * details (a query log's instances), NULL for packets. */
static void test_store_migrates_from_v4(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "v4.db");
	CU_ASSERT_EQUAL_FATAL(dx_store_create_version(p, 4, err), DX_OK);
	sqlite3 *db;
	sqlite3_open(p, &db);
	/* the version-4 triggers are not there (views are made at open): the incident by hand */
	CU_ASSERT_EQUAL(
	    sqlite3_exec(
		db,
		"INSERT INTO incidents(id, run_id, apex, first_ts, threat, severity,"
		" sev_rank, detected_ts, last_ts, query_count, unique_subdomains,"
		" source_count, clients, est_bytes, encoding, top_qtype, samples, reasons,"
		" status, techniques) VALUES (1, 0, 'log.example', 1, 'DNS_TUNNEL', 'HIGH',"
		" 3, 2, 3, 4, 5, 1, '[]', 7, 'hex', 'TXT', '[]', '{}', 'open', '[]'),"
		" (2, 0, 'pkt.example', 1, 'DNS_TUNNEL', 'HIGH', 3, 2, 3, 4, 5, 1, '[]', 7,"
		" 'hex', 'TXT', '[]', '{}', 'open', '[]');"
		"INSERT INTO alerts(apex, threat_type, severity, score, first_ts,"
		" detected_ts, last_ts, query_count, unique_subdomains, source_count,"
		" est_bytes, encoding, top_qtype, sample_qname, sources, details, status,"
		" incident_id) VALUES ('log.example', 'LONG_NAME', 'HIGH', 1, 1, 2, 3, 4,"
		" 5, 1, 7, 'hex', 'TXT', 'x.log.example', '[\"10.0.0.7\"]',"
		" '{\"srcids\":[{\"address\":\"10.0.0.7\",\"instance\":\"i-1\"}]}',"
		" 'open', 1), ('pkt.example', 'LONG_NAME', 'HIGH', 1, 1, 2, 3, 4, 5, 1, 7,"
		" 'hex', 'TXT', 'x.pkt.example', '[]', '{}', 'open', 2)",
		NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "PRAGMA user_version"), DX_STORE_VERSION);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents WHERE id = 1 AND"
				     " json_extract(srcids, '$[0].instance') = 'i-1'"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents WHERE id = 2 AND"
				     " srcids IS NULL"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM v_incidents WHERE srcids IS NOT NULL"),
			1);
}

/* A version 1 database with a row in it is migrated in place and keeps the row. */
static void test_store_migrates_from_v1(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "v1.db");
	CU_ASSERT_EQUAL_FATAL(dx_store_create_version(p, 1, err), DX_OK);
	CU_ASSERT_EQUAL(query_int(p, "PRAGMA user_version"), 1);
	sqlite3 *db;
	sqlite3_open(p, &db);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "INSERT INTO alerts(apex, threat_type, severity, score,"
				     " first_ts, detected_ts, last_ts, query_count,"
				     " unique_subdomains, source_count, est_bytes, encoding,"
				     " top_qtype, sample_qname, sources, details, status) VALUES"
				     " ('old.example', 'LONG_NAME', 'HIGH', 1, 1, 2, 3, 4, 5, 6,"
				     " 7, 'hex', 'TXT', 'x.old.example', '[]', '{}', 'open')",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM pragma_table_info('alerts')"
				     " WHERE name = 'run_id'"),
			0);
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "PRAGMA user_version"), DX_STORE_VERSION);
	CU_ASSERT_EQUAL(query_int(p, "SELECT est_bytes FROM alerts WHERE apex = 'old.example'"), 7);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM pragma_table_info('alerts')"
				     " WHERE name = 'run_id'"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM v_alerts"), 1);
	/* v3 rebuilt the table: the constraints still hold, the indexes are back */
	sqlite3_open(p, &db);
	CU_ASSERT_NOT_EQUAL(
	    sqlite3_exec(db, "UPDATE alerts SET severity = 'SEVERE'", NULL, NULL, NULL), SQLITE_OK);
	CU_ASSERT_NOT_EQUAL(
	    sqlite3_exec(db, "UPDATE alerts SET status = 'maybe'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
				     " AND tbl_name = 'alerts' AND name LIKE 'alerts_%'"),
			3);
	/* v4 grouped the stored alert into its incident */
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents WHERE apex = 'old.example'"
				     " AND severity = 'HIGH' AND json_extract(reasons,"
				     " '$.LONG_NAME.severity') = 'HIGH'"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts a JOIN incidents i ON"
				     " a.incident_id = i.id"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%IN (%'"
				     " AND name = 'alerts'"),
			0);
}

/* Incidents: the alerts of one apex's episode (one first_ts) are one incident, whatever
 * order they escalate in; another episode of the apex is another incident; the incident takes
 * the highest severity and when it was reached, each detector's severity, up to three
 * samples, blocked if one alert was; retention's deletes take it with its last alert. */
static void test_store_incidents(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "incidents.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_ts_t t = 1709251200000000LL;
	dx_alert_t a[5];
	mk_alert(&a[0], "t.example", DX_SEV_MEDIUM, t);
	mk_alert(&a[1], "t.example", DX_SEV_HIGH, t + 1000000);
	a[1].threat = DX_T_LONG_NAME;
	snprintf(a[1].sample_qname, sizeof(a[1].sample_qname), "x\\000y.t.example");
	mk_alert(&a[2], "t.example", DX_SEV_LOW, t + 2000000);
	a[2].threat = DX_T_UNUSUAL_QTYPE;
	a[1].first_ts = a[2].first_ts = a[0].first_ts;		  /* the apex's episode */
	mk_alert(&a[3], "t.example", DX_SEV_HIGH, t + 900000000); /* a later episode */
	mk_alert(&a[4], "other.example", DX_SEV_LOW, t);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(dx_store_put_alert(st, &a[i]), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	a[0].severity = DX_SEV_CRITICAL; /* escalates after the others */
	a[0].detected_ts = t + 3000000;
	a[2].status = DX_ST_BLOCKED;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a[0]), DX_OK);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a[2]), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents"), 3);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents WHERE apex = 't.example'"), 2);
	const char *first = "FROM incidents WHERE apex = 't.example' ORDER BY first_ts LIMIT 1";
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT severity || ' ' || status || ' ' || threat || ' ' ||"
		 " json_array_length(samples) || ' ' || techniques %s",
		 first);
	char *v = query_text(p, sql);
	CU_ASSERT_STRING_EQUAL(v ? v : "", "CRITICAL blocked DNS_TUNNEL 2 [\"T1071.004\",\"T1572\","
					   "\"T1048\"]");
	free(v);
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM json_each(reasons)) * 10 +"
		 " (json_extract(reasons, '$.LONG_NAME.severity') = 'HIGH') %s",
		 first);
	CU_ASSERT_EQUAL(query_int(p, sql), 31);
	snprintf(sql, sizeof(sql), "SELECT CAST(round((detected_ts - 1709251200) * 10) AS INT) %s",
		 first);
	CU_ASSERT_EQUAL(query_int(p, sql), 30); /* when it reached CRITICAL */
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(DISTINCT incident_id) FROM alerts"), 3);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE incident_id IS NULL"), 0);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM v_incidents WHERE block_state IS NULL"),
			3);
	sqlite3 *db;
	sqlite3_open(p, &db);
	CU_ASSERT_EQUAL(
	    sqlite3_exec(db, "DELETE FROM alerts WHERE apex = 'other.example'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM incidents"), 2);
}

static void test_store_refuses_newer_and_garbage(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "future.db");
	sqlite3 *db;
	sqlite3_open(p, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	dx_store_t *st = NULL;
	CU_ASSERT_EQUAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_ESTORE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 99 is newer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "future.db"));

	path_of(p, sizeof(p), "garbage.db");
	FILE *f = fopen(p, "w");
	fputs("this is not an SQLite database, it is a text file of some length...\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_ESTORE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "garbage.db"));

	CU_ASSERT_EQUAL(dx_store_open(&st, "/nonexistent-dir/x.db", 1000, 100, 1024, true, err),
			DX_ESTORE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/x.db: cannot open"));
}

/* A write that fails (another process holds the write lock past the busy timeout; a full or
 * read-only disk fails a commit: tests/faults.sh) loses that row only until the alert's next
 * update, which writes it whole again, under the same id if it had one. */
static void test_store_lost_write_rewritten(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "lost.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a, b, c;
	mk_alert(&a, "kept.example", DX_SEV_HIGH, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	sqlite3 *other;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &other), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	/* the database locked by another process: the row waits (it failed, and was lost) and
	 * keeps the id it will have */
	mk_alert(&b, "lost.example", DX_SEV_MEDIUM, 1709251200000000LL);
	int rc = dx_store_put_alert(st, &b);
	if (rc == DX_OK)
		rc = dx_store_flush(st);
	CU_ASSERT_EQUAL(rc, DX_OK);
	CU_ASSERT_EQUAL(dx_store_errors(st), 0);
	CU_ASSERT_EQUAL(dx_store_waiting(st), 1);
	CU_ASSERT_EQUAL(b.id, a.id + 1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE apex = 'lost.example'"), 0);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	mk_alert(&c, "new.example", DX_SEV_LOW, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &c), DX_OK);
	b.severity = DX_SEV_HIGH; /* the lost alert's next update */
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &b), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	/* a row gone after its id was handed out (a commit that failed after the insert) */
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &other), SQLITE_OK);
	CU_ASSERT_EQUAL(
	    sqlite3_exec(other, "DELETE FROM alerts WHERE apex = 'kept.example'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	int64_t id = a.id;
	a.query_count = 777;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(a.id, id);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT query_count FROM alerts WHERE apex = 'kept.example'"),
			777);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 3);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE apex = 'lost.example'"
				     " AND severity = 'HIGH'"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(DISTINCT id) FROM alerts"), 3);
	CU_ASSERT_TRUE(b.id > 0 && c.id != b.id && c.id != a.id);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Another process holding the write lock must not stall the writer (each statement waited
 * two seconds): rows wait in the bounded queue, in order, ids handed out as SQLite would, and
 * are written when the lock goes; what does not fit is counted as lost by table. */
static void test_store_locked_rows_wait(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "locked.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 64, true, err), DX_OK);
	dx_alert_t a;
	mk_alert(&a, "first.example", DX_SEV_HIGH, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	int64_t bid = 0;
	CU_ASSERT_EQUAL(dx_store_add_block(st, "first.example", "first.example", a.id, "add",
					   1709251200000000LL, 0, "pending", &bid),
			DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	sqlite3 *other;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &other), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	double t0 = now_s();
	dx_alert_t al[80];
	for (int i = 0; i < 80; i++) { /* 80 alerts, a window, a block and its update: 83 rows */
		char apex[32];
		snprintf(apex, sizeof(apex), "a%d.example", i);
		mk_alert(&al[i], apex, DX_SEV_MEDIUM, 1709251200000000LL + i);
		CU_ASSERT_EQUAL(dx_store_put_alert(st, &al[i]), DX_OK);
		if (i == 0) {
			dx_window_stats_t w;
			memset(&w, 0, sizeof(w));
			snprintf(w.apex, sizeof(w.apex), "a0.example");
			w.start_ts = 1709251200000000LL;
			w.end_ts = w.start_ts + 300000000LL;
			CU_ASSERT_EQUAL(dx_store_add_window(st, &w), DX_OK);
			int64_t b2 = 0;
			CU_ASSERT_EQUAL(dx_store_add_block(st, "a0.example", "a0.example", al[0].id,
							   "add", 1709251200000000LL, 0, "pending",
							   &b2),
					DX_OK);
			CU_ASSERT_EQUAL(b2, bid + 1);
			dx_store_update_block(st, b2, "done", 0, "ok", 1, 12.5);
		}
		dx_store_tick(st, (int64_t) (now_s() * 1e6));
	}
	CU_ASSERT_TRUE(now_s() - t0 < 1.0); /* each statement waited 2 s */
	CU_ASSERT_EQUAL(dx_store_waiting(st), 64);
	CU_ASSERT_EQUAL(dx_store_rows_lost(st), 83 - 64);
	CU_ASSERT_EQUAL(dx_store_lost_by_table(st)[DX_TAB_ALERTS], 83 - 64);
	CU_ASSERT_EQUAL(al[1].id, al[0].id + 1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 1); /* as before the lock */
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	/* the next tick at least 20 ms after the last try writes them */
	dx_store_tick(st, (int64_t) (now_s() * 1e6) + 20000);
	CU_ASSERT_EQUAL(dx_store_waiting(st), 0);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 1 + 61);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM apex_window_stats"), 1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM blocks WHERE state = 'done'"
				     " AND hook_stderr = 'ok' AND alert_id = (SELECT id FROM alerts"
				     " WHERE apex = 'a0.example')"),
			1);
	CU_ASSERT_EQUAL(dx_store_errors(st), 0);
	/* the queue is used again only while locked; a new alert's id is past every id handed
	 * out, the lost ones' too (a lost alert's next update must not land on another's row) */
	dx_alert_t z;
	mk_alert(&z, "after.example", DX_SEV_LOW, 1709251300000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &z), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	CU_ASSERT_EQUAL(z.id, al[79].id + 1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT max(id) FROM alerts"), z.id);
	dx_store_close(st);
}

/* A refresh (counts, sources, details, status, encoding) updates the row in place, leaves the
 * indexed columns as written, and writes the whole row if it was lost. */
static void test_store_refresh(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "refresh.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a, b;
	mk_alert(&a, "r1.example", DX_SEV_HIGH, 1709251200000000LL);
	mk_alert(&b, "r2.example", DX_SEV_MEDIUM, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &b), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	a.refresh = b.refresh = true;
	a.query_count = 4242;
	a.severity = DX_SEV_CRITICAL; /* not a refresh's to write: the row keeps HIGH */
	a.status = DX_ST_CLOSED;
	a.encoding = DX_ENC_BASE64; /* the apex's encoding follows its names: a refresh writes it */
	snprintf(a.details, sizeof(a.details), "{\"refreshed\":1}");
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE apex = 'r1.example'"
				     " AND encoding = 'base64'"),
			1);
	CU_ASSERT_EQUAL(query_int(p, "SELECT query_count FROM alerts WHERE apex = 'r1.example'"
				     " AND status = 'closed' AND details = '{\"refreshed\":1}'"
				     " AND severity = 'HIGH'"),
			4242);
	/* the row of b gone (a failed commit): its refresh writes it whole */
	sqlite3 *other;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &other), SQLITE_OK);
	CU_ASSERT_EQUAL(
	    sqlite3_exec(other, "DELETE FROM alerts WHERE apex = 'r2.example'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	b.query_count = 99;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &b), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT query_count FROM alerts WHERE apex = 'r2.example'"
				     " AND severity = 'MEDIUM'"),
			99);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 2);
}

/* A commit that fails on a full disk (the file size limit stands in for it: write() fails
 * with EFBIG, which SQLite reports as SQLITE_FULL) loses nothing: the batch open at the fault
 * stays queued and is written when the disk takes it again (it was lost, counted). An alert
 * updated while it waits holds one place in the queue. */
static void test_store_failed_commit_keeps_batch(void)
{
	char p[128], wal[160], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "full.db");
	snprintf(wal, sizeof(wal), "%s-wal", p);
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100000, 256, true, err), DX_OK);
	dx_alert_t a;
	mk_alert(&a, "full.example", DX_SEV_HIGH, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	struct stat sb;
	CU_ASSERT_EQUAL_FATAL(stat(wal, &sb), 0);
	struct rlimit old, lim;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t) sb.st_size; /* the WAL cannot grow */
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 100; i++) {
		dx_window_stats_t w;
		memset(&w, 0, sizeof(w));
		snprintf(w.apex, sizeof(w.apex), "w%d.example", i);
		w.start_ts = 1709251200000000LL;
		w.end_ts = w.start_ts + 300000000LL;
		snprintf(w.qtype_counts, sizeof(w.qtype_counts), "{\"TXT\":%d}", i);
		CU_ASSERT_EQUAL(dx_store_add_window(st, &w), DX_OK);
		a.query_count = 1000 + (uint64_t) i; /* its refresh at every window close */
		a.refresh = true;
		CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	}
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_ESTORE);
	CU_ASSERT_EQUAL(dx_store_waiting(st), 101);
	CU_ASSERT_EQUAL(dx_store_rows_lost(st), 0);
	CU_ASSERT_TRUE(dx_store_errors(st) > 0);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM apex_window_stats"), 0);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, was);
	dx_store_tick(st, 10000000); /* the next try */
	CU_ASSERT_EQUAL(dx_store_waiting(st), 0);
	CU_ASSERT_EQUAL(dx_store_rows_lost(st), 0);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM apex_window_stats"), 100);
	CU_ASSERT_EQUAL(query_int(p, "SELECT query_count FROM alerts"), 1099);
}

/* Escalation updates the one row of the episode; it never adds rows. */
static void test_store_escalation_updates_one_row(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "esc.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a;
	mk_alert(&a, "t1.example", DX_SEV_MEDIUM, 1709251200000000LL);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_TRUE(a.id > 0);
	int64_t id = a.id;
	a.severity = DX_SEV_HIGH;
	a.query_count = 500;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	a.severity = DX_SEV_CRITICAL;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(a.id, id);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 1);
	char *sev = query_text(p, "SELECT severity FROM alerts");
	CU_ASSERT_STRING_EQUAL(sev ? sev : "", "CRITICAL");
	free(sev);
	CU_ASSERT_EQUAL(query_int(p, "SELECT query_count FROM alerts"), 500);
	/* microsecond packet time survives the REAL column */
	char *t = query_text(p, "SELECT printf('%.6f', detected_ts) FROM alerts");
	CU_ASSERT_STRING_EQUAL(t ? t : "", "1709251200.000000");
	free(t);
}

/* Rows become visible to another connection when the batch commits: not before the flush
 * interval (by the caller's clock), at once after it. A reader never blocks the writer. */
static void test_store_batching_and_reader(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "batch.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100000, 1024, true, err), DX_OK);
	dx_store_tick(st, 0);
	sqlite3 *reader;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(p, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* the reader holds a read transaction open across the writer's work */
	sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM alerts;", NULL, NULL, NULL);
	for (int i = 0; i < 50; i++) {
		dx_alert_t a;
		char apex[32];
		snprintf(apex, sizeof(apex), "a%d.example", i);
		mk_alert(&a, apex, DX_SEV_HIGH, 1709251200000000LL + i);
		CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	}
	dx_store_tick(st, 500000); /* 0.5 s: not yet */
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 0);
	dx_store_tick(st, 1000000); /* 1 s: committed, despite the open reader */
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 50);
	CU_ASSERT_EQUAL(dx_store_errors(st), 0);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	/* batch_rows also commits */
	dx_store_close(st);
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000000, 10, 1024, true, err), DX_OK);
	for (int i = 0; i < 10; i++) {
		dx_window_stats_t w;
		memset(&w, 0, sizeof(w));
		snprintf(w.apex, sizeof(w.apex), "w%d.example", i);
		w.start_ts = 1709251200000000LL;
		w.end_ts = w.start_ts + 300000000LL;
		CU_ASSERT_EQUAL(dx_store_add_window(st, &w), DX_OK);
	}
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM apex_window_stats"), 10);
	CU_ASSERT_EQUAL(dx_store_rows_written(st), 10);
	dx_store_close(st);
}

static void test_store_retention(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "ret.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100000, 1024, true, err), DX_OK);
	const dx_ts_t day = 86400000000LL, now = 1709251200000000LL + 100 * day;
	for (int i = 0; i < 30; i++) { /* one window a day for 30 days */
		dx_window_stats_t w;
		memset(&w, 0, sizeof(w));
		snprintf(w.apex, sizeof(w.apex), "x.example");
		w.start_ts = now - (i + 1) * day;
		w.end_ts = w.start_ts + 300000000LL;
		CU_ASSERT_EQUAL(dx_store_add_window(st, &w), DX_OK);
	}
	dx_alert_t old_closed, old_open, new_closed;
	mk_alert(&old_closed, "a.example", DX_SEV_HIGH, now - 20 * day);
	old_closed.status = DX_ST_CLOSED;
	mk_alert(&old_open, "b.example", DX_SEV_HIGH, now - 20 * day);
	mk_alert(&new_closed, "c.example", DX_SEV_HIGH, now - 1 * day);
	new_closed.status = DX_ST_CLOSED;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &old_closed), DX_OK);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &old_open), DX_OK);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &new_closed), DX_OK);
	CU_ASSERT_EQUAL(dx_store_flush(st), DX_OK);
	/* keep 7 days, at most 5 rows a call: the old rows go in small batches */
	int total = 0, n;
	while ((n = dx_store_retention(st, now, 7, 5)) > 0) {
		CU_ASSERT_TRUE(n <= 10);
		total += n;
	}
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(total, 23 + 1);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM apex_window_stats"), 7);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts"), 2);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE apex = 'a.example'"), 0);
}

/* kill -9 in the middle of a batch: the database opens, integrity_check says ok, and every
 * row committed before the kill is there. */
static void test_store_survives_sigkill(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "crash.db");
	int fds[2];
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dx_store_t *st;
		if (dx_store_open(&st, p, 1000, 1000000, 1024, true, err) != DX_OK)
			_exit(2);
		for (long i = 1;; i++) {
			dx_alert_t a;
			char apex[32];
			snprintf(apex, sizeof(apex), "k%ld.example", i);
			mk_alert(&a, apex, DX_SEV_HIGH, 1709251200000000LL + i);
			if (dx_store_put_alert(st, &a) != DX_OK)
				_exit(3);
			if (i % 37 == 0) { /* commit, then tell the parent how many are safe */
				if (dx_store_flush(st) != DX_OK)
					_exit(4);
				if (write(fds[1], &i, sizeof(i)) != sizeof(i))
					_exit(5);
			}
		}
	}
	close(fds[1]);
	long committed = 0, v;
	while (committed < 2000 && read(fds[0], &v, sizeof(v)) == sizeof(v))
		committed = v;
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	close(fds[0]);
	CU_ASSERT_TRUE(WIFSIGNALED(status));
	char *ok = query_text(p, "PRAGMA integrity_check");
	CU_ASSERT_STRING_EQUAL(ok ? ok : "", "ok");
	free(ok);
	CU_ASSERT_TRUE(query_int(p, "SELECT count(*) FROM alerts") >= committed);
	/* and the sensor can open it again and go on writing */
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a;
	mk_alert(&a, "after.example", DX_SEV_LOW, 1);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	dx_store_close(st);
	CU_ASSERT_EQUAL(query_int(p, "SELECT count(*) FROM alerts WHERE apex = 'after.example'"),
			1);
}

/* A name full of SQL and shell metacharacters is stored as data, byte for byte. */
static void test_store_hostile_text_is_data(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "hostile.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a;
	mk_alert(&a, "x');DROP TABLE alerts;--.example", DX_SEV_HIGH, 5);
	snprintf(a.sample_qname, sizeof(a.sample_qname), "$(touch\\032/tmp/x).'\\\";--");
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	dx_store_close(st);
	char *apex = query_text(p, "SELECT apex FROM alerts");
	CU_ASSERT_STRING_EQUAL(apex ? apex : "", "x');DROP TABLE alerts;--.example");
	free(apex);
}

/* The report's text; its error line in *errp (malloc'ed) if errp, else on stderr. */
static char *run_report_err(const dx_report_opts_t *o, int *rc, char **errp)
{
	char *text = NULL;
	size_t len = 0;
	char err[DX_CONFIG_ERRMAX] = "";
	FILE *f = open_memstream(&text, &len);
	*rc = dx_report(o, f, err);
	fclose(f);
	if (errp)
		*errp = strdup(err);
	else if (*rc != DX_OK)
		fprintf(stderr, "\n  report: %s\n", err);
	return text;
}

static char *run_report(const dx_report_opts_t *o, int *rc)
{
	return run_report_err(o, rc, NULL);
}

static void test_store_report_table_and_filters(void)
{
	char p[128], err[DX_CONFIG_ERRMAX];
	path_of(p, sizeof(p), "report.db");
	dx_store_t *st;
	CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, p, 1000, 100, 1024, true, err), DX_OK);
	dx_alert_t a, b;
	mk_alert(&a, "t1.lab.example", DX_SEV_CRITICAL, 1709251260000000LL);
	mk_alert(&b, "burst.example", DX_SEV_MEDIUM, 1709251200000000LL);
	b.threat = DX_T_HIGH_FREQUENCY;
	b.encoding = DX_ENC_HEX;
	b.query_count = 25;
	b.est_bytes = 75;
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
	CU_ASSERT_EQUAL(dx_store_put_alert(st, &b), DX_OK);
	dx_store_close(st);

	dx_report_opts_t o = {.db = {p}, .n_db = 1, .limit = 50};
	int rc;
	/* the default: the incidents, one per apex here, the detector as its reason */
	char *t = run_report(&o, &rc);
	CU_ASSERT_EQUAL(rc, DX_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "  STATUS  REASONS\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "t1.lab.example  CRITICAL  DNS_TUNNEL"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "open    ENCODED_SUBDOMAIN:CRITICAL\n"));
	free(t);
	o.apex = "T1.Lab.EXAMPLE"; /* any case */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "t1.lab.example"));
	CU_ASSERT_PTR_NULL(strstr(t ? t : "", "burst.example"));
	free(t);
	o.apex = "www.burst.example"; /* the apex of a name */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "burst.example"));
	CU_ASSERT_PTR_NULL(strstr(t ? t : "", "t1.lab.example"));
	free(t);
	o.apex = "lab.example"; /* the apexes under it */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "t1.lab.example"));
	free(t);
	o.apex = "st.example"; /* not a label boundary */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "(no incidents)"));
	free(t);
	o.apex = NULL;
	o.alerts = true;
	t = run_report(&o, &rc);
	CU_ASSERT_EQUAL(rc, DX_OK);
	const char *want =
	    "APEX            SEVERITY  THREAT             FIRST SEEN           DETECTED       "
	    "      QUERIES  UNIQUE  SOURCES  EST.BYTES  ENCODING  BLOCK  STATUS\n"
	    "t1.lab.example  CRITICAL  ENCODED_SUBDOMAIN  2024-03-01T00:00:58  2024-03-01T00:01:00"
	    "      120     118        1       4321  base32    -      open\n"
	    "burst.example   MEDIUM    HIGH_FREQUENCY     2024-02-29T23:59:58  2024-03-01T00:00:00"
	    "       25     118        1         75  hex       -      open\n";
	CU_ASSERT_STRING_EQUAL(t ? t : "", want);
	if (t && strcmp(t, want) != 0)
		fprintf(stderr, "\n%s", t);
	free(t);

	o.min_severity = DX_SEV_HIGH;
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NULL(strstr(t, "burst.example"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "t1.lab.example"));
	free(t);
	o.min_severity = 0;
	o.apex = "burst.example";
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NULL(strstr(t, "t1.lab.example"));
	free(t);
	o.apex = NULL;
	o.since = "30d"; /* 30 days before now: the 2024 alerts are older */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "(no alerts)"));
	free(t);
	o.since = NULL;
	o.until = "2024-03-01T00:00:30"; /* detected before: only burst.example */
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "burst.example"));
	CU_ASSERT_PTR_NULL(strstr(t, "t1.lab.example"));
	free(t);
	o.until = NULL;
	o.since = "2024-03-01";
	o.json = true;
	o.limit = 1;
	t = run_report(&o, &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "{\"id\":1,\"apex\":\"t1.lab.example\",\"severity\":"
					 "\"CRITICAL\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"sources\":[\"10.0.1.5\"]"));
	CU_ASSERT_PTR_NULL(strstr(t, "burst.example"));
	free(t);
	o.since = "yesterday";
	t = run_report(&o, &rc);
	CU_ASSERT_EQUAL(rc, DX_EINVAL);
	free(t);
}

/* report -d A -d B: one list, each row naming its sensor (the name its runs recorded, else
 * the file's), an apex seen by several sensors together, newest apex first; the limit is
 * the whole list's; a database of a newer schema among them is refused by name. */
static void test_store_report_several(void)
{
	char pa[128], pb[128], pc[128], err[DX_CONFIG_ERRMAX];
	path_of(pa, sizeof(pa), "fleet-a.db");
	path_of(pb, sizeof(pb), "fleet-b.db");
	path_of(pc, sizeof(pc), "fleet-c.db");
	const char *paths[] = {pa, pb, pc};
	const char *sensors[] = {"sensor-a", "sensor-b", NULL};
	/* shared.example on a and b (b later), only-a older, only-c newest of all */
	struct {
		int db;
		const char *apex;
		dx_ts_t t;
	} rows[] = {{0, "shared.example", 1709251200000000LL},
		    {1, "shared.example", 1709251300000000LL},
		    {0, "only-a.example", 1709251000000000LL},
		    {2, "only-c.example", 1709252000000000LL}};
	for (int d = 0; d < 3; d++) {
		dx_store_t *st;
		CU_ASSERT_EQUAL_FATAL(dx_store_open(&st, paths[d], 1000, 100, 1024, true, err),
				      DX_OK);
		if (sensors[d])
			CU_ASSERT_EQUAL(dx_store_run_begin(st, "t", "0", "pcap:x", sensors[d], 1.0),
					DX_OK);
		for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
			if (rows[i].db != d)
				continue;
			dx_alert_t a;
			mk_alert(&a, rows[i].apex, DX_SEV_HIGH, rows[i].t);
			CU_ASSERT_EQUAL(dx_store_put_alert(st, &a), DX_OK);
		}
		dx_store_close(st);
	}
	dx_report_opts_t o = {.db = {pa, pb, pc}, .n_db = 3, .limit = 50};
	int rc;
	char *t = run_report(&o, &rc);
	CU_ASSERT_EQUAL(rc, DX_OK);
	const char *order[] = {"\nfleet-c.db  only-c.example", "\nsensor-b    shared.example",
			       "\nsensor-a    shared.example", "\nsensor-a    only-a.example"};
	const char *at = t ? t : "";
	CU_ASSERT_PTR_NOT_NULL(strstr(at, "SENSOR      APEX"));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const char *next = strstr(at, order[i]);
		CU_ASSERT_PTR_NOT_NULL(next);
		if (next == NULL) {
			fprintf(stderr, "\n'%s' not in order in:\n%s", order[i] + 1, t ? t : "");
			break;
		}
		at = next + 1;
	}
	free(t);
	o.json = true;
	o.limit = 2;
	t = run_report(&o, &rc);
	CU_ASSERT_EQUAL(rc, DX_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "\"sensor\":\"fleet-c.db\"}\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t ? t : "", "\"sensor\":\"sensor-b\"}\n"));
	CU_ASSERT_PTR_NULL(strstr(t ? t : "", "sensor-a"));
	free(t);
	/* one database alone: no SENSOR column, as before */
	dx_report_opts_t one = {.db = {pb}, .n_db = 1, .limit = 50};
	t = run_report(&one, &rc);
	CU_ASSERT_EQUAL(strncmp(t ? t : "", "APEX ", 5), 0);
	free(t);
	/* a newer schema among them: refused, naming it */
	sqlite3 *h;
	sqlite3_open(pc, &h);
	sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(h);
	o.json = false;
	char *e = NULL;
	t = run_report_err(&o, &rc, &e);
	CU_ASSERT_NOT_EQUAL(rc, DX_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(e ? e : "", "fleet-c.db: schema version newer"));
	free(t);
	free(e);
}

static CU_TestInfo store_tests[] = {
    {"report_several", test_store_report_several},
    {"schema_created", test_store_schema_created},
    {"migrates_from_v1", test_store_migrates_from_v1},
    {"migrates_from_v4", test_store_migrates_from_v4},
    {"incidents", test_store_incidents},
    {"refuses_newer_and_garbage", test_store_refuses_newer_and_garbage},
    {"escalation_updates_one_row", test_store_escalation_updates_one_row},
    {"lost_write_rewritten", test_store_lost_write_rewritten},
    {"locked_rows_wait", test_store_locked_rows_wait},
    {"failed_commit_keeps_batch", test_store_failed_commit_keeps_batch},
    {"refresh", test_store_refresh},
    {"batching_and_reader", test_store_batching_and_reader},
    {"retention", test_store_retention},
    {"survives_sigkill", test_store_survives_sigkill},
    {"hostile_text_is_data", test_store_hostile_text_is_data},
    {"report_table_and_filters", test_store_report_table_and_filters},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"store", setup, teardown, NULL, NULL, store_tests},
    CU_SUITE_INFO_NULL,
};
