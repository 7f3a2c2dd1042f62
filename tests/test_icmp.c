/* SPDX-License-Identifier: BSD-2-Clause */
/* The ICMP tunnel detector: dx_echo_prepare() on real payload shapes, and ICMP_TUNNEL on
 * echo sequences built like ping's, fping's, path-MTU probes' and a tunnel's. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lib/detect/detect.h"
#include "lib/prepare/echo.h"
#include "tests/testutil.h"

static const dx_hash_key_t key = {5, 6};

static struct {
	int n, high, max_sev, ended;
	enum dx_threat threat;
	char apex[DX_DNAME_MAXTEXT + 1], sources[DX_ALERT_SOURCES_JSON];
	uint64_t est;
	dx_ts_t high_ts;
} seen;

static void on_alert(void *ctx, dx_alert_t *a)
{
	(void) ctx;
	seen.n++;
	seen.threat = a->threat;
	if ((int) a->severity > seen.max_sev)
		seen.max_sev = (int) a->severity;
	if (a->severity >= DX_SEV_HIGH && seen.high_ts == 0)
		seen.high_ts = a->detected_ts;
	if (a->ended)
		seen.ended++;
	snprintf(seen.apex, sizeof(seen.apex), "%s", a->apex);
	snprintf(seen.sources, sizeof(seen.sources), "%s", a->sources);
	seen.est = a->est_bytes;
}

static void on_window(void *ctx, const dx_window_stats_t *w)
{
	(void) ctx;
	(void) w;
}

static dx_detect_t *mk(uint32_t max_pairs)
{
	memset(&seen, 0, sizeof(seen));
	dx_detect_cfg_t cfg;
	dx_detect_cfg_defaults(&cfg);
	if (max_pairs)
		cfg.max_icmp_pairs = max_pairs;
	dx_detect_t *d = dx_detect_new(&cfg, NULL, key, on_alert, on_window, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static unsigned rng = 1;
static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng = rng * 1103515245u + 12345u;
		p[i] = (uint8_t) (rng >> 16);
	}
}

/* Linux ping's payload: a struct timeval (seconds, microseconds) then 0x10, 0x11, ... */
static size_t ping_payload(uint8_t *p, size_t n, dx_ts_t ts)
{
	memset(p, 0, n);
	uint64_t sec = (uint64_t) (ts / 1000000), usec = (uint64_t) (ts % 1000000);
	memcpy(p, &sec, 8);
	memcpy(p + 8, &usec, 8);
	for (size_t i = 16; i < n; i++)
		p[i] = (uint8_t) i;
	return n;
}

/* One echo between client 10.0.0.c and peer 10.9.0.peer. */
static void echo(dx_detect_t *d, dx_ts_t ts, unsigned client, unsigned peer, bool reply,
		 const uint8_t *p, size_t n)
{
	dx_query_t q;
	memset(&q, 0, sizeof(q));
	q.ts_us = ts;
	q.af = 4;
	q.flags = DX_Q_ECHO;
	uint8_t *c = reply ? q.dst : q.src, *s = reply ? q.src : q.dst;
	c[0] = 10, c[3] = (uint8_t) client;
	s[0] = 10, s[1] = 9, s[3] = (uint8_t) peer;
	dx_echo_prepare(&key, p, n, (uint32_t) n, reply ? 0 : 8, reply, &q.echo);
	dx_detect_echo(d, &q);
}

/* A ping: the request and, 1 ms later, its reply with the same payload. */
static void ping(dx_detect_t *d, dx_ts_t ts, unsigned client, unsigned peer, const uint8_t *p,
		 size_t n)
{
	echo(d, ts, client, peer, false, p, n);
	echo(d, ts + 1000, client, peer, true, p, n);
}

#define T0 1700000000000000LL

