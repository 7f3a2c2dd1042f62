/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file hash.h
 * @brief SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for every table indexed by
 * attacker-chosen bytes (flows, apexes, names). With a key drawn at startup nobody can
 * precompute colliding inputs (style 2.5, as Redis does).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct dx_hash_key {
	uint64_t k0, k1;
} dx_hash_key_t;

/** SipHash-2-4 of in[0..len) under key. */
uint64_t dx_hash(const dx_hash_key_t *key, const void *in, size_t len);
