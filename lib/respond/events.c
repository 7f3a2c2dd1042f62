/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Incident events (the detector thread's). The incidents the database keeps with triggers are
 * followed here again, in a table of max_incidents entries sized at start, because an event
 * must be decided when its alert is written, not read back from SQLite: an entry per (apex,
 * first_ts) holds what the EVE line says (the highest severity, each detector's severity and
 * when it reached it, the counts, clients, samples, the block's state) and which of its
 * detectors' alerts are still live. An entry goes when its last alert ends, or, if its apex is
 * blocked, when the block is removed, so the table never holds more than the open alerts plus
 * the blocks (main sizes it so).
 *
 * Lines are built with the bounded text builder, every string JSON-escaped (names are escaped
 * presentation text already: attacker bytes never reach a line raw). A uid is FNV-1a over
 * sensor_id, apex and first_ts: stable across restarts and replays, so a downstream system
 * (Security Hub's finding Id, a SIEM's dedup key) updates one record per incident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/mem.h"
#include "lib/base/out.h"
#include "lib/decode/dname.h"
#include "lib/decode/dns.h"
#include "lib/respond/events.h"

#define NIL UINT32_MAX
#define SAMPLES 3

/* What one output (the EVE file, the notify hook) was told of an incident: each sees it open
 * when it first reaches that output's threshold, so each stream starts with "opened". */
enum { TO_EVE = 1, TO_NOTIFY = 2 };
struct told {
	bool opened, closed;
	enum dx_severity said; /* the highest severity an event said */
};

struct inc {
	bool used;
	struct told told[2]; /* the EVE file's, the notify hook's */
	uint16_t live;	     /* threats whose alert has not ended (bit per dx_threat) */
	uint32_t next;	     /* hash chain */
	uint64_t key;
	char uid[DX_EVENT_IDLEN + 1];
	char apex[DX_DNAME_MAXTEXT + 1];
	dx_ts_t first_ts, detected_ts, last_ts;
	enum dx_severity sev; /* the highest reached */
	uint8_t r_sev[DX_T_COUNT], r_st[DX_T_COUNT];
	dx_ts_t r_at[DX_T_COUNT];
	uint64_t queries, uniq, sources, est_bytes;
	enum dx_encoding enc;
	uint16_t top_qtype;
	uint32_t vni;
	bool has_vni;
	char block[12];		 /* the block's state, "" for none */
	uint32_t n_hour, n_sent; /* notify_per_hour: the hour of packet time and its count */
	int n_samples;
	char samples[SAMPLES][DX_EVENT_SAMPLE + 4];
	char clients[DX_ALERT_SOURCES_JSON];
	char srcids[DX_ALERT_SRCIDS]; /* a query log's instances and VPCs, or "" */
};

/* The local time's offset from UTC, asked of the C library once per quarter hour of time
 * (offsets change on such boundaries), so a line's four timestamps cost no localtime_r(). */
struct tzcache {
	int64_t slot; /* t / 900 s of the offset below; INT64_MIN: none yet */
	long off;     /* seconds east of UTC */
};

struct dx_events {
	dx_events_cfg_t cfg;
	dx_event_fn fn;
	void *ctx;
	struct inc *inc;
	uint32_t *buckets, mask, free_hint;
	dx_events_stats_t st;
	struct tzcache tz;
	char line[DX_EVENT_MAX + 1];
};

static const char *const ev_names[DX_EV_COUNT] = {"opened",    "escalated", "blocked",
						  "unblocked", "closed",    "stats"};

const char *dx_event_name(enum dx_event_type t)
{
	return t < DX_EV_COUNT ? ev_names[t] : "?";
}

size_t dx_events_mem_bound(uint32_t max_incidents)
{
	return sizeof(struct dx_events) + (size_t) max_incidents * sizeof(struct inc) +
	       (size_t) dx_pow2_at_least(2 * max_incidents, 16) * sizeof(uint32_t);
}

dx_events_t *dx_events_new(const dx_events_cfg_t *cfg, dx_event_fn fn, void *ctx)
{
	dx_events_t *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	e->fn = fn;
	e->ctx = ctx;
	uint32_t nb = dx_pow2_at_least(2 * cfg->max_incidents, 16);
	e->mask = nb - 1;
	e->inc = calloc(cfg->max_incidents ? cfg->max_incidents : 1, sizeof(*e->inc));
	e->buckets = malloc(nb * sizeof(*e->buckets));
	if (e->inc == NULL || e->buckets == NULL) {
		dx_events_free(e);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		e->buckets[i] = NIL;
	e->tz.slot = INT64_MIN;
	return e;
}

void dx_events_free(dx_events_t *e)
{
	if (e == NULL)
		return;
	free(e->inc);
	free(e->buckets);
	free(e);
}

void dx_events_get_stats(const dx_events_t *e, dx_events_stats_t *out)
{
	*out = e->st;
}

/* FNV-1a 64 (stable: the uid must not change with the process's hash key) */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t key_of(const dx_events_t *e, const char *apex, dx_ts_t first_ts)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, e->cfg.sensor_id, strlen(e->cfg.sensor_id) + 1);
	h = fnv(h, apex, strlen(apex) + 1);
	unsigned char t[8]; /* little-endian, whatever the host's order: the uid is stable */
	for (int i = 0; i < 8; i++)
		t[i] = (unsigned char) ((uint64_t) first_ts >> (8 * i));
	return fnv(h, t, sizeof(t));
}

static uint32_t find(const dx_events_t *e, uint64_t key, const char *apex, dx_ts_t first_ts)
{
	for (uint32_t i = e->buckets[key & e->mask]; i != NIL; i = e->inc[i].next)
		if (e->inc[i].key == key && e->inc[i].first_ts == first_ts &&
		    strcmp(e->inc[i].apex, apex) == 0)
			return i;
	return NIL;
}

static void unlink_inc(dx_events_t *e, uint32_t i)
{
	uint32_t *p = &e->buckets[e->inc[i].key & e->mask];
	while (*p != i)
		p = &e->inc[*p].next;
	*p = e->inc[i].next;
	e->inc[i].used = false;
	e->st.incidents--;
	if (i < e->free_hint)
		e->free_hint = i;
}

static uint32_t add(dx_events_t *e, uint64_t key, const dx_alert_t *a)
{
	uint32_t i = e->free_hint;
	while (i < e->cfg.max_incidents && e->inc[i].used)
		i++;
	if (i >= e->cfg.max_incidents)
		return NIL;
	e->free_hint = i + 1;
	struct inc *c = &e->inc[i];
	memset(c, 0, offsetof(struct inc, samples));
	c->samples[0][0] = c->clients[0] = c->srcids[0] = '\0';
	c->used = true;
	c->key = key;
	snprintf(c->uid, sizeof(c->uid), "%016llx", (unsigned long long) key);
	snprintf(c->apex, sizeof(c->apex), "%s", a->apex);
	c->first_ts = a->first_ts;
	c->next = e->buckets[key & e->mask];
	e->buckets[key & e->mask] = i;
	e->st.incidents++;
	return i;
}

static long utc_offset(struct tzcache *z, int64_t sec)
{
	int64_t slot = sec >= 0 ? sec / 900 : (sec - 899) / 900;
	if (slot != z->slot) {
		time_t s = (time_t) sec;
		struct tm tm;
		z->off = localtime_r(&s, &tm) ? tm.tm_gmtoff : 0;
		z->slot = slot;
	}
	return z->off;
}

/* t as local ISO 8601 with microseconds and offset, into out (40 bytes): the civil date from
 * days since 1970 (H. Hinnant's days-to-civil algorithm), digits written directly. */
static size_t fmt_time(struct tzcache *z, dx_ts_t t, char *out)
{
	int64_t sec = t >= 0 ? t / 1000000 : (t - 999999) / 1000000;
	int64_t us = t - sec * 1000000;
	long off = utc_offset(z, sec);
	int64_t l = sec + off;
	int64_t days = l >= 0 ? l / 86400 : (l - 86399) / 86400;
	int64_t sod = l - days * 86400;
	int64_t zd = days + 719468;
	int64_t era = (zd >= 0 ? zd : zd - 146096) / 146097;
	int64_t doe = zd - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999)
		y = 0; /* not a capture's time: still a well-formed string */
	dx_out_t o = {out, out + 39};
	dx_out_u64_pad(&o, (uint64_t) y, 4);
	dx_out_mem(&o, "-", 1);
	dx_out_u64_pad(&o, (uint64_t) m, 2);
	dx_out_mem(&o, "-", 1);
	dx_out_u64_pad(&o, (uint64_t) d, 2);
	dx_out_mem(&o, "T", 1);
	dx_out_u64_pad(&o, (uint64_t) (sod / 3600), 2);
	dx_out_mem(&o, ":", 1);
	dx_out_u64_pad(&o, (uint64_t) (sod / 60 % 60), 2);
	dx_out_mem(&o, ":", 1);
	dx_out_u64_pad(&o, (uint64_t) (sod % 60), 2);
	dx_out_mem(&o, ".", 1);
	dx_out_u64_pad(&o, (uint64_t) us, 6);
	dx_out_mem(&o, off < 0 ? "-" : "+", 1);
	long a = off < 0 ? -off : off;
	dx_out_u64_pad(&o, (uint64_t) (a / 3600), 2);
	dx_out_u64_pad(&o, (uint64_t) (a / 60 % 60), 2);
	dx_out_end(&o);
	return (size_t) (o.p - out);
}

