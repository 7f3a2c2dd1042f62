/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The report command. Runs in its own process against a read-only connection, so it never
 * blocks the sensor (WAL readers do not block the writer). Filters are bound parameters.
 * Text from the database is printed through a filter that replaces control bytes, in case the
 * file was written by something other than dnsexfild.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/detect/alert.h"
#include "lib/base/err.h"
#include "lib/store/db.h"
#include "lib/store/report.h"
#include "lib/store/store.h"

/* A replay of an input already stored is a new run of it: only the latest run of each
 * replayed input is shown (so replaying a capture again does not double the report), every
 * live run (live:IFACE) is; --run N shows run N alone. */
#define RUNS_SHOWN                                                                       \
	" AND (CASE WHEN ?6 IS NOT NULL THEN coalesce(run_id, 0) = ?6 ELSE"              \
	" coalesce(run_id, 0) NOT IN (SELECT id FROM runs WHERE input NOT LIKE 'live:%'" \
	" AND id NOT IN (SELECT max(id) FROM runs GROUP BY input)) END)"
/* --apex A, in any case: that apex, an apex under it, or the apex of a name under it */
#define APEX_MATCH                                                                            \
	"(?3 IS NULL OR apex = lower(?3) OR substr(apex, -length(?3) - 1) = '.' || lower(?3)" \
	" OR substr(lower(?3), -length(apex) - 1) = '.' || apex)"
#define WHERE                                                                      \
	" WHERE (?1 IS NULL OR detected_ts >= ?1) AND " DX_SQL_RANK(               \
	    "severity") " >= ?2"                                                   \
			" AND (?7 IS NULL OR detected_ts < ?7) AND " APEX_MATCH    \
			" AND (CASE WHEN ?5 IS NULL THEN status != 'allowlisted'"  \
			" WHEN ?5 = 'all' THEN 1 ELSE status = ?5 END)" RUNS_SHOWN \
			" ORDER BY detected_ts DESC, id DESC LIMIT ?4"

/* The incidents (the default): one line per tunnel, its detectors as a short list. */
static const char sql_inc_table[] =
    "SELECT apex, severity, threat, substr(first_seen, 1, 19), substr(detected, 1, 19),"
    " query_count, unique_subdomains, source_count, est_bytes, encoding,"
    " coalesce(block_state, '-'), status, (SELECT group_concat(key || ':' ||"
    " json_extract(value, '$.severity'), ',') FROM json_each(reasons)) FROM v_incidents" WHERE;

static const char sql_inc_json[] =
    "SELECT json_object('id', id, 'run_id', run_id, 'apex', apex, 'threat', threat,"
    " 'severity', severity, 'first_ts', first_ts, 'detected_ts', detected_ts, 'last_ts',"
    " last_ts, 'query_count', query_count, 'unique_subdomains', unique_subdomains,"
    " 'source_count', source_count, 'clients', json(clients), 'vni', vni, 'est_bytes',"
    " est_bytes, 'encoding', encoding, 'top_qtype', top_qtype, 'samples', json(samples),"
    " 'reasons', json(reasons), 'status', status, 'block_state', block_state,"
    " 'techniques', json(techniques), 'srcids', json(srcids)) FROM v_incidents" WHERE;

/* The detector rows (--alerts), the incidents' evidence. */
static const char sql_table[] =
    "SELECT apex, severity, threat_type, substr(first_seen, 1, 19),"
    " substr(detected, 1, 19), query_count, unique_subdomains, source_count, est_bytes,"
    " encoding, coalesce(block_state, '-'), status FROM v_alerts" WHERE;

static const char sql_json[] =
    "SELECT json_object('id', id, 'apex', apex, 'severity', severity, 'threat_type',"
    " threat_type, 'score', score, 'first_ts', first_ts, 'detected_ts', detected_ts,"
    " 'last_ts', last_ts, 'query_count', query_count, 'unique_subdomains',"
    " unique_subdomains, 'source_count', source_count, 'est_bytes', est_bytes, 'encoding',"
    " encoding, 'top_qtype', top_qtype, 'sample_qname', sample_qname, 'sources',"
    " json(sources), 'vni', vni, 'status', status, 'block_state', block_state, 'details',"
    " json(details), 'incident_id', incident_id) FROM v_alerts" WHERE;

