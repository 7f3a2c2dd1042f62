/* SPDX-License-Identifier: BSD-2-Clause */
/* Incident events: which alert writes and block changes make which event, for which output. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/respond/events.h"

#define MAXEV 32
static struct got {
	enum dx_event_type type;
	bool eve, notify;
	char line[DX_EVENT_MAX + 1];
} got[MAXEV];
static int n_got;

static void sink(void *ctx, const dx_event_t *ev)
{
	(void) ctx;
	CU_ASSERT_TRUE(ev->len > 0 && ev->line[ev->len - 1] == '\n');
	CU_ASSERT_PTR_NULL(memchr(ev->line, '\n', ev->len - 1)); /* one line */
	if (n_got < MAXEV) {
		got[n_got].type = ev->type;
		got[n_got].eve = ev->to_eve;
		got[n_got].notify = ev->to_notify;
		memcpy(got[n_got].line, ev->line, ev->len);
		got[n_got].line[ev->len] = '\0';
		n_got++;
	}
}

static dx_events_t *mk(uint32_t max, uint32_t per_hour)
{
	dx_events_cfg_t c = {max, DX_SEV_LOW, DX_SEV_HIGH, per_hour, "host-a", "sensor-1"};
	n_got = 0;
	return dx_events_new(&c, sink, NULL);
}

static dx_alert_t alert(const char *apex, enum dx_threat t, enum dx_severity s, dx_ts_t at)
{
	dx_alert_t a;
	memset(&a, 0, sizeof(a));
	snprintf(a.apex, sizeof(a.apex), "%s", apex);
	a.threat = t;
	a.severity = s;
	a.first_ts = 1000000000000000LL;
	a.detected_ts = a.last_ts = at;
	a.query_count = 10;
	a.unique_subdomains = 9;
	a.source_count = 1;
	a.top_qtype = 16;
	snprintf(a.sources, sizeof(a.sources), "[\"10.0.0.7\"]");
	snprintf(a.sample_qname, sizeof(a.sample_qname), "aGVsbG8.%s", apex);
	return a;
}

static void test_events_lifecycle(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	dx_events_t *e = mk(16, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	dx_ts_t t0 = 1000000000000000LL;
	dx_alert_t enc = alert("tun.example", DX_T_ENCODED_SUBDOMAIN, DX_SEV_LOW, t0 + 1);
	dx_events_alert(e, &enc, t0 + 1);
	CU_ASSERT_EQUAL_FATAL(n_got, 1);
	CU_ASSERT_EQUAL(got[0].type, DX_EV_OPENED);
	CU_ASSERT_TRUE(got[0].eve);
	CU_ASSERT_FALSE(got[0].notify); /* below the notify threshold */
	/* a refresh says nothing */
	enc.query_count = 50;
	dx_events_alert(e, &enc, t0 + 2);
	CU_ASSERT_EQUAL(n_got, 1);
	/* HIGH: escalated for the EVE file, opened for the notify hook */
	enc.severity = DX_SEV_HIGH;
	enc.detected_ts = t0 + 3;
	dx_events_alert(e, &enc, t0 + 3);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[1].type, DX_EV_OPENED);
	CU_ASSERT_FALSE(got[1].eve);
	CU_ASSERT_TRUE(got[1].notify);
	CU_ASSERT_EQUAL(got[2].type, DX_EV_ESCALATED);
	CU_ASSERT_TRUE(got[2].eve);
	CU_ASSERT_FALSE(got[2].notify);
	/* a second detector at the same severity: a reason more, no event */
	dx_alert_t qt = alert("tun.example", DX_T_UNUSUAL_QTYPE, DX_SEV_HIGH, t0 + 4);
	dx_events_alert(e, &qt, t0 + 4);
	CU_ASSERT_EQUAL(n_got, 3);
	/* CRITICAL: one line to both */
	qt.severity = DX_SEV_CRITICAL;
	qt.detected_ts = t0 + 5;
	dx_events_alert(e, &qt, t0 + 5);
	CU_ASSERT_EQUAL_FATAL(n_got, 4);
	CU_ASSERT_EQUAL(got[3].type, DX_EV_ESCALATED);
	CU_ASSERT_TRUE(got[3].eve && got[3].notify);
	const char *l = got[3].line;
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "{\"timestamp\":\"2001-09-09T01:46:40.000005+0000\","
					 "\"event_type\":\"escalated\",\"host\":\"host-a\","
					 "\"sensor_id\":\"sensor-1\",\"src_ip\":\"10.0.0.7\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"severity\":\"CRITICAL\",\"status\":\"open\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"query_count\":50,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"top_qtype\":\"TXT\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l,
				      "\"reasons\":{\"ENCODED_SUBDOMAIN\":{\"severity\":\"HIGH\","
				      "\"at\":1000000000.000003},\"UNUSUAL_QTYPE\":{\"severity\":"
				      "\"CRITICAL\",\"at\":1000000000.000005}}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"techniques\":[\"T1071.004\",\"T1572\",\"T1048\"]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"alert\":{\"action\":\"allowed\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"severity\":1}"));
	/* one alert ends: still open; the last one ends: closed to both, and forgotten */
	enc.ended = true;
	enc.status = DX_ST_CLOSED;
	dx_events_alert(e, &enc, t0 + 100);
	CU_ASSERT_EQUAL(n_got, 4);
	qt.ended = true;
	qt.status = DX_ST_CLOSED;
	dx_events_alert(e, &qt, t0 + 200);
	CU_ASSERT_EQUAL_FATAL(n_got, 5);
	CU_ASSERT_EQUAL(got[4].type, DX_EV_CLOSED);
	CU_ASSERT_TRUE(got[4].eve && got[4].notify);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[4].line, "\"status\":\"closed\""));
	dx_events_stats_t st;
	dx_events_get_stats(e, &st);
	CU_ASSERT_EQUAL(st.incidents, 0);
	CU_ASSERT_EQUAL(st.made[DX_EV_OPENED], 2);
	dx_events_free(e);
}

