/* SPDX-License-Identifier: BSD-2-Clause */
/* The hook runner and the block policy, with real processes and a real SQLite file. */
#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/base/err.h"
#include "lib/respond/hook.h"
#include "lib/respond/respond.h"
#include "lib/store/store.h"

static char dir[64], log_path[128], hook_path[128];

/* A hook that records its argv and DNSEXFIL_* environment, then behaves as $MODE says. */
static const char hook_src[] =
    "#!/bin/sh\n"
    "{ printf 'argv:'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; echo;"
    "  env | grep '^DNSEXFIL_' | sort; } >> \"$HOOK_LOG\"\n"
    "case \"$HOOK_MODE\" in\n"
    "  hang) sleep 30 & echo $! >\"$HOOK_LOG.sleep\"; wait ;;\n"
    "  fail) echo 'AccessDenied' >&2; exit 3 ;;\n"
    "  flaky) n=$(cat \"$HOOK_LOG.n\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$HOOK_LOG.n\";"
    "         [ $n -ge 3 ] || { echo \"try $n failed\" >&2; exit 1; } ;;\n"
    "  flood) yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 3000000 >&2 ;;\n"
    "  crash) kill -SEGV $$ ;;\n"
    "  detach) setsid sleep 30 & echo $! >\"$HOOK_LOG.sleep\" ;;\n"
    "esac\n"
    "exit 0\n";

static const psl_ctx_t *psl;

static int setup(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/dx_hook_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(log_path, sizeof(log_path), "%s/calls.log", dir);
	snprintf(hook_path, sizeof(hook_path), "%s/hook", dir);
	FILE *f = fopen(hook_path, "w");
	if (f == NULL)
		return 1;
	fputs(hook_src, f);
	fclose(f);
	chmod(hook_path, 0755);
	setenv("HOOK_LOG", log_path, 1);
	return 0;
}

static int teardown(void)
{
	psl_free((psl_ctx_t *) psl);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return strdup("");
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strdup(buf);
}

/* The hook's log is exactly want (printed if not). */
static void expect_log(const char *want)
{
	char *log = slurp(log_path);
	CU_ASSERT_STRING_EQUAL(log, want);
	if (strcmp(log, want) != 0)
		fprintf(stderr, "\n%s", log);
	free(log);
}

static void fresh_log(void)
{
	unlink(log_path);
	char n[160];
	snprintf(n, sizeof(n), "%s.n", log_path);
	unlink(n);
}

static dx_hook_cfg_t hcfg(uint32_t timeout_ms, uint32_t retries)
{
	return (dx_hook_cfg_t){.path = hook_path,
			       .timeout_ms = timeout_ms,
			       .retries = retries,
			       .backoff_ms = 20,
			       .queue = 8,
			       .db_path = "/var/lib/x.db"};
}

static dx_hook_req_t req(const char *apex)
{
	dx_hook_req_t r;
	memset(&r, 0, sizeof(r));
	r.seq = 1;
	r.action = DX_HOOK_ADD;
	r.n_domains = 2;
	snprintf(r.domains[0], sizeof(r.domains[0]), "%s", apex);
	snprintf(r.domains[1], sizeof(r.domains[1]), "*.%s", apex);
	snprintf(r.apex, sizeof(r.apex), "%s", apex);
	snprintf(r.severity, sizeof(r.severity), "HIGH");
	snprintf(r.threat, sizeof(r.threat), "ENCODED_SUBDOMAIN");
	r.alert_id = 42;
	r.est_bytes = 4321;
	snprintf(r.sources, sizeof(r.sources), "10.0.1.5,10.0.1.6");
	r.vni = 123;
	r.has_vni = true;
	return r;
}

static void test_hook_domain_valid(void)
{
	CU_ASSERT_TRUE(dx_hook_domain_valid("lab.example"));
	CU_ASSERT_TRUE(dx_hook_domain_valid("*.lab.example"));
	CU_ASSERT_TRUE(dx_hook_domain_valid("a-b.c0.example"));
	static const char *bad[] = {"",	       "example", "*.example", "-x.example",
				    "a..b",    ".a.b",	  "a.b.",      "$(touch /tmp/x).com",
				    "a;b.com", "a|b.com", "`id`.com",  "a\nb.com",
				    "A.COM",   "a b.com", "*.*.a.com", "x.*.com",
				    "a.b/c",   "..",	  "*."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		CU_ASSERT_FALSE(dx_hook_domain_valid(bad[i]));
		if (dx_hook_domain_valid(bad[i]))
			fprintf(stderr, "\n  accepted '%s'\n", bad[i]);
	}
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	longname[100] = '.';
	longname[256] = '\0';
	CU_ASSERT_FALSE(dx_hook_domain_valid(longname)); /* 256 characters */
}

