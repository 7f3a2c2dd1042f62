/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The database file: its schema, the migrations between versions, opening it and the
 * statements the store prepares once.
 *
 * Schema changes are steps in migrations[]: step k takes user_version k to k+1, and every
 * open runs the missing steps in one transaction. Views are derived, so they are dropped and
 * recreated on every open rather than migrated. A database with a user_version above ours was
 * written by a newer dnsexfild: we refuse it instead of guessing.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/err.h"
#include "lib/store/db.h"
#include "lib/store/store.h"

/* An alert severity's rank (DX_SQL_RANK), and back */
#define SEV_OF(x) \
	"(CASE " x " WHEN 4 THEN 'CRITICAL' WHEN 3 THEN 'HIGH' WHEN 2 THEN 'MEDIUM' ELSE 'LOW' END)"
/* What an incident's alerts say together: open while one is, blocked if one was, allowlisted
 * if all are; ICMP_TUNNEL for an ICMP tunnel's pair (its apex is the peer's address: no DNS
 * alert shares it), BEACON if that detector alone fired, else DNS_TUNNEL; the MITRE ATT&CK
 * techniques: application-layer protocol: DNS (T1071.004) always, protocol tunnelling
 * (T1572) for a tunnel, exfiltration over an alternative protocol (T1048) when the names
 * carried data (ENCODED_SUBDOMAIN, LONG_NAME, INFO_VOLUME); for ICMP, non-application layer
 * protocol (T1095) and T1048. */