static void test_icmp_prepare(void)
{
	uint8_t a[1024], b[1024];
	dx_echo_t e, f;
	ping_payload(a, 56, T0);
	ping_payload(b, 56, T0 + 1234567);
	dx_echo_prepare(&key, a, 56, 56, 8, false, &e);
	dx_echo_prepare(&key, b, 56, 56, 8, false, &f);
	CU_ASSERT_FALSE(e.random);
	CU_ASSERT_TRUE(e.dent < 2500); /* the differences of a count: 1, bar the timestamp */
	CU_ASSERT_NOT_EQUAL(e.digest, f.digest);
	CU_ASSERT_EQUAL(e.sketch, f.sketch); /* past the timestamp, the same */
	CU_ASSERT_NOT_EQUAL(e.sketch, 0);
	rnd_bytes(a, sizeof(a));
	rnd_bytes(b, sizeof(b));
	for (size_t n = 24; n <= sizeof(a); n *= 2) {
		dx_echo_prepare(&key, a, n, (uint32_t) n, 8, false, &e);
		dx_echo_prepare(&key, b, n, (uint32_t) n, 8, false, &f);
		CU_ASSERT_TRUE(e.random);
		CU_ASSERT_NOT_EQUAL(e.sketch, f.sketch);
	}
	memset(a, 0, 64); /* fping's zeros */
	dx_echo_prepare(&key, a, 64, 64, 8, false, &e);
	CU_ASSERT_EQUAL(e.dent, 0);
	CU_ASSERT_FALSE(e.random);
	dx_echo_prepare(&key, a, 20, 20, 8, false, &e);
	CU_ASSERT_EQUAL(e.sketch, 0); /* nothing past a timestamp to compare */
	CU_ASSERT_FALSE(e.marker);
	static const uint8_t ng[4] = {0xDE, 0xAD, 0xC0, 0xDE}, old[4] = {0xD5, 0x20, 0x08, 0x80};
	memcpy(a, ng, 4);
	dx_echo_prepare(&key, a, 64, 64, 8, false, &e);
	CU_ASSERT_TRUE(e.marker);
	memcpy(a, old, 4);
	dx_echo_prepare(&key, a, 64, 64, 0, true, &e);
	CU_ASSERT_TRUE(e.marker);
	CU_ASSERT_TRUE(e.reply);
	CU_ASSERT_EQUAL(dx_echo_delta_entropy(a, 1), 0);
}

/* Ordinary ICMP: nothing, whatever the rate. ping (56 bytes) every second for 10 minutes,
 * ping -s 1400 -p a5, path-MTU probes (ping -M do -s 1472 and the smaller sizes a search
 * tries), fping of 50 hosts every 2 s. */
static void test_icmp_benign(void)
{
	dx_detect_t *d = mk(0);
	uint8_t p[1500];
	for (int i = 0; i < 600; i++) {
		dx_ts_t t = T0 + (dx_ts_t) i * 1000000;
		ping(d, t, 1, 1, p, ping_payload(p, 56, t));
		ping_payload(p, 1400, t);
		memset(p + 16, 0xa5, 1400 - 16);
		ping(d, t + 100, 2, 2, p, 1400);
		static const size_t mtu[] = {1472, 1472, 1464, 1400, 1280, 1200, 576, 1472};
		size_t n = mtu[i % 8];
		ping(d, t + 200, 3, 3, p, ping_payload(p, n, t));
		if (i % 2 == 0)
			for (unsigned h = 0; h < 50; h++) {
				memset(p, 0, 64);
				ping(d, t + 300 + h * 10, 4, 10 + h, p, 64);
			}
	}
	dx_detect_finish(d);
	/* the MTU search varies its sizes: that alone is one evidence, at most MEDIUM */
	CU_ASSERT_TRUE(seen.max_sev <= DX_SEV_MEDIUM);
	CU_ASSERT_EQUAL(seen.high_ts, 0);
	dx_detect_free(d);
}

/* A tunnel: requests carry data (random, changing, of varying size), the replies carry the
 * other way's data instead of echoing. HIGH within its first few dozen echoes; the pair is
 * named by the peer's address with the client as source; est_bytes near the bytes sent. */
