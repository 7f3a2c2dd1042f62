/* SPDX-License-Identifier: BSD-2-Clause */
/* The detectors on constructed query sequences. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/detect/detect.h"
#include "lib/prepare/prep.h"
#include "tests/testutil.h"

static const psl_ctx_t *psl;
static dx_qprep_t *qp; /* the parser's part: dx_query_prepare() in feed() */
static const dx_hash_key_t key = {3, 4};
#define T0 1709251200000000LL /* 2024-03-01, µs */

struct seen {
	int n_calls;
	enum dx_severity sev[64][DX_T_COUNT]; /* by apex slot */
	dx_ts_t first_at[64][DX_T_COUNT][DX_SEV_CRITICAL + 1];
	enum dx_status status[64][DX_T_COUNT];
	char apex[64][64];
	int n_apex;
	int windows;
	dx_window_stats_t last_window;
	/* the facts of each alert as last written */
	enum dx_encoding encoding[64][DX_T_COUNT];
	uint16_t top_qtype[64][DX_T_COUNT];
	char details[64][DX_T_COUNT][DX_ALERT_DETAILS];
};

static struct seen seen;

static int slot(const char *apex)
{
	for (int i = 0; i < seen.n_apex; i++)
		if (strcmp(seen.apex[i], apex) == 0)
			return i;
	snprintf(seen.apex[seen.n_apex], sizeof(seen.apex[0]), "%.63s", apex);
	return seen.n_apex++;
}

static void on_alert(void *ctx, dx_alert_t *a)
{
	(void) ctx;
	seen.n_calls++;
	int s = slot(a->apex);
	if (a->severity > seen.sev[s][a->threat]) {
		seen.sev[s][a->threat] = a->severity;
		seen.first_at[s][a->threat][a->severity] = a->detected_ts;
	}
	seen.status[s][a->threat] = a->status;
	seen.encoding[s][a->threat] = a->encoding;
	seen.top_qtype[s][a->threat] = a->top_qtype;
	snprintf(seen.details[s][a->threat], DX_ALERT_DETAILS, "%s", a->details);
	a->id = 1;
}

static void on_window(void *ctx, const dx_window_stats_t *w)
{
	(void) ctx;
	seen.windows++;
	seen.last_window = *w;
}

static enum dx_severity sev_of(const char *apex, enum dx_threat t)
{
	for (int i = 0; i < seen.n_apex; i++)
		if (strcmp(seen.apex[i], apex) == 0)
			return seen.sev[i][t];
	return DX_SEV_NONE;
}

static enum dx_severity max_sev(const char *apex)
{
	enum dx_severity m = DX_SEV_NONE;
	for (int t = 0; t < DX_T_COUNT; t++)
		if (sev_of(apex, t) > m)
			m = sev_of(apex, t);
	return m;
}

static dx_detect_t *mk(dx_detect_cfg_t *cfg, const dx_allow_t *al)
{
	memset(&seen, 0, sizeof(seen));
	dx_detect_cfg_t def;
	if (cfg == NULL) {
		dx_detect_cfg_defaults(&def);
		cfg = &def;
	}
	dx_qprep_free(qp);
	dx_qprep_cfg_t pc;
	dx_qprep_cfg_defaults(&pc);
	qp = dx_qprep_new(psl, pc.psl_private, pc.cache_entries, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	dx_detect_t *d = dx_detect_new(cfg, al, key, on_alert, on_window, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static uint32_t feed_answer_bytes; /* what the next responses' answers carry */

static void feed(dx_detect_t *d, dx_ts_t ts, const char *name, unsigned qtype, unsigned client,
		 bool response, unsigned rcode)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 1, response ? 0x8180 | rcode : 0x0100, name, qtype);
	dx_query_t q;
	memset(&q, 0, sizeof(q));
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &q.dns, &why), DX_OK);
	q.ts_us = ts;
	q.af = 4;
	uint8_t *cl = response ? q.dst : q.src;
	cl[0] = 10;
	cl[2] = (uint8_t) (client >> 8);
	cl[3] = (uint8_t) client;
	if (response)
		q.dns.answer_bytes = feed_answer_bytes;
	dx_query_prepare(qp, &q);
	dx_detect_add(d, &q);
}

