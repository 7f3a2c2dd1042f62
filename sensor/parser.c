/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parser thread: ring A (frames) -> decode -> ring B (dx_query_t).
 *
 * Owns the TCP reassembly table and its own counters. A DNS message is decoded straight into
 * its reserved ring B record, so a message costs one copy in and no copy out; a record that
 * fails to decode is simply not committed. Live mode drops and counts when ring B is full;
 * offline mode waits. The ring A slot is released only after every message in the frame has
 * been handed on, so the zero-copy TCP path may read the frame in place.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "lib/base/clock.h"
#include "lib/decode/dns.h"
#include "lib/base/log.h"
#include "lib/prepare/echo.h"
#include "lib/prepare/prep.h"
#include "lib/prepare/query.h"
#include "lib/decode/tcp.h"
#include "sensor/pipeline.h"

struct parser {
	dx_pipeline_t *pl;
	dx_tcp_t *tcp;
	int64_t ts_us; /* of the frame being decoded */
	bool frame_truncated;
	dx_r53_rec_t rec; /* a query-log record being made into packets */
	uint32_t srcid;	  /* its instance and VPC (prepare/srcids.h), 0 otherwise */
	struct {
		dx_frame_t f;
		uint8_t bytes[DX_R53_FRAME_MAX];
	} made;
};

static bool vni_wanted(const dx_config_t *cfg, const dx_pkt_t *pk)
{
	if (cfg->capture.n_vnis == 0)
		return true;
	if (!pk->has_vni)
		return false;
	for (uint32_t i = 0; i < cfg->capture.n_vnis; i++)
		if (cfg->capture.vnis[i] == pk->vni)
			return true;
	return false;
}

/* The counters of this VNI's mirror session (a linear scan: a target sees a handful). */
static int vni_slot(dx_pipeline_t *pl, uint32_t vni)
{
	uint32_t used = atomic_load_explicit(&pl->vni_used, memory_order_relaxed);
	for (uint32_t i = 0; i < used; i++)
		if (pl->vni_stats[i].vni == vni)
			return (int) i;
	if (used == DX_VNI_STATS)
		return DX_VNI_STATS - 1;
	pl->vni_stats[used].vni = used == DX_VNI_STATS - 1 ? UINT32_MAX : vni; /* last: "other" */
	atomic_store_explicit(&pl->vni_used, used + 1, memory_order_release);
	return (int) used;
}

static dx_query_t *reserve_query(dx_pipeline_t *pl)
{
	unsigned step = 0;
	dx_query_t *q;
	while ((q = dx_ring_reserve(pl->ring_b, sizeof(*q))) == NULL ||
	       (!pl->live && dx_want_room(pl->ring_b, step))) {
		if (pl->live) {
			dx_count(&pl->par.ring_full, 1);
			return NULL;
		}
		/* offline: wait; the detector drains ring B until the parser is done, so room comes */
		if (step == 0)
			dx_count(&pl->par.ring_waits, 1);
		dx_backoff(&step);
	}
	return q;
}

/* The record's packet facts: time, innermost addresses and ports (an echo's: identifier and
 * sequence), VNI, source id, family and flags. */
static void fill_head(const struct parser *ps, const dx_pkt_t *pk, dx_query_t *q, unsigned flags)
{
	q->ts_us = ps->ts_us;
	memcpy(q->src, pk->src, 16);
	memcpy(q->dst, pk->dst, 16);
	q->sport = pk->sport;
	q->dport = pk->dport;
	q->vni = pk->vni;
	q->srcid = ps->srcid;
	q->af = pk->af;
	q->flags = (uint8_t) (flags | (pk->has_vni ? DX_Q_HAS_VNI : 0));
}

/* Decode one DNS message and hand it to the detector. */
static void emit(struct parser *ps, const dx_pkt_t *pk, const uint8_t *msg, size_t len,
		 bool truncated)
{
	dx_pipeline_t *pl = ps->pl;
	dx_query_t *q = reserve_query(pl);
	if (q == NULL)
		return;
	enum dx_reason why;
	if (dx_dns_parse(msg, len, &q->dns, &why) != DX_OK) {
		dx_count_reason(&pl->par, why);
		return; /* not committed: the slot is reused */
	}
	fill_head(ps, pk, q,
		  (pk->proto == DX_PROTO_TCP ? DX_Q_TCP : 0) | (truncated ? DX_Q_TRUNCATED : 0));
	dx_query_prepare(pl->prep, q); /* the detector's per-message work, done here */
	dx_count(&pl->par.dns_msgs, 1);
	dx_count(q->dns.is_response ? &pl->par.responses : &pl->par.queries, 1);
	if (pk->has_vni) {
		int v = vni_slot(pl, pk->vni);
		dx_count(q->dns.is_response ? &pl->vni_stats[v].responses
					    : &pl->vni_stats[v].queries,
			 1);
	}
	if (truncated || q->dns.truncated)
		dx_count(&pl->par.truncated, 1);
	dx_ring_commit_len(pl->ring_b, q, dx_query_size(q));
}

