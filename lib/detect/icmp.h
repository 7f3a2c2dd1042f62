/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file icmp.h
 * @brief ICMP_TUNNEL (private to lib/detect): echo requests and replies per (client, peer)
 * pair, the client being the side that sends the requests. Bounded, 4-way set-associative by
 * the pair's keyed hash; a full set gives up its least recently seen pair (counted), ending
 * the pair's alert first. The alerts have a pool of their own (DX_ICMP_ALERTS).
 *
 * Per pair and tumbling window (the engine's window_sec): echoes, requests, replies, the
 * replies that echo none of the pair's last DX_ICMP_DIGESTS request payloads (a real echo
 * server returns the request's payload byte for byte, RFC 792 and RFC 4443 4.2), payloads
 * that look like data (echo.h), the distinct payload sizes, known tool markers, the payload
 * bytes and the information estimate: each payload that is not an echo, weighted by its
 * entropy of differences (a ping's timestamp and counting pattern count for little). The
 * estimate over the pair's life is the alert's est_bytes.
 *
 * Evidence: unechoed replies (at least 8 and a quarter of the replies to the pair's
 * requests), data payloads (at least 8 and a quarter of the echoes), changing payloads (at
 * least 8 and half of the requests differ from the request before past their first 16 bytes,
 * where ping keeps its timestamp and then a fixed pattern), sizes (at least DX_ICMP_SPREAD
 * distinct ones). With at least icmp_min_echoes echoes in the window: one evidence is
 * MEDIUM; two, or one with a tool's marker on 8 or more payloads, HIGH; three carrying
 * icmp_critical_bytes in the window, CRITICAL. A marker alone is never evidence:
 * a magic number is four bytes anyone may send.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/detect/alert.h"
#include "lib/prepare/query.h"

#define DX_ICMP_DIGESTS 16 /* request payloads remembered per pair */
#define DX_ICMP_SIZES 8	   /* distinct payload sizes counted per window */
#define DX_ICMP_SPREAD 4   /* ... this many are evidence */
#define DX_ICMP_ALERTS 256 /* open ICMP alerts at once */

struct dx_detect;

typedef struct dx_icmp_win {
	uint32_t echoes, requests, replies;
	uint32_t answered; /* replies to a pair that sent requests (unechoed counts among them) */
	uint32_t unechoed, data, marked;
	uint32_t changed; /* requests whose payload past a timestamp differs from the last one's */
	uint32_t sizes[DX_ICMP_SIZES];
	uint8_t n_sizes;
	uint64_t bytes, info_bits;
} dx_icmp_win_t;

typedef struct dx_icmp_pair {
	uint64_t h; /* the pair; 0: empty */
	dx_ts_t first_ts, last_ts;
	uint32_t win_idx; /* the engine's tumbling window w counts */
	uint32_t vni;
	uint32_t alert; /* its open alert in the pool, or UINT32_MAX */
	uint8_t client[16], peer[16];
	uint8_t af;
	bool has_vni;
	uint8_t dig_pos;
	uint64_t last_sketch; /* the last request's dx_echo_t.sketch */
	dx_icmp_win_t w;
	uint64_t total_echoes, total_requests, total_bytes, total_info_bits;
	uint64_t dig[DX_ICMP_DIGESTS]; /* the last request payloads' digests */
} dx_icmp_pair_t;

typedef struct dx_icmp_alert {
	dx_alert_t a;
	uint32_t pair; /* owner's index in sets */
	uint32_t next_free;
	bool used;
} dx_icmp_alert_t;

typedef struct dx_icmp {
	dx_icmp_pair_t *sets; /* n_sets sets of 4 */
	uint32_t n_sets;
	dx_icmp_alert_t *alerts;
	uint32_t free_alert, never_used;
	uint64_t echoes, evictions, pool_full;
} dx_icmp_t;

size_t dx_icmp_bytes(uint32_t max_pairs);
bool dx_icmp_init(dx_icmp_t *t, uint32_t max_pairs);
void dx_icmp_free(dx_icmp_t *t);

/** One echo (q->flags has DX_Q_ECHO), in packet-time order, after the engine's clock moved. */
void dx_icmp_add(struct dx_detect *d, const dx_query_t *q);

/** At a window's close: refresh every open ICMP alert, and end those whose pair was quiet for
 * the whole window, or all. */
void dx_icmp_close(struct dx_detect *d, bool all);
