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

/*
 * The statement is put together from the fixed pieces below and, for several databases, the
 * schema names we give them when attaching (main, s1 ... s9): never from user text, which is
 * bound. "@." in a piece stands for the schema.
 *
 * A replay of an input already stored is a new run of it: only the latest run of each
 * replayed input is shown (so replaying a capture again does not double the report), every
 * live run (live:IFACE) is; --run N shows run N alone.
 */
#define RUNS_SHOWN                                                                         \
	" AND (CASE WHEN ?6 IS NOT NULL THEN coalesce(run_id, 0) = ?6 ELSE"                \
	" coalesce(run_id, 0) NOT IN (SELECT id FROM @.runs WHERE input NOT LIKE 'live:%'" \
	" AND id NOT IN (SELECT max(id) FROM @.runs GROUP BY input)) END)"
/* --apex A, in any case: that apex, an apex under it, or the apex of a name under it */
#define APEX_MATCH                                                                            \
	"(?3 IS NULL OR apex = lower(?3) OR substr(apex, -length(?3) - 1) = '.' || lower(?3)" \
	" OR substr(lower(?3), -length(apex) - 1) = '.' || apex)"
static const char filter[] = " WHERE (?1 IS NULL OR detected_ts >= ?1) AND " DX_SQL_RANK(
    "severity") " >= ?2"
		" AND (?7 IS NULL OR detected_ts < ?7) AND " APEX_MATCH
		" AND (CASE WHEN ?5 IS NULL THEN status != 'allowlisted'"
		" WHEN ?5 = 'all' THEN 1 ELSE status = ?5 END)" RUNS_SHOWN;

/* The incidents (the default): one line per tunnel, its detectors as a short list. */
static const char cols_inc_table[] =
    "apex, severity, threat, substr(first_seen, 1, 19), substr(detected, 1, 19),"
    " query_count, unique_subdomains, source_count, est_bytes, encoding,"
    " coalesce(block_state, '-'), status, (SELECT group_concat(key || ':' ||"
    " json_extract(value, '$.severity'), ',') FROM json_each(reasons))";

static const char cols_inc_json[] =
    "json_object('id', id, 'run_id', run_id, 'apex', apex, 'threat', threat,"
    " 'severity', severity, 'first_ts', first_ts, 'detected_ts', detected_ts, 'last_ts',"
    " last_ts, 'query_count', query_count, 'unique_subdomains', unique_subdomains,"
    " 'source_count', source_count, 'clients', json(clients), 'vni', vni, 'est_bytes',"
    " est_bytes, 'encoding', encoding, 'top_qtype', top_qtype, 'samples', json(samples),"
    " 'reasons', json(reasons), 'status', status, 'block_state', block_state,"
    " 'techniques', json(techniques), 'srcids', json(srcids))";

/* The detector rows (--alerts), the incidents' evidence. */
static const char cols_table[] =
    "apex, severity, threat_type, substr(first_seen, 1, 19),"
    " substr(detected, 1, 19), query_count, unique_subdomains, source_count, est_bytes,"
    " encoding, coalesce(block_state, '-'), status";

static const char cols_json[] =
    "json_object('id', id, 'apex', apex, 'severity', severity, 'threat_type',"
    " threat_type, 'score', score, 'first_ts', first_ts, 'detected_ts', detected_ts,"
    " 'last_ts', last_ts, 'query_count', query_count, 'unique_subdomains',"
    " unique_subdomains, 'source_count', source_count, 'est_bytes', est_bytes, 'encoding',"
    " encoding, 'top_qtype', top_qtype, 'sample_qname', sample_qname, 'sources',"
    " json(sources), 'vni', vni, 'status', status, 'block_state', block_state, 'details',"
    " json(details), 'incident_id', incident_id)";

/* SENSOR is shown for several databases only */
static const char *const heads[] = {"SENSOR",	"APEX",	   "SEVERITY", "THREAT",  "FIRST SEEN",
				    "DETECTED", "QUERIES", "UNIQUE",   "SOURCES", "EST.BYTES",
				    "ENCODING", "BLOCK",   "STATUS",   "REASONS"};
#define NCOL 14 /* with SENSOR and the incidents' REASONS */
#define SQL_MAX 16384

/* Append src to the statement at *o, "@" before a '.' becoming schema; false if it does not
 * fit. */
static bool put(char *sql, size_t *o, const char *src, const char *schema)
{
	for (const char *p = src; *p; p++) {
		bool sub = p[0] == '@' && p[1] == '.';
		const char *piece = sub ? schema : p;
		size_t n = sub ? strlen(schema) : 1;
		if (*o + n + 1 >= SQL_MAX)
			return false;
		memcpy(sql + *o, piece, n);
		*o += n;
	}
	sql[*o] = '\0';
	return true;
}

