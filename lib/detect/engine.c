/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Detection engine, run by the detector thread on every decoded message.
 *
 * Per apex: a ring of DX_DETECT_BUCKETS buckets covering window_sec of packet time, with the
 * running sum kept equal to the buckets, so each query is evaluated against the full window
 * in O(1) and an alert is raised by the query that crosses a threshold, not at a window edge;
 * a ring of hourly buckets for the information horizon; a tumbling accumulator for the
 * window-stats rows. Time that goes backwards (merged captures) is folded into the current
 * bucket; a window never rewinds.
 *
 * Unique subdomains are tracked in one global, bounded, 8-way set-associative table of keyed
 * hashes of the full names (the set from the low bits, a 31-bit tag from the high ones: two
 * names are confused only if 51 bits agree) with the time each was last seen: a name is "new in the window" if
 * it was not seen within window_sec and "new information" if not seen within the horizon.
 * When the table is full the least recently seen entry of the set goes (counted); an evicted
 * name seen again counts as new, which errs towards detection, never towards silence.
 *
 * Severity needs agreement (README "Detectors"): volume alone (HIGH_FREQUENCY) is capped at
 * MEDIUM unless the apex's subdomains look machine-made and unique; a detector reaches HIGH or
 * CRITICAL only when its own signal and encoding or information signals agree.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/detect/detect.h"
#include "lib/detect/alerts.h"
#include "lib/detect/rules.h"
#include "lib/detect/state.h"
#include "lib/decode/dns.h"
#include "lib/prepare/features.h"
#include "lib/base/mem.h"
#include "lib/base/out.h"
#include "lib/prepare/prep.h"

static void evict_apex(void *ctx, uint32_t i);
static void emit_window(dx_detect_t *d, struct apex_st *s, dx_ts_t start, dx_ts_t end);

void dx_detect_cfg_defaults(dx_detect_cfg_t *c)
{
	memset(c, 0, sizeof(*c));
	c->window_sec = 300; /* the AWS recipe's window */
	c->horizon_hours = 24;
	c->max_apexes = 32768;
	c->max_subdomains = 1u << 20;
	c->max_clients = 16384;
	c->max_alerts = 4096;
	c->hf_medium = 20; /* the recipe: > 20 / 50 / 100 in 5 minutes */
	c->hf_high = 50;
	c->hf_critical = 100;
	c->enc_low = 5;
	c->enc_medium = 10; /* the recipe's encoding query: > 10 / 20 / 50 */
	c->enc_high = 20;
	c->enc_critical = 50;
	c->enc_high_bytes = 512;
	c->enc_critical_bytes = 4096;
	c->long_qname = 100;
	c->long_label = 50;
	c->long_medium = 5;
	c->long_high = 10;
	c->long_critical = 50;
	c->qtype_min = 20;
	c->qtype_high = 16;
	c->qtype_critical = 200;
	c->enum_min_unique = 50;
	c->enum_medium = 200;
	c->info_window_bytes = 4096; /* Paxson et al. 2013: 4 KB */
	c->info_horizon_bytes = 65536;
	c->info_critical_factor = 16;
	c->lookup_pct = 90;
	c->answer_data_bytes = 64;
	c->lookup_info_bytes = 1u << 20;
	c->client_min_unique = 300;
	c->client_ratio = 10;
	c->beacon_min = 8;
	c->beacon_spread_pct = 25;
	c->beacon_min_sec = 10;
	c->beacon_max_sec = 3600;
	c->beacon_gap_ms = 2000;
	c->max_beacons = 16384;
	c->stats_min_queries = 20;
	c->max_icmp_pairs = 4096;
	c->icmp_min_echoes = 20;
	c->icmp_critical_bytes = 1u << 20;
}

