/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file detect.h
 * @brief The detection engine: per-apex sliding windows in packet time, a long horizon of the
 * information sent, per-client rates, the seven DNS detectors and their severities, and
 * ICMP_TUNNEL on echo traffic.
 *
 * Owned and run by the detector thread. Everything is allocated by dx_detect_new() and bounded
 * by dx_detect_cfg_t: apexes, remembered subdomains, clients and open alerts; the least
 * recently active entry is evicted (and counted) when a table is full, so memory stays flat
 * under a flood of random names or random apexes. Time is the packets' time only.
 *
 * Memory: dx_detect_mem_bound() (README "Configuration" has the figures); the parser's
 * caches are the preparer's (prep.h), not the engine's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/detect/alert.h"
#include "lib/prepare/allow.h"
#include "lib/prepare/apex.h"
#include "lib/base/common.h"
#include "lib/base/hash.h"
#include "lib/prepare/query.h"

#define DX_DETECT_BUCKETS 30 /* a window is 30 buckets of window_sec / 30 */
#define DX_DETECT_HOURS 24   /* horizon buckets of horizon_hours / 24 */

typedef struct dx_detect_cfg {
	uint32_t window_sec;	/* sliding window */
	uint32_t horizon_hours; /* information horizon */
	uint32_t max_apexes, max_subdomains, max_clients, max_alerts;
	uint32_t hf_medium, hf_high, hf_critical; /* subdomain queries in the window */
	bool recipe_compat; /* HIGH_FREQUENCY on counts alone, as the AWS recipe */
	uint32_t enc_low, enc_medium, enc_high, enc_critical; /* unique encoded subdomains */
	uint32_t enc_high_bytes, enc_critical_bytes;	/* ... HIGH, CRITICAL if they carry this */
	uint32_t long_qname, long_label;		/* what counts as long */
	uint32_t long_medium, long_high, long_critical; /* unique long names */
	uint32_t qtype_min, qtype_high, qtype_critical; /* unusual-type queries */
	uint32_t enum_min_unique, enum_medium;		/* unique names, mostly NXDOMAIN */
	uint32_t info_window_bytes, info_horizon_bytes; /* HIGH budgets */
	uint32_t info_critical_factor;			/* CRITICAL at this many budgets */
	uint32_t lookup_pct; /* the lookup shape: this share of queries in it, of answers not */
	uint32_t answer_data_bytes; /* an answer carries data past this many RDATA bytes */
	uint32_t lookup_info_bytes; /* a lookup service's INFO_VOLUME reaches HIGH only past this */
	uint32_t client_min_unique, client_ratio;
	uint32_t beacon_min;	    /* BEACON: regular check-ins for MEDIUM ... */
	uint32_t beacon_spread_pct; /* ... median absolute deviation at most this % of the median */
	uint32_t beacon_min_sec, beacon_max_sec; /* ... median interval within these */
	uint32_t beacon_gap_ms;	      /* queries of a pair closer than this: one check-in */
	uint32_t max_beacons;	      /* (client, apex) pairs followed */
	uint32_t stats_min_queries;   /* window-stats rows only for apexes this busy */
	uint32_t max_icmp_pairs;      /* ICMP_TUNNEL: (client, peer) pairs followed */
	uint32_t icmp_min_echoes;     /* ... echoes in the window before it judges a pair */
	uint32_t icmp_critical_bytes; /* ... CRITICAL with all evidence and this much data */
} dx_detect_cfg_t;

void dx_detect_cfg_defaults(dx_detect_cfg_t *c);

typedef struct dx_detect dx_detect_t;

/** Called when an alert opens, escalates, is refreshed at a window close, or closes. The
 * alert is owned by the engine; the callee may set a->id (the store does) and nothing else. */
typedef void (*dx_alert_fn)(void *ctx, dx_alert_t *a);
/** Called once per apex per closed (tumbling) window with at least stats_min_queries. */
typedef void (*dx_window_fn)(void *ctx, const dx_window_stats_t *w);

/** Build the engine. allow is borrowed (may be NULL) and must outlive it. key must be the key
 * of the apex resolver its messages are prepared with (dx_query_prepare()). NULL on OOM. */
dx_detect_t *dx_detect_new(const dx_detect_cfg_t *cfg, const dx_allow_t *allow, dx_hash_key_t key,
			   dx_alert_fn on_alert, dx_window_fn on_window, void *ctx);
void dx_detect_free(dx_detect_t *d);

/** Take new thresholds (SIGHUP): everything except the table sizes, window_sec,
 * horizon_hours, which need a restart (returned false if those differ). */
bool dx_detect_set_cfg(dx_detect_t *d, const dx_detect_cfg_t *cfg);

/** Swap the allowlist (SIGHUP); state is kept. */
void dx_detect_set_allow(dx_detect_t *d, const dx_allow_t *allow);

/** The table query logs' srcid values index (borrowed; NULL: none). */
struct dx_srcids;
void dx_detect_set_srcids(dx_detect_t *d, const struct dx_srcids *t);

/** Bytes dx_detect_new() allocates for cfg (the apex caches are the parser's:
 * dx_apex_mem_bound()). */
size_t dx_detect_mem_bound(const dx_detect_cfg_t *cfg);

/** Feed one decoded message (query or response), in packet-time order, prepared by
 * dx_query_prepare(). */
void dx_detect_add(dx_detect_t *d, const dx_query_t *q);

/** Start loading the table entries q will touch (q prepared), a few messages before
 * dx_detect_add(q): the name table alone is a cache miss per new name. No effect on results. */
void dx_detect_prefetch(const dx_detect_t *d, const dx_query_t *q);

/** Feed one ICMP echo (q->flags has DX_Q_ECHO, dx_echo_prepare()), in packet-time order with
 * the messages: the ICMP_TUNNEL detector (icmp.h). */
void dx_detect_echo(dx_detect_t *d, const dx_query_t *q);

/** End of input: close the current window (stats rows) and refresh every open alert. */
void dx_detect_finish(dx_detect_t *d);

typedef struct dx_detect_stats {
	uint64_t queries, responses, detector_queries; /* detector_queries: fed the detectors */
	uint64_t apexes, apex_evictions, subdomain_evictions, client_evictions;
	uint64_t alerts_raised, alert_pool_full;
	uint64_t
	    apex_probes; /* apex hash-chain entries compared (lookups cost 1 + this / queries) */
} dx_detect_stats_t;

void dx_detect_get_stats(const dx_detect_t *d, dx_detect_stats_t *out);
