/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dnsexfild: arguments and configuration, opening the capture, starting and joining the
 * capture, parser and detector threads, signals, and the summary.
 *
 * main blocks every signal before creating threads, so the workers inherit the mask and only
 * main sees signals, through sigtimedwait(): no handler ever runs inside a worker. SIGINT and
 * SIGTERM set the stop flag (and break a live pcap loop); the threads then finish in order,
 * capture first, each consumer draining its ring, so nothing read is lost.
 */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <libpsl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#include "lib/base/clock.h"
#include "lib/config.h"
#include "lib/base/log.h"
#include "lib/prepare/query.h"
#include "lib/store/report.h"
#include "sensor/eve.h"
#include "sensor/logs.h"
#include "sensor/notify.h"
#include "sensor/pipeline.h"

static void usage(FILE *out)
{
	fputs(
	    "usage: dnsexfild [-c CONFIG] (-r FILE [-r FILE ...] | -i IFACE [-w FILE]) [-f BPF]\n"
	    "                 [-d DB] [--hook PATH] [--dry-run] [--dump] [-v | -q] [--check-config]\n"
	    "       dnsexfild report [-d DB] [OPTIONS]   (dnsexfild report --help)\n"
	    "  -r FILE         read a pcap, pcapng or Route 53 query-log file (plain or gzip), or a\n"
	    "                  directory of logs ('-' for standard input); repeat for more\n"
	    "  -i IFACE        capture live on IFACE until SIGINT or SIGTERM\n"
	    "  -w FILE         live: also write every frame read to a pcap file\n"
	    "  -f BPF          capture filter replacing the default\n"
	    "  -c CONFIG       INI configuration file (flags override it)\n"
	    "  -d DB           the SQLite alert database ([store] path; default dnsexfild.db)\n"
	    "  --hook PATH     block through PATH ([response] hook)\n"
	    "  --dry-run       record block requests as dry_run, run nothing\n"
	    "  --dump          print one line per decoded DNS message on standard output\n"
	    "  --check-config  validate the configuration, print it and exit\n"
	    "  -v, -q          more or less logging\n"
	    "  -h, --help      this help\n"
	    "  -V, --version   the versions of dnsexfild and its libraries\n",
	    out);
}

static void report_usage(FILE *out)
{
	fputs(
	    "usage: dnsexfild report [-d DB]... [--since T] [--until T] [--severity S] [--apex A]\n"
	    "                        [--status S] [--limit N] [--run N] [--json] [--alerts]\n"
	    "  -d DB           the database (default dnsexfild.db), opened read-only; again\n"
	    "                  (up to 10) for several sensors' as one list, each row naming\n"
	    "                  its sensor, an apex seen by several sensors together\n"
	    "  --since T       detected since T: epoch seconds, YYYY-MM-DD[THH:MM[:SS]]\n"
	    "                  (UTC), or 30m, 24h, 7d before now\n"
	    "  --until T       detected before T (the same forms)\n"
	    "  --apex A        this apex (any case), apexes under it, or the apex of name A\n"
	    "  --severity S    at least S: LOW, MEDIUM, HIGH or CRITICAL\n"
	    "  --status S      open, closed, blocked, allowlisted or all (default: all but\n"
	    "                  allowlisted, which are not threats)\n"
	    "  --limit N       at most N rows, newest first (default 50)\n"
	    "  --run N         run N only (default: every live run, and the latest run of\n"
	    "                  each replayed input, so a replay again does not double it)\n"
	    "  --json          one JSON object per row and line\n"
	    "  --alerts        the detectors' alerts, the incidents' evidence (default: one\n"
	    "                  incident per tunnel, its detectors as reasons)\n"
	    "  -h              this help\n",
	    out);
}

static void print_reasons(const dx_pipeline_t *pl, int malformed, const char *title)
{
	int any = 0;
	for (int r = 0; r < DX_R_COUNT; r++) {
		uint64_t v = dx_reason_total(pl, r);
		if (v == 0 || dx_reason_is_malformed(r) != malformed)
			continue;
		fprintf(stderr, "%s %s %llu", any ? "," : title, dx_reason_name(r),
			(unsigned long long) v);
		any = 1;
	}
	if (any)
		fputc('\n', stderr);
}

#define G(x) ((unsigned long long) dx_counter_get((_Atomic uint64_t *) &(x)))

/* The summary's lines on what was read: packets, DNS messages, sessions, skips, rings. */
static void summary_input(const dx_pipeline_t *pl)
{
	fprintf(stderr, "%llu packets (%llu bytes) read", G(pl->cap.packets), G(pl->cap.bytes));
	if (pl->live)
		fprintf(stderr,
			", %llu received by filter, %llu dropped by kernel, %llu by interface",
			(unsigned long long) pl->ps_recv, (unsigned long long) pl->ps_drop,
			(unsigned long long) pl->ps_ifdrop);
	if (G(pl->cap.ts_backwards) > 0)
		fprintf(stderr, ", %llu stamped earlier than a frame before them (kept)",
			G(pl->cap.ts_backwards));
	fputc('\n', stderr);
	fprintf(stderr, "%llu DNS messages: %llu queries, %llu responses, %llu truncated\n",
		G(pl->par.dns_msgs), G(pl->par.queries), G(pl->par.responses),
		G(pl->par.truncated));
	if (pl->cfg->capture.icmp)
		fprintf(stderr, "%llu ICMP echoes\n", G(pl->par.echoes));
	uint32_t nv = atomic_load(&pl->vni_used);
	for (uint32_t i = 0; i < nv; i++) {
		char name[16];
		dx_vni_name(pl, i, name);
		fprintf(stderr, "vni %s: %llu packets, %llu queries, %llu responses\n", name,
			G(pl->vni_stats[i].packets), G(pl->vni_stats[i].queries),
			G(pl->vni_stats[i].responses));
	}
	print_reasons(pl, 0, "skipped:");
	print_reasons(pl, 1, "malformed:");
	fprintf(stderr, "ring full: capture->parser %llu, parser->detector %llu",
		G(pl->cap.ring_full), G(pl->par.ring_full));
	if (!pl->live)
		fprintf(stderr, " (replay waited %llu, %llu times)", G(pl->cap.ring_waits),
			G(pl->par.ring_waits));
	fputc('\n', stderr);
}

