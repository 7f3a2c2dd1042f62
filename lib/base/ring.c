/* SPDX-License-Identifier: BSD-2-Clause */
/* Ring allocation. The buffer is one aligned allocation made at startup; push and pop are
 * inline in ring.h. A record may take up to 2 × its size in the worst case (pad before it),
 * so max_record must fit in half the ring or a producer could wait forever. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_2M ((size_t) 2 << 20)

#include "lib/base/ring.h"

size_t dx_ring_bytes(size_t cap_bytes)
{
	size_t cap = 4096;
	while (cap < cap_bytes && cap < ((size_t) 1 << 40))
		cap <<= 1;
	return cap;
}

dx_ring_t *dx_ring_new(size_t cap_bytes, size_t max_record)
{
	size_t cap = dx_ring_bytes(cap_bytes);
	if (dx_ring_recsize(max_record) > cap / 2 || max_record >= DX_RING_PAD)
		return NULL;
	dx_ring_t *r = aligned_alloc(64, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	/* 2 MiB alignment and MADV_HUGEPAGE: the ring is streamed through once per lap, and
	 * with 4 KiB pages the first lap costs one page fault per 4 KiB (README "Performance").
	 * A kernel without THP simply ignores the advice. */
	size_t align = cap >= HUGE_2M ? HUGE_2M : 64;
	r->buf = aligned_alloc(align, cap);
	if (r->buf == NULL) {
		free(r);
		return NULL;
	}
	if (align == HUGE_2M)
		(void) madvise(r->buf, cap, MADV_HUGEPAGE);
	r->cap = cap;
	r->max_record = max_record;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void dx_ring_free(dx_ring_t *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}