size_t dx_detect_mem_bound(const dx_detect_cfg_t *cfg)
{
	return sizeof(dx_detect_t) + dx_apextab_bytes(cfg->max_apexes) +
	       dx_names_bytes(cfg->max_subdomains) + dx_clients_bytes(cfg->max_clients) +
	       dx_beacons_bytes(cfg->max_beacons) + dx_icmp_bytes(cfg->max_icmp_pairs) +
	       (size_t) cfg->max_alerts * sizeof(struct alert_slot);
}
dx_detect_t *dx_detect_new(const dx_detect_cfg_t *cfg, const dx_allow_t *allow, dx_hash_key_t key,
			   dx_alert_fn on_alert, dx_window_fn on_window, void *ctx)
{
	dx_detect_t *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cfg = *cfg;
	d->allow = allow;
	d->key = key;
	d->on_alert = on_alert;
	d->on_window = on_window;
	d->ctx = ctx;
	d->bucket_sec = cfg->window_sec / NB ? cfg->window_sec / NB : 1;
	d->hour_sec = cfg->horizon_hours * 3600 / NH;
	d->tumble_idx = NIL;
	/* the hash-indexed tables: page-aligned (a name set is one cache line), huge pages */
	bool apexes = dx_apextab_init(&d->apexes, cfg->max_apexes, evict_apex, d);
	bool names = dx_names_init(&d->names, cfg->max_subdomains, cfg->horizon_hours * 3600u);
	bool clients = dx_clients_init(&d->clients, cfg->max_clients);
	bool beacons = dx_beacons_init(&d->beacons, cfg->max_beacons);
	bool icmp = dx_icmp_init(&d->icmp, cfg->max_icmp_pairs);
	d->alerts = calloc(cfg->max_alerts, sizeof(*d->alerts));
	if (!apexes || !names || !clients || !beacons || !icmp || !d->alerts ||
	    cfg->max_alerts == 0) {
		dx_detect_free(d);
		return NULL;
	}
	d->free_alert = NIL;
	d->alerts_never_used = 0;
	return d;
}

void dx_detect_free(dx_detect_t *d)
{
	if (d == NULL)
		return;
	dx_apextab_free(&d->apexes);
	dx_names_free(&d->names);
	dx_clients_free(&d->clients);
	dx_beacons_free(&d->beacons);
	dx_icmp_free(&d->icmp);
	free(d->alerts);
	free(d);
}

bool dx_detect_set_cfg(dx_detect_t *d, const dx_detect_cfg_t *cfg)
{
	dx_detect_cfg_t n = *cfg;
	bool same =
	    n.window_sec == d->cfg.window_sec && n.horizon_hours == d->cfg.horizon_hours &&
	    n.max_apexes == d->cfg.max_apexes && n.max_subdomains == d->cfg.max_subdomains &&
	    n.max_clients == d->cfg.max_clients && n.max_alerts == d->cfg.max_alerts &&
	    n.max_beacons == d->cfg.max_beacons && n.max_icmp_pairs == d->cfg.max_icmp_pairs;
	/* the structural ones stay as allocated */
	n.window_sec = d->cfg.window_sec;
	n.horizon_hours = d->cfg.horizon_hours;
	n.max_apexes = d->cfg.max_apexes;
	n.max_subdomains = d->cfg.max_subdomains;
	n.max_clients = d->cfg.max_clients;
	n.max_alerts = d->cfg.max_alerts;
	n.max_beacons = d->cfg.max_beacons;
	n.max_icmp_pairs = d->cfg.max_icmp_pairs;
	d->cfg = n;
	return same;
}

void dx_detect_set_srcids(dx_detect_t *d, const dx_srcids_t *t)
{
	d->srcids = t;
}

void dx_detect_set_allow(dx_detect_t *d, const dx_allow_t *allow)
{
	d->allow = allow;
	for (uint32_t i = dx_apextab_first(&d->apexes); i != NIL;
	     i = dx_apextab_next(&d->apexes, i))
		d->apexes.recs[i].allowed = dx_allow_match(allow, d->apexes.recs[i].apex);
}

void dx_detect_get_stats(const dx_detect_t *d, dx_detect_stats_t *out)
{
	*out = d->st;
	out->apexes = d->apexes.n;
	out->apex_probes = d->apexes.probes;
	out->apex_evictions = d->apexes.evictions;
	out->subdomain_evictions = d->names.evictions;
	out->client_evictions = d->clients.evictions;
}

/* ---------------------------------------------------------------- apexes */

/* A new apex's state beyond what the table sets (name, hash, links). */
static void init_apex(dx_detect_t *d, uint32_t i)
{
	struct apex_st *s = &d->apexes.recs[i];
	for (int t = 0; t < DX_T_DNS_COUNT; t++)
		s->alert[t] = NIL;
	s->win.epoch = d->now_epoch;
	s->hwin.epoch = (uint32_t) (d->now / 1000000 / d->hour_sec);
	s->first_ts = d->now;
	s->allowed = dx_allow_match(d->allow, s->apex);
}

/* The table is full and reuses apex i: what it still has to say is written first, its open
 * window's row and its alerts, closed. */
