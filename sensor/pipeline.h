/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file pipeline.h
 * @brief The state the three threads share: the two rings, each thread's counters, and the
 * life-cycle flags. main owns it; each thread writes only its own counters and its own
 * "done" flag.
 *
 *   capture thread --ring A (dx_frame_t + bytes)--> parser thread --ring B (dx_query_t)-->
 *   detector thread
 */
#pragma once

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/prepare/prep.h"
#include "lib/prepare/srcids.h"
#include "lib/config.h"
#include "lib/decode/counters.h"
#include "lib/detect/detect.h"
#include "lib/respond/events.h"
#include "lib/respond/hook.h"
#include "lib/respond/respond.h"
#include "lib/store/store.h"
#include "lib/base/hash.h"
#include "lib/decode/pkt.h"
#include "lib/decode/r53log.h"
#include "lib/base/ring.h"

/** Ring A record header; caplen frame bytes follow. */
typedef struct dx_frame {
	int64_t ts_us;
	uint32_t caplen;
	uint32_t wirelen;
	int32_t dlt;
	uint32_t pad_;
} dx_frame_t;

/* dx_frame_t.dlt of a ring A record that is a Route 53 query-log record's JSON text, parsed
 * by the parser thread into the packets the resolver saw (sensor/logs.c) */
#define DX_DLT_R53 (-53)

#define DX_VNI_STATS 64 /* mirror sessions with their own counters */

/** Settings reloaded on SIGHUP, handed from main to the detector thread, which applies them
 * between two messages and frees the allowlist they replace. */
struct dx_reload {
	dx_detect_cfg_t detect;
	dx_respond_cfg_t respond;
	dx_allow_t *allow;   /* may be NULL: none */
	dx_allow_t *protect; /* may be NULL: none */
};

typedef struct dx_pipeline {
	const dx_config_t *cfg;
	dx_decode_cfg_t dcfg;
	dx_hash_key_t key; /* random per process */
	bool live;	   /* live: full rings drop; offline: producers wait */
	bool dump;
	FILE *dump_out;

	dx_ring_t *ring_a, *ring_b;
	pcap_t *pcap;	       /* the open capture; live handles stay for the whole run */
	pcap_dumper_t *dumper; /* -w: live frames written as read (capture thread only) */

	_Atomic bool stop; /* a signal asked us to stop */
	_Atomic bool capture_done, parser_done, detector_done;
	int capture_failed; /* set by the capture thread before capture_done */

	pthread_t main_thread; /* woken with SIGUSR2 when the detector finishes */
	dx_store_t *store;     /* used by the detector thread only, once started */
	dx_detect_t *engine;   /* likewise */
	dx_qprep_t *prep;      /* the parser thread's: dx_query_prepare() */
	dx_srcids_t *srcids;   /* query logs' instances and VPCs: parser writes, detector reads */
	dx_respond_t *respond; /* likewise */
	dx_hook_t *hook;       /* its worker thread; NULL without a hook */
	uint64_t alerts_by_sev[DX_SEV_CRITICAL + 1]; /* detector thread; read after join */
	uint64_t alerts_allowlisted;		     /* likewise: not counted above */
	uint64_t store_errors;
	dx_counters_t cap, par, det;
	int64_t cap_last_ts; /* capture thread only: newest frame time read */
	double cpu_s[3];     /* CPU seconds of the capture, parser and detector threads, each
				written by its own thread as it ends; read after join */
	/* per mirror session (VNI), kept apart: written by the parser thread only. Slot i is in
	 * use once vni_used > i; sessions beyond DX_VNI_STATS share the last slot ("other"). */
	struct {
		uint32_t vni;
		_Atomic uint64_t packets, queries, responses;
	} vni_stats[DX_VNI_STATS];
	_Atomic uint32_t vni_used;
	/* live: pcap_stats, refreshed by the capture thread about once a second */
	_Atomic uint64_t ps_recv, ps_drop, ps_ifdrop;
	_Atomic bool snapshot_now; /* SIGUSR1: write a stats snapshot now */
	/* each thread's last sign of life (monotonic µs: capture, parser, detector), so the
	 * main thread feeds the service manager's watchdog only while all three go round */
	_Atomic int64_t alive_us[3];
	_Atomic(struct dx_reload *) reload; /* SIGHUP: new settings for the detector thread */
	dx_allow_t *allow;		    /* the allowlist in use (detector thread's) */
	dx_allow_t *protect;		    /* [response] protect in use (likewise) */
	/* events out (README "Sending events"); all NULL when neither is configured */
	dx_events_t *events; /* the detector thread's */
	struct dx_eve *eve;  /* [output] eve's writer, or NULL */
	dx_hook_t *notify;   /* [notify] hook's runner, or NULL */
	dx_ts_t pkt_now;     /* detector thread: the newest packet time */
	uint64_t notify_seq, notify_done, notify_failed, notify_queue_full; /* likewise */
	char host[256];				       /* gethostname(), for every event */
	uint64_t eve_written, eve_dropped, eve_failed; /* the EVE writer's last counts */
	/* offline inputs: the files given, directories expanded (README "Route 53 query logs"),
	 * each a capture or a query log (enum dx_input); standard input's first bytes, read to
	 * judge it, handed back to its reader */
	char **inputs;
	uint8_t *input_kind;
	uint32_t n_inputs, inputs_cap;
	uint8_t stdin_pre[512];
	size_t stdin_pre_n;
} dx_pipeline_t;

