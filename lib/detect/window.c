/* SPDX-License-Identifier: BSD-2-Clause */
/* The bucket ring of window.h. */
#include <string.h>

#include "lib/detect/window.h"

void dx_window_step(dx_window_t *w, uint32_t now, unsigned n, void *buckets, size_t size, void *sum,
		    size_t sum_size, dx_window_sub_fn sub)
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