#define NOT_BEACON "(SELECT count(*) FROM json_each(incidents.reasons) WHERE key != 'BEACON')"
#define IS_ICMP "json_extract(incidents.reasons, '$.ICMP_TUNNEL') IS NOT NULL"
#define INCIDENT_DERIVED                                                                       \
	"status = (SELECT CASE WHEN sum(a.status = 'blocked') > 0 THEN 'blocked'"              \
	"  WHEN sum(a.status = 'open') > 0 THEN 'open'"                                        \
	"  WHEN sum(a.status = 'allowlisted') = count(*) THEN 'allowlisted' ELSE 'closed' END" \
	"  FROM alerts a WHERE a.incident_id = incidents.id),"                                 \
	" threat = CASE WHEN " IS_ICMP " THEN 'ICMP_TUNNEL' WHEN " NOT_BEACON " = 0"           \
	"  THEN 'BEACON' ELSE 'DNS_TUNNEL' END,"                                               \
	" techniques = CASE WHEN " IS_ICMP " THEN '[\"T1095\",\"T1048\"]'"                     \
	"  WHEN " NOT_BEACON " = 0 THEN '[\"T1071.004\"]'"                                     \
	"  WHEN json_extract(incidents.reasons, '$.ENCODED_SUBDOMAIN') IS NOT NULL"            \
	"  OR json_extract(incidents.reasons, '$.LONG_NAME') IS NOT NULL"                      \
	"  OR json_extract(incidents.reasons, '$.INFO_VOLUME') IS NOT NULL"                    \
	"  THEN '[\"T1071.004\",\"T1572\",\"T1048\"]' ELSE '[\"T1071.004\",\"T1572\"]' END"

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
     * "x IN (list)" at every row written, which made an alert upsert most of the detector
     * thread's time in an alert-heavy replay.
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
    /* 3 -> 4: incidents, one per (run, apex, episode): the alerts of one apex's episode share
     * its first_ts. Kept by the triggers below from the alert rows, so every way an alert is
     * written (its upsert, its refresh, a retried batch) keeps its incident; the alerts already
     * stored are grouped here once. */
    "CREATE TABLE incidents ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL,"
    "  apex TEXT NOT NULL,"
    "  first_ts REAL NOT NULL,"
    "  threat TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  sev_rank INTEGER NOT NULL,"
    "  detected_ts REAL NOT NULL,"
    "  last_ts REAL NOT NULL,"
    "  query_count INTEGER NOT NULL,"
    "  unique_subdomains INTEGER NOT NULL,"
    "  source_count INTEGER NOT NULL,"
    "  clients TEXT NOT NULL,"
    "  vni INTEGER,"
    "  est_bytes INTEGER NOT NULL,"
    "  encoding TEXT NOT NULL,"
    "  top_qtype TEXT NOT NULL,"
    "  samples TEXT NOT NULL,"
    "  reasons TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  techniques TEXT NOT NULL,"
    "  UNIQUE (run_id, apex, first_ts)"
    ") STRICT;"
    "CREATE INDEX incidents_detected ON incidents(detected_ts);"
    "ALTER TABLE alerts ADD COLUMN incident_id INTEGER;"
    "INSERT INTO incidents(run_id, apex, first_ts, threat, severity, sev_rank, detected_ts,"
    "  last_ts, query_count, unique_subdomains, source_count, clients, vni, est_bytes,"
    "  encoding, top_qtype, samples, reasons, status, techniques)"
    "  SELECT coalesce(run_id, 0), apex, first_ts, 'DNS_TUNNEL', 'LOW', max(" DX_SQL_RANK(
	"severity") "),"
		    "  min(detected_ts), max(last_ts), max(query_count), max(unique_subdomains),"
		    "  max(source_count), max(sources), max(vni), max(est_bytes), max(encoding),"
		    "  max(top_qtype), json_group_array(DISTINCT sample_qname),"
		    "  json_group_object(threat_type, json_object('severity', severity, 'at', detected_ts)),"
		    "  'open', '[]' FROM alerts GROUP BY 1, 2, 3;"
		    "UPDATE incidents SET severity = " SEV_OF(
			"sev_rank") ";"
				    "UPDATE alerts SET incident_id = (SELECT i.id FROM incidents i WHERE"
				    "  i.run_id = coalesce(alerts.run_id, 0) AND i.apex = alerts.apex"
				    "  AND i.first_ts = alerts.first_ts);"
				    "CREATE INDEX alerts_incident ON alerts(incident_id);"
				    "UPDATE incidents SET " INCIDENT_DERIVED ";",
    /* 4 -> 5: a query log's instances and VPCs of an incident's clients (its alerts'
     * details.srcids; NULL for packets), filled in for the incidents already stored */
    "ALTER TABLE incidents ADD COLUMN srcids TEXT;"
    "UPDATE incidents SET srcids = (SELECT json_extract(a.details, '$.srcids') FROM alerts a"
    "  WHERE a.incident_id = incidents.id AND json_extract(a.details, '$.srcids') IS NOT NULL"
    "  ORDER BY a.source_count DESC LIMIT 1);",
    /* 5 -> 6: the sensor that wrote a run ([output] sensor_id, or the host name), so that the
     * databases of a fleet read together (report -d A -d B) name each row's sensor */
    "ALTER TABLE runs ADD COLUMN sensor TEXT;",
    /* 6 -> 7: a blocks row may be an isolation ([response] isolate_icmp: the hook run as
     * isolate PEER for an ICMP tunnel): a CHECK changes only with the table rebuilt. The views
     * naming blocks go first (they are made again at every open) */
    "DROP VIEW IF EXISTS v_blocks; DROP VIEW IF EXISTS v_alerts; DROP VIEW IF EXISTS v_incidents;"
    "CREATE TABLE blocks_new ("
    "  id INTEGER PRIMARY KEY,"
    "  domain TEXT NOT NULL,"
    "  apex TEXT NOT NULL,"
    "  alert_id INTEGER REFERENCES alerts(id),"
    "  action TEXT NOT NULL CHECK (action IN ('add','remove','isolate')),"
    "  requested_ts REAL NOT NULL,"
    "  expires_ts REAL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','done','failed','dry_run','removed')),"
    "  hook_exit INTEGER,"
    "  hook_stderr TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  latency_ms REAL"
    ") STRICT;"
    "INSERT INTO blocks_new SELECT id, domain, apex, alert_id, action, requested_ts, expires_ts,"
    "  state, hook_exit, hook_stderr, attempts, latency_ms FROM blocks;"
    "DROP TABLE blocks;"
    "ALTER TABLE blocks_new RENAME TO blocks;"
    "CREATE INDEX blocks_apex ON blocks(apex, requested_ts);",
};

