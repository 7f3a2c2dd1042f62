/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file beacons.h
 * @brief Check-ins per (client, apex): the intervals between a client's visits to an apex, for
 * BEACON. Bounded, 4-way set-associative by the pair's keyed hash; a full set gives up its
 * least recently seen pair (counted).
 *
 * Queries of one pair less than gap_ms apart are one check-in (a beacon may ask A and AAAA,
 * or retry; a tasked one fetches its task and sends its output in a burst, however long).
 * For each check-in the table keeps the interval since the last one (the last
 * DX_BEACON_IVS of them), whether its name was new (not the last check-in's: a fresh name or
 * a counter), and whether it looked machine-made. Regular: the median interval within
 * [min_sec, max_sec], the median absolute deviation at most spread_pct % of it (RITA's
 * dispersion test, which +-20 % jitter passes: its MAD is about 10 %), and every interval
 * within half to twice the median but one once twelve are known (arrivals at random, such as
 * a mail gateway's DNSBL lookups, have gaps far from their median; a jittered beacon has not).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"

#define DX_BEACON_IVS 16

typedef struct dx_beacon {
	uint64_t h;		    /* the pair; 0: empty */
	dx_ts_t last_ts;	    /* the last check-in's first query */
	dx_ts_t last_q;		    /* and its latest */
	uint32_t iv[DX_BEACON_IVS]; /* intervals between check-ins, ms, round robin */
	uint32_t last_name;	    /* the last check-in's name (its hash) */
	uint16_t checkins, fresh, machine;
	uint16_t answers, idle; /* responses to the pair's queries, and those that said nothing */
	uint8_t n_iv, pos;
	bool regular; /* the owner's verdict on the intervals at the last check-in */
} dx_beacon_t;

typedef struct dx_beacons {
	dx_beacon_t *sets; /* n_sets sets of 4 */
	uint32_t n_sets;
	uint64_t evictions;
} dx_beacons_t;

size_t dx_beacons_bytes(uint32_t max_pairs);
bool dx_beacons_init(dx_beacons_t *t, uint32_t max_pairs);
void dx_beacons_free(dx_beacons_t *t);

/** Record a query of pair h (keyed) at ts with name hash name, machine-made or not; returns
 * the pair, and *checkin says whether the query began a new check-in. */
dx_beacon_t *dx_beacons_see(dx_beacons_t *t, uint64_t h, dx_ts_t ts, uint32_t name, bool machine,
			    uint32_t gap_ms, bool *checkin);

/** A response to pair h's query: idle (NXDOMAIN, no answer, only idle addresses) or not.
 * Pairs not followed are left alone. */
void dx_beacons_answer(dx_beacons_t *t, uint64_t h, bool idle);

/** Start loading the set of pair h (a few messages ahead). */
static inline void dx_beacons_prefetch(const dx_beacons_t *t, uint64_t h)
{
	__builtin_prefetch(t->sets + ((h | 1) & (t->n_sets - 1)) * 4);
}

/** Whether the pair's last intervals are regular: at least min_ivs of them, median within
 * [min_sec, max_sec], median absolute deviation at most spread_pct % of the median, and
 * none (one, once twelve are known) under half or over twice the median. */
bool dx_beacons_regular(const dx_beacon_t *b, unsigned min_ivs, uint32_t min_sec, uint32_t max_sec,
			uint32_t spread_pct);