static void evict_apex(void *ctx, uint32_t i)
{
	dx_detect_t *d = ctx;
	struct apex_st *old = &d->apexes.recs[i];
	if (d->tumble_idx != NIL && old->tum.q >= d->cfg.stats_min_queries)
		emit_window(d, old, (dx_ts_t) d->tumble_idx * d->cfg.window_sec * 1000000,
			    old->last_ts);
	dx_alerts_close(d, i, true);
}

static void bucket_sub(struct bucket *sum, const struct bucket *b)
{
	sum->q -= b->q;
	sum->sq -= b->sq;
	sum->uniq -= b->uniq;
	sum->enc_uniq -= b->enc_uniq;
	sum->long_uniq -= b->long_uniq;
	sum->rnd_q -= b->rnd_q;
	sum->odd_q -= b->odd_q;
	sum->resp -= b->resp;
	sum->nx -= b->nx;
	sum->bits -= b->bits;
	sum->look_q -= b->look_q;
	sum->data_resp -= b->data_resp;
}

static void bucket_leaves(void *sum, const void *b)
{
	bucket_sub(sum, b);
}

static void hour_leaves(void *sum, const void *b)
{
	struct hour *h = sum;
	const struct hour *x = b;
	h->bits -= x->bits;
	h->sq -= x->sq;
	h->rnd_q -= x->rnd_q;
}

/* Move the apex's window and horizon to the current bucket and hour. */
static void apex_advance(dx_detect_t *d, struct apex_st *s)
{
	dx_window_advance(&s->win, d->now_epoch, NB, s->b, sizeof(s->b[0]), &s->sum, sizeof(s->sum),
			  bucket_leaves);
	dx_window_advance(&s->hwin, (uint32_t) (d->now / 1000000 / d->hour_sec), NH, s->hr,
			  sizeof(s->hr[0]), &s->hsum, sizeof(s->hsum), hour_leaves);
}

/* ---------------------------------------------------------------- windows */

static void emit_window(dx_detect_t *d, struct apex_st *s, dx_ts_t start, dx_ts_t end)
{
	static const char *const qn[10] = {"A",	 "AAAA", "TXT",	  "NULL", "CNAME",
					   "MX", "SRV",	 "HTTPS", "PTR",  "other"};
	dx_window_stats_t w;
	memset(&w, 0, sizeof(w));
	dx_dname_escape_text(s->apex, s->apex_len, w.apex, sizeof(w.apex));
	w.start_ts = start;
	w.end_ts = end;
	w.query_count = s->tum.q;
	w.subdomain_query_count = s->tum.sq;
	w.unique_subdomains = s->tum.uniq;
	w.source_count = dx_alerts_source_count(s);
	w.nxdomain_count = s->tum.nx;
	w.est_bytes = s->tum.bits / 8;
	w.max_label_len = s->tum.max_label;
	w.max_qname_len = s->tum.max_qname;
	w.mean_entropy = s->tum.sq ? s->tum.ent_sum / s->tum.sq : 0.0;
	/* {"A":12,"TXT":3}, written by hand: snprintf per type was most of a window row's cost.
	 * At most 10 × (8 + 10 digits + 4) bytes: fits the 256 of qtype_counts. */
	_Static_assert(sizeof(w.qtype_counts) >= 3 + 10 * 22, "qtype_counts too small");
	dx_out_t o = {w.qtype_counts, w.qtype_counts + sizeof(w.qtype_counts) - 1};
	dx_out_str(&o, "{");
	for (int i = 0; i < 10; i++) {
		if (s->tum.qt[i] == 0)
			continue;
		dx_out_str(&o, o.p > w.qtype_counts + 1 ? ",\"" : "\"");
		dx_out_str(&o, qn[i]);
		dx_out_str(&o, "\":");
		dx_out_u64(&o, s->tum.qt[i]);
	}
	dx_out_str(&o, "}");
	dx_out_end(&o);
	d->on_window(d->ctx, &w);
}

/* Close the open tumbling window at end: a stats row per busy apex, every open alert
 * refreshed (and closed if its apex went quiet). */
static void close_window(dx_detect_t *d, dx_ts_t end)
{
	dx_ts_t start = (dx_ts_t) d->tumble_idx * d->cfg.window_sec * 1000000;
	for (uint32_t i = dx_apextab_first(&d->apexes); i != NIL;
	     i = dx_apextab_next(&d->apexes, i)) {
		struct apex_st *s = &d->apexes.recs[i];
		if (s->tum.q >= d->cfg.stats_min_queries)
			emit_window(d, s, start, end);
		memset(&s->tum, 0, sizeof(s->tum));
		dx_alerts_close(d, i, false);
	}
	dx_icmp_close(d, false);
}