/*
 * One database: its view, filtered, newest first. Several: each one's rows with its sensor's
 * name (?1N, bound) side by side in one list, an apex seen by several sensors together (the
 * apexes by their newest row, newest first), then by time.
 */
static bool build_sql(const dx_report_opts_t *o, int n, char *sql)
{
	const char *cols = o->alerts ? (o->json ? cols_json : cols_table)
				     : (o->json ? cols_inc_json : cols_inc_table);
	const char *view = o->alerts ? "v_alerts" : "v_incidents";
	size_t at = 0;
	bool ok = true;
	if (n == 1) {
		ok = put(sql, &at, "SELECT ", "") && put(sql, &at, cols, "") &&
		     put(sql, &at, " FROM main.", "") && put(sql, &at, view, "") &&
		     put(sql, &at, filter, "main") &&
		     put(sql, &at, " ORDER BY detected_ts DESC, id DESC LIMIT ?4", "");
		return ok;
	}
	ok = put(sql, &at, o->json ? "SELECT j FROM (" : "SELECT * FROM (", "");
	for (int i = 0; ok && i < n; i++) {
		char schema[16], label[16];
		snprintf(schema, sizeof(schema), i ? "s%d" : "main", i);
		snprintf(label, sizeof(label), "?%d", 11 + i);
		ok = put(sql, &at, i ? " UNION ALL SELECT " : "SELECT ", "") &&
		     (o->json ? put(sql, &at, "json_set(", "") && put(sql, &at, cols, "") &&
				    put(sql, &at, ", '$.sensor', ", "") &&
				    put(sql, &at, label, "") && put(sql, &at, ") AS j", "")
			      : put(sql, &at, label, "") && put(sql, &at, ", ", "") &&
				    put(sql, &at, cols, "")) &&
		     put(sql, &at, ", detected_ts AS _d, apex AS _a, ", "") &&
		     put(sql, &at, label, "") && put(sql, &at, " AS _s FROM ", "") &&
		     put(sql, &at, schema, "") && put(sql, &at, ".", "") &&
		     put(sql, &at, view, "") && put(sql, &at, filter, schema);
	}
	return ok && put(sql, &at,
			 ") ORDER BY max(_d) OVER (PARTITION BY _a) DESC, _a, _d DESC, _s"
			 " LIMIT ?4",
			 "");
}

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

/* file:PATH?query, with '?', '#' and '%' in the path escaped. */
static void to_uri(char *uri, size_t cap, const char *path, const char *query)
{
	size_t o = (size_t) snprintf(uri, cap, "file:");
	for (const char *p = path; *p && o + 4 < cap; p++)
		o += (size_t) (*p == '?' || *p == '#' || *p == '%'
				   ? snprintf(uri + o, cap - o, "%%%02X", (unsigned char) *p)
				   : (uri[o] = *p, 1));
	snprintf(uri + o, cap - o, "?%s", query);
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
	to_uri(uri, sizeof(uri), path, immutable ? "immutable=1" : "mode=ro");
	if (sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
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

/* The database at path, read only (immutable on a read-only mount), of a schema this build
 * reads; *immutable says how it had to be opened. */
static int open_report_db(const char *path, sqlite3 **db, bool *immutable, char *err)
{
	*immutable = false;
	int version = user_version(path, false, db);
	if (version == -2) { /* a WAL file where -shm cannot be made: a read-only mount */
		*immutable = true;
		version = user_version(path, true, db);
	}
	if (*db == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open database: out of memory", path);
		return DX_ESTORE;
	}
	if (version <= 0 || version > DX_STORE_VERSION) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 version <= 0 ? "%s: not a dnsexfild database (%s)"
				      : "%s: schema version newer than this dnsexfild (%s)",
			 path, version < 0 ? sqlite3_errmsg(*db) : "user_version");
		return DX_ESTORE;
	}
	return DX_OK;
}