/* A random-looking label of n characters from alphabet a, from seed. */
static void rnd_label(char *out, int n, const char *a, unsigned *seed)
{
	size_t k = strlen(a);
	for (int i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		out[i] = a[(*seed >> 16) % k];
	}
	out[n] = '\0';
}

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char HEX[] = "0123456789abcdef";

static int setup(void)
{
	psl = psl_latest(NULL);
	return psl ? 0 : 1;
}

static int teardown(void)
{
	dx_qprep_free(qp);
	qp = NULL;
	psl_free((psl_ctx_t *) psl);
	return 0;
}

/* The recipe's rule fires, but names that look like hostnames stay at LOW however many (volume
 * alone is popularity); with recipe_compat, the recipe's own severities. */
static void test_detect_volume_alone_is_low(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	static const char *words[] = {"www",	"api", "mail", "login",	 "cdn",
				      "static", "img", "auth", "status", "docs"};
	char name[128];
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "%s%d.busy.example", words[i % 10], i % 37);
		feed(d, T0 + i * 100000LL, name, 1, (unsigned) (i % 20), false, 0);
	}
	dx_detect_finish(d);
	CU_ASSERT_EQUAL(sev_of("busy.example", DX_T_HIGH_FREQUENCY), DX_SEV_LOW);
	CU_ASSERT_EQUAL(max_sev("busy.example"), DX_SEV_LOW);
	dx_detect_free(d);
	dx_detect_cfg_t cfg;
	dx_detect_cfg_defaults(&cfg);
	cfg.recipe_compat = true;
	d = mk(&cfg, NULL);
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "%s%d.busy.example", words[i % 10], i % 37);
		feed(d, T0 + i * 100000LL, name, 1, (unsigned) (i % 20), false, 0);
	}
	dx_detect_finish(d);
	CU_ASSERT_EQUAL(sev_of("busy.example", DX_T_HIGH_FREQUENCY), DX_SEV_CRITICAL);
	dx_detect_free(d);
}

/* The recipe's burst: 250 random 6-hex names. HIGH at the 51st, CRITICAL at the 101st. */
static void test_detect_burst(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char lab[8], name[64];
	unsigned seed = 1;
	for (int i = 1; i <= 250; i++) {
		rnd_label(lab, 6, HEX, &seed);
		if (strspn(lab, "0123456789") == 6)
			lab[0] =
			    'a'; /* keep it hex with letters, as openssl rand -hex 3 nearly always is */
		snprintf(name, sizeof(name), "%s.dnsdemo.t4.lab.example", lab);
		feed(d, T0 + i * 10000LL, name, 1, 2, false, 0);
	}
	int s = slot("lab.example");
	CU_ASSERT_EQUAL(seen.sev[s][DX_T_HIGH_FREQUENCY], DX_SEV_CRITICAL);
	CU_ASSERT_EQUAL(seen.first_at[s][DX_T_HIGH_FREQUENCY][DX_SEV_HIGH], T0 + 51 * 10000LL);
	CU_ASSERT_EQUAL(seen.first_at[s][DX_T_HIGH_FREQUENCY][DX_SEV_CRITICAL], T0 + 101 * 10000LL);
	dx_detect_free(d);
}

/* Unique base32 labels of 30 characters: ENCODED_SUBDOMAIN HIGH at the 21st. */
static void test_detect_encoded(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char lab[64], name[128];
	unsigned seed = 7;
	for (int i = 1; i <= 60; i++) {
		rnd_label(lab, 30, B32, &seed);
		snprintf(name, sizeof(name), "%s.t.tunnel.example", lab);
		feed(d, T0 + i * 1000000LL, name, 1, 2, false, 0);
	}
	int s = slot("tunnel.example");
	CU_ASSERT_TRUE(seen.sev[s][DX_T_ENCODED_SUBDOMAIN] >= DX_SEV_HIGH);
	CU_ASSERT_EQUAL(seen.first_at[s][DX_T_ENCODED_SUBDOMAIN][DX_SEV_HIGH], T0 + 21 * 1000000LL);
	/* the same names again are not new: nothing escalates further from repeats */
	dx_detect_free(d);
}