static void advance_time(dx_detect_t *d, dx_ts_t t)
{
	if (t <= d->now && d->tumble_idx != NIL)
		return; /* backwards or equal: folded into the current bucket */
	d->now = t;
	uint32_t sec = (uint32_t) (t / 1000000);
	uint32_t epoch = sec / d->bucket_sec;
	if (epoch != d->now_epoch) {
		d->now_epoch = epoch;
		dx_clients_update_median(&d->clients, sec, epoch, d->cfg.window_sec);
	}
	uint32_t idx = sec / d->cfg.window_sec;
	if (d->tumble_idx == NIL)
		d->tumble_idx = idx;
	else if (idx > d->tumble_idx) {
		close_window(d, (dx_ts_t) (d->tumble_idx + 1) * d->cfg.window_sec * 1000000);
		d->tumble_idx = idx;
	}
}

void dx_detect_finish(dx_detect_t *d)
{
	if (d->tumble_idx != NIL)
		close_window(d, d->now); /* the last window is partial */
	dx_icmp_close(d, true);
}

void dx_detect_echo(dx_detect_t *d, const dx_query_t *q)
{
	DX_REQUIRE(q->flags & DX_Q_ECHO);
	advance_time(d, q->ts_us);
	dx_icmp_add(d, q);
}

/* ---------------------------------------------------------------- detectors */

/* The window-stats row's query-type slot (A, AAAA, TXT, NULL, CNAME, MX, SRV, HTTPS, PTR,
 * other): the first nine of the alerts' slots (state.h), the rest together. */
static int qtype_slot(uint16_t t)
{
	unsigned k = qt_slot(t);
	return k < 9 ? (int) k : 9;
}

/* TXT, NULL, CNAME, MX, SRV, KEY, private use and unassigned types: what tunnels use to get
 * room for data in answers. */
static bool unusual_qtype(uint16_t t)
{
	switch (t) {
	case 1:	  /* A */
	case 28:  /* AAAA */
	case 65:  /* HTTPS */
	case 64:  /* SVCB */
	case 12:  /* PTR */
	case 2:	  /* NS */
	case 6:	  /* SOA */
	case 43:  /* DS */
	case 48:  /* DNSKEY */
	case 257: /* CAA */
		return false;
	default:
		return true;
	}
}

/* Ask every rule (rules.c) what it sees at this query of an ordinary apex; raise what is
 * news (almost never: the score is asked only then). */
static void evaluate(dx_detect_t *d, uint32_t idx, const dx_query_t *q, const dx_features_t *f,
		     const dx_client_t *c, const dx_beacon_t *bc)
{
	const struct apex_st *s = &d->apexes.recs[idx];
	const struct bucket *w = &s->sum;
	bool rnd = half_or_more(w->rnd_q, w->sq);
	dx_rule_view_t v = {
	    .k = &d->cfg,
	    .w = w,
	    .rnd = rnd,
	    .machine = rnd && half_or_more(w->uniq, w->sq),
	    .hmachine = half_or_more(s->hsum.rnd_q, s->hsum.sq),
	    .info_w = w->bits / 8,
	    .info_h = s->hsum.bits / 8,
	    .c = c,
	    .client_median = d->clients.median,
	    .f = f,
	    .beacon = bc,
	    .apex = s,
	    /* nearly all its subdomain queries one hash-like label under a constant rest, and
	     * answers seen, nearly none carrying data: a file-hash or reputation lookup service */
	    .lookup =
		w->sq > 0 && w->resp > 0 &&
		(uint64_t) w->look_q * 100 >= (uint64_t) w->sq * d->cfg.lookup_pct &&
		(uint64_t) w->data_resp * 100 <= (uint64_t) w->resp * (100 - d->cfg.lookup_pct),
	};
	for (int r = 0; r < DX_RULES; r++) {
		enum dx_severity sev = dx_rules[r].judge(&v);
		if (news(s, dx_rules[r].threat, sev))
			dx_alerts_raise(d, idx, dx_rules[r].threat, sev, dx_rules[r].score(&v), q);
	}
}

/* ---------------------------------------------------------------- input */