static void test_icmp_tunnel(void)
{
	dx_detect_t *d = mk(0);
	uint8_t p[1500];
	uint64_t sent = 0;
	int at = -1;
	for (int i = 0; i < 200; i++) {
		dx_ts_t t = T0 + (dx_ts_t) i * 20000;
		size_t n = 200 + (size_t) (i * 37) % 1000;
		rnd_bytes(p, n);
		echo(d, t, 7, 99, false, p, n);
		rnd_bytes(p, 64);
		echo(d, t + 5000, 7, 99, true, p, 64);
		sent += n + 64;
		if (at < 0 && seen.high_ts)
			at = 2 * i + 2;
	}
	dx_detect_finish(d);
	CU_ASSERT_TRUE(at > 0 && at <= 40);
	CU_ASSERT_EQUAL(seen.threat, DX_T_ICMP_TUNNEL);
	CU_ASSERT_STRING_EQUAL(seen.apex, "10.9.0.99");
	CU_ASSERT_STRING_EQUAL(seen.sources, "[\"10.0.0.7\"]");
	CU_ASSERT_TRUE(seen.est >= sent / 2 && seen.est <= sent);
	CU_ASSERT_EQUAL(seen.ended, 1);
	dx_detect_free(d);
}

/* Data one way only (the kernel echoes every request): data and changing payloads are two
 * evidence, HIGH; a fixed payload that carries a tool's magic number and is echoed is no
 * evidence at all: a marker alone raises nothing. */
static void test_icmp_one_way_and_marker(void)
{
	dx_detect_t *d = mk(0);
	uint8_t p[1500];
	for (int i = 0; i < 100; i++) {
		rnd_bytes(p, 1000);
		ping(d, T0 + (dx_ts_t) i * 50000, 1, 1, p, 1000);
	}
	CU_ASSERT_EQUAL(seen.max_sev, DX_SEV_HIGH);
	dx_detect_free(d);
	d = mk(0);
	memset(p, 0x41, 200);
	static const uint8_t ng[4] = {0xDE, 0xAD, 0xC0, 0xDE};
	memcpy(p, ng, 4);
	for (int i = 0; i < 300; i++)
		ping(d, T0 + (dx_ts_t) i * 100000, 1, 1, p, 200);
	dx_detect_finish(d);
	CU_ASSERT_EQUAL(seen.n, 0);
	dx_detect_free(d);
}

/* Bounded: 5,000 pairs through a table of 64 evict (the open alert of an evicted pair ends
 * first) and memory stays what dx_detect_mem_bound() says. */
static void test_icmp_bounded(void)
{
	dx_detect_t *d = mk(64);
	uint8_t p[256];
	for (int i = 0; i < 40; i++) {
		rnd_bytes(p, 256);
		echo(d, T0 + i * 1000, 1, 1, false, p, 256);
		rnd_bytes(p, 64);
		echo(d, T0 + i * 1000 + 500, 1, 1, true, p, 64);
	}
	CU_ASSERT_EQUAL(seen.max_sev, DX_SEV_HIGH);
	for (unsigned i = 0; i < 5000; i++) {
		memset(p, 0, 64);
		dx_query_t q;
		memset(&q, 0, sizeof(q));
		q.ts_us = T0 + 100000 + i;
		q.af = 4;
		q.flags = DX_Q_ECHO;
		q.src[0] = 10, q.src[1] = 1, q.src[2] = (uint8_t) (i >> 8), q.src[3] = (uint8_t) i;
		q.dst[0] = 10;
		dx_echo_prepare(&key, p, 64, 64, 8, false, &q.echo);
		dx_detect_echo(d, &q);
	}
	CU_ASSERT_EQUAL(seen.ended, 1); /* the tunnel's pair was evicted: its alert ended */
	dx_detect_free(d);
}

static CU_TestInfo icmp_tests[] = {
    {"prepare", test_icmp_prepare}, {"benign", test_icmp_benign},
    {"tunnel", test_icmp_tunnel},   {"one_way_and_marker", test_icmp_one_way_and_marker},
    {"bounded", test_icmp_bounded}, CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"icmp", NULL, NULL, NULL, NULL, icmp_tests},
    CU_SUITE_INFO_NULL,
};
