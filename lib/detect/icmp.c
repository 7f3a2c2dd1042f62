/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ICMP_TUNNEL (icmp.h): the pair table, the window counts and evidence, and the pair's alert
 * (the peer's address where a DNS alert has its apex).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/out.h"
#include "lib/detect/alerts.h"
#include "lib/detect/icmp.h"

#define WAYS 4

size_t dx_icmp_bytes(uint32_t max_pairs)
{
	uint32_t sets = 1;
	while (sets * WAYS < max_pairs)
		sets <<= 1;
	return (size_t) sets * WAYS * sizeof(dx_icmp_pair_t) +
	       DX_ICMP_ALERTS * sizeof(dx_icmp_alert_t);
}

bool dx_icmp_init(dx_icmp_t *t, uint32_t max_pairs)
{
	memset(t, 0, sizeof(*t));
	t->n_sets = 1;
	while (t->n_sets * WAYS < max_pairs)
		t->n_sets <<= 1;
	t->sets = calloc((size_t) t->n_sets * WAYS, sizeof(*t->sets));
	t->alerts = calloc(DX_ICMP_ALERTS, sizeof(*t->alerts));
	t->free_alert = NIL;
	if (t->sets == NULL || t->alerts == NULL) {
		dx_icmp_free(t);
		return false;
	}
	return true;
}

void dx_icmp_free(dx_icmp_t *t)
{
	free(t->sets);
	free(t->alerts);
	t->sets = NULL;
	t->alerts = NULL;
}

/* The alert's facts from its pair: counts of the window, the information since the pair
 * entered the table, the evidence in details. */
static void fill(dx_detect_t *d, const dx_icmp_pair_t *p, dx_alert_t *a)
{
	const dx_icmp_win_t *w = &p->w;
	a->last_ts = p->last_ts;
	a->query_count = w->echoes;
	a->unique_subdomains = 0;
	a->source_count = 1;
	a->est_bytes = p->total_info_bits / 8;
	a->vni = p->vni;
	a->has_vni = p->has_vni;
	char txt[INET6_ADDRSTRLEN] = "?";
	inet_ntop(p->af == 6 ? AF_INET6 : AF_INET, p->client, txt, sizeof(txt));
	dx_out_t o = {a->sources, a->sources + sizeof(a->sources) - 1};
	dx_out_str(&o, "[\"");
	dx_out_str(&o, txt);
	dx_out_str(&o, "\"]");
	dx_out_end(&o);
	o = (dx_out_t){a->details, a->details + sizeof(a->details) - 1};
	dx_alerts_put_raised(&o, a);
	dx_out_str(&o, "},\"window_sec\":");
	dx_out_u64(&o, d->cfg.window_sec);
	dx_alerts_put_field(&o, "echoes", w->echoes);
	dx_alerts_put_field(&o, "requests", w->requests);
	dx_alerts_put_field(&o, "replies", w->replies);
	dx_alerts_put_field(&o, "unechoed_replies", w->unechoed);
	dx_alerts_put_field(&o, "data_payloads", w->data);
	dx_alerts_put_field(&o, "changed_requests", w->changed);
	dx_alerts_put_field(&o, "payload_sizes", w->n_sizes);
	dx_alerts_put_field(&o, "tool_markers", w->marked);
	dx_alerts_put_field(&o, "payload_bytes", w->bytes);
	dx_alerts_put_field(&o, "info_window_bytes", w->info_bits / 8);
	dx_alerts_put_field(&o, "total_echoes", p->total_echoes);
	dx_alerts_put_field(&o, "total_payload_bytes", p->total_bytes);
	dx_out_str(&o, "}");
	dx_out_end(&o);
}

/* End the pair's alert: its last write, the slot back to the pool. */
static void end_alert(dx_detect_t *d, dx_icmp_pair_t *p)
{
	dx_icmp_t *t = &d->icmp;
	dx_icmp_alert_t *sl = &t->alerts[p->alert];
	fill(d, p, &sl->a);
	sl->a.refresh = true;
	if (sl->a.status == DX_ST_OPEN)
		sl->a.status = DX_ST_CLOSED;
	sl->a.ended = true;
	d->on_alert(d->ctx, &sl->a);
	sl->used = false;
	sl->next_free = t->free_alert;
	t->free_alert = p->alert;
	p->alert = NIL;
}

void dx_icmp_close(dx_detect_t *d, bool all)
{
	dx_icmp_t *t = &d->icmp;
	dx_ts_t span = (dx_ts_t) d->cfg.window_sec * 1000000;
	for (uint32_t i = 0; i < t->never_used; i++) {
		dx_icmp_alert_t *sl = &t->alerts[i];
		if (!sl->used)
			continue;
		dx_icmp_pair_t *p = &t->sets[sl->pair];
		if (all || d->now - p->last_ts >= span) {
			end_alert(d, p);
		} else {
			fill(d, p, &sl->a);
			sl->a.refresh = true;
			d->on_alert(d->ctx, &sl->a);
		}
	}
}

/* The pair's slot: found, or the least recently seen of its set taken over. */
static dx_icmp_pair_t *get_pair(dx_detect_t *d, uint64_t h)
{
	dx_icmp_t *t = &d->icmp;
	dx_icmp_pair_t *set = t->sets + (h & (t->n_sets - 1)) * WAYS, *old = set;
	for (int i = 0; i < WAYS; i++) {
		if (set[i].h == h)
			return &set[i];
		if (set[i].h == 0 || (old->h != 0 && set[i].last_ts < old->last_ts))
			old = &set[i];
	}
	if (old->h != 0) {
		t->evictions++;
		if (old->alert != NIL)
			end_alert(d, old);
	}
	memset(old, 0, sizeof(*old));
	old->h = h;
	old->alert = NIL;
	return old;
}

/* Would the pair's window raise its alert, and to what. */
static enum dx_severity judge(const dx_detect_t *d, const dx_icmp_win_t *w)
{
	if (w->echoes < d->cfg.icmp_min_echoes)
		return DX_SEV_NONE;
	bool unechoed = w->unechoed >= 8 && 4 * w->unechoed >= w->answered;
	bool data = w->data >= 8 && 4 * w->data >= w->echoes;
	bool changed = w->changed >= 8 && 2 * w->changed >= w->requests;
	bool sizes = w->n_sizes >= DX_ICMP_SPREAD;
	int ev = unechoed + data + changed + sizes;
	if (ev == 0)
		return DX_SEV_NONE;
	if (ev >= 3 && w->info_bits / 8 >= d->cfg.icmp_critical_bytes)
		return DX_SEV_CRITICAL;
	if (ev >= 2 || w->marked >= 8)
		return DX_SEV_HIGH;
	return DX_SEV_MEDIUM;
}

static void raise_alert(dx_detect_t *d, dx_icmp_pair_t *p, enum dx_severity sev,
			const dx_query_t *q)
{
	dx_icmp_t *t = &d->icmp;
	if (p->alert == NIL) {
		uint32_t ai;
		if (t->free_alert != NIL) {
			ai = t->free_alert;
			t->free_alert = t->alerts[ai].next_free;
		} else if (t->never_used < DX_ICMP_ALERTS) {
			ai = t->never_used++;
		} else {
			t->pool_full++;
			d->st.alert_pool_full++;
			return;
		}
		dx_icmp_alert_t *sl = &t->alerts[ai];
		memset(&sl->a, 0, sizeof(sl->a));
		sl->used = true;
		sl->pair = (uint32_t) (p - t->sets);
		p->alert = ai;
		if (inet_ntop(p->af == 6 ? AF_INET6 : AF_INET, p->peer, sl->a.apex,
			      sizeof(sl->a.apex)) == NULL)
			memcpy(sl->a.apex, "?", 2);
		sl->a.threat = DX_T_ICMP_TUNNEL;
		sl->a.first_ts = p->first_ts;
		sl->a.status = DX_ST_OPEN;
		sl->a.encoding = DX_ENC_NONE;
		d->st.alerts_raised++;
	}
	dx_alert_t *a = &t->alerts[p->alert].a;
	if (sev <= a->severity)
		return;
	const dx_icmp_win_t *w = &p->w;
	for (int v = a->severity + 1; v <= (int) sev; v++) {
		a->raised_ts[v] = q->ts_us;
		a->at[v] = (dx_alert_at_t){.queries = w->echoes,
					   .info_window_bytes = (uint32_t) (w->info_bits / 8),
					   .info_horizon_bytes = p->total_info_bits / 8};
	}
	a->refresh = false;
	a->severity = sev;
	a->score = (double) w->unechoed / (w->answered ? w->answered : 1) +
		   (double) w->data / w->echoes +
		   (double) w->changed / (w->requests ? w->requests : 1) +
		   (double) w->n_sizes / DX_ICMP_SIZES;
	a->detected_ts = q->ts_us;
	const dx_echo_t *e = &q->echo;
	dx_out_t o = {a->sample_qname, a->sample_qname + sizeof(a->sample_qname) - 1};
	dx_out_str(&o, e->reply ? "echo reply id " : "echo request id ");
	dx_out_u64(&o, e->ident);
	dx_out_str(&o, " seq ");
	dx_out_u64(&o, e->seq);
	dx_out_str(&o, " len ");
	dx_out_u64(&o, e->len);
	dx_out_end(&o);
	fill(d, p, a);
	d->on_alert(d->ctx, a);
}

static void count_size(dx_icmp_win_t *w, uint32_t len)
{
	for (unsigned i = 0; i < w->n_sizes; i++)
		if (w->sizes[i] == len)
			return;
	if (w->n_sizes < DX_ICMP_SIZES)
		w->sizes[w->n_sizes++] = len;
}

void dx_icmp_add(dx_detect_t *d, const dx_query_t *q)
{
	const dx_echo_t *e = &q->echo;
	/* the client sends the requests: a reply's destination */
	const uint8_t *client = e->reply ? q->dst : q->src, *peer = e->reply ? q->src : q->dst;
	uint8_t key[33];
	key[0] = q->af;
	memcpy(key + 1, client, 16);
	memcpy(key + 17, peer, 16);
	uint64_t h = dx_hash(&d->key, key, sizeof(key)) | 1;
	dx_icmp_t *t = &d->icmp;
	t->echoes++;
	dx_icmp_pair_t *p = get_pair(d, h);
	if (p->first_ts == 0) {
		p->first_ts = q->ts_us;
		p->af = q->af;
		memcpy(p->client, client, 16);
		memcpy(p->peer, peer, 16);
		p->win_idx = d->tumble_idx;
	}
	if (p->win_idx != d->tumble_idx) { /* a new window: its counts start again */
		memset(&p->w, 0, sizeof(p->w));
		p->win_idx = d->tumble_idx;
	}
	if (q->ts_us > p->last_ts)
		p->last_ts = q->ts_us;
	p->vni = q->vni;
	p->has_vni = q->flags & DX_Q_HAS_VNI;
	dx_icmp_win_t *w = &p->w;
	w->echoes++;
	w->bytes += e->len;
	p->total_echoes++;
	p->total_bytes += e->len;
	bool echoed = false;
	if (e->reply) {
		w->replies++;
		if (p->total_requests > 0) {
			w->answered++;
			for (int i = 0; i < DX_ICMP_DIGESTS && !echoed; i++)
				echoed = p->dig[i] == e->digest;
			if (!echoed)
				w->unechoed++;
		}
	} else {
		w->requests++;
		p->total_requests++;
		if (e->sketch != 0 && p->last_sketch != 0 && e->sketch != p->last_sketch)
			w->changed++;
		p->last_sketch = e->sketch;
		p->dig[p->dig_pos] = e->digest;
		p->dig_pos = (uint8_t) ((p->dig_pos + 1) % DX_ICMP_DIGESTS);
	}
	if (e->random)
		w->data++;
	if (e->marker)
		w->marked++;
	count_size(w, e->len);
	if (!echoed) { /* what was sent: the payload on the wire, weighted by how much of its
			* captured part is data (a short snaplen still estimates the whole) */
		uint64_t bits = (uint64_t) e->len * e->dent / 1000;
		w->info_bits += bits;
		p->total_info_bits += bits;
	}
	enum dx_severity sev = judge(d, w);
	if (sev != DX_SEV_NONE && (p->alert == NIL || t->alerts[p->alert].a.severity < sev))
		raise_alert(d, p, sev, q);
}