/* argv and environment exactly as README documents them. */
static void test_hook_argv_and_env(void)
{
	fresh_log();
	setenv("HOOK_MODE", "ok", 1);
	setenv("DNSEXFIL_APEX", "stale-from-parent", 1); /* must be replaced, not duplicated */
	dx_hook_cfg_t c = hcfg(5000, 0);
	dx_hook_req_t r = req("t1.example");
	dx_hook_result_t res;
	dx_hook_run(&c, &r, &res);
	unsetenv("DNSEXFIL_APEX");
	CU_ASSERT_EQUAL(res.state, DX_HOOK_DONE);
	CU_ASSERT_EQUAL(res.exit_code, 0);
	CU_ASSERT_EQUAL(res.attempts, 1);
	const char *want = "argv: [add] [t1.example] [*.t1.example]\n"
			   "DNSEXFIL_ALERT_ID=42\n"
			   "DNSEXFIL_APEX=t1.example\n"
			   "DNSEXFIL_BATCH=1\n"
			   "DNSEXFIL_DB=/var/lib/x.db\n"
			   "DNSEXFIL_EST_BYTES=4321\n"
			   "DNSEXFIL_INSTANCES=\n"
			   "DNSEXFIL_SEVERITY=HIGH\n"
			   "DNSEXFIL_SOURCES=10.0.1.5,10.0.1.6\n"
			   "DNSEXFIL_THREAT=ENCODED_SUBDOMAIN\n"
			   "DNSEXFIL_TIMEOUT_MS=5000\n"
			   "DNSEXFIL_VNI=123\n"
			   "DNSEXFIL_VPCS=\n";
	expect_log(want);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether process pid has ended (within a second): no /proc entry, or a zombie that is only
 * waiting for whoever inherited it to reap it. */
static bool gone(int pid)
{
	for (int i = 0; i < 100; i++) {
		char path[64], st[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			return true;
		size_t n = fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[n] = '\0';
		const char *paren = strrchr(st, ')');
		if (paren && (paren[2] == 'Z' || paren[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

/* The sleep the hook started (its pid in HOOK_LOG.sleep) has ended: this test's own, by pid,
 * not anybody's "sleep 30" on the machine. */
static bool sleep_gone(void)
{
	char sp[200];
	snprintf(sp, sizeof(sp), "%s.sleep", log_path);
	char *pid = slurp(sp);
	bool ok = atoi(pid) > 0 && gone(atoi(pid));
	free(pid);
	unlink(sp);
	return ok;
}

static void test_hook_timeout_kills(void)
{
	fresh_log();
	setenv("HOOK_MODE", "hang", 1);
	dx_hook_cfg_t c = hcfg(300, 0);
	dx_hook_req_t r = req("hang.example");
	dx_hook_result_t res;
	double t0 = mono();
	dx_hook_run(&c, &r, &res);
	double took = mono() - t0;
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, -1);
	CU_ASSERT_TRUE(took < 3.0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_text, "killed after 300 ms"));
	/* the sleep the hook started is gone too (its process group was killed) */
	CU_ASSERT_TRUE(sleep_gone());
}

static void test_hook_retry_then_success(void)
{
	fresh_log();
	setenv("HOOK_MODE", "flaky", 1);
	dx_hook_cfg_t c = hcfg(5000, 3);
	dx_hook_req_t r = req("flaky.example");
	dx_hook_result_t res;
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_DONE);
	CU_ASSERT_EQUAL(res.attempts, 3);
	setenv("HOOK_MODE", "fail", 1);
	c.retries = 2;
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, 3);
	CU_ASSERT_EQUAL(res.attempts, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_text, "AccessDenied"));
}

static void test_hook_flood_and_crash(void)
{
	fresh_log();
	setenv("HOOK_MODE", "flood", 1);
	dx_hook_cfg_t c = hcfg(10000, 0);
	dx_hook_req_t r = req("flood.example");
	dx_hook_result_t res;
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_DONE); /* 3 MB of stderr read and dropped */
	CU_ASSERT_EQUAL(strlen(res.stderr_text), DX_HOOK_STDERR_MAX);
	setenv("HOOK_MODE", "crash", 1);
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, 128 + 11);
	dx_hook_cfg_t missing = c;
	missing.path = "/nonexistent/hook";
	dx_hook_run(&missing, &r, &res);
	CU_ASSERT_EQUAL(res.exit_code, -2);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_text, "cannot run /nonexistent/hook"));
	/* there, but not executable (as after a careless deploy) */
	char noexec[200];
	snprintf(noexec, sizeof(noexec), "%s/noexec-hook", dir);
	FILE *f = fopen(noexec, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(noexec, 0644);
	missing.path = noexec;
	dx_hook_run(&missing, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, -2);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_text, "cannot run"));
}