static void test_detect_long_and_qtype(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char a[64], b[64], name[200];
	unsigned seed = 9;
	for (int i = 1; i <= 60; i++) {
		rnd_label(a, 60, B32, &seed);
		rnd_label(b, 50, B32, &seed);
		snprintf(name, sizeof(name), "%s.%s.long.example", a, b);
		feed(d, T0 + i * 1000000LL, name, 16, 2, false, 0);
	}
	CU_ASSERT_TRUE(sev_of("long.example", DX_T_LONG_NAME) >= DX_SEV_HIGH);
	CU_ASSERT_TRUE(sev_of("long.example", DX_T_UNUSUAL_QTYPE) >= DX_SEV_HIGH);
	dx_detect_free(d);
}

/* A DNS blocklist: reversed addresses under a fixed, random-looking service key. The key
 * repeats in every query, so it is left out of the features: no encoding alert. Once with one
 * key label (hashed by the parser), once with six (more than the parser carries: the
 * detector walks the name). */
static void test_detect_repeated_labels(void)
{
	static const char *const keys[2] = {
	    "k3x9q2m7v8w4z6r1t5y0",
	    "k3x9q2m7v8w4z6r1.p8n2c4v6b7m9x1z3.q5w7e9r2t4y6u8i0.a1s3d5f7g9h2j4k6."
	    "l8z0x2c4v6b8n1m3.q9w8e7r6t5y4u3i2"};
	for (int k = 0; k < 2; k++) {
		dx_detect_t *d = mk(NULL, NULL);
		char name[300];
		for (int i = 1; i <= 200; i++) {
			snprintf(name, sizeof(name), "%d.%d.0.10.%s.bl.example", i % 250, i / 250,
				 keys[k]);
			feed(d, T0 + i * 100000LL, name, 1, 2, false, 0);
		}
		CU_ASSERT_EQUAL(sev_of("bl.example", DX_T_ENCODED_SUBDOMAIN), DX_SEV_NONE);
		CU_ASSERT_EQUAL(sev_of("bl.example", DX_T_INFO_VOLUME), DX_SEV_NONE);
		dx_detect_free(d);
	}
}