/* An alert row into its incident (the triggers' body): the incident takes the highest
 * severity and when it was first reached, the largest counts, the latest clients, type and
 * encoding seen, up to three sample names, and each detector's severity and when it reached
 * it (reasons: {"ENCODED_SUBDOMAIN": {"severity": "HIGH", "at": 1700000000.5}, ...}). */
#define INCIDENT_KEY \
	"run_id = coalesce(NEW.run_id, 0) AND apex = NEW.apex AND first_ts = NEW.first_ts"
#define INCIDENT_FROM_ALERT                                                                                                  \
	"INSERT INTO incidents(run_id, apex, first_ts, threat, severity, sev_rank, detected_ts,"                             \
	"  last_ts, query_count, unique_subdomains, source_count, clients, vni, est_bytes,"                                  \
	"  encoding, top_qtype, samples, reasons, status, techniques, srcids)"                                               \
	"  VALUES (coalesce(NEW.run_id, 0), NEW.apex, NEW.first_ts, 'DNS_TUNNEL', NEW.severity, " DX_SQL_RANK(               \
	    "NEW.severity") ", NEW.detected_ts, NEW.last_ts, NEW.query_count,"                                               \
			    "  NEW.unique_subdomains, NEW.source_count, NEW.sources, NEW.vni, NEW.est_bytes,"                \
			    "  NEW.encoding, NEW.top_qtype, json_array(NEW.sample_qname),"                                   \
			    "  json_object(NEW.threat_type, json_object('severity', NEW.severity, 'at',"                     \
			    "  NEW.detected_ts)), NEW.status, '[]', json_extract(NEW.details, '$.srcids'))"                  \
			    "  ON CONFLICT(run_id, apex, first_ts) DO UPDATE SET"                                            \
			    "  severity = CASE WHEN excluded.sev_rank > sev_rank THEN excluded.severity"                     \
			    "    ELSE severity END,"                                                                         \
			    "  sev_rank = max(sev_rank, excluded.sev_rank),"                                                 \
			    "  detected_ts = CASE WHEN excluded.sev_rank > sev_rank THEN excluded.detected_ts"               \
			    "    WHEN excluded.sev_rank = sev_rank THEN min(detected_ts, excluded.detected_ts)"              \
			    "    ELSE detected_ts END,"                                                                      \
			    "  last_ts = max(last_ts, excluded.last_ts),"                                                    \
			    "  query_count = max(query_count, excluded.query_count),"                                        \
			    "  unique_subdomains = max(unique_subdomains, excluded.unique_subdomains),"                      \
			    "  clients = CASE WHEN excluded.source_count >= source_count THEN excluded.clients"              \
			    "    ELSE clients END,"                                                                          \
			    "  source_count = max(source_count, excluded.source_count),"                                     \
			    "  vni = coalesce(excluded.vni, vni), est_bytes = max(est_bytes, excluded.est_bytes),"           \
			    "  encoding = CASE WHEN excluded.encoding != 'none' THEN excluded.encoding"                      \
			    "    ELSE encoding END,"                                                                         \
			    "  top_qtype = excluded.top_qtype,"                                                              \
			    "  samples = CASE WHEN json_array_length(samples) < 3"                                           \
			    "    AND instr(samples, json_quote(NEW.sample_qname)) = 0"                                       \
			    "    THEN json_insert(samples, '$[#]', NEW.sample_qname) ELSE samples END,"                      \
			    "  reasons = json_patch(reasons, excluded.reasons), srcids = coalesce(excluded.srcids, srcids);" \
			    "UPDATE alerts SET incident_id = (SELECT id FROM incidents WHERE " INCIDENT_KEY                  \
			    ")"                                                                                              \
			    "  WHERE id = NEW.id AND incident_id IS NULL;"                                                   \
			    "UPDATE incidents SET " INCIDENT_DERIVED " WHERE " INCIDENT_KEY ";"

/* Derived, recreated at every open: the views, and the triggers that keep the incidents.
 * Times as ISO 8601 UTC with milliseconds. */