/* The uid: the same for the same sensor, apex and episode, in another table (a restart, a
 * second replay); another for another episode. */
static void test_events_uid(void)
{
	char uid[3][DX_EVENT_IDLEN + 1];
	for (int k = 0; k < 3; k++) {
		dx_events_t *e = mk(4, 10);
		dx_alert_t a = alert("tun.example", DX_T_LONG_NAME, DX_SEV_MEDIUM, 5);
		if (k == 2)
			a.first_ts += 1;
		dx_events_alert(e, &a, 5);
		CU_ASSERT_EQUAL_FATAL(n_got, 1);
		const char *p = strstr(got[0].line, "\"uid\":\"");
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memcpy(uid[k], p + 7, DX_EVENT_IDLEN);
		uid[k][DX_EVENT_IDLEN] = '\0';
		dx_events_free(e);
	}
	CU_ASSERT_STRING_EQUAL(uid[0], uid[1]);
	CU_ASSERT_STRING_NOT_EQUAL(uid[0], uid[2]);
}

/* Blocked when the hook's add succeeded; the incident outlives its alerts until the block
 * is removed (unblocked). */
static void test_events_block(void)
{
	dx_events_t *e = mk(4, 10);
	dx_alert_t a = alert("tun.example", DX_T_INFO_VOLUME, DX_SEV_HIGH, 7);
	dx_events_alert(e, &a, 7);
	CU_ASSERT_EQUAL(n_got, 1);
	dx_events_block(e, "tun.example", "pending", 8);
	CU_ASSERT_EQUAL(n_got, 1);
	dx_events_block(e, "other.example", "done", 8); /* no incident: nothing */
	CU_ASSERT_EQUAL(n_got, 1);
	dx_events_block(e, "tun.example", "done", 9);
	CU_ASSERT_EQUAL_FATAL(n_got, 2);
	CU_ASSERT_EQUAL(got[1].type, DX_EV_BLOCKED);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[1].line, "\"action\":\"blocked\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(got[1].line, "\"block_state\":\"done\""));
	a.status = DX_ST_BLOCKED;
	a.ended = true;
	dx_events_alert(e, &a, 20);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[2].type, DX_EV_CLOSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[2].line, "\"status\":\"blocked\""));
	dx_events_stats_t st;
	dx_events_get_stats(e, &st);
	CU_ASSERT_EQUAL(st.incidents, 1);
	dx_events_block(e, "tun.example", "removed", 30);
	CU_ASSERT_EQUAL_FATAL(n_got, 4);
	CU_ASSERT_EQUAL(got[3].type, DX_EV_UNBLOCKED);
	CU_ASSERT_TRUE(got[3].eve && got[3].notify);
	dx_events_get_stats(e, &st);
	CU_ASSERT_EQUAL(st.incidents, 0);
	dx_events_free(e);
}

