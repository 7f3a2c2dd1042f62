/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Detector thread: ring B (dx_query_t) -> the detection engine -> the database; and --dump.
 *
 * Owns the detection engine and the only writing database connection. The store's batch is
 * committed by wall-clock ticks taken here every 1024 messages and whenever the ring is
 * empty, so a reader sees a new alert within about flush_ms while the writer never commits per
 * row. Every stats_interval_sec a counter snapshot goes to sensor_stats (and once more at the
 * end), and retention runs in bounded steps. --dump output goes through one large stdio
 * buffer owned by this thread alone.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/dump.h"
#include "lib/log.h"
#include "lib/query.h"
#include "sensor/pipeline.h"

void dx_detector_on_alert(void *ctx, dx_alert_t *a)
{
	dx_pipeline_t *pl = ctx;
	if (dx_store_put_alert(pl->store, a) != DX_OK)
		pl->store_errors++;
	/* Live, the packet's own time is the wall clock it arrived at; a replay's is not. */
	enum dx_status before = a->status;
	dx_respond_alert(pl->respond, a,
			 pl->live ? (double) a->detected_ts / 1e6 : dx_clock_wall());
	if (a->status != before && dx_store_put_alert(pl->store, a) != DX_OK)
		pl->store_errors++;
	if (a->severity > a->logged) {
		if (a->logged == DX_SEV_NONE)
			pl->alerts_by_sev[a->severity]++;
		else {
			pl->alerts_by_sev[a->logged]--;
			pl->alerts_by_sev[a->severity]++;
		}
		char t[32];
		dx_dump_time(a->detected_ts, t);
		/* apex and sample are escaped text: safe for the log */
		dx_log(a->severity >= DX_SEV_MEDIUM ? DX_LOG_NOTICE : DX_LOG_INFO, DX_GRP_DETECT,
		       "%s %s %s%s at %s: %llu queries, %llu unique, ~%llu bytes, e.g. %.80s",
		       dx_severity_name(a->severity), dx_threat_name(a->threat), a->apex,
		       a->status == DX_ST_ALLOWLISTED ? " (allowlisted)" : "", t,
		       (unsigned long long) a->query_count,
		       (unsigned long long) a->unique_subdomains, (unsigned long long) a->est_bytes,
		       a->sample_qname);
		a->logged = a->severity;
	}
}

void dx_detector_on_window(void *ctx, const dx_window_stats_t *w)
{
	dx_pipeline_t *pl = ctx;
	if (dx_store_add_window(pl->store, w) != DX_OK)
		pl->store_errors++;
}

#define G(x) dx_counter_get(&(x))

static void snapshot(dx_pipeline_t *pl, dx_ts_t pkt_ts)
{
	dx_store_stats_t s;
	memset(&s, 0, sizeof(s));
	dx_detect_stats_t ds;
	dx_detect_get_stats(pl->engine, &ds);
	s.wall = dx_clock_wall();
	s.pkt_ts = pkt_ts;
	s.packets = G(pl->cap.packets);
	s.bytes = G(pl->cap.bytes);
	s.dns_msgs = G(pl->par.dns_msgs);
	s.queries = G(pl->par.queries);
	s.responses = G(pl->par.responses);
	s.truncated = G(pl->par.truncated);
	s.ring_a_full = G(pl->cap.ring_full);
	s.ring_b_full = G(pl->par.ring_full);
	s.pcap_drop = pl->ps_drop;
	s.pcap_ifdrop = pl->ps_ifdrop;
	s.apexes_tracked = ds.apexes;
	s.evictions = ds.apex_evictions + ds.subdomain_evictions + ds.client_evictions;
	s.alerts = ds.alerts_raised;
	s.rows_written = dx_store_rows_written(pl->store);
	size_t o = 0;
	s.malformed[o++] = '{';
	for (int r = 0; r < DX_R_COUNT; r++) {
		uint64_t v = G(pl->par.reason[r]);
		if (v && o < sizeof(s.malformed) - 48)
			o += (size_t) snprintf(s.malformed + o, sizeof(s.malformed) - o,
					       "%s\"%s\":%llu", o > 1 ? "," : "",
					       dx_reason_name((enum dx_reason) r),
					       (unsigned long long) v);
	}
	snprintf(s.malformed + o, sizeof(s.malformed) - o, "}");
	if (dx_store_add_stats(pl->store, &s) != DX_OK)
		pl->store_errors++;
}

void *dx_detector_run(void *arg)
{
	dx_pipeline_t *pl = arg;
	const dx_config_t *cfg = pl->cfg;
	char line[DX_DUMP_LINEMAX];
	unsigned step = 0;
	uint64_t n = 0;
	dx_ts_t pkt_now = 0;
	int64_t interval = (int64_t) cfg->store.stats_interval_sec * 1000000;
	int64_t next_stats = dx_clock_mono_us() + interval;
	for (;;) {
		size_t len;
		const dx_query_t *q = dx_ring_peek(pl->ring_b, &len);
		if (q == NULL) {
			if (atomic_load_explicit(&pl->parser_done, memory_order_acquire) &&
			    dx_ring_empty(pl->ring_b))
				break;
			if (step == 4) { /* idle: let readers see what we have */
				if (pl->dump)
					fflush(pl->dump_out);
				dx_respond_tick(pl->respond, pkt_now);
				dx_store_tick(pl->store, dx_clock_mono_us());
			}
			dx_backoff(&step);
			continue;
		}
		step = 0;
		dx_count(&pl->det.dns_msgs, 1);
		dx_count(q->dns.is_response ? &pl->det.responses : &pl->det.queries, 1);
		if (q->ts_us > pkt_now)
			pkt_now = q->ts_us;
		dx_detect_add(pl->engine, q);
		if (pl->dump) {
			size_t k = dx_dump_format(q, line);
			fwrite(line, 1, k, pl->dump_out);
		}
		dx_ring_release(pl->ring_b);
		if ((++n & 1023) == 0) {
			dx_respond_tick(pl->respond, pkt_now);
			int64_t now = dx_clock_mono_us();
			dx_store_tick(pl->store, now);
			if (now >= next_stats) {
				snapshot(pl, pkt_now);
				if (dx_store_retention(pl->store, pkt_now,
						       cfg->store.retention_days, 1000) < 0)
					pl->store_errors++;
				next_stats = now + interval;
			}
		}
	}
	dx_detect_finish(pl->engine);
	/* Queued hooks get shutdown_ms to finish; their fate is recorded before we exit. */
	dx_hook_stop(pl->hook, pl->cfg->response.shutdown_ms);
	dx_respond_tick(pl->respond, pkt_now);
	snapshot(pl, pkt_now);
	if (dx_store_flush(pl->store) != DX_OK)
		pl->store_errors++;
	if (pl->dump)
		fflush(pl->dump_out);
	atomic_store_explicit(&pl->detector_done, true, memory_order_release);
	pthread_kill(pl->main_thread, SIGUSR2);
	return NULL;
}
