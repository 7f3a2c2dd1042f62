/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file prep.h
 * @brief dx_query_prepare(): the per-message part of detection (apex, keyed hashes, subdomain
 * features), done by the parser thread before the message crosses ring B, with a cache of
 * what was prepared for recent names.
 */
#pragma once

#include <libpsl.h>

#include "lib/prepare/apex.h"
#include "lib/prepare/query.h"

typedef struct dx_qprep dx_qprep_t;

/** The preparer's settings ([detect] psl_private and cache_entries in the configuration). */
typedef struct dx_qprep_cfg {
	bool psl_private;	/* the list's PRIVATE section applies (dx_apex_new()) */
	uint32_t cache_entries; /* names cached by the preparer and by its apex resolver */
} dx_qprep_cfg_t;

/** psl_private on, 65,536 cache entries. */
void dx_qprep_cfg_defaults(dx_qprep_cfg_t *c);

/** A preparer: the apex resolver (dx_apex_new() with the same arguments) and a direct-mapped
 * cache of cache_entries names (rounded up to a power of two). Belongs to one thread. NULL on
 * OOM. */
dx_qprep_t *dx_qprep_new(const psl_ctx_t *psl, bool private_rules, uint32_t cache_entries,
			 dx_hash_key_t key);
void dx_qprep_free(dx_qprep_t *qp);
/** Bytes dx_qprep_new() allocates, its apex resolver included. */
size_t dx_qprep_mem_bound(uint32_t cache_entries);
/** Names prepared from scratch (cache misses), for the benchmarks and tests. */
uint64_t dx_qprep_misses(const dx_qprep_t *qp);

/** Fill q->prep from q's decoded fields. dx_detect_add() requires it. */
void dx_query_prepare(dx_qprep_t *qp, dx_query_t *q);

/** The keyed hash of a client address as the detector's client table keys it. */
uint64_t dx_client_hash(const dx_hash_key_t *key, const uint8_t addr[16], uint8_t af, uint32_t vni);

/** The label hash the detector remembers long labels by (prep.lab_hash). */
uint32_t dx_label_hash(const dx_hash_key_t *key, const char *label, size_t len);

/** The labels of 8 or more characters left of the apex at apex_off (of the first 64 labels):
 * the first max of them as hash[] (dx_label_hash()) and idx[] (label index from the left).
 * Returns how many there are, which may exceed max. */
unsigned dx_long_labels(const dx_hash_key_t *key, const dx_name_t *n, unsigned apex_off,
			uint32_t *hash, uint8_t *idx, unsigned max);