#define ISO(x) "strftime('%Y-%m-%dT%H:%M:%fZ', " x ", 'unixepoch')"
static const char views[] =
    "DROP TRIGGER IF EXISTS alerts_incident_ins; DROP TRIGGER IF EXISTS alerts_incident_upd;"
    "DROP TRIGGER IF EXISTS alerts_incident_del; DROP TRIGGER IF EXISTS alerts_incident_counts;"
    "CREATE TRIGGER alerts_incident_ins AFTER INSERT ON alerts BEGIN " INCIDENT_FROM_ALERT " END;"
    /* an alert's refresh (most writes: every open alert at each window close) only grows
     * counts: the incident by its key, no more; a change of severity, status or encoding is
     * merged whole */
    "CREATE TRIGGER alerts_incident_upd AFTER UPDATE OF severity, status, encoding ON alerts"
    "  WHEN OLD.severity IS NOT NEW.severity OR OLD.status IS NOT NEW.status"
    "  OR OLD.encoding IS NOT NEW.encoding OR NEW.incident_id IS NULL"
    "  BEGIN " INCIDENT_FROM_ALERT " END;"
    "CREATE TRIGGER alerts_incident_counts AFTER UPDATE OF last_ts, query_count,"
    "  unique_subdomains, source_count, est_bytes, top_qtype, sources ON alerts"
    "  WHEN NEW.incident_id IS NOT NULL BEGIN"
    "  UPDATE incidents SET last_ts = max(last_ts, NEW.last_ts),"
    "  query_count = max(query_count, NEW.query_count),"
    "  unique_subdomains = max(unique_subdomains, NEW.unique_subdomains),"
    "  clients = CASE WHEN NEW.source_count >= source_count THEN NEW.sources ELSE clients END,"
    "  source_count = max(source_count, NEW.source_count),"
    "  est_bytes = max(est_bytes, NEW.est_bytes), top_qtype = NEW.top_qtype,"
    "  srcids = coalesce(json_extract(NEW.details, '$.srcids'), srcids)"
    "  WHERE id = NEW.incident_id; END;"
    /* retention deletes old alerts: their incident goes with the last of them */
    "CREATE TRIGGER alerts_incident_del AFTER DELETE ON alerts BEGIN"
    "  DELETE FROM incidents WHERE id = OLD.incident_id"
    "  AND NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = OLD.incident_id); END;"
    "DROP VIEW IF EXISTS v_incidents;"
    "CREATE VIEW v_incidents AS SELECT i.id, i.run_id, i.apex, i.threat, i.severity,"
    "  " ISO("i.first_ts") " AS first_seen, " ISO(
	"i.detected_ts") " AS detected,"
			 "  " ISO(
			     "i.last_ts") " AS last_seen, i.query_count, i.unique_subdomains,"
					  "  i.source_count, i.clients, i.vni, i.est_bytes, i.encoding, i.top_qtype, i.samples,"
					  "  i.reasons, i.status,"
					  "  (SELECT b.state FROM blocks b JOIN alerts a ON b.alert_id = a.id"
					  "    WHERE a.incident_id = i.id ORDER BY b.id DESC LIMIT 1) AS block_state,"
					  "  i.techniques, i.srcids, i.first_ts, i.detected_ts, i.last_ts FROM incidents i;"
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
										"  a.details, a.first_ts, a.detected_ts, a.last_ts, a.incident_id, a.run_id"
										"  FROM alerts a;"
										"CREATE VIEW v_blocks AS SELECT id, domain, apex, alert_id, action,"
										"  " ISO("requested_ts") " AS requested, " ISO(
										    "expires_ts") " AS expires,"
												  "  state, hook_exit, hook_stderr, attempts, latency_ms FROM blocks;";