void dx_events_time(dx_ts_t t, char *buf, size_t n)
{
	struct tzcache z = {INT64_MIN, 0};
	char b[40];
	fmt_time(&z, t, b);
	snprintf(buf, n, "%s", b);
}

static void put_iso(dx_events_t *e, dx_out_t *o, const char *name, dx_ts_t t)
{
	char b[40];
	size_t n = fmt_time(&e->tz, t, b);
	dx_out_str(o, ",\"");
	dx_out_str(o, name);
	dx_out_str(o, "\":\"");
	dx_out_mem(o, b, n);
	dx_out_mem(o, "\"", 1);
}

static void put_u64(dx_out_t *o, const char *name, uint64_t v)
{
	dx_out_str(o, ",\"");
	dx_out_str(o, name);
	dx_out_str(o, "\":");
	dx_out_u64(o, v);
}

static void put_str(dx_out_t *o, const char *name, const char *v)
{
	dx_out_str(o, ",\"");
	dx_out_str(o, name);
	dx_out_str(o, "\":");
	dx_out_json_str(o, v);
}

/* What the database's INCIDENT_DERIVED says, from the entry: blocked if one of its alerts
 * was, open while one is, allowlisted if all are, else closed. */
static const char *status_of(const struct inc *c)
{
	bool open = false, all_allow = true;
	for (int t = 0; t < DX_T_COUNT; t++) {
		if (!c->r_sev[t])
			continue;
		if (c->r_st[t] == DX_ST_BLOCKED)
			return "blocked";
		if (c->r_st[t] == DX_ST_OPEN && (c->live & (1u << t)))
			open = true;
		if (c->r_st[t] != DX_ST_ALLOWLISTED)
			all_allow = false;
	}
	return open ? "open" : all_allow ? "allowlisted" : "closed";
}

