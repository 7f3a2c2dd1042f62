/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file names.h
 * @brief The names table: when each full query name was last seen, by its keyed hash, in one
 * bounded 8-way set-associative table (a set is one cache line).
 *
 * The set comes from the hash's low bits, a 31-bit tag from the high ones, so two names are
 * confused only if 51 bits agree. When a set is full its least recently seen entry goes
 * (counted if it was still within the horizon): an evicted name seen again counts as new,
 * which errs towards detection, never towards silence.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DX_NAMES_WAYS 8

typedef struct dx_names_ent {
	uint32_t tag; /* 0: empty */
	uint32_t last_sec;
} dx_names_ent_t;

typedef struct dx_names {
	dx_names_ent_t *sets; /* n_sets sets of DX_NAMES_WAYS */
	uint32_t n_sets;
	uint32_t horizon_sec; /* an entry evicted younger than this is counted */
	uint64_t evictions;
} dx_names_t;

/** Bytes the table takes for max_names names. */
size_t dx_names_bytes(uint32_t max_names);
/** Allocate the table (zeroed, on 2 MiB pages where the kernel allows). false on OOM. */
bool dx_names_init(dx_names_t *t, uint32_t max_names, uint32_t horizon_sec);
void dx_names_free(dx_names_t *t);

/** Seconds since name hash h was last seen (UINT32_MAX: never, or forgotten); records now. */
uint32_t dx_names_seen(dx_names_t *t, uint64_t h, uint32_t now_sec);

/** Start loading the set of h (a few messages ahead). */
static inline void dx_names_prefetch(const dx_names_t *t, uint64_t h)
{
	__builtin_prefetch(t->sets + (h & (t->n_sets - 1)) * DX_NAMES_WAYS);
}
