/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine's alerts (private to lib/detect): the pool of open alerts, raising and escalating
 * one, refreshing and closing them at a window's close, and the facts and JSON details each
 * row carries.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/out.h"
#include "lib/decode/dname.h"
#include "lib/detect/alerts.h"

/* Linear counting over the 64-bit source bitmap (Whang et al. 1990). */
uint64_t dx_alerts_source_count(const struct apex_st *s)
{
	int zero = 64 - __builtin_popcountll(s->src_bits);
	if (zero == 0)
		return 250; /* saturated: "many" */
	uint64_t est = (uint64_t) (-64.0 * log((double) zero / 64.0) + 0.5);
	return est < s->n_src ? s->n_src : est;
}

/* The most common type of the apex's subdomain queries (ties: the earlier slot); 0 if none
 * was counted yet. */
static uint16_t top_qtype(const struct apex_st *s)
{
	unsigned best = 0;
	for (unsigned i = 1; i < QT_SLOTS; i++)
		if (s->qt_n[i] > s->qt_n[best])
			best = i;
	if (s->qt_n[best] == 0)
		return 0;
	return best == QT_SLOTS - 1 ? s->qt_other : qt_types[best];
}

/* The most common encoding of the apex's machine-made subdomain queries (ties: the richer
 * alphabet); none if it had none. */
static enum dx_encoding apex_encoding(const struct apex_st *s)
{
	int best = DX_ENC_NONE;
	for (int e = DX_ENC_NONE + 1; e < DX_ENC_COUNT; e++)
		if (s->enc_n[e] > 0 && s->enc_n[e] >= s->enc_n[best])
			best = e;
	return (enum dx_encoding) best;
}

/* ,"name":v */
void dx_alerts_put_field(dx_out_t *o, const char *name, uint64_t v)
{
	dx_out_str(o, ",\"");
	dx_out_str(o, name);
	dx_out_str(o, "\":");
	dx_out_u64(o, v);
}

/* frac(a, b) as "%.3f" */
static void put_frac(dx_out_t *o, uint64_t a, uint64_t b)
{
	double x = frac(a, b);
	if (!dx_out_fixed3(o, x)) { /* not reached: a fraction of counts is small */
		char t[32];
		snprintf(t, sizeof(t), "%.3f", x);
		dx_out_str(o, t);
	}
}

/* What a query log said of the kept sources: instance (or resolver endpoint) and VPC, as a
 * JSON array; "" when none came from a log. The strings are the log's, checked by the reader
 * to be short; they are JSON-escaped all the same. */
static void fill_srcids(const dx_detect_t *d, const struct apex_st *s, dx_alert_t *a)
{
	dx_out_t o = {a->srcids, a->srcids + sizeof(a->srcids) - 1};
	bool any = false;
	for (unsigned i = 0; i < s->n_src && i < SRC_KEEP && d->srcids; i++) {
		uint32_t id = s->src[i].srcid;
		if (id == 0)
			continue;
		char txt[INET6_ADDRSTRLEN];
		if (inet_ntop(s->src[i].af == 6 ? AF_INET6 : AF_INET, s->src[i].a, txt,
			      sizeof(txt)) == NULL)
			continue;
		const char *src = dx_srcids_source(d->srcids, id),
			   *vpc = dx_srcids_vpc(d->srcids, id);
		dx_out_str(&o, any ? ",{\"address\":\"" : "[{\"address\":\"");
		dx_out_str(&o, txt);
		dx_out_str(&o, "\"");
		if (src[0]) {
			dx_out_str(&o, strncmp(src, "rslvr-", 6) == 0 ? ",\"resolver_endpoint\":"
								      : ",\"instance\":");
			dx_out_json_str(&o, src);
		}
		if (vpc[0]) {
			dx_out_str(&o, ",\"vpc\":");
			dx_out_json_str(&o, vpc);
		}
		dx_out_str(&o, "}");
		any = true;
	}
	if (any)
		dx_out_str(&o, "]");
	dx_out_end(&o);
}

/* The alert's sources: the apex's first SRC_KEEP client addresses, as a JSON array. The list
 * changes only while they arrive, and an open alert is refilled at every window close: it is
 * formatted only when it grew. */