/* BEACON if that detector alone fired; the MITRE ATT&CK techniques as the database gives them */
static bool beacon_only(const struct inc *c)
{
	for (int t = 0; t < DX_T_COUNT; t++)
		if (c->r_sev[t] && t != DX_T_BEACON)
			return false;
	return true;
}

/* ICMP_TUNNEL for an ICMP tunnel's pair (its incident has no other alert), BEACON if that
 * detector alone fired, else DNS_TUNNEL */
static const char *threat_of(const struct inc *c)
{
	if (c->r_sev[DX_T_ICMP_TUNNEL])
		return "ICMP_TUNNEL";
	return beacon_only(c) ? "BEACON" : "DNS_TUNNEL";
}

static const char *techniques(const struct inc *c)
{
	if (c->r_sev[DX_T_ICMP_TUNNEL]) /* non-application layer protocol, exfiltration */
		return "[\"T1095\",\"T1048\"]";
	if (beacon_only(c))
		return "[\"T1071.004\"]";
	if (c->r_sev[DX_T_ENCODED_SUBDOMAIN] || c->r_sev[DX_T_LONG_NAME] ||
	    c->r_sev[DX_T_INFO_VOLUME])
		return "[\"T1071.004\",\"T1572\",\"T1048\"]";
	return "[\"T1071.004\",\"T1572\"]";
}