/* ... on what was found and done: alerts, blocks. */
static void summary_findings(dx_pipeline_t *pl)
{
	dx_detect_stats_t ds;
	dx_detect_get_stats(pl->engine, &ds);
	fprintf(
	    stderr,
	    "detection: %llu apexes tracked, alerts CRITICAL %llu, HIGH %llu, MEDIUM %llu, "
	    "LOW %llu, allowlisted %llu; evicted %llu apexes, %llu names, %llu clients\n",
	    (unsigned long long) ds.apexes, (unsigned long long) pl->alerts_by_sev[DX_SEV_CRITICAL],
	    (unsigned long long) pl->alerts_by_sev[DX_SEV_HIGH],
	    (unsigned long long) pl->alerts_by_sev[DX_SEV_MEDIUM],
	    (unsigned long long) pl->alerts_by_sev[DX_SEV_LOW],
	    (unsigned long long) pl->alerts_allowlisted, (unsigned long long) ds.apex_evictions,
	    (unsigned long long) ds.subdomain_evictions, (unsigned long long) ds.client_evictions);
	dx_respond_stats_t rs;
	dx_respond_get_stats(pl->respond, &rs);
	fprintf(
	    stderr,
	    "response: %llu blocks requested, %llu done, %llu failed, %llu dry run, %llu removed, "
	    "%llu queue full; refused",
	    (unsigned long long) rs.requested, (unsigned long long) rs.done,
	    (unsigned long long) rs.failed, (unsigned long long) rs.dry_run,
	    (unsigned long long) rs.removed, (unsigned long long) rs.queue_full);
	for (int k = 0; k < DX_REF_COUNT; k++)
		fprintf(stderr, "%s %s %llu", k ? "," : "", dx_refusal_name((enum dx_refusal) k),
			(unsigned long long) rs.refused[k]);
	fputc('\n', stderr);
	if (pl->events == NULL)
		return;
	dx_events_stats_t es;
	dx_events_get_stats(pl->events, &es);
	fprintf(stderr,
		"events: %llu opened, %llu escalated, %llu blocked, %llu unblocked, %llu closed, "
		"%llu stats; EVE %llu lines written, %llu dropped, %llu lost to write errors; "
		"notify %llu done, %llu failed, %llu queue full, %llu rate limited\n",
		(unsigned long long) es.made[DX_EV_OPENED],
		(unsigned long long) es.made[DX_EV_ESCALATED],
		(unsigned long long) es.made[DX_EV_BLOCKED],
		(unsigned long long) es.made[DX_EV_UNBLOCKED],
		(unsigned long long) es.made[DX_EV_CLOSED],
		(unsigned long long) es.made[DX_EV_STATS], (unsigned long long) pl->eve_written,
		(unsigned long long) pl->eve_dropped, (unsigned long long) pl->eve_failed,
		(unsigned long long) pl->notify_done, (unsigned long long) pl->notify_failed,
		(unsigned long long) pl->notify_queue_full, (unsigned long long) es.rate_limited);
}

/* ... on the database: written means committed, in the file; lost, never to reach it. */
static void summary_store(const dx_pipeline_t *pl)
{
	fprintf(stderr, "database %s: %llu rows written, %llu lost", pl->cfg->store.path,
		(unsigned long long) dx_store_rows_written(pl->store),
		(unsigned long long) dx_store_rows_lost(pl->store));
	const uint64_t *lb = dx_store_lost_by_table(pl->store);
	if (dx_store_rows_lost(pl->store) > 0)
		fprintf(
		    stderr, " (alerts %llu, window stats %llu, sensor stats %llu, blocks %llu)",
		    (unsigned long long) lb[DX_TAB_ALERTS], (unsigned long long) lb[DX_TAB_WINDOWS],
		    (unsigned long long) lb[DX_TAB_STATS], (unsigned long long) lb[DX_TAB_BLOCKS]);
	fprintf(stderr, ", %llu failed writes\n", (unsigned long long) dx_store_errors(pl->store));
}

static void summary(dx_pipeline_t *pl, double wall)
{
	summary_input(pl);
	summary_findings(pl);
	summary_store(pl);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "%.3f s wall, %.0f messages/s, peak RSS %ld MiB (bound %zu MiB)\n", wall,
		wall > 0 ? (double) G(pl->det.dns_msgs) / wall : 0.0, ru.ru_maxrss >> 10,
		dx_config_mem_bound(pl->cfg) >> 20);
	fprintf(stderr, "CPU: capture %.3f s, parser %.3f s, detector %.3f s\n", pl->cpu_s[0],
		pl->cpu_s[1], pl->cpu_s[2]);
}

enum { R_SINCE = 300, R_SEV, R_APEX, R_LIMIT, R_JSON, R_STATUS, R_ALERTS, R_RUN, R_UNTIL };

/* A report option's positive number into *out: -1, or EX_USAGE after one line. */
static int positive_opt(const char *flag, const char *arg, const char *want, long *out)
{
	char *end;
	*out = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0' && *out > 0)
		return -1;
	fprintf(stderr, "dnsexfild report: %s '%s': expected %s\n", flag, arg, want);
	return EX_USAGE;
}