/* Dictionary words, mostly NXDOMAIN: enumeration, LOW or MEDIUM, never more. */
static void test_detect_enumeration(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	static const char *w[] = {"admin",    "backup", "dev",	"test", "vpn",
				  "intranet", "git",	"jira", "wiki", "ftp"};
	char name[64];
	for (int i = 0; i < 250; i++) {
		snprintf(name, sizeof(name), "%s%s.victim.example", w[i % 10], w[(i / 10) % 10]);
		if (i >= 100)
			snprintf(name, sizeof(name), "%s-%s-%d.victim.example", w[i % 10],
				 w[(i / 10) % 10], i / 100);
		feed(d, T0 + i * 100000LL, name, 1, 5, false, 0);
		feed(d, T0 + i * 100000LL + 500, name, 1, 5, true, 3);
	}
	enum dx_severity s = sev_of("victim.example", DX_T_SUBDOMAIN_ENUMERATION);
	CU_ASSERT_TRUE(s == DX_SEV_LOW || s == DX_SEV_MEDIUM);
	CU_ASSERT_TRUE(max_sev("victim.example") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
}

/* Low and slow: ~1 byte/s of base32 payload, one query every 40 s, under every window
 * threshold, caught by the information horizon within a day. */
static void test_detect_low_and_slow(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char lab[64], name[128];
	unsigned seed = 11;
	dx_ts_t caught = 0;
	for (int i = 1; i <= 24 * 90; i++) {
		rnd_label(lab, 63, B32, &seed);
		snprintf(name, sizeof(name), "%s.slow.example", lab);
		dx_ts_t t = T0 + (dx_ts_t) i * 40000000LL;
		feed(d, t, name, 5, 2, false, 0);
		if (!caught && sev_of("slow.example", DX_T_INFO_VOLUME) >= DX_SEV_HIGH)
			caught = t;
	}
	CU_ASSERT_TRUE(caught != 0);
	CU_ASSERT_TRUE(caught - T0 < 24 * 3600 * 1000000LL);
	CU_ASSERT_TRUE(sev_of("slow.example", DX_T_ENCODED_SUBDOMAIN) <= DX_SEV_LOW);
	CU_ASSERT_TRUE(sev_of("slow.example", DX_T_HIGH_FREQUENCY) == DX_SEV_NONE);
	dx_detect_free(d);
}

static void test_detect_allowlisted_and_special(void)
{
	dx_allow_t *al = dx_allow_new(key);
	CU_ASSERT_EQUAL_FATAL(dx_allow_add(al, "av.example"), DX_OK);
	dx_detect_t *d = mk(NULL, al);
	char lab[64], name[128];
	unsigned seed = 13;
	for (int i = 1; i <= 80; i++) {
		rnd_label(lab, 32, HEX, &seed);
		snprintf(name, sizeof(name), "%s.av.example", lab);
		feed(d, T0 + i * 100000LL, name, 16, 2, false, 0);
		snprintf(name, sizeof(name), "%s.in-addr.arpa", lab);
		feed(d, T0 + i * 100000LL, name, 12, 2, false, 0);
		snprintf(name, sizeof(name), "%s.co.uk", lab); /* each its own apex */
		feed(d, T0 + i * 100000LL, name, 1, 2, false, 0);
	}
	int s = slot("av.example");
	CU_ASSERT_TRUE(seen.sev[s][DX_T_ENCODED_SUBDOMAIN] >= DX_SEV_HIGH);
	CU_ASSERT_EQUAL(seen.status[s][DX_T_ENCODED_SUBDOMAIN], DX_ST_ALLOWLISTED);
	CU_ASSERT_EQUAL(max_sev("in-addr.arpa"), DX_SEV_NONE);
	CU_ASSERT_EQUAL(seen.n_apex, 1); /* only av.example raised anything */
	dx_detect_free(d);
	dx_allow_free(al);
}

/* A flood of random apexes into a small table: bounded, evictions counted, and a tunnel in
 * the middle of the flood is still caught. */
static void test_detect_bounded_under_flood(void)
{
	dx_detect_cfg_t cfg;
	dx_detect_cfg_defaults(&cfg);
	cfg.max_apexes = 64;
	cfg.max_subdomains = 4096;
	cfg.max_clients = 64;
	dx_detect_t *d = mk(&cfg, NULL);
	char a[32], lab[64], name[128];
	unsigned seed = 17;
	for (int i = 0; i < 20000; i++) {
		rnd_label(a, 10, B32, &seed);
		snprintf(name, sizeof(name), "www.%s.example", a);
		feed(d, T0 + i * 1000LL, name, 1, (unsigned) i, false, 0);
		if (i % 100 == 0) {
			rnd_label(lab, 40, B32, &seed);
			snprintf(name, sizeof(name), "%s.t.tunnel.example", lab);
			feed(d, T0 + i * 1000LL, name, 16, 7, false, 0);
		}
	}
	dx_detect_stats_t st;
	dx_detect_get_stats(d, &st);
	CU_ASSERT_TRUE(st.apexes <= 64);
	CU_ASSERT_TRUE(st.apex_evictions > 19000);
	CU_ASSERT_TRUE(st.subdomain_evictions > 0);
	CU_ASSERT_TRUE(st.client_evictions > 19000); /* 20,001 clients, 64 places */
	CU_ASSERT_TRUE(max_sev("tunnel.example") >= DX_SEV_HIGH);
	dx_detect_free(d);
}

/* Hash flooding: apexes crafted to share a slot of the apex table under the (known) hash key,
 * as anyone can do against a replay's fixed key. The slot goes through a per-process random
 * multiplier (dx_hash_index), so lookups stay about one comparison; with the slot taken
 * straight from the hash every lookup walked a chain of all 2,048 of them. */
static void test_detect_hash_flood(void)
{
	dx_detect_cfg_t cfg;
	dx_detect_cfg_defaults(&cfg);
	cfg.max_apexes = 2048; /* 4,096 slots: 12 bits */
	dx_detect_t *d = mk(&cfg, NULL);
	static char apex[2048][24];
	int n = 0;
	for (unsigned c = 0; n < 2048; c++) {
		char a[24];
		int len = snprintf(a, sizeof(a), "c%u.example", c);
		if ((dx_hash(&key, a, (size_t) len) & 4095) == 0)
			memcpy(apex[n++], a, (size_t) len + 1);
	}
	char name[64];
	for (int round = 0; round < 4; round++)
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "www.%.23s", apex[i]);
			feed(d, T0 + (round * n + i) * 1000LL, name, 1, 1, false, 0);
		}
	dx_detect_stats_t st;
	dx_detect_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.apexes, 2048);
	CU_ASSERT_EQUAL(st.apex_evictions, 0);
	/* 8,192 lookups at a load of 0.5: a few thousand comparisons, not millions */
	CU_ASSERT_TRUE(st.apex_probes < 4 * 8192);
	dx_detect_free(d);
}

