/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file ring.h
 * @brief Bounded single-producer/single-consumer ring of variable-size records.
 *
 * One producer thread, one consumer thread. Each side alone writes its own index, reads the
 * other's with acquire and publishes its own with release, so a record's bytes are visible
 * before the index that hands it over. Records are stored contiguously (a record that would
 * straddle the end is preceded by a pad record), so the consumer reads them in place: one copy
 * per packet, done by the producer. Memory is allocated once by dx_ring_new(); nothing here
 * allocates or locks.
 *
 * A full ring returns NULL from dx_ring_reserve(): live capture drops and counts, offline
 * replay waits (the caller's policy, not the ring's).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"

#define DX_RING_ALIGN 16u	/* record alignment: dx_query_t has 8-byte members */
#define DX_RING_PAD 0xFFFFFFFFu /* header length marking the rest of the buffer as pad */

typedef struct dx_ring {
	/* Producer's line: what it publishes, and its private view of the consumer. */
	_Alignas(64) _Atomic size_t head; /* bytes published */
	size_t tail_cache; /* producer only: last tail read; reloaded only when short of room */
	size_t pending;	   /* producer only: bytes the reserved record takes (pad included) */
	/* Consumer's line. */
	_Alignas(64) _Atomic size_t tail; /* bytes consumed */
	size_t head_cache; /* consumer only: last head read; reloaded only when caught up */
	size_t current;	   /* consumer only: bytes of the record handed out by dx_ring_peek() */
	/* Read-only after dx_ring_new(). */
	_Alignas(64) size_t cap; /* bytes; a power of two */
	size_t max_record;	 /* largest payload dx_ring_reserve() accepts */
	uint8_t *buf;
} dx_ring_t;

struct dx_ring_hdr {
	uint32_t len; /* payload bytes, or DX_RING_PAD */
	uint32_t pad_;
};

/** Allocate a ring of at least cap_bytes (rounded up to a power of two) holding records of up
 * to max_record payload bytes. Returns NULL on allocation failure or if max_record does not fit
 * twice. Free with dx_ring_free(). */
dx_ring_t *dx_ring_new(size_t cap_bytes, size_t max_record);
void dx_ring_free(dx_ring_t *r);
/** The buffer dx_ring_new() allocates for cap_bytes: the next power of two (for the memory
 * bound). */
size_t dx_ring_bytes(size_t cap_bytes);

static inline size_t dx_ring_recsize(size_t len)
{
	return (sizeof(struct dx_ring_hdr) + len + DX_RING_ALIGN - 1) &
	       ~(size_t) (DX_RING_ALIGN - 1);
}

/** Producer: room for a record of len payload bytes, or NULL when full. The bytes are not
 * visible to the consumer until dx_ring_commit(). len must not exceed max_record. */
static inline void *dx_ring_reserve(dx_ring_t *r, size_t len)
{
	DX_REQUIRE(len <= r->max_record);
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t need = dx_ring_recsize(len);
	size_t pos = head & (r->cap - 1);
	size_t to_end = r->cap - pos;
	size_t pad = need > to_end ? to_end : 0;
	/* Touch the consumer's line only when the cached view says the ring is full: one
	 * cache-line transfer per batch instead of one per record. */
	if (need + pad > r->cap - (head - r->tail_cache)) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (need + pad > r->cap - (head - r->tail_cache))
			return NULL;
	}
	struct dx_ring_hdr *h;
	if (pad) {
		h = (struct dx_ring_hdr *) (void *) (r->buf + pos);
		h->len = DX_RING_PAD;
		pos = 0;
	}
	h = (struct dx_ring_hdr *) (void *) (r->buf + pos);
	h->len = (uint32_t) len;
	r->pending = need + pad;
	return h + 1;
}

/** Producer: shrink the reserved record to len (<= the reserved length) and publish it. */
static inline void dx_ring_commit_len(dx_ring_t *r, void *rec, size_t len)
{
	struct dx_ring_hdr *h = (struct dx_ring_hdr *) rec - 1;
	size_t old = dx_ring_recsize(h->len);
	DX_REQUIRE(len <= h->len);
	h->len = (uint32_t) len;
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + r->pending - old + dx_ring_recsize(len),
			      memory_order_release);
}

static inline void dx_ring_commit(dx_ring_t *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + r->pending, memory_order_release);
}

/** Consumer: the oldest record and its length, or NULL when empty. Valid until release. */
static inline const void *dx_ring_peek(dx_ring_t *r, size_t *len)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail == r->head_cache) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail == r->head_cache)
			return NULL;
	}
	size_t pos = tail & (r->cap - 1);
	const struct dx_ring_hdr *h = (const struct dx_ring_hdr *) (const void *) (r->buf + pos);
	r->current = 0;
	if (h->len == DX_RING_PAD) {
		r->current = r->cap - pos;
		h = (const struct dx_ring_hdr *) (const void *) r->buf;
	}
	r->current += dx_ring_recsize(h->len);
	*len = h->len;
	return h + 1;
}

/** Consumer: the byte position just after the record dx_ring_peek() handed out, for
 * dx_ring_peek_at(). */
static inline size_t dx_ring_next_pos(dx_ring_t *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed) + r->current;
}

/** Consumer: look ahead without consuming. The record at byte position *pos (from
 * dx_ring_next_pos() or a previous call), and *pos moved past it; NULL when *pos has reached
 * what the producer published. Valid until that record is released. */
static inline const void *dx_ring_peek_at(dx_ring_t *r, size_t *pos, size_t *len)
{
	if (*pos == r->head_cache) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (*pos == r->head_cache)
			return NULL;
	}
	size_t p = *pos & (r->cap - 1), adv = 0;
	const struct dx_ring_hdr *h = (const struct dx_ring_hdr *) (const void *) (r->buf + p);
	if (h->len == DX_RING_PAD) {
		adv = r->cap - p;
		h = (const struct dx_ring_hdr *) (const void *) r->buf;
	}
	*pos += adv + dx_ring_recsize(h->len);
	*len = h->len;
	return h + 1;
}

static inline void dx_ring_release(dx_ring_t *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + r->current, memory_order_release);
}

/** Bytes published and not yet released: exact for either side's own index, a lower bound
 * for the consumer and an upper bound for the producer. */
static inline size_t dx_ring_used(dx_ring_t *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

/** Capacity in bytes. */
static inline size_t dx_ring_cap(const dx_ring_t *r)
{
	return r->cap;
}

static inline bool dx_ring_empty(dx_ring_t *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed) ==
	       atomic_load_explicit(&r->head, memory_order_acquire);
}