/* One ICMP echo request or reply ([capture] icmp): its record for the ICMP tunnel detector. */
static void emit_echo(struct parser *ps, const dx_pkt_t *pk)
{
	dx_pipeline_t *pl = ps->pl;
	dx_query_t *q = reserve_query(pl);
	if (q == NULL)
		return;
	fill_head(ps, pk, q, DX_Q_ECHO | (pk->truncated ? DX_Q_TRUNCATED : 0));
	bool reply = pk->icmp_type == 0 || pk->icmp_type == 129;
	dx_echo_prepare(&pl->key, pk->payload, pk->payload_len, pk->l4_len - 8, pk->icmp_type,
			reply, &q->echo);
	q->echo.ident = pk->sport;
	q->echo.seq = pk->dport;
	dx_count(&pl->par.echoes, 1);
	dx_ring_commit_len(pl->ring_b, q, dx_query_size(q));
}

static void on_tcp_msg(void *ctx, const dx_pkt_t *pk, const uint8_t *msg, size_t len, bool partial)
{
	struct parser *ps = ctx;
	emit(ps, pk, msg, len, partial || ps->frame_truncated);
}

static void decode_record(struct parser *ps, const dx_frame_t *f);

static void decode_frame(struct parser *ps, const dx_frame_t *f)
{
	dx_pipeline_t *pl = ps->pl;
	dx_pkt_t pk;
	enum dx_reason why;
	if (f->dlt == DX_DLT_R53) {
		decode_record(ps, f);
		return;
	}
	dx_count(&pl->par.packets, 1);
	dx_count(&pl->par.bytes, f->wirelen);
	if (dx_pkt_decode(&pl->dcfg, f->dlt, (const uint8_t *) (f + 1), f->caplen, f->wirelen, &pk,
			  &why) != DX_OK) {
		dx_count_reason(&pl->par, why);
		return;
	}
	if (!vni_wanted(pl->cfg, &pk)) {
		dx_count_reason(&pl->par, DX_R_vni_filtered);
		return;
	}
	if (pk.has_vni)
		dx_count(&pl->vni_stats[vni_slot(pl, pk.vni)].packets, 1);
	ps->ts_us = f->ts_us;
	ps->frame_truncated = pk.truncated;
	if (pk.proto == DX_PROTO_UDP)
		emit(ps, &pk, pk.payload, pk.payload_len, pk.truncated);
	else if (pk.proto == DX_PROTO_ICMP || pk.proto == DX_PROTO_ICMP6)
		emit_echo(ps, &pk);
	else
		dx_tcp_add(ps->tcp, &pk, f->ts_us, &pl->par, on_tcp_msg, ps);
}

/* A query-log record (DX_DLT_R53): parsed, and its query and response decoded as the
 * packets they would have been (README "Route 53 query logs"). */
static void decode_record(struct parser *ps, const dx_frame_t *f)
{
	dx_pipeline_t *pl = ps->pl;
	enum dx_reason why = dx_r53_parse((const char *) (f + 1), f->caplen, &ps->rec);
	if (why != DX_R_COUNT) {
		dx_count_reason(&pl->par, why);
		return;
	}
	ps->srcid = pl->srcids ? dx_srcids_intern(pl->srcids, ps->rec.instance, ps->rec.vpc_id) : 0;
	for (int resp = 0; resp < 2; resp++) {
		size_t n = dx_r53_packet(&ps->rec, resp, ps->made.bytes, sizeof(ps->made.bytes));
		if (n == 0)
			continue;
		ps->made.f = (dx_frame_t){.ts_us = ps->rec.ts_us,
					  .caplen = (uint32_t) n,
					  .wirelen = (uint32_t) n,
					  .dlt = DLT_RAW};
		decode_frame(ps, &ps->made.f);
	}
	ps->srcid = 0;
}

void *dx_parser_run(void *arg)
{
	dx_pipeline_t *pl = arg;
	const dx_config_t *cfg = pl->cfg;
	static struct parser ps; /* one parser thread; large */
	ps = (struct parser){.pl = pl};
	ps.tcp = dx_tcp_new(cfg->capture.tcp_flows, cfg->capture.tcp_flow_bytes,
			    cfg->capture.tcp_idle_sec, pl->key);
	if (ps.tcp == NULL) {
		dx_log(DX_LOG_ERR, DX_GRP_PARSE, "out of memory for %u TCP flows",
		       cfg->capture.tcp_flows);
		atomic_store(&pl->stop, true);
	}
	unsigned step = 0;
	uint64_t frames = 0;
	for (;;) {
		size_t len;
		bool tick, end;
		const dx_frame_t *f =
		    dx_consume(pl->ring_a, &len, &step, &pl->capture_done, &tick, &end);
		if (end)
			break;
		if (f == NULL) {
			if (tick) /* idle: a sign of life for the watchdog */
				atomic_store_explicit(&pl->alive_us[1], dx_clock_mono_us(),
						      memory_order_relaxed);
			continue;
		}
		if (ps.tcp != NULL)
			decode_frame(&ps, f);
		dx_ring_release(pl->ring_a);
		if ((++frames & 4095) == 0)
			atomic_store_explicit(&pl->alive_us[1], dx_clock_mono_us(),
					      memory_order_relaxed);
	}
	dx_tcp_free(ps.tcp);
	dx_r53_release();
	pl->cpu_s[1] = dx_clock_thread_cpu();
	atomic_store_explicit(&pl->parser_done, true, memory_order_release);
	return NULL;
}