static void fill_sources(const dx_detect_t *d, const struct apex_st *s, struct alert_slot *sl)
{
	dx_alert_t *a = &sl->a;
	size_t o = 0;
	if (sl->n_sources != s->n_src || a->sources[0] == '\0') {
		sl->n_sources = s->n_src;
		a->sources[o++] = '[';
		for (unsigned i = 0; i < s->n_src && i < SRC_KEEP; i++) {
			char txt[INET6_ADDRSTRLEN];
			if (inet_ntop(s->src[i].af == 6 ? AF_INET6 : AF_INET, s->src[i].a, txt,
				      sizeof(txt)) == NULL)
				continue;
			o += (size_t) snprintf(a->sources + o, sizeof(a->sources) - o, "%s\"%s\"",
					       i ? "," : "", txt);
		}
		snprintf(a->sources + o, sizeof(a->sources) - o, "]");
		fill_srcids(d, s, a);
	}
}

/* "raised" and "at": when each severity was first reached, and the window's counts then */
void dx_alerts_put_raised(dx_out_t *out, const dx_alert_t *a)
{
	dx_out_str(out, "{\"raised\":{");
	bool first = true;
	for (int v = DX_SEV_LOW; v <= DX_SEV_CRITICAL; v++) {
		if (!a->raised_ts[v])
			continue;
		dx_out_str(out, first ? "\"" : ",\"");
		first = false;
		dx_out_str(out, dx_severity_name((enum dx_severity) v));
		dx_out_str(out, "\":");
		dx_out_ts(out, a->raised_ts[v]);
	}
	dx_out_str(out, "},\"at\":{");
	first = true;
	for (int v = DX_SEV_LOW; v <= DX_SEV_CRITICAL; v++) {
		if (!a->raised_ts[v])
			continue;
		const dx_alert_at_t *at = &a->at[v];
		dx_out_str(out, first ? "\"" : ",\"");
		first = false;
		dx_out_str(out, dx_severity_name((enum dx_severity) v));
		dx_out_str(out, "\":{\"queries\":");
		dx_out_u64(out, at->queries);
		dx_alerts_put_field(out, "subdomain_queries", at->subdomain_queries);
		dx_alerts_put_field(out, "unique_subdomains", at->unique_subdomains);
		dx_alerts_put_field(out, "encoded_unique", at->encoded_unique);
		dx_alerts_put_field(out, "long_unique", at->long_unique);
		dx_alerts_put_field(out, "unusual_qtype_queries", at->unusual_qtype_queries);
		dx_alerts_put_field(out, "info_window_bytes", at->info_window_bytes);
		dx_alerts_put_field(out, "info_horizon_bytes", at->info_horizon_bytes);
		dx_out_str(out, "}");
	}
}

/* The details JSON, by hand: it is rebuilt for every open alert at every window close, and
 * snprintf with two %.3f was most of a refresh. */
static void fill_details(dx_detect_t *d, const struct apex_st *s, dx_alert_t *a)
{
	const struct bucket *w = &s->sum;
	dx_out_t out = {a->details, a->details + sizeof(a->details) - 1};
	dx_alerts_put_raised(&out, a);
	dx_out_str(&out, "},\"window_sec\":");
	dx_out_u64(&out, d->cfg.window_sec);
	dx_alerts_put_field(&out, "subdomain_queries", w->sq);
	dx_alerts_put_field(&out, "unique_subdomains", w->uniq);
	dx_alerts_put_field(&out, "encoded_unique", w->enc_uniq);
	dx_alerts_put_field(&out, "long_unique", w->long_uniq);
	dx_out_str(&out, ",\"random_fraction\":");
	put_frac(&out, w->rnd_q, w->sq);
	dx_alerts_put_field(&out, "unusual_qtype_queries", w->odd_q);
	dx_alerts_put_field(&out, "responses", w->resp);
	dx_alerts_put_field(&out, "nxdomain", w->nx);
	dx_alerts_put_field(&out, "lookup_shape_queries", w->look_q);
	dx_alerts_put_field(&out, "data_answers", w->data_resp);
	dx_alerts_put_field(&out, "info_window_bytes", w->bits / 8);
	dx_alerts_put_field(&out, "info_horizon_bytes", s->hsum.bits / 8);
	dx_out_str(&out, ",\"horizon_random_fraction\":");
	put_frac(&out, s->hsum.rnd_q, s->hsum.sq);
	dx_alerts_put_field(&out, "total_queries", s->total_q);
	if (a->not_blocked != NULL) {
		dx_out_str(&out, ",\"not_blocked\":\"");
		dx_out_str(&out, a->not_blocked);
		dx_out_str(&out, "\"");
	}
	if (a->srcids[0]) { /* a query log's instances and VPCs */
		dx_out_str(&out, ",\"srcids\":");
		dx_out_str(&out, a->srcids);
	}
	dx_out_str(&out, "}");
	dx_out_end(&out);
}