/* Window stats: one row per busy apex per closed window; time going backwards is folded. */
static void test_detect_window_stats(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	for (int i = 0; i < 30; i++)
		feed(d, T0 + i * 1000000LL, "www.stats.example", 1, 1, false, 0);
	feed(d, T0 + 10 * 1000000LL, "www.stats.example", 28, 1, false, 0); /* backwards */
	feed(d, T0 + 5 * 1000000LL, "www.stats.example", 1, 1, true, 3);
	CU_ASSERT_EQUAL(seen.windows, 0);
	feed(d, T0 + 301 * 1000000LL, "www.other.example", 1, 1, false, 0); /* next window */
	CU_ASSERT_EQUAL_FATAL(seen.windows, 1);
	CU_ASSERT_STRING_EQUAL(seen.last_window.apex, "stats.example");
	CU_ASSERT_EQUAL(seen.last_window.query_count, 31);
	CU_ASSERT_EQUAL(seen.last_window.unique_subdomains, 1);
	CU_ASSERT_EQUAL(seen.last_window.nxdomain_count, 1);
	CU_ASSERT_EQUAL(seen.last_window.start_ts, T0);
	CU_ASSERT_EQUAL(seen.last_window.end_ts, T0 + 300 * 1000000LL);
	CU_ASSERT_STRING_EQUAL(seen.last_window.qtype_counts, "{\"A\":30,\"AAAA\":1}");
	dx_detect_free(d);
}

