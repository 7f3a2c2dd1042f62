/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Detector thread: ring B (dx_query_t) -> consumers. For now the consumers are the --dump
 * printer and the counters; detection, the database and the hook attach here.
 *
 * --dump output goes through one large stdio buffer owned by this thread alone, so the
 * per-message cost is the formatting, not a system call.
 */
#include <signal.h>
#include <stdio.h>

#include "lib/dump.h"
#include "lib/query.h"
#include "sensor/pipeline.h"

void *dx_detector_run(void *arg)
{
	dx_pipeline_t *pl = arg;
	char line[DX_DUMP_LINEMAX];
	unsigned step = 0;
	for (;;) {
		size_t len;
		const dx_query_t *q = dx_ring_peek(pl->ring_b, &len);
		if (q == NULL) {
			if (atomic_load_explicit(&pl->parser_done, memory_order_acquire) &&
			    dx_ring_empty(pl->ring_b))
				break;
			if (pl->dump && step == 4)
				fflush(pl->dump_out); /* idle: let a live reader see what we have */
			dx_backoff(&step);
			continue;
		}
		step = 0;
		dx_count(&pl->det.dns_msgs, 1);
		dx_count(q->dns.is_response ? &pl->det.responses : &pl->det.queries, 1);
		if (pl->dump) {
			size_t n = dx_dump_format(q, line);
			fwrite(line, 1, n, pl->dump_out);
		}
		dx_ring_release(pl->ring_b);
	}
	if (pl->dump)
		fflush(pl->dump_out);
	atomic_store_explicit(&pl->detector_done, true, memory_order_release);
	pthread_kill(pl->main_thread, SIGUSR2);
	return NULL;
}