/* One report option's value into o: -1, or EX_USAGE after one line saying what it wanted. */
static int report_opt(int ch, char *arg, dx_report_opts_t *o)
{
	switch (ch) {
	case 'd': /* again: several sensors' databases as one list */
		if (o->n_db == DX_REPORT_MAX_DB) {
			fprintf(stderr, "dnsexfild report: -d %s: at most %d databases at once\n",
				arg, DX_REPORT_MAX_DB);
			return EX_USAGE;
		}
		o->db[o->n_db++] = arg;
		return -1;
	case R_SINCE:
		o->since = arg;
		return -1;
	case R_UNTIL:
		o->until = arg;
		return -1;
	case R_SEV:
		o->min_severity = dx_severity_parse(arg);
		if (o->min_severity >= 0)
			return -1;
		fprintf(stderr,
			"dnsexfild report: --severity '%s': expected LOW, MEDIUM, HIGH or "
			"CRITICAL\n",
			arg);
		return EX_USAGE;
	case R_APEX:
		o->apex = arg;
		return -1;
	case R_LIMIT:
		return positive_opt("--limit", arg, "a positive number", &o->limit);
	case R_JSON:
		o->json = true;
		return -1;
	case R_ALERTS:
		o->alerts = true;
		return -1;
	case R_RUN:
		return positive_opt("--run", arg, "a run id (runs.id)", &o->run);
	case R_STATUS:
		if (strcmp(arg, "all") == 0 || strcmp(arg, "open") == 0 ||
		    strcmp(arg, "closed") == 0 || strcmp(arg, "blocked") == 0 ||
		    strcmp(arg, "allowlisted") == 0) {
			o->status = arg;
			return -1;
		}
		fprintf(stderr,
			"dnsexfild report: --status '%s': expected open, closed, blocked, "
			"allowlisted or all\n",
			arg);
		return EX_USAGE;
	}
	report_usage(stderr);
	return EX_USAGE;
}

static int report_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, R_SINCE},
	    {"until", required_argument, NULL, R_UNTIL},
	    {"severity", required_argument, NULL, R_SEV},
	    {"apex", required_argument, NULL, R_APEX},
	    {"limit", required_argument, NULL, R_LIMIT},
	    {"json", no_argument, NULL, R_JSON},
	    {"status", required_argument, NULL, R_STATUS},
	    {"alerts", no_argument, NULL, R_ALERTS},
	    {"run", required_argument, NULL, R_RUN},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	dx_report_opts_t o = {.limit = 50};
	int ch, rc;
	while ((ch = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			report_usage(stdout);
			return 0;
		}
		if ((rc = report_opt(ch, optarg, &o)) >= 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "dnsexfild report: unexpected argument '%s'\n", argv[optind]);
		return EX_USAGE;
	}
	if (o.n_db == 0)
		o.db[o.n_db++] = "dnsexfild.db";
	for (int i = 0; i < o.n_db; i++)
		if (access(o.db[i], R_OK) != 0) {
			fprintf(stderr, "dnsexfild report: %s: %s\n", o.db[i], strerror(errno));
			return EX_NOINPUT;
		}
	char err[DX_CONFIG_ERRMAX];
	rc = dx_report(&o, stdout, err);
	if (rc != DX_OK) {
		dx_log_sanitize(err);
		fprintf(stderr, "dnsexfild report: %s\n", err);
		return rc == DX_EINVAL ? EX_USAGE : EX_DATAERR;
	}
	return 0;
}

/* What goes in runs.input: the interface, or the files. */
static void describe_input(const dx_config_t *cfg, char *buf, size_t len)
{
	if (cfg->capture.interface) {
		snprintf(buf, len, "live:%s", cfg->capture.interface);
		return;
	}
	size_t o = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < cfg->capture.n_files && o + 1 < len; i++)
		o += (size_t) snprintf(buf + o, len - o, "%s%s", i ? " " : "",
				       cfg->capture.files[i]);
}

/* A stable digest of the effective configuration, for runs.config_digest. */
static void config_digest(const dx_config_t *cfg, char out[17])
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t h = 0;
	if (f != NULL) {
		dx_config_print(cfg, f);
		fclose(f);
		static const dx_hash_key_t zero = {0, 0};
		h = dx_hash(&zero, text, len);
	}
	free(text);
	snprintf(out, 17, "%016llx", (unsigned long long) h);
}

/* A comma-separated list of zones as an allow-style set (for [response] protect). */
static int load_protect(const char *list, dx_hash_key_t key, dx_allow_t **out, char *err)
{
	dx_allow_t *p = dx_allow_new(key);
	if (p == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
		return DX_ENOMEM;
	}
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	char *save = NULL;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
		if (dx_allow_add(p, t) != DX_OK) {
			char esc[4 * 80 + 1];
			dx_dname_escape_text(t, strnlen(t, 80), esc, sizeof(esc));
			snprintf(err, DX_CONFIG_ERRMAX, "[response] protect: '%s' is not a domain",
				 esc);
			dx_allow_free(p);
			return DX_ECONFIG;
		}
	*out = p;
	return DX_OK;
}

/* The allowlist (built-in and the file's) and the protect zones of configuration c: start,
 * --check-config and SIGHUP build them here, so all three refuse the same lists. Writes the
 * two sets on success only. */
static int build_lists(const dx_config_t *c, const psl_ctx_t *psl, dx_hash_key_t key,
		       dx_allow_t **allow, dx_allow_t **protect, char *err)
{
	unsigned skipped = 0;
	dx_allow_t *al = NULL, *pr = NULL;
	int rc = dx_allow_build(&al, c->detect.builtin_allowlist, c->detect.allowlist, psl, key,
				&skipped, err);
	if (rc == DX_OK)
		rc = load_protect(c->response.protect, key, &pr, err);
	if (rc != DX_OK) {
		dx_allow_free(al);
		return rc;
	}
	if (skipped > 0)
		dx_log(DX_LOG_WARN, DX_GRP_MAIN,
		       "%u built-in allowlist entries are public suffixes in the Public Suffix "
		       "List in use: left out",
		       skipped);
	*allow = al;
	*protect = pr;
	return DX_OK;
}

/* What the command line sets over the configuration file. */
struct flags {
	const char *config_path, *iface, *bpf, *db, *hook;
	const char **files;
	int n_files, dry;
};

