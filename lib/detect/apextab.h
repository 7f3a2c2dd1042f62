/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file apextab.h
 * @brief The apex table: every registrable domain the engine follows, found by its keyed hash,
 * bounded by max_apexes, evicting by a segmented LRU with a frequency filter.
 *
 * New apexes enter a probation segment and move to the protected segment (4/5 of the table)
 * when seen again; eviction takes from probation first. A count-min sketch, halved every
 * 10 × max apexes entries, remembers how often an apex entered the table, even after it was
 * evicted, so an apex that keeps coming back (a tunnel inside a flood of random apexes) is
 * admitted straight to protected, while a flood of one-off apexes only churns probation.
 * Only entries are counted, not every lookup: the question asked at an entry is whether the
 * apex was here before. The hash chains take their slot through a per-process random
 * multiplier (dx_hash_index()), so colliding names cannot be chosen.
 *
 * The table knows the records' links and names only; before it reuses a record it calls the
 * owner's evict function, which writes what the record still has to say (its window row,
 * its alerts closed).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/hash.h"

struct apex_st;

#define DX_APEXTAB_NIL UINT32_MAX

/** Called with the index of a record about to be reused, while it is still whole. */
typedef void (*dx_apextab_evict_fn)(void *ctx, uint32_t idx);

typedef struct dx_apextab {
	struct apex_st *recs; /* max records, handed out in order */
	uint32_t *htab;	      /* slot -> first record of its chain */
	uint64_t hsalt;
	unsigned hbits;	 /* log2 of the slots */
	uint64_t probes; /* chain entries compared */
	uint32_t max, n; /* records 0 .. n-1 in use (handed out in order), of max */
	uint32_t head[2], tail[2], n_seg[2], protected_max; /* [0] probation, [1] protected */
	uint8_t *cms;					    /* DX_APEXTAB_CMS_ROWS rows */
	uint32_t cms_mask, cms_adds, cms_age_at;
	uint64_t evictions;
	dx_apextab_evict_fn evict;
	void *ctx;
} dx_apextab_t;

/** Bytes the table takes for max apexes. */
size_t dx_apextab_bytes(uint32_t max);
/** Allocate it (max >= 1); evict(ctx, i) is called before record i is reused. */
bool dx_apextab_init(dx_apextab_t *t, uint32_t max, dx_apextab_evict_fn evict, void *ctx);
void dx_apextab_free(dx_apextab_t *t);

/** The record of apex text a[0..len) (len <= 255) with keyed hash h. A new record is zeroed
 * but for its name, hash and links, and *created says so: the owner fills the rest. */
uint32_t dx_apextab_get(dx_apextab_t *t, const char *a, size_t len, uint64_t h, bool *created);

/** Every record: probation's, then protected's, each from its most recently active;
 * DX_APEXTAB_NIL after the last. The walk must not get or evict on the way. */
uint32_t dx_apextab_first(const dx_apextab_t *t);
uint32_t dx_apextab_next(const dx_apextab_t *t, uint32_t i);

/** Start loading the hash slot of h (a few messages ahead). */
static inline void dx_apextab_prefetch(const dx_apextab_t *t, uint64_t h)
{
	__builtin_prefetch(&t->htab[dx_hash_index(h, t->hsalt, t->hbits)]);
}