/* A database's sensor: the name its latest run recorded (schema 6), else the file's name. */
static void sensor_name(sqlite3 *db, const char *schema, const char *path, char *out, size_t n)
{
	char sql[96];
	snprintf(sql, sizeof(sql),
		 "SELECT sensor FROM %s.runs WHERE sensor IS NOT NULL ORDER BY id DESC LIMIT 1",
		 schema);
	sqlite3_stmt *s = NULL;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		safe_copy(out, n, sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (out[0] == '\0') {
		const char *base = strrchr(path, '/');
		safe_copy(out, n, (const unsigned char *) (base ? base + 1 : path));
	}
}

/* The databases after the first, attached read-only as s1 ... to the first one's connection
 * (each checked on a connection of its own first), and every one's sensor name in labels;
 * two databases that name the same sensor are told apart by their paths. */
static int attach_all(const dx_report_opts_t *o, sqlite3 *db, char labels[][128], char *err)
{
	for (int i = 1; i < o->n_db; i++) {
		sqlite3 *one = NULL;
		bool immutable;
		int rc = open_report_db(o->db[i], &one, &immutable, err);
		sqlite3_close(one);
		if (rc != DX_OK)
			return rc;
		char uri[4200], sql[48]; /* room for any int i */
		to_uri(uri, sizeof(uri), o->db[i], immutable ? "immutable=1" : "mode=ro");
		snprintf(sql, sizeof(sql), "ATTACH DATABASE ?1 AS s%d", i);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(s, 1, uri, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_DONE) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot attach: %s", o->db[i],
				 sqlite3_errmsg(db));
			sqlite3_finalize(s);
			return DX_ESTORE;
		}
		sqlite3_finalize(s);
	}
	for (int i = 0; i < o->n_db; i++) {
		char schema[16]; /* "s" and an int */
		snprintf(schema, sizeof(schema), i ? "s%d" : "main", i);
		sensor_name(db, schema, o->db[i], labels[i], 128);
	}
	bool dup[DX_REPORT_MAX_DB] = {false};
	for (int i = 0; i < o->n_db; i++)
		for (int k = i + 1; k < o->n_db; k++)
			if (strcmp(labels[i], labels[k]) == 0)
				dup[i] = dup[k] = true;
	for (int i = 0; i < o->n_db; i++)
		if (dup[i])
			safe_copy(labels[i], 128, (const unsigned char *) o->db[i]);
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
	int first; /* heads[first] is the first column's: 1 without SENSOR */
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
		fprintf(out, "%-*s%s", c == last ? 0 : (int) t->width[c], heads[t->first + c],
			c == last ? "\n" : "  ");
	for (size_t r = 0; r < t->n_rows; r++)
		for (int c = 0; c < t->ncol; c++) {
			const char *v = t->cells[r * (size_t) t->ncol + (size_t) c];
			int h = t->first + c;
			bool num = h >= 6 && h <= 9; /* QUERIES ... EST.BYTES */
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
	int n = o->n_db > 0 ? o->n_db : 1;
	bool multi = n > 1;
	const char *first = o->n_db > 0 ? o->db[0] : "dnsexfild.db";
	struct table t = {.ncol = (o->alerts ? NCOL - 2 : NCOL - 1) + multi,
			  .first = multi ? 0 : 1,
			  .none = o->alerts ? "(no alerts)" : "(no incidents)"};
	double since = 0, until = 0;
	char labels[DX_REPORT_MAX_DB][128];
	char *sql = malloc(SQL_MAX);
	bool immutable;
	int rc = sql ? open_report_db(first, &db, &immutable, err) : DX_ENOMEM;
	if (rc == DX_ENOMEM)
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
	if (rc == DX_OK && n > DX_REPORT_MAX_DB) {
		snprintf(err, DX_CONFIG_ERRMAX, "at most %d databases at once", DX_REPORT_MAX_DB);
		rc = DX_EINVAL;
	}
	if (rc == DX_OK && multi)
		rc = attach_all(o, db, labels, err);
	if (rc == DX_OK && o->since)
		rc = resolve_time("--since", o->since, &since, err);
	if (rc == DX_OK && o->until)
		rc = resolve_time("--until", o->until, &until, err);
	if (rc != DX_OK)
		goto out;
	rc = DX_ESTORE;
	if (!build_sql(o, n, sql)) {
		snprintf(err, DX_CONFIG_ERRMAX, "report statement too long");
		goto out;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", first, sqlite3_errmsg(db));
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
	for (int i = 0; multi && i < n; i++)
		sqlite3_bind_text(s, 11 + i, labels[i], -1, SQLITE_STATIC);
	for (int c = 0; c < t.ncol; c++)
		t.width[c] = strlen(heads[t.first + c]);
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
		snprintf(err, DX_CONFIG_ERRMAX, "%s: %s", first, sqlite3_errmsg(db));
		goto out;
	}
	if (!o->json)
		table_print(&t, out);
	rc = DX_OK;
out:
	table_free(&t);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(sql);
	return rc;
}