/*
 * The configuration of a start, a --check-config or a SIGHUP: defaults, the file, the flags
 * over it, then one validation. need_input: an input must be given (a start; not a check of a
 * file alone, nor a reload, whose inputs stay as they are). The lists (allowlist, protect)
 * are built and checked by build_lists(), which all three call too. DX_OK, or an error with
 * one line in err; cfg is then to be freed.
 */
static int load_config(const struct flags *fl, bool need_input, dx_config_t *cfg, char *err)
{
	dx_config_defaults(cfg);
	int rc = DX_OK;
	if (fl->config_path)
		rc = dx_config_load(cfg, fl->config_path, err);
	/* Flags override the file: an input on the command line replaces the file's inputs. */
	if (rc == DX_OK && (fl->iface || fl->n_files > 0))
		dx_config_clear_inputs(cfg);
	if (rc == DX_OK && fl->iface)
		rc = dx_config_set(cfg, "capture", "interface", fl->iface, err);
	for (int i = 0; rc == DX_OK && i < fl->n_files; i++)
		rc = dx_config_set(cfg, "capture", "file", fl->files[i], err);
	if (rc == DX_OK && fl->bpf)
		rc = dx_config_set(cfg, "capture", "bpf", fl->bpf, err);
	if (rc == DX_OK && fl->db)
		rc = dx_config_set(cfg, "store", "path", fl->db, err);
	if (rc == DX_OK && fl->hook)
		rc = dx_config_set(cfg, "response", "hook", fl->hook, err);
	if (rc == DX_OK && fl->dry)
		rc = dx_config_set(cfg, "response", "dry_run", "yes", err);
	if (rc == DX_OK && cfg->store.path == NULL)
		rc = dx_config_set(cfg, "store", "path", "dnsexfild.db", err);
	if (rc == DX_OK)
		rc = need_input ? dx_config_validate(cfg, err) : dx_config_check(cfg, err);
	return rc;
}

/* SIGHUP: read the configuration file again, judge it as start would, and build the
 * [detect]/[response] settings and lists for the detector thread. On any error the running
 * configuration stays. Keys that only a restart can change are named in one warning. */
static struct dx_reload *prepare_reload(const struct flags *fl, const dx_config_t *running,
					const psl_ctx_t *psl, dx_hash_key_t key, char *err)
{
	dx_config_t c;
	struct dx_reload *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
		dx_config_defaults(&c);
		goto fail;
	}
	if (load_config(fl, false, &c, err) != DX_OK)
		goto fail;
	if (build_lists(&c, psl, key, &r->allow, &r->protect, err) != DX_OK)
		goto fail;
	char keys[512];
	if (dx_config_restart_keys(running, &c, keys, sizeof(keys)) > 0)
		dx_log(DX_LOG_WARN, DX_GRP_MAIN,
		       "SIGHUP: %s changed: only a restart applies that; the running value is kept",
		       keys);
	r->detect = c.detect.cfg;
	r->respond = c.response.cfg;
	dx_config_free(&c);
	return r;
fail:
	free(r);
	dx_config_free(&c);
	return NULL;
}

/* Live capture: once the interface is open, stop being root (tcpdump -Z). A missing user is
 * a warning, not an error, so a first run works before the package created it. */
static int drop_privileges(const char *user)
{
	if (geteuid() != 0 || user == NULL || strcmp(user, "root") == 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		dx_log(DX_LOG_WARN, DX_GRP_MAIN,
		       "user '%s' does not exist: still running as root ([capture] user)", user);
		return 0;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "dnsexfild: cannot become user %s: %s\n", user, strerror(errno));
		return -1;
	}
	dx_log(DX_LOG_INFO, DX_GRP_MAIN, "running as %s", user);
	return 0;
}

/* One error line on stderr: err names the file, line and key; what an operator or a file
 * supplied in it (a path, a library's words) reaches the terminal without control bytes. */
static void say(char *err)
{
	dx_log_sanitize(err);
	fprintf(stderr, "dnsexfild: %s\n", err);
}

/* --version: ours and the libraries', and the date of the Public Suffix List in use (what
 * decides apexes, and so what may be blocked). */