static const char *const stmt_sql[DX_DB_STMTS] = {
    [DX_DB_RUN_BEGIN] = "INSERT INTO runs(version, config_digest, input, start_wall, sensor)"
			" VALUES (?1, ?2, ?3, ?4, ?5)",
    [DX_DB_RUN_END] = "UPDATE runs SET end_wall = ?2 WHERE id = ?1",
    /* An upsert, so that an alert whose row was lost with a failed commit (a full or
     * read-only disk) is written whole at its next update: writes resume where they can. */
    [DX_DB_ALERT_PUT] =
	"INSERT INTO alerts(id, apex, threat_type, severity, score, first_ts,"
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
    [DX_DB_ALERT_REFRESH] = "UPDATE alerts SET last_ts = ?2, query_count = ?3,"
			    " unique_subdomains = ?4, source_count = ?5, est_bytes = ?6,"
			    " top_qtype = ?7, sources = ?8, vni = ?9, details = ?10, status = ?11,"
			    " encoding = ?12"
			    " WHERE id = ?1",
    [DX_DB_WINDOW] = "INSERT OR REPLACE INTO apex_window_stats(apex, window_start_ts,"
		     " window_end_ts, query_count, subdomain_query_count, unique_subdomains,"
		     " source_count, nxdomain_count, qtype_counts, max_label_len, max_qname_len,"
		     " mean_entropy, est_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		     " ?11, ?12, ?13)",
    [DX_DB_STATS] = "INSERT INTO sensor_stats(wall, pkt_ts, packets, bytes, dns_msgs, queries,"
		    " responses, truncated, ring_a_full, ring_b_full, pcap_drop, pcap_ifdrop,"
		    " malformed, apexes_tracked, evictions, alerts, rows_written, run_id)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		    " ?16, ?17, ?18)",
    [DX_DB_BLOCK_INS] = "INSERT INTO blocks(id, domain, apex, alert_id, action, requested_ts,"
			" expires_ts, state, attempts) VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
    [DX_DB_BLOCK_UPD] = "UPDATE blocks SET state = ?2, hook_exit = coalesce(?3, hook_exit),"
			" hook_stderr = coalesce(?4, hook_stderr),"
			" attempts = max(attempts, ?5), latency_ms = coalesce(?6, latency_ms)"
			" WHERE id = ?1",
};

int dx_db_exec(sqlite3 *db, const char *sql)
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
int dx_db_migrate(sqlite3 *db, int target, char *err, const char *path)
{
	int v;
	if (dx_db_exec(db, "BEGIN IMMEDIATE") != DX_OK || user_version(db, &v) != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(db));
		dx_db_exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	if (v > DX_STORE_VERSION) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 "%s: schema version %d is newer than this dnsexfild understands (%d); "
			 "use a newer dnsexfild or another database file",
			 path, v, DX_STORE_VERSION);
		dx_db_exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	for (; v < target; v++) {
		char pragma[48];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (dx_db_exec(db, migrations[v]) != DX_OK || dx_db_exec(db, pragma) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: migrating schema %d -> %d: %s", path,
				 v, v + 1, sqlite3_errmsg(db));
			dx_db_exec(db, "ROLLBACK");
			return DX_ESTORE;
		}
	}
	if (target == DX_STORE_VERSION && dx_db_exec(db, views) != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: views: %s", path, sqlite3_errmsg(db));
		dx_db_exec(db, "ROLLBACK");
		return DX_ESTORE;
	}
	if (dx_db_exec(db, "COMMIT") != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(db));
		dx_db_exec(db, "ROLLBACK");
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

int dx_db_open(sqlite3 **db, const char *path, bool sync, char *err)
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
	if (dx_db_exec(*db, sync ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF") !=
		DX_OK ||
	    dx_db_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;") != DX_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(*db));
		return DX_ESTORE;
	}
	return check_pages(*db, path, err);
}

int dx_db_create(const char *path, int version, char *err)
{
	sqlite3 *db = NULL;
	int rc = DX_EINVAL;
	if (version >= 1 && version <= DX_STORE_VERSION) {
		rc = dx_db_open(&db, path, true, err);
		if (rc == DX_OK)
			rc = dx_db_migrate(db, version, err, path);
	}
	sqlite3_close(db);
	return rc;
}

/* The highest id of a table, 0 if empty. */
int64_t dx_db_max_id(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int dx_db_prepare(sqlite3 *db, sqlite3_stmt *stmt[DX_DB_STMTS], const char *path, char *err)
{
	for (int i = 0; i < DX_DB_STMTS; i++)
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmt[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", path, sqlite3_errmsg(db));
			return DX_ESTORE;
		}
	return DX_OK;
}