static const char *const heads[] = {"APEX",    "SEVERITY", "THREAT",  "FIRST SEEN", "DETECTED",
				    "QUERIES", "UNIQUE",   "SOURCES", "EST.BYTES",  "ENCODING",
				    "BLOCK",   "STATUS",   "REASONS"};
#define NCOL 13 /* the incidents' columns; the alerts' are all but REASONS */

int dx_report_parse_since(const char *s, double newest, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end != s && *end == '\0' && v >= 0) { /* epoch seconds */
		*out = v;
		return DX_OK;
	}
	if (end != s && v > 0 && end[1] == '\0') { /* 30m, 24h, 7d */
		double unit = *end == 's'   ? 1
			      : *end == 'm' ? 60
			      : *end == 'h' ? 3600
			      : *end == 'd' ? 86400
					    : 0;
		if (unit > 0) {
			*out = newest - v * unit;
			return DX_OK;
		}
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *const fmts[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
				    "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		memset(&tm, 0, sizeof(tm));
		const char *e = strptime(s, fmts[i], &tm);
		if (e != NULL && *e == '\0') {
			*out = (double) timegm(&tm);
			return DX_OK;
		}
	}
	return DX_EINVAL;
}

/* Database text to the terminal: control bytes become '?'. */
static void safe_copy(char *dst, size_t cap, const unsigned char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++)
		dst[i] = (char) (src[i] < 0x20 || src[i] == 0x7F ? '?' : src[i]);
	dst[i] = '\0';
}

/*
 * Open path read-only into *db and read its user_version: the version, -1 if it is not a
 * database, -2 if it could not be read for want of a writable directory. A WAL database needs
 * its -shm file even to be read; on a read-only mount, or in a directory the reader cannot
 * write, that fails. immutable: open it as a file nobody writes (no locks, no -shm), which a
 * read-only mount guarantees; a sensor still writing there would be read as of some moment.
 */
static int user_version(const char *path, bool immutable, sqlite3 **db)
{
	sqlite3_close(*db);
	*db = NULL;
	char uri[4200];
	const char *name = path;
	int flags = SQLITE_OPEN_READONLY;
	if (immutable) { /* file:PATH?immutable=1, with '?', '#' and '%' escaped */
		size_t o = (size_t) snprintf(uri, sizeof(uri), "file:");
		for (const char *p = path; *p && o + 4 < sizeof(uri); p++)
			o += (size_t) (*p == '?' || *p == '#' || *p == '%'
					   ? snprintf(uri + o, sizeof(uri) - o, "%%%02X",
						      (unsigned char) *p)
					   : (uri[o] = *p, 1));
		snprintf(uri + o, sizeof(uri) - o, "?immutable=1");
		name = uri;
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(name, db, flags, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(*db, 2000);
	sqlite3_stmt *s = NULL;
	int version = -1, rc = sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	int prim = rc & 0xff;
	if (version < 0 && !immutable && (prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY))
		return -2;
	return version;
}

/* The database, read only (immutable on a read-only mount), of a schema this build reads. */
static int open_report_db(const dx_report_opts_t *o, sqlite3 **db, char *err)
{
	int version = user_version(o->db, false, db);
	if (version == -2) /* a WAL file where -shm cannot be made: a read-only mount */
		version = user_version(o->db, true, db);
	if (*db == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open database: out of memory", o->db);
		return DX_ESTORE;
	}
	if (version <= 0 || version > DX_STORE_VERSION) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 version <= 0 ? "%s: not a dnsexfild database (%s)"
				      : "%s: schema version newer than this dnsexfild (%s)",
			 o->db, version < 0 ? sqlite3_errmsg(*db) : "user_version");
		return DX_ESTORE;
	}
	return DX_OK;
}

/* --since or --until as epoch seconds; a span (30m, 24h, 7d) counts back from now, as in
 * Zeek's and Suricata's tools: on a replay of an old capture use a date. */