static void print_version(void)
{
	printf("dnsexfild %s\n", DX_VERSION);
	printf("libpcap: %s\n", pcap_lib_version());
	printf("libpsl: %s\n", psl_get_version());
	char when[32] = "?";
	time_t t = psl_builtin_file_time();
	struct tm tm;
	if (t > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	printf("public suffix list: built in %s", when);
	const char *dist = psl_dist_filename();
	struct stat sb;
	if (dist && dist[0] && stat(dist, &sb) == 0 && gmtime_r(&sb.st_mtime, &tm)) {
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		printf("; %s of %s (the newer is used)", dist, when);
	}
	printf("\nSQLite: %s\n", sqlite3_libversion());
	printf("inih: %s (built against)\n", DX_INIH_VERSION);
}

/* Signals stay blocked from before the first thread starts (every thread inherits the mask),
 * so set-up steps that can take a while (loading the lists, opening and checking the
 * database) ask between them whether SIGINT or SIGTERM came: Ctrl-C always works. */
static bool stop_pending(void)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	struct timespec zero = {0, 0};
	int sig = sigtimedwait(&stop, NULL, &zero);
	if (sig != SIGINT && sig != SIGTERM)
		return false;
	fprintf(stderr, "dnsexfild: %s during start-up: stopping\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	return true;
}

enum { OPT_DUMP = 256, OPT_CHECK, OPT_HOOK, OPT_DRY };

/* The service manager's watchdog (WatchdogSec=) is fed every quarter interval, but only while
 * each pipeline thread has shown a sign of life within half of it: a thread stuck for good
 * gets the service restarted instead of a sensor that captures nothing. */
struct watchdog {
	int64_t every_us, last_us;
	bool starved; /* said once */
};

static void feed_watchdog(dx_pipeline_t *pl, struct watchdog *wd)
{
	int64_t now = dx_clock_mono_us();
	if (wd->every_us <= 0 || now - wd->last_us < wd->every_us)
		return;
	static const char *const names[] = {"capture", "parser", "detector"};
	const bool done[] = {atomic_load(&pl->capture_done), atomic_load(&pl->parser_done), false};
	for (int i = 0; i < 3; i++) {
		int64_t seen = atomic_load_explicit(&pl->alive_us[i], memory_order_relaxed);
		if (!done[i] && now - seen > 2 * wd->every_us) {
			if (!wd->starved)
				dx_log(
				    DX_LOG_ERR, DX_GRP_MAIN,
				    "the %s thread has not gone round for %.1f s: the watchdog is "
				    "not fed",
				    names[i], (double) (now - seen) / 1e6);
			wd->starved = true;
			return;
		}
	}
	wd->last_us = now;
	wd->starved = false;
	dx_notify("WATCHDOG=1");
}

/* What a run holds between the steps main() takes. */
struct run {
	struct flags fl;
	const char *write_path;
	int verbose, dump, check;
	dx_config_t cfg;
	char err[DX_CONFIG_ERRMAX];
	const psl_ctx_t *psl;
	pthread_t th_cap, th_par, th_det;
	bool cap_running; /* a replay's capture thread, started before the rest is set up */
	sigset_t sigs;
	double t0;
};

/* A flag that sets something (not -h, -V or a bad one): true if ch was one. */
static bool take_flag(int ch, char *arg, struct run *r)
{
	struct flags *fl = &r->fl;
	switch (ch) {
	case 'r':
		fl->files[fl->n_files++] = arg;
		return true;
	case 'i':
		fl->iface = arg;
		return true;
	case 'f':
		fl->bpf = arg;
		return true;
	case 'c':
		fl->config_path = arg;
		return true;
	case 'd':
		fl->db = arg;
		return true;
	case 'w':
		r->write_path = arg;
		return true;
	case 'v':
		r->verbose++;
		return true;
	case 'q':
		r->verbose--;
		return true;
	case OPT_DUMP:
		r->dump = 1;
		return true;
	case OPT_CHECK:
		r->check = 1;
		return true;
	case OPT_HOOK:
		fl->hook = arg;
		return true;
	case OPT_DRY:
		fl->dry = 1;
		return true;
	}
	return false;
}

/* The flags into r->fl. -1 to go on, else the exit status (after --help, --version, a bad
 * flag). */
static int parse_flags(int argc, char **argv, struct run *r)
{
	static const struct option longopts[] = {
	    {"dump", no_argument, NULL, OPT_DUMP},
	    {"check-config", no_argument, NULL, OPT_CHECK},
	    {"hook", required_argument, NULL, OPT_HOOK},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "r:i:f:c:d:w:vqhV", longopts, NULL)) != -1) {
		if (take_flag(ch, optarg, r))
			continue;
		if (ch == 'h' || ch == 'V') {
			if (ch == 'h')
				usage(stdout);
			else
				print_version();
			return 0;
		}
		usage(stderr);
		return EX_USAGE;
	}
	struct flags *fl = &r->fl;
	if (optind < argc) {
		fprintf(stderr, "dnsexfild: unexpected argument '%s' (capture files go after -r)\n",
			argv[optind]);
		return EX_USAGE;
	}
	if (!fl->iface && fl->n_files == 0 && !fl->config_path) {
		usage(stderr);
		return EX_USAGE;
	}
	if (fl->iface && fl->n_files > 0) {
		fprintf(stderr, "dnsexfild: -i and -r exclude each other\n");
		return EX_USAGE;
	}
	return -1;
}

/* --check-config: the lists built as start builds them, the effective configuration printed. */
static int check_config(struct run *r)
{
	const psl_ctx_t *cpsl = psl_latest(NULL);
	dx_allow_t *al = NULL, *pr = NULL;
	static const dx_hash_key_t ckey = {1, 2};
	int rc = 0;
	if (build_lists(&r->cfg, cpsl, ckey, &al, &pr, r->err) != DX_OK) {
		say(r->err);
		rc = EX_CONFIG;
	} else {
		dx_config_print(&r->cfg, stdout);
		fprintf(stderr, "dnsexfild: allowlist: %u entries (built-in list %s%s%s)\n",
			dx_allow_count(al), r->cfg.detect.builtin_allowlist ? "on" : "off",
			r->cfg.detect.allowlist ? ", and " : "",
			r->cfg.detect.allowlist ? r->cfg.detect.allowlist : "");
		fprintf(stderr, "dnsexfild: memory bound with this configuration: %zu MiB\n",
			dx_config_mem_bound(&r->cfg) >> 20);
	}
	dx_allow_free(al);
	dx_allow_free(pr);
	psl_free((psl_ctx_t *) cpsl);
	return rc;
}

/* The tables' hash key: random when live, so nobody can precompute colliding names; fixed
 * for a replay, because bounded tables under pressure evict by hash and the same capture must
 * always give the same rows (a replay is forensics on recorded traffic). A guessable key
 * would undo that protection: live capture waits for the kernel's entropy (getrandom) and
 * refuses to start without it. 0 or EX_OSERR. */
static int choose_key(dx_pipeline_t *pl)
{
	pl->key = DX_REPLAY_KEY;
	int rnd = dx_hash_random(&pl->key, sizeof(pl->key));
	if (!pl->live) {
		pl->key = DX_REPLAY_KEY;
		if (rnd != DX_OK)
			dx_log(DX_LOG_WARN, DX_GRP_MAIN,
			       "getrandom: %s: this replay's tables use a fixed slot multiplier",
			       strerror(-rnd));
		return 0;
	}
	if (rnd == DX_OK)
		return 0;
	fprintf(stderr,
		"dnsexfild: cannot draw a random table key (getrandom: %s): not capturing live "
		"with a guessable one\n",
		strerror(-rnd));
	return EX_OSERR;
}

/* The rings, the capture handle, the signal mask; a replay's capture thread starts reading
 * at once: it fills ring A while the rest is set up (the PSL checked against libpsl, the
 * database created: several ms), which came before the first packet was read. 0 or the exit
 * status. */