/* ---- the policy, through a real runner and a real database ---- */

static dx_store_t *open_db(const char *name, char *path)
{
	char err[DX_CONFIG_ERRMAX];
	snprintf(path, 160, "%s/%s", dir, name);
	dx_store_t *st = NULL;
	CU_ASSERT_EQUAL(dx_store_open(&st, path, 1000, 1, 1024, true, err), DX_OK);
	return st;
}

static void mk_alert(dx_alert_t *a, const char *apex, enum dx_severity sev, dx_ts_t t)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->apex, sizeof(a->apex), "%s", apex);
	a->severity = sev;
	a->threat = DX_T_ENCODED_SUBDOMAIN;
	a->status = DX_ST_OPEN;
	a->first_ts = a->detected_ts = a->last_ts = t;
	a->unique_subdomains = 50;
	snprintf(a->sources, sizeof(a->sources), "[\"10.0.1.5\"]");
}

static long long q1(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	return v;
}

static void drain(dx_respond_t *r, dx_hook_t *h, dx_ts_t now)
{
	for (int i = 0; i < 500 && dx_hook_busy(h) > 0; i++) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	dx_respond_tick(r, now);
}

static const dx_hash_key_t key = {5, 6};
#define T0 1709251200000000LL
#define HOUR 3600000000LL

static void test_hook_policy(void)
{
	fresh_log();
	setenv("HOOK_MODE", "ok", 1);
	char db[160];
	dx_store_t *st = open_db("policy.db", db);
	dx_hook_cfg_t c = hcfg(5000, 0);
	c.db_path = db;
	dx_hook_t *h = dx_hook_new(&c);
	dx_allow_t *protect = dx_allow_new(key);
	CU_ASSERT_EQUAL(dx_allow_add(protect, "corp.example"), DX_OK);
	dx_respond_cfg_t rc = {.min_severity = DX_SEV_HIGH,
			       .scope = DX_SCOPE_BOTH,
			       .max_blocks_per_hour = 2,
			       .block_ttl_sec = 3600,
			       .max_blocks = 64};
	dx_respond_t *r = dx_respond_new(&rc, st, h, psl, NULL, protect, key);
	dx_alert_t a;
	/* below min_severity: nothing */
	mk_alert(&a, "low.example", DX_SEV_MEDIUM, T0);
	dx_respond_alert(r, &a, 0);
	/* a HIGH: blocked, apex and wildcard; the second alert for it changes nothing */
	mk_alert(&a, "t1.example", DX_SEV_HIGH, T0);
	dx_respond_alert(r, &a, 0);
	CU_ASSERT_EQUAL(a.status, DX_ST_BLOCKED);
	dx_alert_t a2;
	mk_alert(&a2, "t1.example", DX_SEV_CRITICAL, T0 + 1);
	a2.threat = DX_T_LONG_NAME;
	dx_respond_alert(r, &a2, 0);
	/* allowlisted and protected: never */
	mk_alert(&a, "av.example", DX_SEV_CRITICAL, T0 + 2);
	a.status = DX_ST_ALLOWLISTED;
	dx_respond_alert(r, &a, 0);
	mk_alert(&a, "x.corp.example", DX_SEV_CRITICAL, T0 + 3);
	dx_respond_alert(r, &a, 0);
	/* the rate limit: 2 an hour; t1 was one, t2 is two, t3 is refused */
	mk_alert(&a, "t2.example", DX_SEV_HIGH, T0 + 4);
	dx_respond_alert(r, &a, 0);
	mk_alert(&a, "t3.example", DX_SEV_HIGH, T0 + 5);
	dx_respond_alert(r, &a, 0);
	CU_ASSERT_EQUAL(a.status, DX_ST_OPEN);
	drain(r, h, T0 + 10);
	dx_respond_stats_t s;
	dx_respond_get_stats(r, &s);
	CU_ASSERT_EQUAL(s.requested, 2);
	CU_ASSERT_EQUAL(s.done, 2);
	CU_ASSERT_EQUAL(s.refused[DX_REF_RATE_LIMITED], 1);
	CU_ASSERT_EQUAL(s.refused[DX_REF_PROTECTED], 1);
	CU_ASSERT_EQUAL(
	    q1(db, "SELECT count(*) FROM blocks WHERE action = 'add' AND state = 'done'"), 4);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex = 't1.example'"), 2);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE domain = '*.t2.example'"), 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex IN ('av.example',"
			       " 'corp.example', 'x.corp.example', 't3.example', 'low.example')"),
			0);
	CU_ASSERT_EQUAL(q1(db, "SELECT min(attempts) FROM blocks"), 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE latency_ms IS NOT NULL"), 4);
	/* expiry: t2 quiet for block_ttl -> HOOK remove; t1 still active -> kept */
	mk_alert(&a, "t1.example", DX_SEV_HIGH, T0 + HOUR + 100);
	dx_respond_alert(r, &a, 0);
	dx_respond_tick(r, T0 + HOUR + 200);
	drain(r, h, T0 + HOUR + 300);
	dx_respond_get_stats(r, &s);
	CU_ASSERT_EQUAL(s.removed, 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex = 't2.example' AND"
			       " action = 'add' AND state = 'removed'"),
			2);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex = 't2.example' AND"
			       " action = 'remove' AND state = 'done'"),
			2);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex = 't1.example' AND"
			       " action = 'remove'"),
			0);
	char *log = slurp(log_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "argv: [remove] [t2.example] [*.t2.example]"));
	free(log);
	dx_hook_free(h);
	dx_respond_free(r);
	dx_allow_free(protect);
	dx_store_close(st);
}