/* per_incident_per_hour: opened and closed always go to the notify hook, the rest within it */
static void test_events_rate_limit(void)
{
	dx_events_t *e = mk(4, 1);
	dx_alert_t a = alert("tun.example", DX_T_HIGH_FREQUENCY, DX_SEV_HIGH, 1);
	dx_events_alert(e, &a, 1);
	a.severity = DX_SEV_CRITICAL;
	dx_events_alert(e, &a, 2);
	a.ended = true;
	dx_events_alert(e, &a, 3);
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_TRUE(got[0].notify);	/* opened */
	CU_ASSERT_FALSE(got[1].notify); /* escalated: over the limit */
	CU_ASSERT_TRUE(got[1].eve);	/* the file has it all the same */
	CU_ASSERT_TRUE(got[2].notify);	/* closed */
	dx_events_stats_t st;
	dx_events_get_stats(e, &st);
	CU_ASSERT_EQUAL(st.rate_limited, 1);
	dx_events_free(e);
}

/* Names are escaped presentation text, and JSON-escaped again: a quote or backslash in a
 * label cannot end the string; a full table is counted, never overrun. */
static void test_events_hostile_and_full(void)
{
	dx_events_t *e = mk(2, 10);
	dx_alert_t a = alert("a\\\"b\\\\c.example", DX_T_LONG_NAME, DX_SEV_LOW, 1);
	snprintf(a.sample_qname, sizeof(a.sample_qname), "x\\010\"y.example");
	dx_events_alert(e, &a, 1);
	CU_ASSERT_EQUAL_FATAL(n_got, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[0].line, "\"apex\":\"a\\\\\\\"b\\\\\\\\c.example\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(got[0].line, "\"samples\":[\"x\\\\010\\\"y.example\"]"));
	dx_alert_t b = alert("b.example", DX_T_LONG_NAME, DX_SEV_LOW, 2);
	dx_alert_t c = alert("c.example", DX_T_LONG_NAME, DX_SEV_LOW, 3);
	dx_events_alert(e, &b, 2);
	dx_events_alert(e, &c, 3);
	dx_events_stats_t st;
	dx_events_get_stats(e, &st);
	CU_ASSERT_EQUAL(st.incidents, 2);
	CU_ASSERT_EQUAL(st.table_full, 1);
	CU_ASSERT_EQUAL(n_got, 2);
	dx_events_stats(e, 4, "{\"packets\":1}");
	CU_ASSERT_EQUAL_FATAL(n_got, 3);
	CU_ASSERT_EQUAL(got[2].type, DX_EV_STATS);
	CU_ASSERT_PTR_NOT_NULL(strstr(got[2].line, "\"event_type\":\"stats\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(got[2].line, ",\"stats\":{\"packets\":1}}\n"));
	dx_events_free(e);
}

static void test_events_time(void)
{
	setenv("TZ", "UTC", 1);
	char b[48];
	dx_events_time(0, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1970-01-01T00:00:00.000000+0000");
	dx_events_time(1795407618307427LL, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "2026-11-23T04:20:18.307427+0000");
	dx_events_time(-1, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1969-12-31T23:59:59.999999+0000");
	setenv("TZ", "EST5", 1);
	tzset(); /* localtime_r() need not read TZ again */
	dx_events_time(0, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1969-12-31T19:00:00.000000-0500");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* The hand-written date arithmetic against the C library's, across zones (half-hour
 * offsets, both hemispheres' daylight saving), leap days and 1900..2200. */
static void test_events_time_matches_libc(void)
{
	static const char *const zones[] = {"UTC", "EST5EDT,M3.2.0,M11.1.0", "IST-5:30",
					    "NZST-12NZDT,M9.5.0,M4.1.0/3", "<-0330>3:30"};
	int bad = 0;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (int64_t s = -2208988800LL; s < 7258118400LL; s += 7919 * 613 + 17) {
			dx_ts_t t = s * 1000000 + (s % 1000000 + 1000000) % 1000000;
			char got_s[48], want[64], date[32], zone[8];
			dx_events_time(t, got_s, sizeof(got_s));
			time_t tt = (time_t) s;
			struct tm tm;
			localtime_r(&tt, &tm);
			strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
			strftime(zone, sizeof(zone), "%z", &tm);
			snprintf(want, sizeof(want), "%s.%06lld%s", date,
				 (long long) ((t % 1000000 + 1000000) % 1000000), zone);
			if (strcmp(got_s, want) != 0 && bad++ < 5)
				printf("\n%s: %s != %s\n", zones[z], got_s, want);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	setenv("TZ", "UTC", 1);
	tzset();
}

static CU_TestInfo events_tests[] = {
    {"time_matches_libc", test_events_time_matches_libc},
    {"lifecycle", test_events_lifecycle},
    {"uid", test_events_uid},
    {"block", test_events_block},
    {"rate_limit", test_events_rate_limit},
    {"hostile_and_full", test_events_hostile_and_full},
    {"time", test_events_time},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"events", NULL, NULL, NULL, NULL, events_tests},
    CU_SUITE_INFO_NULL,
};
