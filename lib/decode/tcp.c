/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCP reassembly for DNS, owned and run by the parser thread only (no locks).
 *
 * A flow is one direction of a connection, keyed by (VNI, addresses, ports): queries and
 * responses are separate byte streams. Sequence numbers are compared with serial arithmetic
 * (RFC 1982 style, via a signed 32-bit difference) so wrap-around is handled. We join flows
 * already in progress (a sensor starts mid-connection) by assuming the first data segment
 * starts a message, which is how every DNS client and server writes.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/decode/tcp.h"

#define WAYS 4

struct flow_key {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t vni;
	uint8_t af, has_vni, pad_[2];
};

struct flow {
	struct flow_key key;
	int64_t last_us;
	uint32_t next_seq;
	uint32_t have;	  /* bytes of the current message seen */
	uint16_t msg_len; /* valid when lenhave == 2 */
	uint8_t lenbuf[2];
	uint8_t lenhave; /* bytes of the length prefix seen */
	bool in_use;
	bool synced; /* next_seq is meaningful */
};

struct dx_tcp {
	struct flow *flows;
	uint8_t *bufs; /* flow i's buffer at i * flow_bytes */
	uint32_t n_sets;
	uint32_t flow_bytes;
	int64_t idle_us;
	uint32_t active;
	dx_hash_key_t key;
};

static uint32_t flow_slots(uint32_t max_flows)
{
	uint32_t n = WAYS;
	while (n < max_flows && n < (1u << 24))
		n <<= 1;
	return n;
}

size_t dx_tcp_mem_bound(uint32_t max_flows, uint32_t flow_bytes)
{
	uint32_t n = flow_slots(max_flows);
	return sizeof(dx_tcp_t) +
	       (size_t) n * (sizeof(struct flow) + (flow_bytes ? flow_bytes : 1));
}

dx_tcp_t *dx_tcp_new(uint32_t max_flows, uint32_t flow_bytes, uint32_t idle_sec, dx_hash_key_t key)
{
	uint32_t n = flow_slots(max_flows);
	dx_tcp_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->flows = calloc(n, sizeof(*t->flows));
	t->bufs = malloc((size_t) n * (flow_bytes ? flow_bytes : 1));
	if (t->flows == NULL || t->bufs == NULL) {
		dx_tcp_free(t);
		return NULL;
	}
	t->n_sets = n / WAYS;
	t->flow_bytes = flow_bytes;
	t->idle_us = (int64_t) idle_sec * 1000000;
	t->key = key;
	return t;
}

void dx_tcp_free(dx_tcp_t *t)
{
	if (t == NULL)
		return;
	free(t->flows);
	free(t->bufs);
	free(t);
}

uint32_t dx_tcp_active(const dx_tcp_t *t)
{
	return t->active;
}

static void key_of(const dx_pkt_t *p, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src, 16);
	memcpy(k->dst, p->dst, 16);
	k->sport = p->sport;
	k->dport = p->dport;
	k->vni = p->vni;
	k->af = p->af;
	k->has_vni = p->has_vni;
}

static void release(dx_tcp_t *t, struct flow *f)
{
	f->in_use = false;
	t->active--;
}

/* The flow for this key, created (possibly by eviction) when create is set. */
static struct flow *lookup(dx_tcp_t *t, const struct flow_key *k, int64_t ts_us, bool create,
			   dx_counters_t *cnt)
{
	uint64_t h = dx_hash(&t->key, k, sizeof(*k));
	struct flow *set = t->flows + (h & (t->n_sets - 1)) * WAYS;
	struct flow *free_way = NULL, *oldest = NULL;
	for (unsigned w = 0; w < WAYS; w++) {
		struct flow *f = &set[w];
		if (!f->in_use) {
			if (free_way == NULL)
				free_way = f;
			continue;
		}
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
		if (oldest == NULL || f->last_us < oldest->last_us)
			oldest = f;
	}
	if (!create)
		return NULL;
	if (free_way == NULL) {
		/* Idle flows go quietly; a live one displaced is a loss worth counting. */
		if (ts_us - oldest->last_us >= t->idle_us)
			dx_count_reason(cnt, DX_R_tcp_flow_idle);
		else
			dx_count_reason(cnt, DX_R_tcp_flow_evicted);
		release(t, oldest);
		free_way = oldest;
	}
	memset(free_way, 0, sizeof(*free_way));
	free_way->key = *k;
	free_way->in_use = true;
	t->active++;
	return free_way;
}