static void add_source(struct apex_st *s, const dx_query_t *q, uint64_t h)
{
	uint64_t bit = 1ull << (h & 63);
	if (s->src_bits & bit)
		return;
	s->src_bits |= bit;
	if (s->n_src < SRC_KEEP) {
		memcpy(s->src[s->n_src].a, q->src, 16);
		s->src[s->n_src].af = q->af;
		s->src[s->n_src].srcid = q->srcid;
		s->n_src++;
	}
}

/* Is long label hash h (dx_label_hash()) one already seen under this apex? Remembers it if
 * not (8 per apex, round robin). */
static bool label_seen(struct apex_st *s, uint32_t h)
{
	bool seen = false;
	for (int k = 0; k < 8; k++)
		seen |= s->lab_seen[k] == h;
	if (!seen) {
		s->lab_seen[s->lab_next] = h;
		s->lab_next = (uint8_t) ((s->lab_next + 1) & 7);
	}
	return seen;
}

/* Labels of 8 or more characters already seen under this apex: a DNSBL's service key, a
 * tenant or zone id. They repeat in every query, so they carry no information and say nothing
 * about whether the varying part is machine-made; left out of the features. Tunnel data labels
 * never repeat. The parser hashed the first DX_PREP_LABELS of them; a name with more is walked
 * here. */
static uint64_t repeated_labels(dx_detect_t *d, struct apex_st *s, const dx_query_t *q)
{
	const dx_prep_t *p = &q->prep;
	const uint32_t *hash = p->lab_hash;
	const uint8_t *idx = p->lab_idx;
	unsigned k = p->n_lab;
	uint32_t all_hash[64];
	uint8_t all_idx[64];
	if (k > DX_PREP_LABELS) {
		k = dx_long_labels(&d->key, &q->dns.qname, p->apex_off, all_hash, all_idx, 64);
		hash = all_hash;
		idx = all_idx;
	}
	uint64_t skip = 0;
	for (unsigned j = 0; j < k; j++)
		if (label_seen(s, hash[j]))
			skip |= 1ull << idx[j];
	return skip;
}

/* The (client, apex) pair of a query or of the response to it (the client is its source or
 * its destination: the parser hashed it so), for the check-in table. */
static uint64_t beacon_key(const dx_query_t *q)
{
	return q->prep.client_hash ^ (q->prep.apex_hash * 0x9E3779B97F4A7C15ULL);
}

void dx_detect_prefetch(const dx_detect_t *d, const dx_query_t *q)
{
	if (q->flags & DX_Q_ECHO)
		return; /* rare: nothing worth loading ahead */
	const dx_prep_t *p = &q->prep;
	dx_names_prefetch(&d->names, p->name_hash);
	dx_apextab_prefetch(&d->apexes, p->apex_hash);
	dx_clients_prefetch(&d->clients, p->client_hash);
	dx_beacons_prefetch(&d->beacons, beacon_key(q));
}