static void test_hook_dry_run_and_scope(void)
{
	fresh_log();
	char db[160];
	dx_store_t *st = open_db("dry.db", db);
	dx_respond_cfg_t rc = {.min_severity = DX_SEV_HIGH,
			       .scope = DX_SCOPE_AUTO,
			       .dry_run = true,
			       .max_blocks_per_hour = 20,
			       .max_blocks = 64};
	dx_respond_t *r = dx_respond_new(&rc, st, NULL, psl, NULL, NULL, key);
	dx_alert_t a;
	mk_alert(&a, "dry.example", DX_SEV_CRITICAL, T0);
	dx_respond_alert(r, &a, 0);
	mk_alert(&a, "few.example", DX_SEV_HIGH, T0);
	a.unique_subdomains = 3; /* auto: the apex only */
	dx_respond_alert(r, &a, 0);
	dx_respond_tick(r, T0);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE state = 'dry_run'"), 2);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE domain = '*.dry.example'"), 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE domain = 'few.example'"), 1);
	CU_ASSERT_EQUAL(a.status, DX_ST_OPEN);
	CU_ASSERT_EQUAL(access(log_path, F_OK), -1); /* nothing ran */
	/* a hostile apex never becomes an argument */
	mk_alert(&a, "x;rm -rf ~.example", DX_SEV_CRITICAL, T0);
	dx_respond_alert(r, &a, 0);
	dx_respond_stats_t s;
	dx_respond_get_stats(r, &s);
	CU_ASSERT_EQUAL(s.refused[DX_REF_INVALID], 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks"), 2);
	dx_respond_free(r);
	dx_store_close(st);
}

/* Domains that must never be blocked, whatever alert asks (the second gate, independent of the
 * detector's): public suffixes of either section, top-level domains, arpa, the parent of a
 * protect zone, allowlist entries and their parents. Each refusal is counted by reason, none
 * reaches the hook or the blocks table, and each apex is logged once an hour however often
 * its alerts come back. */
