/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file window.h
 * @brief A sliding window as a ring of buckets with a running sum, in packet time: the apex's
 * window, its hourly horizon and the client's window are all one of these.
 *
 * The caller owns the buckets (n of them, size bytes each) and the sum, and says how a bucket
 * leaves the sum; the ring keeps which bucket is current and its epoch (time / bucket length).
 * Moving to a later epoch drops the buckets that leave the window from the sum, so the sum is
 * always the window's total in O(1) a query. An epoch that is not later changes nothing: time
 * that goes backwards is folded into the current bucket.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dx_window {
	uint32_t epoch; /* the current bucket's epoch */
	uint16_t cur;	/* its index */
} dx_window_t;

/** Take bucket b out of sum (field by field). */
typedef void (*dx_window_sub_fn)(void *sum, const void *b);

/** The ring at epoch now, now > w->epoch: each bucket that leaves is subtracted from sum and
 * cleared; a gap of n buckets or more clears them all and the sum. Use dx_window_advance().
 * Inline, so that sub, a constant at each call, is inlined too. */
static inline void dx_window_step(dx_window_t *w, uint32_t now, unsigned n, void *buckets,
				  size_t size, void *sum, size_t sum_size, dx_window_sub_fn sub)
{
	uint32_t steps = now - w->epoch;
	if (steps >= n) { /* a long gap clears everything at once */
		memset(buckets, 0, (size_t) n * size);
		memset(sum, 0, sum_size);
	} else {
		while (steps-- > 0) {
			w->cur = (uint16_t) ((w->cur + 1) % n);
			void *b = (char *) buckets + (size_t) w->cur * size;
			sub(sum, b);
			memset(b, 0, size);
		}
	}
	w->epoch = now;
}

/** Move the ring to epoch now if it is later (the common case, a query in the current bucket,
 * costs one comparison). */
static inline void dx_window_advance(dx_window_t *w, uint32_t now, unsigned n, void *buckets,
				     size_t size, void *sum, size_t sum_size, dx_window_sub_fn sub)
{
	if (now > w->epoch)
		dx_window_step(w, now, n, buckets, size, sum, sum_size, sub);
}