void dx_detect_add(dx_detect_t *d, const dx_query_t *q)
{
	DX_REQUIRE(q->prep.ready);
	advance_time(d, q->ts_us);
	const dx_name_t *n = &q->dns.qname;
	unsigned off = q->prep.apex_off;
	enum dx_apex_class cls = (enum dx_apex_class) q->prep.apex_cls;
	bool created;
	uint32_t idx =
	    dx_apextab_get(&d->apexes, n->text + off, n->len - off, q->prep.apex_hash, &created);
	if (created)
		init_apex(d, idx);
	struct apex_st *s = &d->apexes.recs[idx];
	s->cls = (uint8_t) cls;
	apex_advance(d, s);
	struct bucket *b = &s->b[s->win.cur];
	uint32_t now_sec = (uint32_t) (d->now / 1000000);

	if (q->dns.is_response) {
		d->st.responses++;
		b->resp++;
		s->sum.resp++;
		if (q->dns.rcode == 3) {
			b->nx++;
			s->sum.nx++;
			s->tum.nx++;
		}
		if (q->dns.answer_bytes > d->cfg.answer_data_bytes) {
			b->data_resp++;
			s->sum.data_resp++;
		}
		/* an idle answer says nothing: NXDOMAIN, no answer, or only idle addresses */
		const dx_dns_msg_t *m = &q->dns;
		bool idle =
		    m->rcode == 3 ||
		    (m->rcode == 0 &&
		     (m->an_seen == 0 || (m->an_idle == m->an_addr && m->an_addr == m->an_seen)));
		dx_beacons_answer(&d->beacons, beacon_key(q), idle);
		dx_client_t *c =
		    dx_clients_get(&d->clients, q->prep.client_hash, now_sec, d->now_epoch);
		c->b[c->win.cur].resp++;
		c->sum.resp++;
		if (q->dns.rcode == 3) {
			c->b[c->win.cur].nx++;
			c->sum.nx++;
		}
		return;
	}

	d->st.queries++;
	if (q->ts_us > s->last_ts)
		s->last_ts = q->ts_us;
	if (q->flags & DX_Q_HAS_VNI) {
		s->has_vni = true;
		s->vni = q->vni;
	}
	dx_client_t *c = dx_clients_get(&d->clients, q->prep.client_hash, now_sec, d->now_epoch);
	add_source(s, q, q->prep.client_hash);
	c->b[c->win.cur].q++;
	c->sum.q++;

	dx_features_t f = q->prep.f;
	uint64_t skip = repeated_labels(d, s, q);
	if (skip != 0)
		dx_features_compute(n, off, skip, &f);
	s->total_q++;
	b->q++;
	s->sum.q++;
	s->tum.q++;
	s->tum.qt[qtype_slot(q->dns.qtype)]++;
	if (n->len > s->tum.max_qname)
		s->tum.max_qname = n->len;
	if (f.max_label > s->tum.max_label)
		s->tum.max_label = f.max_label;
	if (unusual_qtype(q->dns.qtype)) {
		b->odd_q++;
		s->sum.odd_q++;
	}
	if (f.sub_len > 0) {
		b->sq++;
		s->sum.sq++;
		s->tum.sq++;
		s->tum.ent_sum += f.entropy;
		unsigned qs = qt_slot(q->dns.qtype);
		if (qs == QT_SLOTS - 1 && s->qt_n[qs] == 0)
			s->qt_other = q->dns.qtype;
		s->qt_n[qs]++;
		if (f.random)
			s->enc_n[f.encoding]++;
		if (f.lookup_len !=
		    0) { /* the apex's lookup shape is that of its first such name */
			if (s->look_len == 0) {
				s->look_len = f.lookup_len;
				s->look_rest = f.rest_hash;
			}
			if (f.lookup_len == s->look_len && f.rest_hash == s->look_rest) {
				b->look_q++;
				s->sum.look_q++;
			}
		}
		struct hour *hr = &s->hr[s->hwin.cur];
		hr->sq++;
		s->hsum.sq++;
		if (f.random) {
			b->rnd_q++;
			s->sum.rnd_q++;
			hr->rnd_q++;
			s->hsum.rnd_q++;
		}
		uint32_t ago = dx_names_seen(&d->names, q->prep.name_hash, now_sec);
		if (ago >= d->cfg.window_sec) { /* new in the window */
			b->uniq++;
			s->sum.uniq++;
			s->tum.uniq++;
			c->b[c->win.cur].uniq++;
			c->sum.uniq++;
			if (f.encoded) {
				b->enc_uniq++;
				s->sum.enc_uniq++;
			}
			if (n->len > d->cfg.long_qname || f.max_label > d->cfg.long_label) {
				b->long_uniq++;
				s->sum.long_uniq++;
			}
			uint32_t room = UINT32_MAX - b->bits;
			uint32_t add = f.bits < room ? f.bits : room;
			b->bits += add;
			s->sum.bits += add;
			s->tum.bits += f.bits;
		}
		if (ago >= d->cfg.horizon_hours * 3600u) { /* new information */
			hr->bits += f.bits;
			s->hsum.bits += f.bits;
			s->total_bits += f.bits;
		}
	}
	if (cls != DX_APEX_NORMAL)
		return; /* counted, but public suffixes, arpa, local, dotless, _. never alert */
	d->st.detector_queries++;
	/* BEACON: this client's check-ins to this apex (subdomain queries of ordinary apexes).
	 * Machine-made is asked of the whole name: a beacon's constant id repeats, so f (which
	 * leaves repeated labels out) would not show it. */
	const dx_beacon_t *bc = NULL;
	if (f.sub_len > 0) {
		bool checkin;
		dx_beacon_t *pair = dx_beacons_see(&d->beacons, beacon_key(q), q->ts_us,
						   (uint32_t) q->prep.name_hash, q->prep.f.random,
						   d->cfg.beacon_gap_ms, &checkin);
		if (checkin)
			pair->regular =
			    dx_beacons_regular(pair, d->cfg.beacon_min - 1, d->cfg.beacon_min_sec,
					       d->cfg.beacon_max_sec, d->cfg.beacon_spread_pct);
		bc = pair;
	}
	evaluate(d, idx, q, &f, c, bc);
}
