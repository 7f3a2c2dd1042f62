/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file clients.h
 * @brief The clients table: each client address's sliding window of queries, new names,
 * responses and NXDOMAINs, and the median of the active clients' new names (their peers'
 * norm, for CLIENT_ANOMALY).
 *
 * Clients are found by their keyed hash through sets of 4 slots (one cache line) that point
 * into a pool of records handed out in order: a replay touches the records of the clients it
 * sees (a few hundred: kilobytes), not a hashed table of all of them. A full set gives up its
 * least recently seen client (counted). A recency list, ordered by the second each client was
 * last seen, lets the median walk only the active clients.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/detect/detect.h"
#include "lib/detect/window.h"

typedef struct dx_client_bucket {
	uint32_t q, uniq, resp, nx;
} dx_client_bucket_t;

typedef struct dx_client {
	dx_window_t win;
	uint32_t last_sec;
	uint32_t prev, next; /* the recency list: head = most recently seen second */
	dx_client_bucket_t sum, b[DX_DETECT_BUCKETS];
} dx_client_t;

typedef struct dx_client_slot {
	uint64_t h;
	uint32_t ref;	   /* pool index + 1; 0: empty (the table starts zeroed) */
	uint32_t last_sec; /* the record's, kept here to choose a victim without reading it */
} dx_client_slot_t;

typedef struct dx_clients {
	dx_client_t *pool;	 /* n_sets * 4 records */
	dx_client_slot_t *slots; /* n_sets sets of 4 */
	uint32_t n_sets, never_used;
	uint32_t head;	   /* the recency list, newest first; UINT32_MAX: empty */
	uint32_t median;   /* unique names per window of the median active client; UINT32_MAX:
			      too few to compare */
	uint32_t *scratch; /* for the median */
	uint64_t evictions;
} dx_clients_t;

/** Bytes the table takes for max_clients clients. */
size_t dx_clients_bytes(uint32_t max_clients);
bool dx_clients_init(dx_clients_t *t, uint32_t max_clients);
void dx_clients_free(dx_clients_t *t);

/** The client whose keyed hash (dx_client_hash()) is h, at second now_sec and bucket epoch
 * now_epoch, its window moved there; created (or taking a full set's oldest's place) if
 * new. */
dx_client_t *dx_clients_get(dx_clients_t *t, uint64_t h, uint32_t now_sec, uint32_t now_epoch);

/** Recompute the median of the unique names of the clients seen within window_sec (once a
 * bucket). */
void dx_clients_update_median(dx_clients_t *t, uint32_t now_sec, uint32_t now_epoch,
			      uint32_t window_sec);

/** Start loading the set of h (a few messages ahead). */
static inline void dx_clients_prefetch(const dx_clients_t *t, uint64_t h)
{
	__builtin_prefetch(t->slots + (h & (t->n_sets - 1)) * 4);
}