/* One client making new names far faster than ten peers. */
static void test_detect_client_anomaly(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char name[64];
	for (int i = 0; i < 600; i++) {
		dx_ts_t t = T0 + i * 200000LL;
		snprintf(name, sizeof(name), "h%d.peer%d.example", i % 3, i % 10);
		feed(d, t, name, 1, (unsigned) (i % 10), false, 0);
		snprintf(name, sizeof(name), "user%d.dictionary.example", i);
		feed(d, t + 1, name, 1, 99, false, 0);
	}
	CU_ASSERT_TRUE(sev_of("dictionary.example", DX_T_CLIENT_ANOMALY) >= DX_SEV_LOW);
	CU_ASSERT_TRUE(max_sev("dictionary.example") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
}

/* The apex is wire bytes: alerts and window rows carry it escaped, never raw. */
static void test_detect_hostile_apex_escaped(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	char lab[64], name[128];
	unsigned seed = 21;
	for (int i = 1; i <= 40; i++) {
		rnd_label(lab, 40, B32, &seed);
		snprintf(name, sizeof(name), "%s.ev\x1b[31mil\"x.com", lab);
		feed(d, T0 + i * 100000LL, name, 16, 2, false, 0);
	}
	dx_detect_finish(d);
	CU_ASSERT_EQUAL_FATAL(seen.n_apex, 1);
	CU_ASSERT_STRING_EQUAL(seen.apex[0], "ev\\027[31mil\\034x.com");
	CU_ASSERT_TRUE(max_sev(seen.apex[0]) >= DX_SEV_HIGH);
	CU_ASSERT_STRING_EQUAL(seen.last_window.apex, "ev\\027[31mil\\034x.com");
	dx_detect_free(d);
}

/* The facts an alert states are the apex's: top_qtype the most common type of its subdomain
 * queries (it was A for every alert: the window's type counts were cleared before the alerts
 * were refreshed from them), one encoding for all its alerts (HIGH_FREQUENCY took the
 * crossing query's, here a hostname-like one), and details.at the counts when each severity
 * was reached. A tunnel of NULL (or KEY) queries with every third name hostname-like, and a
 * few A queries. */
static void test_detect_facts(void)
{
	static const unsigned types[] = {10, 25};
	for (size_t k = 0; k < ARRAY_SIZE(types); k++) {
		dx_detect_t *d = mk(NULL, NULL);
		char lab[64], name[128];
		unsigned seed = 5;
		for (int i = 0; i < 120; i++) {
			if (i % 3 == 2)
				snprintf(name, sizeof(name), "host%d.facts.example", i);
			else {
				rnd_label(lab, 40, B32, &seed);
				snprintf(name, sizeof(name), "%s.t.facts.example", lab);
			}
			/* types[k] mostly; every tenth an A query */
			feed(d, T0 + i * 50000LL, name, i % 10 == 9 ? 1 : types[k], 7, false, 0);
		}
		/* ten minutes later: the first window's counts are gone, the alerts refreshed */
		feed(d, T0 + 700 * 1000000LL, "www.facts.example", 1, 7, false, 0);
		dx_detect_finish(d);
		int s = slot("facts.example");
		int n = 0;
		for (int t = 0; t < DX_T_COUNT; t++) {
			if (seen.sev[s][t] == DX_SEV_NONE)
				continue;
			n++;
			CU_ASSERT_EQUAL(seen.top_qtype[s][t], types[k]);
			CU_ASSERT_EQUAL(seen.encoding[s][t], DX_ENC_BASE32);
			if (seen.top_qtype[s][t] != types[k] ||
			    seen.encoding[s][t] != DX_ENC_BASE32)
				fprintf(stderr, "\n  %s: top_qtype %u, encoding %d\n",
					dx_threat_name((enum dx_threat) t), seen.top_qtype[s][t],
					seen.encoding[s][t]);
		}
		CU_ASSERT_TRUE(n >= 3);
		/* HIGH_FREQUENCY reached MEDIUM at the 21st subdomain query: details.at keeps that
		 * beside the refreshed counts */
		CU_ASSERT_TRUE(seen.sev[s][DX_T_HIGH_FREQUENCY] >= DX_SEV_MEDIUM);
		const char *det = seen.details[s][DX_T_HIGH_FREQUENCY];
		CU_ASSERT_PTR_NOT_NULL(strstr(det, "\"at\":{\"LOW\":{\"queries\":21,"));
		CU_ASSERT_PTR_NOT_NULL(strstr(det, "\"MEDIUM\":{\"queries\":21,"
						   "\"subdomain_queries\":21,"));
		dx_detect_free(d);
	}
}

/* n lookups of <hash>.<rest>.example.net, one a second, each answered (NXDOMAIN, answers of
 * answer_bytes), the hash hex of length len (len 0: 30 to 60, varying like tunnel chunks; len
 * -1: two labels of 32 and 24, as Sophos asks; -2: two labels of 30 to 60). */
static void lookups(dx_detect_t *d, const char *rest, int n, int len, uint32_t answer_bytes)
{
	char lab[72], lab2[72], name[220];
	unsigned seed = 11;
	feed_answer_bytes = answer_bytes;
	for (int i = 0; i < n; i++) {
		int l = len > 0 ? len : len == -1 ? 32 : 30 + (int) ((seed >> 8) % 31);
		rnd_label(lab, l, HEX, &seed);
		if (len < 0) {
			int l2 = len == -1 ? 24 : 30 + (int) ((seed >> 8) % 31);
			rnd_label(lab2, l2, HEX, &seed);
			snprintf(name, sizeof(name), "%s.%s.%s.example.net", lab, lab2, rest);
		} else
			snprintf(name, sizeof(name), "%s.%s.example.net", lab, rest);
		feed(d, T0 + i * 1000000LL, name, 16, 1, false, 0);
		feed(d, T0 + i * 1000000LL + 20000, name, 16, 1, true, answer_bytes ? 0 : 3);
	}
	feed_answer_bytes = 0;
	dx_detect_finish(d);
}

/* The lookup shape: one hash label of one length under a constant rest, answered NXDOMAIN or
 * tiny, is a file-hash or reputation lookup service (it reached CRITICAL and was blocked):
 * below HIGH. The same names with answers that carry data, or with labels of varying length,
 * are a tunnel's; and past lookup_info_bytes the budget catches a tunnel in that shape. */
static void test_detect_lookup_shape(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	lookups(d, "_file.hashbl", 300, 40, 0); /* SHA-1, NXDOMAIN */
	CU_ASSERT_TRUE(max_sev("example.net") >= DX_SEV_MEDIUM);
	CU_ASSERT_TRUE(max_sev("example.net") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	lookups(d, "_file.hashbl", 300, 40, 12); /* a short reason TXT */
	CU_ASSERT_TRUE(max_sev("example.net") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	lookups(d, "t", 300, 40, 220); /* answers carrying data: a tunnel */
	CU_ASSERT_TRUE(max_sev("example.net") >= DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	lookups(d, "t", 300, 0, 0); /* chunks of varying length, NXDOMAIN: a tunnel */
	CU_ASSERT_TRUE(max_sev("example.net") >= DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	lookups(d, "sxl", 300, -1, 4); /* a digest in two labels, answered 127.0.0.x */
	CU_ASSERT_TRUE(max_sev("example.net") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	lookups(d, "t", 300, -2, 0); /* two chunks of varying lengths: a tunnel */
	CU_ASSERT_TRUE(max_sev("example.net") >= DX_SEV_HIGH);
	dx_detect_free(d);
	dx_detect_cfg_t cfg;
	dx_detect_cfg_defaults(&cfg);
	cfg.lookup_info_bytes = 4096; /* 300 SHA-1s carry ~6 KB */
	d = mk(&cfg, NULL);
	lookups(d, "_file.hashbl", 300, 40, 0);
	CU_ASSERT_TRUE(sev_of("example.net", DX_T_INFO_VOLUME) >= DX_SEV_HIGH);
	CU_ASSERT_TRUE(sev_of("example.net", DX_T_ENCODED_SUBDOMAIN) <= DX_SEV_MEDIUM);
	dx_detect_free(d);
}

/* n check-ins of client cl to apex beacon.example, every period_s with +-jitter_pct % (at
 * random from 10 to 300 s if period_s is 0; at random with mean -period_s, as mail comes to
 * a DNSBL, if it is negative), each an A query answered with a 4-byte address; name kind: 0 a
 * counter under a constant hex id, 1 machine-made, 2 one fixed name, 3 a counter under a word,
 * 4 as 0 but tasked at the 6th and 11th check-in (then 75 hex-encoded queries 40 ms apart). */
static void checkins(dx_detect_t *d, int n, int period_s, int jitter_pct, int kind, unsigned cl)
{
	char lab[32], name[128];
	unsigned seed = 5 + cl;
	dx_ts_t t = T0;
	feed_answer_bytes = 4;
	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		double u = (double) ((seed >> 8) & 0xFFFF) / 65535.0; /* 0..1 */
		double gap = period_s > 0   ? period_s * (1.0 + jitter_pct / 100.0 * (2 * u - 1))
			     : period_s < 0 ? 3 + period_s * log(u > 0 ? u : 1e-6)
					    : 10 + 290 * u;
		t += (dx_ts_t) (gap * 1e6);
		if (kind == 0 || kind == 4)
			snprintf(name, sizeof(name), "a%d.5f3a9c2e.c2.beacon.example", i);
		else if (kind == 1) {
			rnd_label(lab, 20, B32, &seed);
			snprintf(name, sizeof(name), "%s.c2.beacon.example", lab);
		} else if (kind == 2)
			snprintf(name, sizeof(name), "time.beacon.example");
		else
			snprintf(name, sizeof(name), "a%d.agent.c2.beacon.example", i);
		feed(d, t, name, 1, cl, false, 0);
		feed(d, t + 30000, name, 1, cl, true, 0);
		for (int k = 0; kind == 4 && (i == 5 || i == 10) && k < 75; k++) {
			rnd_label(lab, 28, "0123456789abcdef", &seed);
			snprintf(name, sizeof(name), "%s.%d.p%d.5f3a9c2e.c2.beacon.example", lab, k,
				 i);
			feed(d, t + (k + 1) * 40000, name, 1, cl, false, 0);
			feed(d, t + (k + 1) * 40000 + 20000, name, 1, cl, true, 3);
		}
	}
	feed_answer_bytes = 0;
}

/* BEACON: regular check-ins (+-20 % jitter) with a new name each are MEDIUM by the 8th, HIGH
 * when machine-made (fresh random names, or a constant hex id) from the apex's only client;
 * one fixed name (NTP), irregular visits, or a second client asking the same names are not a
 * beacon (or not HIGH). */
static void test_detect_beacon(void)
{
	dx_detect_t *d = mk(NULL, NULL);
	checkins(d, 16, 60, 20, 3, 1);
	int s = slot("beacon.example");
	CU_ASSERT_EQUAL(seen.sev[s][DX_T_BEACON], DX_SEV_MEDIUM);
	CU_ASSERT_TRUE(seen.first_at[s][DX_T_BEACON][DX_SEV_MEDIUM] > T0 + 7 * 48000000LL);
	CU_ASSERT_TRUE(max_sev("beacon.example") <= DX_SEV_MEDIUM);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 16, 60, 20, 0, 1); /* the constant id is machine-made though it repeats */
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 16, 60, 20, 1, 1);
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 16, 60, 20, 4, 1); /* tasked twice: a burst of 3 s is one check-in */
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 16, 600, 40, 1, 1); /* every 10 minutes, +-40 % */
	CU_ASSERT_TRUE(sev_of("beacon.example", DX_T_BEACON) >= DX_SEV_MEDIUM);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 30, 64, 0, 2, 1); /* an NTP client: one fixed name */
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_NONE);
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 30, 0, 0, 0, 1); /* new names at random times */
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_NONE);
	dx_detect_free(d);
	for (unsigned cl = 1; cl <= 8; cl++) { /* mail gateways asking a DNSBL as mail comes */
		d = mk(NULL, NULL);
		checkins(d, 40, -15, 0, 0, cl);
		CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_NONE);
		dx_detect_free(d);
	}
	d = mk(NULL, NULL);
	checkins(d, 16, 60, 20, 1, 1);
	checkins(d, 16, 60, 20, 1, 2); /* a second client of the apex: not HIGH */
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_HIGH); /* already HIGH */
	dx_detect_free(d);
	d = mk(NULL, NULL);
	checkins(d, 1, 60, 20, 1, 2); /* the other client came first */
	checkins(d, 16, 60, 20, 1, 1);
	CU_ASSERT_EQUAL(sev_of("beacon.example", DX_T_BEACON), DX_SEV_MEDIUM);
	dx_detect_free(d);
}

static CU_TestInfo detect_tests[] = {
    {"hostile_apex_escaped", test_detect_hostile_apex_escaped},
    {"volume_alone_is_low", test_detect_volume_alone_is_low},
    {"lookup_shape", test_detect_lookup_shape},
    {"beacon", test_detect_beacon},
    {"burst", test_detect_burst},
    {"encoded", test_detect_encoded},
    {"long_and_qtype", test_detect_long_and_qtype},
    {"repeated_labels", test_detect_repeated_labels},
    {"enumeration", test_detect_enumeration},
    {"low_and_slow", test_detect_low_and_slow},
    {"allowlisted_and_special", test_detect_allowlisted_and_special},
    {"bounded_under_flood", test_detect_bounded_under_flood},
    {"hash_flood", test_detect_hash_flood},
    {"window_stats", test_detect_window_stats},
    {"client_anomaly", test_detect_client_anomaly},
    {"facts", test_detect_facts},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"detect", setup, teardown, NULL, NULL, detect_tests},
    CU_SUITE_INFO_NULL,
};