static int open_input(struct run *r, dx_pipeline_t *pl)
{
	const dx_config_t *cfg = &r->cfg;
	/* a frame, or a query-log record (DX_DLT_R53), whichever is larger */
	size_t rec =
	    cfg->capture.snaplen > DX_R53_RECORD_MAX ? cfg->capture.snaplen : DX_R53_RECORD_MAX;
	pl->ring_a = dx_ring_new((size_t) cfg->capture.ring_a_mb << 20, sizeof(dx_frame_t) + rec);
	pl->ring_b =
	    dx_ring_new((size_t) cfg->capture.ring_b_slots * dx_ring_recsize(sizeof(dx_query_t)),
			sizeof(dx_query_t));
	if (pl->ring_a == NULL || pl->ring_b == NULL) {
		fprintf(stderr,
			"dnsexfild: out of memory for the rings (ring_a_mb %u, ring_b_slots %u)\n",
			cfg->capture.ring_a_mb, cfg->capture.ring_b_slots);
		return 1;
	}
	if (r->write_path && !pl->live) {
		fprintf(stderr, "dnsexfild: -w goes with -i (a replay already has its file)\n");
		return EX_USAGE;
	}
	if (dx_capture_open(pl, r->write_path) != 0)
		return EX_NOINPUT;
	dx_notify_init(); /* before privileges are dropped and before any hook runs */
	/* Signals are taken by the main thread alone (sigtimedwait): blocked before the first
	 * thread starts, so every thread inherits the mask. */
	sigemptyset(&r->sigs);
	sigaddset(&r->sigs, SIGINT);
	sigaddset(&r->sigs, SIGTERM);
	sigaddset(&r->sigs, SIGHUP);
	sigaddset(&r->sigs, SIGUSR1);
	sigaddset(&r->sigs, SIGPIPE);
	sigaddset(&r->sigs, SIGUSR2); /* the detector's "done" wake-up */
	pthread_sigmask(SIG_BLOCK, &r->sigs, NULL);
	pl->main_thread = pthread_self();
	r->t0 = (double) dx_clock_mono_us() / 1e6;
	if (!pl->live) {
		if (pthread_create(&r->th_cap, NULL, dx_capture_run, pl) != 0) {
			fprintf(stderr, "dnsexfild: cannot start threads\n");
			return 1;
		}
		r->cap_running = true;
	}
	return 0;
}

/* Privileges dropped (live), the Public Suffix List, the lists, the preparer and the engine.
 * 0, -1 (stopped by a signal), or the exit status. */
static int open_engine(struct run *r, dx_pipeline_t *pl)
{
	const dx_config_t *cfg = &r->cfg;
	if (cfg->log.syslog)
		dx_log_use_syslog();
	/* before the database and the hooks: they run as the unprivileged user */
	if (pl->live &&
	    drop_privileges(cfg->capture.user ? cfg->capture.user : DX_DEFAULT_USER) != 0)
		return 1;
	r->psl = psl_latest(NULL);
	if (r->psl == NULL) {
		fprintf(stderr, "dnsexfild: cannot load the Public Suffix List (libpsl)\n");
		return 1;
	}
	if (build_lists(cfg, r->psl, pl->key, &pl->allow, &pl->protect, r->err) != DX_OK) {
		say(r->err);
		return EX_CONFIG;
	}
	if (stop_pending())
		return -1;
	pl->prep = dx_qprep_new(r->psl, cfg->detect.prep.psl_private,
				cfg->detect.prep.cache_entries, pl->key);
	pl->engine = dx_detect_new(&cfg->detect.cfg, pl->allow, pl->key, dx_detector_on_alert,
				   dx_detector_on_window, pl);
	bool logs = false; /* query logs among the inputs: their instances and VPCs are kept */
	for (uint32_t i = 0; i < pl->n_inputs; i++)
		logs |= pl->input_kind[i] == DX_IN_LOG;
	if (logs && (pl->srcids = dx_srcids_new(DX_SRCIDS)) != NULL && pl->engine)
		dx_detect_set_srcids(pl->engine, pl->srcids);
	if (pl->engine == NULL || pl->prep == NULL || (logs && pl->srcids == NULL)) {
		fprintf(stderr,
			"dnsexfild: out of memory for the detection tables "
			"([detect] max_apexes %u, max_subdomains %u)\n",
			cfg->detect.cfg.max_apexes, cfg->detect.cfg.max_subdomains);
		return 1;
	}
	return 0;
}

/* A hook runner for c->path (none without one): 0, or 1 after one line saying which. */
static int start_runner(dx_hook_t **out, const dx_hook_cfg_t *c, const char *which)
{
	if (c->path && (*out = dx_hook_new(c)) == NULL) {
		fprintf(stderr, "dnsexfild: cannot start the %s runner\n", which);
		return 1;
	}
	return 0;
}

/* Events out, when [output] eve or [notify] hook asks for them: the EVE writer, the notify
 * hook's runner, and the incident table that makes the events. 0 or the exit status. */