/* The first client address of the clients array, for EVE's src_ip; "" if none. */
static void first_client(const char *clients, char *out, size_t n)
{
	out[0] = '\0';
	const char *q = strchr(clients, '"');
	if (q == NULL)
		return;
	const char *end = strchr(q + 1, '"');
	if (end == NULL || (size_t) (end - q - 1) >= n)
		return;
	memcpy(out, q + 1, (size_t) (end - q - 1));
	out[end - q - 1] = '\0';
}

/* The common head of every line: {"timestamp":...,"event_type":...,"host":...,"sensor_id":... */
static void put_head(dx_events_t *e, dx_out_t *o, enum dx_event_type type, dx_ts_t now)
{
	char t[40];
	size_t n = fmt_time(&e->tz, now, t);
	dx_out_str(o, "{\"timestamp\":\"");
	dx_out_mem(o, t, n);
	dx_out_str(o, "\"");
	put_str(o, "event_type", dx_event_name(type));
	put_str(o, "host", e->cfg.host);
	put_str(o, "sensor_id", e->cfg.sensor_id);
}

static void put_incident(dx_events_t *e, dx_out_t *o, const struct inc *c)
{
	dx_out_str(o, "\"incident\":{\"uid\":\"");
	dx_out_str(o, c->uid);
	dx_out_str(o, "\"");
	put_str(o, "apex", c->apex);
	put_str(o, "threat", threat_of(c));
	put_str(o, "severity", dx_severity_name(c->sev));
	put_str(o, "status", status_of(c));
	dx_out_str(o, ",\"first_ts\":");
	dx_out_ts(o, c->first_ts);
	dx_out_str(o, ",\"detected_ts\":");
	dx_out_ts(o, c->detected_ts);
	dx_out_str(o, ",\"last_ts\":");
	dx_out_ts(o, c->last_ts);
	put_iso(e, o, "first_seen", c->first_ts);
	put_iso(e, o, "detected", c->detected_ts);
	put_iso(e, o, "last_seen", c->last_ts);
	put_u64(o, "query_count", c->queries);
	put_u64(o, "unique_subdomains", c->uniq);
	put_u64(o, "source_count", c->sources);
	dx_out_str(o, ",\"clients\":");
	dx_out_str(o, c->clients[0] ? c->clients : "[]");
	if (c->has_vni)
		put_u64(o, "vni", c->vni);
	else
		dx_out_str(o, ",\"vni\":null");
	if (c->srcids[0]) { /* query logs: the instances and VPCs of the clients */
		dx_out_str(o, ",\"srcids\":");
		dx_out_str(o, c->srcids);
	}
	put_u64(o, "est_bytes", c->est_bytes);
	put_str(o, "encoding", dx_encoding_name(c->enc));
	const char *tn = dx_dns_type_name(c->top_qtype);
	char qt[16];
	if (tn == NULL) {
		snprintf(qt, sizeof(qt), "TYPE%u", c->top_qtype);
		tn = qt;
	}
	put_str(o, "top_qtype", tn);
	dx_out_str(o, ",\"samples\":[");
	for (int i = 0; i < c->n_samples; i++) {
		if (i)
			dx_out_str(o, ",");
		dx_out_json_str(o, c->samples[i]);
	}
	dx_out_str(o, "],\"reasons\":{");
	bool first = true;
	for (int t = 0; t < DX_T_COUNT; t++) {
		if (!c->r_sev[t])
			continue;
		dx_out_str(o, first ? "\"" : ",\"");
		first = false;
		dx_out_str(o, dx_threat_name((enum dx_threat) t));
		dx_out_str(o, "\":{\"severity\":\"");
		dx_out_str(o, dx_severity_name((enum dx_severity) c->r_sev[t]));
		dx_out_str(o, "\",\"at\":");
		dx_out_ts(o, c->r_at[t]);
		dx_out_str(o, "}");
	}
	dx_out_str(o, "},\"block_state\":");
	if (c->block[0])
		dx_out_json_str(o, c->block);
	else
		dx_out_str(o, "null");
	dx_out_str(o, ",\"techniques\":");
	dx_out_str(o, techniques(c));
	dx_out_str(o, "}");
}

