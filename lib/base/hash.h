/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file hash.h
 * @brief SipHash (Aumasson and Bernstein, 2012): a keyed hash for every table indexed by
 * attacker-chosen bytes (flows, apexes, names). With a key drawn at startup nobody can
 * precompute colliding inputs (style 2.5, as Redis does). The tables use SipHash-1-3, the
 * variant Rust's and Python's hash tables use for the same purpose: every message is hashed
 * twice or more, and 1-3 costs about half of 2-4 on names of 10-40 bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dx_hash_key {
	uint64_t k0, k1;
} dx_hash_key_t;

/** The key of every replay (dnsexfild -r): fixed so that the same capture gives the same rows.
 * Published on purpose; see dx_hash_salt() for why that is safe. Live capture draws a key. */
#define DX_REPLAY_KEY ((dx_hash_key_t){0x646e736578666c64ULL, 0x7265706c61790001ULL})

/** SipHash-1-3 of in[0..len) under key. */
uint64_t dx_hash(const dx_hash_key_t *key, const void *in, size_t len);

/** SipHash-2-4 (the paper's own): for checking the shared code against its vectors. */
uint64_t dx_siphash24(const dx_hash_key_t *key, const void *in, size_t len);

/** Fill buf with n bytes from getrandom(), waiting until the kernel has entropy (never a
 * clock-derived guess). DX_OK, or a negated errno (ENOSYS, EPERM under a seccomp filter). */
int dx_hash_random(void *buf, size_t n);

/** The multiplier dx_hash_salt() falls back to when getrandom() fails: main allows that for a
 * replay only, whose key is published anyway; live capture refuses to start. */
#define DX_FIXED_SALT 0x9E3779B97F4A7C15ULL

/**
 * A random odd multiplier for dx_hash_index(), drawn from getrandom() at each call
 * (DX_FIXED_SALT if that fails).
 *
 * Why a second secret: a replay uses a fixed, published hash key so that tables which evict
 * under pressure behave the same on every run. Set-associative tables (names, clients, TCP
 * flows) cost the same however their inputs collide, but the apex hash chains and the
 * direct-mapped apex caches would slow down on crafted collisions. Their slot is therefore
 * taken from the key's hash through a per-process random multiplier: lookups stay exact (the
 * full hash and text are compared), results do not depend on the multiplier, and nobody can
 * choose inputs that share a slot without knowing it.
 */
uint64_t dx_hash_salt(void);

/** Slot of hash h in a table of 2^bits slots (1 <= bits <= 32), salted: multiply-shift
 * (Dietzfelbinger et al. 1997), universal for a random odd salt. */
static inline uint32_t dx_hash_index(uint64_t h, uint64_t salt, unsigned bits)
{
	return (uint32_t) ((h * salt) >> (64 - bits));
}

/* Sets of non-zero 64-bit hashes, open addressing with linear probing (0 = empty), mask + 1
 * slots (a power of two). The caller keeps the load at most one half, so a probe ends. */
static inline bool dx_hset_has(const uint64_t *slots, uint32_t mask, uint64_t h)
{
	for (uint32_t i = (uint32_t) h & mask;; i = (i + 1) & mask) {
		if (slots[i] == h)
			return true;
		if (slots[i] == 0)
			return false;
	}
}

/** Add h (non-zero); true if it was not there. */
static inline bool dx_hset_put(uint64_t *slots, uint32_t mask, uint64_t h)
{
	uint32_t i = (uint32_t) h & mask;
	while (slots[i] != 0 && slots[i] != h)
		i = (i + 1) & mask;
	if (slots[i] == h)
		return false;
	slots[i] = h;
	return true;
}