static int open_events(struct run *r, dx_pipeline_t *pl)
{
	const dx_config_t *cfg = &r->cfg;
	if (cfg->output.eve == NULL && cfg->notify.hook == NULL)
		return 0;
	if (cfg->output.eve && strcmp(cfg->output.eve, "-") == 0 && pl->dump) {
		fprintf(stderr,
			"dnsexfild: --dump and [output] eve = - both write standard output\n");
		return EX_USAGE;
	}
	if (cfg->output.eve &&
	    dx_eve_open(&pl->eve, cfg->output.eve, (size_t) cfg->output.eve_queue_kb << 10,
			!pl->live, r->err) != 0) {
		say(r->err);
		return EX_CANTCREAT;
	}
	dx_hook_cfg_t ncfg = {.path = cfg->notify.hook,
			      .timeout_ms = cfg->notify.timeout_ms,
			      .retries = cfg->notify.retries,
			      .backoff_ms = cfg->notify.backoff_ms,
			      .queue = cfg->notify.queue,
			      .db_path = cfg->store.path};
	if (start_runner(&pl->notify, &ncfg, "notify hook") != 0)
		return 1;
	dx_events_cfg_t ec = {
	    /* an incident has an open alert, or a block: never more than both tables hold */
	    .max_incidents = cfg->detect.cfg.max_alerts + cfg->response.cfg.max_blocks,
	    .eve_min = cfg->output.eve ? cfg->output.eve_min_severity : DX_SEV_CRITICAL + 1,
	    .notify_min = cfg->notify.hook ? cfg->notify.min_severity : DX_SEV_CRITICAL + 1,
	    .notify_per_hour = cfg->notify.per_incident_per_hour,
	    .host = pl->host,
	    .sensor_id = cfg->output.sensor_id ? cfg->output.sensor_id : pl->host,
	};
	if ((pl->events = dx_events_new(&ec, dx_detector_on_event, pl)) == NULL) {
		fprintf(stderr, "dnsexfild: out of memory for the incident table\n");
		return 1;
	}
	dx_respond_on_block(pl->respond, dx_detector_on_block, pl);
	return 0;
}

/* The database, the hook runner, the block policy and this run's row. 0, -1 (stopped by a
 * signal), or the exit status. */
static int open_output(struct run *r, dx_pipeline_t *pl)
{
	const dx_config_t *cfg = &r->cfg;
	/* A replay can be run again from its files, so by default it leaves writing back to the
	 * kernel: no fsync when the database is created nor at its closing checkpoint. A live
	 * sensor's alerts exist nowhere else: fsync. */
	bool sync = cfg->store.synchronous == DX_SYNC_NORMAL ||
		    (cfg->store.synchronous == DX_SYNC_AUTO && pl->live);
	if (dx_store_open(&pl->store, cfg->store.path, cfg->store.flush_ms, cfg->store.batch_rows,
			  cfg->store.queue_rows, sync, r->err) != DX_OK) {
		say(r->err);
		return EX_CANTCREAT;
	}
	if (stop_pending())
		return -1;
	dx_hook_cfg_t hcfg = {.path = cfg->response.hook,
			      .timeout_ms = cfg->response.hook_timeout_ms,
			      .retries = cfg->response.hook_retries,
			      .backoff_ms = cfg->response.hook_backoff_ms,
			      .queue = cfg->response.hook_queue,
			      .db_path = cfg->store.path};
	if (start_runner(&pl->hook, &hcfg, "hook") != 0)
		return 1;
	pl->respond = dx_respond_new(&cfg->response.cfg, pl->store, pl->hook, r->psl, pl->allow,
				     pl->protect, pl->key);
	if (pl->respond == NULL) {
		fprintf(stderr, "dnsexfild: out of memory for the block table\n");
		return 1;
	}
	if (gethostname(pl->host, sizeof(pl->host) - 1) != 0 || pl->host[0] == '\0')
		snprintf(pl->host, sizeof(pl->host), "localhost");
	int erc = open_events(r, pl);
	if (erc != 0)
		return erc;
	char input[1024], digest[17];
	describe_input(cfg, input, sizeof(input));
	config_digest(cfg, digest);
	if (dx_store_run_begin(pl->store, DX_VERSION, digest, input,
			       cfg->output.sensor_id ? cfg->output.sensor_id : pl->host,
			       dx_clock_wall()) != DX_OK) {
		fprintf(stderr, "dnsexfild: %s: cannot write the runs table\n", cfg->store.path);
		return EX_CANTCREAT;
	}
	return 0;
}

/* SIGHUP: the file read again and judged as at start; the detector thread takes it. */
static void on_sighup(struct run *r, dx_pipeline_t *pl)
{
	char status[64];
	snprintf(status, sizeof(status), "RELOADING=1\nMONOTONIC_USEC=%lld",
		 (long long) dx_clock_mono_us());
	dx_notify(status);
	dx_eve_reopen(pl->eve); /* logrotate moved it: whatever the configuration says */
	struct dx_reload *rl = prepare_reload(&r->fl, &r->cfg, r->psl, pl->key, r->err);
	dx_notify("READY=1");
	if (rl == NULL) {
		dx_log(DX_LOG_ERR, DX_GRP_MAIN, "SIGHUP: %s; keeping the configuration", r->err);
		return;
	}
	struct dx_reload *old = atomic_exchange(&pl->reload, rl);
	if (old) { /* never applied: replaced by this one */
		dx_allow_free(old->allow);
		dx_allow_free(old->protect);
		free(old);
	}
	dx_log(DX_LOG_INFO, DX_GRP_MAIN, "SIGHUP: %s read",
	       r->fl.config_path ? r->fl.config_path : "(defaults)");
}

/* Start the threads (a live capture's last), say READY, and take signals until the detector
 * is done; then join them. */
static void run_threads(struct run *r, dx_pipeline_t *pl)
{
	if (pl->live)
		r->t0 = (double) dx_clock_mono_us() / 1e6;
	for (int i = 0; i < 3; i++)
		atomic_store(&pl->alive_us[i], dx_clock_mono_us());
	if (pthread_create(&r->th_det, NULL, dx_detector_run, pl) != 0 ||
	    pthread_create(&r->th_par, NULL, dx_parser_run, pl) != 0 ||
	    (!r->cap_running && pthread_create(&r->th_cap, NULL, dx_capture_run, pl) != 0)) {
		fprintf(stderr, "dnsexfild: cannot start threads\n");
		abort(); /* cannot unwind half-started threads cleanly; nothing is written yet */
	}
	r->cap_running = false; /* joined below with the others */
	char status[200];
	snprintf(status, sizeof(status), "READY=1\nSTATUS=%s %.150s",
		 pl->live ? "capturing on" : "replaying",
		 pl->live ? r->cfg.capture.interface : r->cfg.capture.files[0]);
	dx_notify(status);
	struct watchdog wd = {.every_us = dx_notify_watchdog_us() / 4};
	while (!atomic_load_explicit(&pl->detector_done, memory_order_acquire)) {
		struct timespec tick = {0, 100 * 1000000L};
		int sig = sigtimedwait(&r->sigs, NULL, &tick);
		feed_watchdog(pl, &wd);
		if (sig == SIGHUP) {
			on_sighup(r, pl);
		} else if (sig == SIGUSR1) {
			atomic_store(&pl->snapshot_now, true);
		} else if ((sig == SIGINT || sig == SIGTERM) && !atomic_exchange(&pl->stop, true)) {
			dx_notify("STOPPING=1");
			dx_log(DX_LOG_NOTICE, DX_GRP_MAIN, "%s: stopping",
			       sig == SIGINT ? "SIGINT" : "SIGTERM");
			if (pl->live && pl->pcap)
				pcap_breakloop(pl->pcap);
		}
	}
	pthread_join(r->th_cap, NULL);
	pthread_join(r->th_par, NULL);
	pthread_join(r->th_det, NULL);
}