/* One event of incident c to the outputs in mask (TO_EVE, TO_NOTIFY). */
static void emit(dx_events_t *e, struct inc *c, enum dx_event_type type, dx_ts_t now, unsigned mask)
{
	if (mask == 0)
		return;
	dx_out_t o = {e->line, e->line + DX_EVENT_MAX - 1};
	put_head(e, &o, type, now);
	char src[48];
	first_client(c->clients, src, sizeof(src));
	if (src[0])
		put_str(&o, "src_ip", src);
	/* Suricata's alert object, for the dashboards and rules written for it: severity 1 is
	 * the highest; the action says whether the domain is blocked now */
	bool blocked = strcmp(c->block, "done") == 0 || strcmp(c->block, "pending") == 0;
	dx_out_str(&o, ",\"alert\":{\"action\":");
	dx_out_str(&o, blocked ? "\"blocked\"" : "\"allowed\"");
	dx_out_str(&o, ",\"signature\":");
	dx_out_str(&o, "\"dnsexfild ");
	dx_out_str(&o, threat_of(c));
	dx_out_str(&o, "\",\"category\":");
	dx_out_str(&o, c->r_sev[DX_T_ICMP_TUNNEL] ? "\"ICMP tunnel or exfiltration\""
		       : beacon_only(c)		  ? "\"DNS command-and-control beacon\""
						  : "\"DNS tunnel or exfiltration\"");
	dx_out_str(&o, ",\"severity\":");
	dx_out_u64(&o, (uint64_t) (DX_SEV_CRITICAL + 1 - c->sev));
	dx_out_str(&o, "},");
	put_incident(e, &o, c);
	dx_out_str(&o, "}\n");
	if (o.p == o.end) { /* cut short (not reached: samples are capped): still one line */
		o.p[-1] = '\n';
	}
	e->st.made[type]++;
	dx_event_t ev = {type,	  c->sev,  (mask & TO_EVE) != 0,    false, c->uid,
			 c->apex, e->line, (size_t) (o.p - e->line)};
	if (mask & TO_NOTIFY) {
		uint32_t hour = (uint32_t) (now / 3600000000LL);
		if (hour != c->n_hour) {
			c->n_hour = hour;
			c->n_sent = 0;
		}
		/* the first and the last word of an incident always go */
		if (type == DX_EV_OPENED || type == DX_EV_CLOSED ||
		    c->n_sent < e->cfg.notify_per_hour) {
			c->n_sent++;
			ev.to_notify = true;
		} else {
			e->st.rate_limited++;
		}
	}
	e->fn(e->ctx, &ev);
}

/* the counts an incident takes from one of its alerts: the largest seen */
static void merge(struct inc *c, const dx_alert_t *a)
{
#define MAX_OF(f, v)    \
	if ((v) > c->f) \
	c->f = (v)
	MAX_OF(last_ts, a->last_ts);
	MAX_OF(queries, a->query_count);
	MAX_OF(uniq, a->unique_subdomains);
	MAX_OF(est_bytes, a->est_bytes);
#undef MAX_OF
	/* an apex's client list only grows, with its count: copied when it did */
	if (a->source_count > c->sources || (c->clients[0] == '\0' && a->sources[0])) {
		c->sources = a->source_count;
		size_t n = strnlen(a->sources, sizeof(c->clients) - 1);
		memcpy(c->clients, a->sources, n);
		c->clients[n] = '\0';
	}
	if (a->has_vni) {
		c->vni = a->vni;
		c->has_vni = true;
	}
	if (a->srcids[0] && strcmp(c->srcids, a->srcids) != 0)
		memcpy(c->srcids, a->srcids, strnlen(a->srcids, sizeof(c->srcids) - 1) + 1);
	if (a->encoding != DX_ENC_NONE)
		c->enc = a->encoding;
	if (a->top_qtype)
		c->top_qtype = a->top_qtype;
	if (c->n_samples < SAMPLES && a->sample_qname[0]) {
		char s[DX_EVENT_SAMPLE + 4];
		dx_dname_cut(a->sample_qname, DX_EVENT_SAMPLE, s, sizeof(s));
		for (int i = 0; i < c->n_samples; i++)
			if (strcmp(c->samples[i], s) == 0)
				return;
		memcpy(c->samples[c->n_samples++], s, sizeof(s));
	}
}