static void reset_msg(struct flow *f)
{
	f->lenhave = 0;
	f->have = 0;
}

static bool mid_message(const struct flow *f)
{
	return f->lenhave != 0;
}

void dx_tcp_add(dx_tcp_t *t, const dx_pkt_t *pkt, int64_t ts_us, dx_counters_t *cnt,
		dx_tcp_msg_fn fn, void *ctx)
{
	struct flow_key k;
	key_of(pkt, &k);
	const uint8_t *p = pkt->payload;
	size_t n = pkt->payload_len;
	bool syn = pkt->tcp_flags & DX_TCP_SYN;
	bool fin = pkt->tcp_flags & (DX_TCP_FIN | DX_TCP_RST);

	struct flow *f = lookup(t, &k, ts_us, syn || n > 0, cnt);
	if (f == NULL) {
		dx_count_reason(cnt, DX_R_tcp_no_payload);
		return;
	}
	if (ts_us > f->last_us)
		f->last_us = ts_us;
	if (syn) {
		reset_msg(f);
		f->next_seq = pkt->tcp_seq + 1;
		f->synced = true;
	} else if (n > 0) {
		uint32_t seq = pkt->tcp_seq;
		if (!f->synced) {
			f->next_seq = seq;
			f->synced = true;
		}
		int32_t d = (int32_t) (seq - f->next_seq);
		if (d > 0) { /* bytes missing before this segment */
			if (mid_message(f))
				dx_count_reason(cnt, DX_R_tcp_gap);
			reset_msg(f);
			f->next_seq = seq;
		} else if (d < 0) { /* retransmission, or an overlap to trim */
			size_t old = (size_t) - (int64_t) d;
			if (old >= n) {
				dx_count_reason(cnt, DX_R_tcp_retransmit);
				n = 0;
			} else {
				p += old;
				n -= old;
			}
		}
		f->next_seq += (uint32_t) n;
		uint8_t *buf = t->bufs + (size_t) (f - t->flows) * t->flow_bytes;
		while (n > 0) {
			if (f->lenhave < 2) {
				/* Fast path: a whole message inside this segment, no copy. */
				if (f->lenhave == 0 && n >= 2) {
					size_t ml = (size_t) p[0] << 8 | p[1];
					if (ml > 0 && n - 2 >= ml) {
						fn(ctx, pkt, p + 2, ml, false);
						p += 2 + ml;
						n -= 2 + ml;
						continue;
					}
				}
				f->lenbuf[f->lenhave++] = *p++;
				n--;
				if (f->lenhave == 2) {
					f->msg_len = (uint16_t) (f->lenbuf[0] << 8 | f->lenbuf[1]);
					f->have = 0;
					if (f->msg_len ==
					    0) /* an empty message: nothing to decode */
						reset_msg(f);
				}
				continue;
			}
			size_t want = (size_t) f->msg_len - f->have;
			size_t take = n < want ? n : want;
			if (f->have < t->flow_bytes) {
				size_t room = t->flow_bytes - f->have;
				memcpy(buf + f->have, p, take < room ? take : room);
			}
			f->have += (uint32_t) take;
			p += take;
			n -= take;
			if (f->have == f->msg_len) {
				bool partial = f->msg_len > t->flow_bytes;
				if (partial)
					dx_count_reason(cnt, DX_R_tcp_msg_oversize);
				fn(ctx, pkt, buf, partial ? t->flow_bytes : f->msg_len, partial);
				reset_msg(f);
			}
		}
	}
	if (fin) {
		if (mid_message(f))
			dx_count_reason(cnt, DX_R_tcp_gap);
		release(t, f);
	}
}