/* After the threads: the run's end recorded, the summary, and the exit status. */
static int finish(struct run *r, dx_pipeline_t *pl)
{
	double wall = (double) dx_clock_mono_us() / 1e6 - r->t0;
	if (pl->live && pl->pcap) {
		pcap_close(pl->pcap);
		pl->pcap = NULL;
	}
	if (dx_store_run_end(pl->store, dx_clock_wall()) != DX_OK)
		pl->store_errors++;
	if (pl->eve) {
		dx_eve_stats_t es;
		dx_eve_close(pl->eve, r->cfg.response.shutdown_ms, &es);
		pl->eve = NULL;
		pl->eve_written = es.written;
		pl->eve_dropped = es.dropped;
		pl->eve_failed = es.failed;
	}
	summary(pl, wall);
	int exit_code = pl->capture_failed ? 1 : 0;
	/* A replay is forensics: one whose rows did not all reach the database must not look
	 * like a good one to the script that ran it. (Writes that failed and then went through
	 * from the queue lost nothing: the summary counts them.) */
	if (!pl->live && dx_store_rows_lost(pl->store) > 0) {
		fprintf(stderr,
			"dnsexfild: %s: %llu rows could not be stored (%llu failed writes)\n",
			r->cfg.store.path, (unsigned long long) dx_store_rows_lost(pl->store),
			(unsigned long long) dx_store_errors(pl->store));
		if (exit_code == 0)
			exit_code = EX_IOERR;
	}
	return exit_code;
}

static void tear_down(struct run *r, dx_pipeline_t *pl)
{
	if (r->cap_running) { /* setting up failed after a replay's capture thread started */
		atomic_store(&pl->stop, true);
		pthread_join(r->th_cap, NULL);
	}
	dx_eve_close(pl->eve, 0, NULL); /* set-up failed after it opened */
	dx_hook_free(pl->notify);
	dx_events_free(pl->events);
	dx_hook_free(pl->hook);
	dx_respond_free(pl->respond);
	dx_allow_free(pl->protect);
	dx_store_close(pl->store);
	dx_detect_free(pl->engine);
	dx_srcids_free(pl->srcids);
	dx_qprep_free(pl->prep);
	dx_allow_free(pl->allow);
	struct dx_reload *left = atomic_exchange(&pl->reload, NULL); /* sent, never applied */
	if (left) {
		dx_allow_free(left->allow);
		dx_allow_free(left->protect);
		free(left);
	}
	psl_free((psl_ctx_t *) r->psl);
	if (pl->pcap)
		pcap_close(pl->pcap);
	dx_ring_free(pl->ring_a);
	dx_ring_free(pl->ring_b);
	for (uint32_t i = 0; i < pl->n_inputs; i++)
		free(pl->inputs[i]);
	free(pl->inputs);
	free(pl->input_kind);
	dx_config_free(&r->cfg);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	static struct run r; /* static: zeroed, and the pipeline is large */
	static dx_pipeline_t pl;
	const char **files = calloc((size_t) argc + 1, sizeof(*files));
	if (files == NULL)
		return 1;
	r.fl.files = files;
	int rc = parse_flags(argc, argv, &r);
	if (rc >= 0) {
		free(files);
		return rc;
	}
	/* --check-config of a file alone judges everything but the inputs */
	bool need_input = !(r.check && !r.fl.iface && r.fl.n_files == 0);
	tzset(); /* once: every event timestamp is local time with its offset */
	if (load_config(&r.fl, need_input, &r.cfg, r.err) != DX_OK) {
		say(r.err);
		dx_config_free(&r.cfg);
		free(files);
		return r.fl.config_path ? EX_CONFIG : EX_USAGE;
	}
	dx_log_detect_journal();
	int level = r.cfg.log.level + r.verbose;
	atomic_store(&dx_log_level, level < 0 ? 0 : level > DX_LOG_DEBUG ? DX_LOG_DEBUG : level);
	if (r.check) {
		rc = check_config(&r);
		dx_config_free(&r.cfg);
		free(files);
		return rc;
	}
	/* The detector thread's SQLite allocations come and go in its own malloc arena; without
	 * this glibc gives the arena's top back with madvise() after nearly every commit. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	pl.cfg = &r.cfg;
	pl.live = r.cfg.capture.interface != NULL;
	pl.dump = r.dump;
	pl.dump_out = stdout;
	dx_config_decode(&r.cfg, &pl.dcfg);
	static char outbuf[1 << 16];
	if (r.dump)
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if ((rc = choose_key(&pl)) == 0 && (rc = open_input(&r, &pl)) == 0 &&
	    (rc = open_engine(&r, &pl)) == 0 && (rc = open_output(&r, &pl)) == 0) {
		run_threads(&r, &pl);
		rc = finish(&r, &pl);
	}
	if (rc < 0) /* a signal during set-up */
		rc = 0;
	tear_down(&r, &pl);
	free(files); /* the -r list: SIGHUP reads the flags again until here */
	return rc;
}