/** The label of VNI counter slot i: the VNI, or "other" for the overflow slot. */
static inline void dx_vni_name(const dx_pipeline_t *pl, uint32_t i, char name[16])
{
	if (pl->vni_stats[i].vni == UINT32_MAX)
		snprintf(name, 16, "other");
	else
		snprintf(name, 16, "%u", pl->vni_stats[i].vni);
}

/** Thread entry points; arg is the dx_pipeline_t. */
void *dx_capture_run(void *arg);
void *dx_parser_run(void *arg);
void *dx_detector_run(void *arg);

/** The detection engine's callbacks: write to pl->store (ctx is the dx_pipeline_t). */
void dx_detector_on_alert(void *ctx, dx_alert_t *a);
void dx_detector_on_window(void *ctx, const dx_window_stats_t *w);
/** The events' and the block policy's callbacks (ctx is the dx_pipeline_t): an event to the
 * EVE writer and the notify hook; a block's state change to the events. */
void dx_detector_on_event(void *ctx, const dx_event_t *ev);
void dx_detector_on_block(void *ctx, const char *apex, const char *state, dx_ts_t now);

/** Open the first input (files are opened in turn by the capture thread); live, with
 * write_path, also open a pcap file the capture thread writes every frame to (-w). Returns 0,
 * or -1 after printing one error line. */
int dx_capture_open(dx_pipeline_t *pl, const char *write_path);

/** Inputs skipped or malformed for reason r: the parser's count and the capture thread's
 * (query-log records). */
static inline uint64_t dx_reason_total(const dx_pipeline_t *pl, int r)
{
	return dx_counter_get((_Atomic uint64_t *) &pl->par.reason[r]) +
	       dx_counter_get((_Atomic uint64_t *) &pl->cap.reason[r]);
}

/** Copy one frame of len bytes at packet time ts_us into ring A (offline: waiting for room;
 * live: dropped and counted when full). False if told to stop while waiting. */
bool dx_capture_push(dx_pipeline_t *pl, int dlt, int64_t ts_us, const uint8_t *bytes, uint32_t len,
		     uint32_t wirelen);

/** Idle back-off for a ring consumer or a waiting producer: 4 yields, then sleeps of 50 µs
 * doubling to 1 ms. */
void dx_backoff(unsigned *step);

/*
 * Hysteresis: a thread that had to wait resumes only when there is a batch to do, not at the
 * first record. A producer and a consumer working a record apart pass every cache line (and
 * the ring's index) between the two cores record by record, which costs more than the work. A
 * consumer waits for DX_BATCH_BYTES or for the producer to finish, a producer for an eighth
 * of the ring to be free; either gives up waiting after DX_BATCH_STEPS back-offs (about
 * 0.1 ms), which bounds the latency added to light live traffic.
 */
#define DX_BATCH_BYTES (256u << 10)
#define DX_BATCH_STEPS 6u

/** Consumer: after waiting (step > 0), keep waiting for a batch? */
static inline bool dx_want_batch(dx_ring_t *r, unsigned step, bool producer_done)
{
	return step > 0 && step < DX_BATCH_STEPS && !producer_done &&
	       dx_ring_used(r) < DX_BATCH_BYTES;
}

/** The consumer side of a ring, written once for the parser and the detector: the next
 * record of r (its length in *len), or NULL. NULL with *end set: the producer is done
 * (*producer_done) and r is empty. NULL without: it waited a little (dx_backoff(), counted in
 * *step), and *tick says whether the consumer's periodic work is due: after ~0.75 ms of waiting
 * (4 yields, then 50+100+200+400 µs), then every ~64 ms. */
static inline const void *dx_consume(dx_ring_t *r, size_t *len, unsigned *step,
				     _Atomic bool *producer_done, bool *tick, bool *end)
{
	const void *p = dx_ring_peek(r, len);
	bool done = atomic_load_explicit(producer_done, memory_order_acquire);
	*tick = *end = false;
	if (p != NULL && !dx_want_batch(r, *step, done)) {
		*step = 0;
		return p;
	}
	if (done && dx_ring_empty(r)) {
		*end = true;
		return NULL;
	}
	*tick = *step >= 8 && (*step - 8) % 64 == 0;
	dx_backoff(step);
	return NULL;
}

/** Producer: after waiting (step > 0), keep waiting for room? */
static inline bool dx_want_room(dx_ring_t *r, unsigned step)
{
	return step > 0 && step < DX_BATCH_STEPS &&
	       dx_ring_cap(r) - dx_ring_used(r) < dx_ring_cap(r) / 8;
}