static void test_hook_never_blocked(void)
{
	fresh_log();
	setenv("HOOK_MODE", "ok", 1);
	char db[160];
	dx_store_t *st = open_db("never.db", db);
	dx_hook_cfg_t c = hcfg(5000, 0);
	c.db_path = db;
	dx_hook_t *h = dx_hook_new(&c);
	dx_allow_t *protect = dx_allow_new(key), *allow = dx_allow_new(key);
	CU_ASSERT_EQUAL(dx_allow_add(protect, "corp.example.com"), DX_OK);
	CU_ASSERT_EQUAL(dx_allow_add(allow, "avts.mcafee.com"), DX_OK);
	CU_ASSERT_EQUAL(dx_allow_add(allow, "sophosxl.net"), DX_OK);
	dx_respond_cfg_t rc = {.min_severity = DX_SEV_HIGH,
			       .scope = DX_SCOPE_BOTH,
			       .max_blocks_per_hour = 1000,
			       .max_blocks = 64};
	dx_respond_t *r = dx_respond_new(&rc, st, h, psl, allow, protect, key);
	static const struct {
		const char *apex;
		enum dx_refusal why;
	} cases[] = {
	    {"co.uk", DX_REF_PUBLIC_SUFFIX},
	    {"github.io", DX_REF_PUBLIC_SUFFIX},
	    {"s3.amazonaws.com", DX_REF_PUBLIC_SUFFIX},
	    {"cloudfront.net", DX_REF_PUBLIC_SUFFIX},
	    {"com", DX_REF_SINGLE_LABEL},
	    {"localhost", DX_REF_SINGLE_LABEL},
	    {"in-addr.arpa", DX_REF_ARPA},
	    {"10.in-addr.arpa", DX_REF_ARPA},
	    {"home.arpa", DX_REF_ARPA},
	    {"dc1.consul", DX_REF_SITE_LOCAL},
	    {"cluster.local", DX_REF_SITE_LOCAL},
	    {"us-west-2.compute.internal", DX_REF_SITE_LOCAL},
	    {"ec2.internal", DX_REF_SITE_LOCAL},
	    {"corp.lan", DX_REF_SITE_LOCAL},
	    {"nas.home", DX_REF_SITE_LOCAL},
	    {"ad.CORP", DX_REF_SITE_LOCAL},
	    {"example.com", DX_REF_PROTECT_PARENT},
	    {"corp.example.com", DX_REF_PROTECTED},
	    {"mcafee.com", DX_REF_ALLOWLISTED},
	    {"avts.mcafee.com", DX_REF_ALLOWLISTED},
	    {"x.sophosxl.net", DX_REF_ALLOWLISTED},
	    {"ab\\000cd.evil.co.uk", DX_REF_INVALID},
	    {"evil\\.co.uk", DX_REF_INVALID},
	};
	/* stderr to a file, to count the log lines */
	char errp[192];
	snprintf(errp, sizeof(errp), "%s/never.err", dir);
	fflush(stderr);
	int saved = dup(2);
	FILE *ef = fopen(errp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ef);
	dup2(fileno(ef), 2);
	dx_alert_t a;
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			enum dx_refusal got = dx_respond_refusal(r, cases[i].apex);
			CU_ASSERT_EQUAL(got, cases[i].why);
			if (got != cases[i].why && round == 0)
				fprintf(stdout, "\n  %s: %s, want %s\n", cases[i].apex,
					dx_refusal_name(got), dx_refusal_name(cases[i].why));
			mk_alert(&a, cases[i].apex, DX_SEV_CRITICAL, T0 + round * 60000000LL);
			dx_respond_alert(r, &a, 0);
			CU_ASSERT_EQUAL(a.status, DX_ST_OPEN);
			/* the alert says why (its details from its next write) */
			CU_ASSERT_STRING_EQUAL(a.not_blocked ? a.not_blocked : "",
					       dx_refusal_name(cases[i].why));
		}
	/* an hour later each is logged once more */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		mk_alert(&a, cases[i].apex, DX_SEV_CRITICAL, T0 + HOUR + 1);
		dx_respond_alert(r, &a, 0);
	}
	/* and an ordinary apex is still blocked */
	CU_ASSERT_EQUAL(dx_respond_refusal(r, "evil.co.uk"), DX_REF_COUNT);
	mk_alert(&a, "evil.co.uk", DX_SEV_CRITICAL, T0 + HOUR + 2);
	dx_respond_alert(r, &a, 0);
	CU_ASSERT_EQUAL(a.status, DX_ST_BLOCKED);
	drain(r, h, T0 + HOUR + 10);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(ef);
	dx_respond_stats_t s;
	dx_respond_get_stats(r, &s);
	unsigned want[DX_REF_COUNT] = {0};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		want[cases[i].why] += 21;
	for (int k = 0; k < DX_REF_COUNT; k++)
		CU_ASSERT_EQUAL(s.refused[k], want[k]);
	CU_ASSERT_EQUAL(s.requested, 1);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks"), 2);
	CU_ASSERT_EQUAL(q1(db, "SELECT count(*) FROM blocks WHERE apex != 'evil.co.uk'"), 0);
	char *log = slurp(log_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "argv: [add] [evil.co.uk] [*.evil.co.uk]"));
	CU_ASSERT_PTR_NULL(strstr(log, "[co.uk]"));
	unsigned runs = 0;
	for (const char *p = log; (p = strstr(p, "argv:")) != NULL; p++)
		runs++;
	CU_ASSERT_EQUAL(runs, 1);
	free(log);
	char *err = slurp(errp);
	unsigned lines = 0;
	for (const char *p = err; (p = strstr(p, "not blocking ")) != NULL; p++)
		lines++;
	CU_ASSERT_EQUAL(lines, 2 * ARRAY_SIZE(cases));
	if (lines != 2 * ARRAY_SIZE(cases))
		fprintf(stdout, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not blocking co.uk: public_suffix"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not blocking example.com: protect_parent"));
	free(err);
	dx_hook_free(h);
	dx_respond_free(r);
	dx_allow_free(protect);
	dx_allow_free(allow);
	dx_store_close(st);
}