void dx_events_alert(dx_events_t *e, const dx_alert_t *a, dx_ts_t now)
{
	uint64_t key = key_of(e, a->apex, a->first_ts);
	uint32_t i = find(e, key, a->apex, a->first_ts);
	if (i == NIL) {
		if (a->ended)
			return; /* ended before it was followed (the table was full) */
		i = add(e, key, a);
		if (i == NIL) {
			e->st.table_full++;
			return;
		}
	}
	struct inc *c = &e->inc[i];
	int t = a->threat;
	if ((uint8_t) a->severity > c->r_sev[t]) {
		c->r_sev[t] = (uint8_t) a->severity;
		c->r_at[t] = a->detected_ts;
	}
	c->r_st[t] = (uint8_t) a->status;
	if (a->ended)
		c->live &= (uint16_t) ~(1u << t);
	else
		c->live |= (uint16_t) (1u << t);
	if (a->severity > c->sev) {
		c->sev = a->severity;
		c->detected_ts = a->detected_ts;
	}
	merge(c, a);
	/* each output by its threshold: opened (again, once closed), escalated, closed */
	const int min[2] = {e->cfg.eve_min, e->cfg.notify_min};
	unsigned open_m = 0, esc_m = 0, close_m = 0;
	for (int k = 0; k < 2; k++) {
		struct told *w = &c->told[k];
		if ((int) c->sev < min[k])
			continue;
		if (!w->opened || (w->closed && c->live)) {
			*w = (struct told){true, false, c->sev};
			open_m |= 1u << k;
		} else if (c->sev > w->said) {
			w->said = c->sev;
			esc_m |= 1u << k;
		}
		if (c->live == 0 && !w->closed) {
			w->closed = true;
			close_m |= 1u << k;
		}
	}
	dx_ts_t at = a->detected_ts > now ? a->detected_ts : now;
	emit(e, c, DX_EV_OPENED, at, open_m);
	emit(e, c, DX_EV_ESCALATED, at, esc_m);
	emit(e, c, DX_EV_CLOSED, now, close_m);
	/* a blocked apex's incident stays until its block is removed, for the unblocked event */
	if (c->live == 0 && strcmp(c->block, "done") != 0 && strcmp(c->block, "pending") != 0)
		unlink_inc(e, i);
}

void dx_events_block(dx_events_t *e, const char *apex, const char *state, dx_ts_t now)
{
	/* the block is the apex's: its newest incident */
	uint32_t best = NIL;
	for (uint32_t i = 0; i < e->cfg.max_incidents; i++)
		if (e->inc[i].used && strcmp(e->inc[i].apex, apex) == 0 &&
		    (best == NIL || e->inc[i].first_ts > e->inc[best].first_ts))
			best = i;
	if (best == NIL)
		return;
	struct inc *c = &e->inc[best];
	bool was_done = strcmp(c->block, "done") == 0;
	snprintf(c->block, sizeof(c->block), "%s", state);
	unsigned m = (c->told[0].opened ? TO_EVE : 0) | (c->told[1].opened ? TO_NOTIFY : 0);
	if (strcmp(state, "done") == 0 && !was_done)
		emit(e, c, DX_EV_BLOCKED, now, m);
	else if (strcmp(state, "removed") == 0)
		emit(e, c, DX_EV_UNBLOCKED, now, m);
	if (c->live == 0 && strcmp(state, "done") != 0 && strcmp(state, "pending") != 0)
		unlink_inc(e, best);
}

void dx_events_stats(dx_events_t *e, dx_ts_t now, const char *stats)
{
	dx_out_t o = {e->line, e->line + DX_EVENT_MAX - 1};
	put_head(e, &o, DX_EV_STATS, now);
	dx_out_str(&o, ",\"stats\":");
	dx_out_str(&o, stats);
	dx_out_str(&o, "}\n");
	if (o.p == o.end)
		o.p[-1] = '\n';
	e->st.made[DX_EV_STATS]++;
	dx_event_t ev = {DX_EV_STATS, DX_SEV_NONE, true,    false,
			 "",	      "",	   e->line, (size_t) (o.p - e->line)};
	e->fn(e->ctx, &ev);
}