static void fill_alert(dx_detect_t *d, const struct apex_st *s, struct alert_slot *sl)
{
	dx_alert_t *a = &sl->a;
	const struct bucket *w = &s->sum;
	a->last_ts = s->last_ts;
	a->query_count = w->q;
	a->unique_subdomains = w->uniq;
	a->source_count = dx_alerts_source_count(s);
	a->est_bytes = s->total_bits / 8;
	uint16_t top = top_qtype(s);
	if (top != 0) /* else the raising query's type, set by raise() */
		a->top_qtype = top;
	a->encoding = apex_encoding(s);
	a->vni = s->vni;
	a->has_vni = s->has_vni;
	fill_sources(d, s, sl);
	fill_details(d, s, a);
}

/* Raise or escalate the alert of threat t on apex idx to severity sev (callers ask news()
 * first, so as not to compute the score for nothing). */
void dx_alerts_raise(dx_detect_t *d, uint32_t idx, enum dx_threat t, enum dx_severity sev,
		     double score, const dx_query_t *q)
{
	struct apex_st *s = &d->apexes.recs[idx];
	uint32_t ai = s->alert[t];
	if (!news(s, t, sev))
		return; /* nothing new: counts are refreshed at the window close */
	if (ai == NIL) {
		if (d->free_alert != NIL) {
			ai = d->free_alert;
			d->free_alert = d->alerts[ai].next_free;
		} else if (d->alerts_never_used < d->cfg.max_alerts) {
			ai = d->alerts_never_used++;
		} else {
			d->st.alert_pool_full++;
			return;
		}
		struct alert_slot *sl = &d->alerts[ai];
		memset(&sl->a, 0, sizeof(sl->a));
		sl->used = true;
		sl->apex = idx;
		s->alert[t] = ai;
		/* the apex is wire bytes: stored, logged and passed on only escaped */
		dx_dname_escape_text(s->apex, s->apex_len, sl->a.apex, sizeof(sl->a.apex));
		sl->a.threat = t;
		sl->a.first_ts = s->first_ts;
		sl->a.status = s->allowed ? DX_ST_ALLOWLISTED : DX_ST_OPEN;
		d->st.alerts_raised++;
	}
	dx_alert_t *a = &d->alerts[ai].a;
	a->refresh = false;
	const struct bucket *w = &s->sum;
	for (int v = a->severity + 1; v <= (int) sev; v++) {
		a->raised_ts[v] = q->ts_us;
		a->at[v] = (dx_alert_at_t){w->q,	 w->sq,	   w->uniq,	w->enc_uniq,
					   w->long_uniq, w->odd_q, w->bits / 8, s->hsum.bits / 8};
	}
	a->severity = sev;
	s->alert_sev[t] = (uint8_t) sev;
	a->score = score;
	a->detected_ts = q->ts_us;
	a->top_qtype = q->dns.qtype;
	dx_dname_escape(&q->dns.qname, true, a->sample_qname);
	fill_alert(d, s, &d->alerts[ai]);
	d->on_alert(d->ctx, a);
}

void dx_alerts_close(dx_detect_t *d, uint32_t idx, bool all)
{
	struct apex_st *s = &d->apexes.recs[idx];
	for (int t = 0; t < DX_T_DNS_COUNT; t++) {
		uint32_t ai = s->alert[t];
		if (ai == NIL)
			continue;
		dx_alert_t *a = &d->alerts[ai].a;
		fill_alert(d, s, &d->alerts[ai]);
		a->refresh = true; /* what raise() set is as written */
		/* An episode ends when its apex has been quiet for a whole window; an information
		 * episode, when it has been quiet for the whole horizon (its evidence is there). */
		dx_ts_t span = t == DX_T_INFO_VOLUME
				   ? (dx_ts_t) d->cfg.horizon_hours * 3600 * 1000000
				   : (dx_ts_t) d->cfg.window_sec * 1000000;
		bool quiet = d->now - s->last_ts >= span;
		if (all || quiet) {
			if (a->status == DX_ST_OPEN)
				a->status = DX_ST_CLOSED;
			a->ended = true;
			d->on_alert(d->ctx, a);
			d->alerts[ai].used = false;
			d->alerts[ai].next_free = d->free_alert;
			d->free_alert = ai;
			s->alert[t] = NIL;
		} else {
			d->on_alert(d->ctx, a); /* refresh counts and last_ts */
		}
	}
}