/* A timed-out run is retried like a failed one. */
static void test_hook_timeout_retried(void)
{
	fresh_log();
	setenv("HOOK_MODE", "hang", 1);
	dx_hook_cfg_t c = hcfg(200, 2);
	c.backoff_ms = 10;
	dx_hook_req_t r = req("hang.example");
	dx_hook_result_t res;
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, -1);
	CU_ASSERT_EQUAL(res.attempts, 3);
}

/* What a hook leaves running is ended when it exits, even if it left its process group and
 * session (setsid): the sensor is its subreaper. */
static void test_hook_detached_leftover(void)
{
	fresh_log();
	setenv("HOOK_MODE", "detach", 1);
	dx_hook_t *h = dx_hook_new(&(dx_hook_cfg_t){.path = hook_path, .timeout_ms = 5000});
	CU_ASSERT_PTR_NOT_NULL_FATAL(h); /* makes this process the subreaper */
	dx_hook_cfg_t c = hcfg(5000, 0);
	dx_hook_req_t r = req("detach.example");
	dx_hook_result_t res;
	dx_hook_run(&c, &r, &res);
	CU_ASSERT_EQUAL(res.state, DX_HOOK_DONE);
	CU_ASSERT_TRUE(sleep_gone());
	dx_hook_free(h);
}

/* shutdown_ms bounds the stop also when a hook is already running (it waited for the hook's
 * whole timeout): the run is killed at the deadline and recorded as failed. */
static void test_hook_shutdown_bounds_running(void)
{
	fresh_log();
	setenv("HOOK_MODE", "hang", 1);
	dx_hook_cfg_t c = hcfg(60000, 3);
	dx_hook_t *h = dx_hook_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	dx_hook_req_t r = req("hang.example");
	CU_ASSERT_EQUAL(dx_hook_submit(h, &r), DX_OK);
	struct timespec ts = {0, 300 * 1000000L};
	nanosleep(&ts, NULL); /* the hook is running */
	double t0 = mono();
	dx_hook_stop(h, 500);
	double took = mono() - t0;
	CU_ASSERT_TRUE(took < 2.0);
	dx_hook_result_t res;
	CU_ASSERT_TRUE_FATAL(dx_hook_poll(h, &res));
	CU_ASSERT_EQUAL(res.state, DX_HOOK_FAILED);
	CU_ASSERT_EQUAL(res.exit_code, -1);
	CU_ASSERT_EQUAL(res.attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_text, "killed at shutdown"));
	CU_ASSERT_TRUE(sleep_gone());
	dx_hook_free(h);
}

/* Block requests made together are one hook run: all their domains in argv, the per-alert
 * variables as aligned lists, the addresses and ids each once; every request gets its result.
 * What comes after the run started is the next run. */