static int resolve_time(const char *flag, const char *arg, double *t, char *err)
{
	if (dx_report_parse_since(arg, (double) time(NULL), t) == DX_OK)
		return DX_OK;
	snprintf(err, DX_CONFIG_ERRMAX,
		 "%s '%.64s': expected epoch seconds, YYYY-MM-DD[THH:MM[:SS]] (UTC), or a span "
		 "such as 30m, 24h, 7d (before now)",
		 flag, arg);
	return DX_EINVAL;
}

/* The table output: every cell kept until the widths are known. */
struct table {
	char **cells;
	size_t n_rows, cap_rows;
	int ncol;
	size_t width[NCOL];
	const char *none; /* said when there is no row */
};

static int table_add(struct table *t, sqlite3_stmt *s)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		char **nc = realloc(t->cells, cap * (size_t) t->ncol * sizeof(*t->cells));
		if (nc == NULL)
			return DX_ENOMEM;
		t->cells = nc;
		t->cap_rows = cap;
	}
	for (int c = 0; c < t->ncol; c++) {
		char buf[300];
		safe_copy(buf, sizeof(buf), sqlite3_column_text(s, c));
		char *d = strdup(buf);
		t->cells[t->n_rows * (size_t) t->ncol + (size_t) c] = d;
		if (d && strlen(d) > t->width[c])
			t->width[c] = strlen(d);
	}
	t->n_rows++;
	return DX_OK;
}

static void table_print(const struct table *t, FILE *out)
{
	int last = t->ncol - 1;
	for (int c = 0; c < t->ncol; c++)
		fprintf(out, "%-*s%s", c == last ? 0 : (int) t->width[c], heads[c],
			c == last ? "\n" : "  ");
	for (size_t r = 0; r < t->n_rows; r++)
		for (int c = 0; c < t->ncol; c++) {
			const char *v = t->cells[r * (size_t) t->ncol + (size_t) c];
			bool num = c >= 5 && c <= 8;
			fprintf(out, num ? "%*s%s" : "%-*s%s", c == last ? 0 : (int) t->width[c],
				v ? v : "", c == last ? "\n" : "  ");
		}
	if (t->n_rows == 0)
		fprintf(out, "%s\n", t->none);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; t->cells && i < t->n_rows * (size_t) t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
}

int dx_report(const dx_report_opts_t *o, FILE *out, char *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct table t = {.ncol = o->alerts ? NCOL - 1 : NCOL,
			  .none = o->alerts ? "(no alerts)" : "(no incidents)"};
	double since = 0, until = 0;
	int rc = open_report_db(o, &db, err);
	if (rc == DX_OK && o->since)
		rc = resolve_time("--since", o->since, &since, err);
	if (rc == DX_OK && o->until)
		rc = resolve_time("--until", o->until, &until, err);
	if (rc != DX_OK)
		goto out;
	rc = DX_ESTORE;
	const char *sql =
	    o->alerts ? (o->json ? sql_json : sql_table) : (o->json ? sql_inc_json : sql_inc_table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", o->db, sqlite3_errmsg(db));
		goto out;
	}
	if (o->since)
		sqlite3_bind_double(s, 1, since);
	if (o->until)
		sqlite3_bind_double(s, 7, until);
	sqlite3_bind_int(s, 2, o->min_severity);
	if (o->apex)
		sqlite3_bind_text(s, 3, o->apex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, o->limit > 0 ? o->limit : -1);
	if (o->status)
		sqlite3_bind_text(s, 5, o->status, -1, SQLITE_STATIC);
	if (o->run > 0)
		sqlite3_bind_int64(s, 6, o->run);
	for (int c = 0; c < t.ncol; c++)
		t.width[c] = strlen(heads[c]);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (o->json) {
			char line[16384];
			safe_copy(line, sizeof(line), sqlite3_column_text(s, 0));
			fprintf(out, "%s\n", line);
		} else if (table_add(&t, s) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", o->db, sqlite3_errmsg(db));
		goto out;
	}
	if (!o->json)
		table_print(&t, out);
	rc = DX_OK;
out:
	table_free(&t);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