static void test_hook_batch(void)
{
	fresh_log();
	setenv("HOOK_MODE", "ok", 1);
	dx_hook_cfg_t c = hcfg(5000, 0);
	c.queue = 64;
	dx_hook_t *h = dx_hook_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	const char *apexes[] = {"t1.example", "t2.example", "t3.example"};
	for (int i = 0; i < 3; i++) {
		dx_hook_req_t r = req(apexes[i]);
		r.seq = (uint64_t) i + 1;
		r.alert_id = 40 + i;
		r.block_ids[0] = 10 * i + 1;
		r.block_ids[1] = 10 * i + 2;
		if (i == 1) {
			r.has_vni = false;
			snprintf(r.sources, sizeof(r.sources), "10.0.1.6,10.0.2.9");
			snprintf(r.instances, sizeof(r.instances), "i-0abc");
		}
		CU_ASSERT_EQUAL(dx_hook_submit(h, &r), DX_OK);
	}
	dx_hook_flush(h);
	dx_hook_result_t res[4];
	int got = 0;
	for (int i = 0; i < 500 && got < 3; i++) {
		if (dx_hook_poll(h, &res[got])) {
			got++;
			continue;
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(got, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(res[i].seq, (uint64_t) i + 1);
		CU_ASSERT_EQUAL(res[i].state, DX_HOOK_DONE);
		CU_ASSERT_EQUAL(res[i].block_ids[1], 10 * i + 2);
		CU_ASSERT_EQUAL(res[i].attempts, 1);
	}
	const char *want = "argv: [add] [t1.example] [*.t1.example] [t2.example] [*.t2.example]"
			   " [t3.example] [*.t3.example]\n"
			   "DNSEXFIL_ALERT_ID=40,41,42\n"
			   "DNSEXFIL_APEX=t1.example,t2.example,t3.example\n"
			   "DNSEXFIL_BATCH=3\n"
			   "DNSEXFIL_DB=/var/lib/x.db\n"
			   "DNSEXFIL_EST_BYTES=4321,4321,4321\n"
			   "DNSEXFIL_INSTANCES=i-0abc\n"
			   "DNSEXFIL_SEVERITY=HIGH,HIGH,HIGH\n"
			   "DNSEXFIL_SOURCES=10.0.1.5,10.0.1.6,10.0.2.9\n"
			   "DNSEXFIL_THREAT=ENCODED_SUBDOMAIN,ENCODED_SUBDOMAIN,ENCODED_SUBDOMAIN\n"
			   "DNSEXFIL_TIMEOUT_MS=5000\n"
			   "DNSEXFIL_VNI=123,,123\n"
			   "DNSEXFIL_VPCS=\n";
	expect_log(want);
	/* more than DX_HOOK_BATCH at once: runs of at most DX_HOOK_BATCH; a remove is its own */
	fresh_log();
	char *log;
	for (int i = 0; i < DX_HOOK_BATCH + 3; i++) {
		char apex[32];
		snprintf(apex, sizeof(apex), "b%d.example", i);
		dx_hook_req_t r = req(apex);
		r.seq = 100 + (uint64_t) i;
		r.action = i == DX_HOOK_BATCH + 2 ? DX_HOOK_REMOVE : DX_HOOK_ADD;
		CU_ASSERT_EQUAL(dx_hook_submit(h, &r), DX_OK);
	}
	dx_hook_flush(h);
	for (int i = 0; i < 500 && dx_hook_busy(h) > 0; i++) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	log = slurp(log_path);
	int runs = 0, removes = 0;
	for (const char *p = log; (p = strstr(p, "argv: [")) != NULL; p++) {
		runs++;
		removes += strncmp(p, "argv: [remove]", 14) == 0;
	}
	CU_ASSERT_EQUAL(runs, 3);
	CU_ASSERT_EQUAL(removes, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "DNSEXFIL_BATCH=32\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "DNSEXFIL_BATCH=2\n"));
	free(log);
	dx_hook_free(h);
}

static CU_TestInfo hook_tests[] = {
    {"batch", test_hook_batch},
    {"domain_valid", test_hook_domain_valid},
    {"argv_and_env", test_hook_argv_and_env},
    {"timeout_kills", test_hook_timeout_kills},
    {"timeout_retried", test_hook_timeout_retried},
    {"detached_leftover", test_hook_detached_leftover},
    {"shutdown_bounds_running", test_hook_shutdown_bounds_running},
    {"retry_then_success", test_hook_retry_then_success},
    {"flood_and_crash", test_hook_flood_and_crash},
    {"policy", test_hook_policy},
    {"dry_run_and_scope", test_hook_dry_run_and_scope},
    {"never_blocked", test_hook_never_blocked},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"hook", setup, teardown, NULL, NULL, hook_tests},
    CU_SUITE_INFO_NULL,
};
