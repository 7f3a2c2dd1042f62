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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/clock.h"
#include "lib/decode/dname.h"
#include "lib/prepare/dump.h"
#include "lib/base/log.h"
#include "lib/prepare/query.h"
#include "sensor/eve.h"
#include "sensor/metrics.h"
#include "sensor/pipeline.h"

void dx_detector_on_alert(void *ctx, dx_alert_t *a)
{
	dx_pipeline_t *pl = ctx;
	if (dx_store_put_alert(pl->store, a) != DX_OK)
		pl->store_errors++;
	/* Live, the packet's own time is the wall clock it arrived at; a replay's is not. */
	enum dx_status before = a->status;
	const char *said = a->not_blocked;
	dx_respond_alert(pl->respond, a,
			 pl->live ? (double) a->detected_ts / 1e6 : dx_clock_wall());
	/* the policy changed its status, or noted why it was not blocked */
	if ((a->status != before || a->not_blocked != said) &&
	    dx_store_put_alert(pl->store, a) != DX_OK)
		pl->store_errors++;
	if (a->severity > a->logged) {
		/* threats by the highest severity each alert reached; allowlisted ones apart */
		if (a->status == DX_ST_ALLOWLISTED) {
			if (a->logged == DX_SEV_NONE)
				pl->alerts_allowlisted++;
		} else {
			if (a->logged != DX_SEV_NONE)
				pl->alerts_by_sev[a->logged]--;
			pl->alerts_by_sev[a->severity]++;
		}
		char t[32], sample[84];
		dx_dump_time(a->detected_ts, t);
		/* apex and sample are escaped text: safe for the log; the sample's start, cut
		 * between escapes */
		dx_dname_cut(a->sample_qname, 80, sample, sizeof(sample));
		dx_log(a->severity >= DX_SEV_MEDIUM ? DX_LOG_NOTICE : DX_LOG_INFO, DX_GRP_DETECT,
		       "%s %s %s%s at %s: %llu queries, %llu unique, ~%llu bytes, e.g. %s",
		       dx_severity_name(a->severity), dx_threat_name(a->threat), a->apex,
		       a->status == DX_ST_ALLOWLISTED ? " (allowlisted)" : "", t,
		       (unsigned long long) a->query_count,
		       (unsigned long long) a->unique_subdomains, (unsigned long long) a->est_bytes,
		       sample);
		a->logged = a->severity;
	}
	if (pl->events)
		dx_events_alert(pl->events, a, pl->pkt_now);
}

void dx_detector_on_block(void *ctx, const char *apex, const char *state, dx_ts_t now)
{
	dx_pipeline_t *pl = ctx;
	if (pl->events)
		dx_events_block(pl->events, apex, state, now > pl->pkt_now ? now : pl->pkt_now);
}

/* An event to the EVE writer and, at its severity, to the notify hook. Neither waits: a full
 * queue drops the event and counts it. */
void dx_detector_on_event(void *ctx, const dx_event_t *ev)
{
	dx_pipeline_t *pl = ctx;
	if (ev->to_eve && pl->eve)
		(void) dx_eve_put(pl->eve, ev->line, ev->len);
	if (!ev->to_notify || pl->notify == NULL)
		return;
	dx_hook_req_t req;
	memset(&req, 0, offsetof(dx_hook_req_t, event));
	req.seq = ++pl->notify_seq;
	req.action = DX_HOOK_NOTIFY;
	snprintf(req.event, sizeof(req.event), "%s", dx_event_name(ev->type));
	snprintf(req.uid, sizeof(req.uid), "%s", ev->uid);
	snprintf(req.apex, sizeof(req.apex), "%s", ev->apex);
	snprintf(req.severity, sizeof(req.severity), "%s", dx_severity_name(ev->severity));
	req.ref_wall = dx_clock_wall();
	req.input = malloc(ev->len);
	req.input_len = ev->len;
	if (req.input)
		memcpy(req.input, ev->line, ev->len);
	if (req.input == NULL || dx_hook_submit(pl->notify, &req) != DX_OK) {
		free(req.input);
		pl->notify_queue_full++;
	}
}

/* The notify hook's results: counted; a failure logged at most once a minute. */
static void notify_results(dx_pipeline_t *pl)
{
	static dx_ratelimit_t rl;
	dx_hook_result_t res;
	while (pl->notify && dx_hook_poll(pl->notify, &res)) {
		if (res.state == DX_HOOK_DONE) {
			pl->notify_done++;
			continue;
		}
		pl->notify_failed++;
		if (dx_ratelimit_ok(&rl, dx_clock_mono_us(), 60 * 1000000LL)) {
			dx_log_sanitize(res.stderr_text);
			dx_log(
			    DX_LOG_ERR, DX_GRP_HOOK,
			    "notify hook failed: exit %d after %u attempt%s: %.200s (%llu failed so "
			    "far)",
			    res.exit_code, res.attempts, res.attempts == 1 ? "" : "s",
			    res.stderr_text, (unsigned long long) pl->notify_failed);
		}
	}
}

void dx_detector_on_window(void *ctx, const dx_window_stats_t *w)
{
	dx_pipeline_t *pl = ctx;
	if (dx_store_add_window(pl->store, w) != DX_OK)
		pl->store_errors++;
}

#define G(x) dx_counter_get(&(x))

/* What the previous periodic report saw, for rates and drop deltas. */
struct prev {
	int64_t mono_us;
	uint64_t packets, dns, recv, drop;
};

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
	s.pcap_drop = G(pl->ps_drop);
	s.pcap_ifdrop = G(pl->ps_ifdrop);
	s.apexes_tracked = ds.apexes;
	s.evictions = ds.apex_evictions + ds.subdomain_evictions + ds.client_evictions;
	s.alerts = ds.alerts_raised;
	s.rows_written = dx_store_rows_written(pl->store);
	size_t o = 0;
	s.malformed[o++] = '{';
	for (int r = 0; r < DX_R_COUNT; r++) {
		uint64_t v = dx_reason_total(pl, r);
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

/* The stats event: the counters a SIEM charts, as one JSON object (README "Sending events"). */
static void stats_event(dx_pipeline_t *pl, dx_ts_t pkt_ts)
{
	if (pl->events == NULL)
		return;
	dx_detect_stats_t ds;
	dx_detect_get_stats(pl->engine, &ds);
	dx_respond_stats_t rs;
	dx_respond_get_stats(pl->respond, &rs);
	dx_events_stats_t es;
	dx_events_get_stats(pl->events, &es);
	dx_eve_stats_t vs = {0};
	if (pl->eve)
		dx_eve_get_stats(pl->eve, &vs);
	char malformed[1024], j[3072];
	size_t o = 0;
	malformed[o++] = '{';
	for (int r = 0; r < DX_R_COUNT; r++) {
		uint64_t v = dx_reason_total(pl, r);
		if (v && o < sizeof(malformed) - 48)
			o += (size_t) snprintf(
			    malformed + o, sizeof(malformed) - o, "%s\"%s\":%llu", o > 1 ? "," : "",
			    dx_reason_name((enum dx_reason) r), (unsigned long long) v);
	}
	snprintf(malformed + o, sizeof(malformed) - o, "}");
#define U(x) ((unsigned long long) (x))
	snprintf(
	    j, sizeof(j),
	    "{\"packets\":%llu,\"bytes\":%llu,\"dns_msgs\":%llu,\"queries\":%llu,"
	    "\"responses\":%llu,\"icmp_echoes\":%llu,\"malformed\":%s,\"drops\":{\"kernel\":%llu,\"interface\":%llu,"
	    "\"ring_a\":%llu,\"ring_b\":%llu},\"apexes\":%llu,\"evictions\":%llu,"
	    "\"alerts\":{\"LOW\":%llu,\"MEDIUM\":%llu,\"HIGH\":%llu,\"CRITICAL\":%llu,"
	    "\"allowlisted\":%llu},\"incidents_followed\":%u,"
	    "\"blocks\":{\"requested\":%llu,\"done\":%llu,\"failed\":%llu,\"removed\":%llu},"
	    "\"events\":{\"opened\":%llu,\"escalated\":%llu,\"blocked\":%llu,\"unblocked\":%llu,"
	    "\"closed\":%llu,\"table_full\":%llu},"
	    "\"eve\":{\"written\":%llu,\"dropped\":%llu,\"failed\":%llu},"
	    "\"notify\":{\"done\":%llu,\"failed\":%llu,\"queue_full\":%llu,"
	    "\"rate_limited\":%llu},"
	    "\"database\":{\"rows_written\":%llu,\"rows_lost\":%llu,\"errors\":%llu}}",
	    U(G(pl->cap.packets)), U(G(pl->cap.bytes)), U(G(pl->par.dns_msgs)),
	    U(G(pl->par.queries)), U(G(pl->par.responses)), U(G(pl->par.echoes)), malformed,
	    U(G(pl->ps_drop)), U(G(pl->ps_ifdrop)), U(G(pl->cap.ring_full)),
	    U(G(pl->par.ring_full)), U(ds.apexes),
	    U(ds.apex_evictions + ds.subdomain_evictions + ds.client_evictions),
	    U(pl->alerts_by_sev[DX_SEV_LOW]), U(pl->alerts_by_sev[DX_SEV_MEDIUM]),
	    U(pl->alerts_by_sev[DX_SEV_HIGH]), U(pl->alerts_by_sev[DX_SEV_CRITICAL]),
	    U(pl->alerts_allowlisted), es.incidents, U(rs.requested), U(rs.done), U(rs.failed),
	    U(rs.removed), U(es.made[DX_EV_OPENED]), U(es.made[DX_EV_ESCALATED]),
	    U(es.made[DX_EV_BLOCKED]), U(es.made[DX_EV_UNBLOCKED]), U(es.made[DX_EV_CLOSED]),
	    U(es.table_full), U(vs.written), U(vs.dropped), U(vs.failed), U(pl->notify_done),
	    U(pl->notify_failed), U(pl->notify_queue_full), U(es.rate_limited),
	    U(dx_store_rows_written(pl->store)), U(dx_store_rows_lost(pl->store)),
	    U(dx_store_errors(pl->store)));
#undef U
	dx_events_stats(pl->events, pkt_ts, j);
}

/* Every stats_interval_sec (and on SIGUSR1): a sensor_stats row, the metrics file, one log
 * line, and a warning if the kernel dropped more than drop_warn_pct of the packets. */
static void periodic(dx_pipeline_t *pl, dx_ts_t pkt_now, struct prev *pv)
{
	int64_t now = dx_clock_mono_us();
	snapshot(pl, pkt_now);
	stats_event(pl, pkt_now);
	dx_metrics_write(pl);
	double sec = pv->mono_us ? (double) (now - pv->mono_us) / 1e6 : 0;
	uint64_t packets = G(pl->cap.packets), dns = G(pl->par.dns_msgs);
	uint64_t recv = G(pl->ps_recv), drop = G(pl->ps_drop);
	dx_detect_stats_t ds;
	dx_detect_get_stats(pl->engine, &ds);
	dx_respond_stats_t rs;
	dx_respond_get_stats(pl->respond, &rs);
	if (sec > 0)
		dx_log(DX_LOG_NOTICE, DX_GRP_MAIN,
		       "stats: %.0f packets/s, %.0f DNS/s; drops kernel %llu, interface %llu, "
		       "ring A %llu, ring B %llu; %llu apexes, %llu evictions; alerts HIGH+ %llu; "
		       "blocks %llu done, %llu failed",
		       (double) (packets - pv->packets) / sec, (double) (dns - pv->dns) / sec,
		       (unsigned long long) drop, (unsigned long long) G(pl->ps_ifdrop),
		       (unsigned long long) G(pl->cap.ring_full),
		       (unsigned long long) G(pl->par.ring_full), (unsigned long long) ds.apexes,
		       (unsigned long long) (ds.apex_evictions + ds.subdomain_evictions +
					     ds.client_evictions),
		       (unsigned long long) (pl->alerts_by_sev[DX_SEV_HIGH] +
					     pl->alerts_by_sev[DX_SEV_CRITICAL]),
		       (unsigned long long) rs.done, (unsigned long long) rs.failed);
	uint64_t drecv = recv - pv->recv, ddrop = drop - pv->drop;
	if (ddrop > 0 && ddrop * 100 > (uint64_t) pl->cfg->log.drop_warn_pct * (drecv + ddrop))
		dx_log(DX_LOG_WARN, DX_GRP_CAPTURE,
		       "the kernel dropped %llu of %llu packets in the last %.0f s: raise "
		       "[capture] buffer_mb or filter harder",
		       (unsigned long long) ddrop, (unsigned long long) (drecv + ddrop), sec);
	*pv = (struct prev){now, packets, dns, recv, drop};
}

/* SIGHUP: take the settings main prepared, free the allowlist they replace. */
static void apply_reload(dx_pipeline_t *pl)
{
	struct dx_reload *r = atomic_exchange(&pl->reload, NULL);
	if (r == NULL)
		return;
	if (!dx_detect_set_cfg(pl->engine, &r->detect))
		dx_log(DX_LOG_WARN, DX_GRP_MAIN,
		       "reload: table sizes, window_sec and horizon_hours need a restart; kept");
	dx_detect_set_allow(pl->engine, r->allow);
	dx_respond_set_cfg(pl->respond, &r->respond);
	dx_respond_set_lists(pl->respond, r->allow, r->protect);
	dx_allow_free(pl->allow);
	dx_allow_free(pl->protect);
	pl->allow = r->allow;
	pl->protect = r->protect;
	dx_log(DX_LOG_NOTICE, DX_GRP_MAIN, "configuration reloaded (%u allowlist entries)",
	       r->allow ? dx_allow_count(r->allow) : 0);
	free(r);
}

#define LOOKAHEAD 8

/*
 * The detector thread's periodic work, busy or idle alike: hook results and block expiry, the
 * database's commit clock, a pending SIGHUP, and every stats_interval_sec a snapshot and a
 * retention step. Retention counts in packet time; live, packet time is the wall clock, and an
 * idle sensor's clock goes on (its newest packet's does not), so old rows still go.
 */
static void housekeeping(dx_pipeline_t *pl, dx_ts_t pkt_now, int64_t *next_stats, struct prev *pv)
{
	const dx_config_t *cfg = pl->cfg;
	dx_respond_tick(pl->respond, pkt_now);
	notify_results(pl);
	int64_t now = dx_clock_mono_us();
	atomic_store_explicit(&pl->alive_us[2], now, memory_order_relaxed);
	dx_store_tick(pl->store, now);
	apply_reload(pl);
	if (now >= *next_stats || atomic_exchange(&pl->snapshot_now, false)) {
		periodic(pl, pkt_now, pv);
		dx_ts_t ref = pkt_now;
		if (pl->live) {
			dx_ts_t wall = (dx_ts_t) (dx_clock_wall() * 1e6);
			if (wall > ref)
				ref = wall;
		}
		if (dx_store_retention(pl->store, ref, cfg->store.retention_days, 1000) < 0)
			pl->store_errors++;
		*next_stats = now + (int64_t) cfg->store.stats_interval_sec * 1000000;
	}
}

/* Keep the table lines of the next LOOKAHEAD messages loading while this one runs: *ahead is
 * the ring position to prefetch from, *lead how many records beyond the current one are. */
static void look_ahead(dx_pipeline_t *pl, size_t *ahead, unsigned *lead)
{
	if (*lead == 0)
		*ahead = dx_ring_next_pos(pl->ring_b);
	else
		(*lead)--;
	const dx_query_t *a;
	size_t alen;
	while (*lead < LOOKAHEAD && (a = dx_ring_peek_at(pl->ring_b, ahead, &alen)) != NULL) {
		for (size_t o = 64; o < alen; o += 64) /* the record itself: ~5 lines */
			__builtin_prefetch((const char *) a + o);
		dx_detect_prefetch(pl->engine, a);
		(*lead)++;
	}
}

/* The end of input: the last window closed, queued hooks given shutdown_ms to finish (their
 * fate recorded), a last snapshot, rows still waiting given shutdown_ms too, the metrics. */
static void wind_up(dx_pipeline_t *pl, dx_ts_t pkt_now)
{
	dx_detect_finish(pl->engine);
	dx_hook_stop(pl->hook, pl->cfg->response.shutdown_ms);
	dx_respond_tick(pl->respond, pkt_now);
	snapshot(pl, pkt_now);
	stats_event(pl, pkt_now);
	dx_hook_stop(pl->notify, pl->cfg->response.shutdown_ms);
	notify_results(pl);
	int64_t now = dx_clock_mono_us();
	(void) dx_store_drain(pl->store, now, now + (int64_t) pl->cfg->response.shutdown_ms * 1000);
	dx_metrics_write(pl);
	if (dx_store_flush(pl->store) != DX_OK)
		pl->store_errors++;
	if (pl->dump)
		fflush(pl->dump_out);
}

void *dx_detector_run(void *arg)
{
	dx_pipeline_t *pl = arg;
	char line[DX_DUMP_LINEMAX];
	unsigned step = 0;
	uint64_t n = 0;
	dx_ts_t pkt_now = 0;
	int64_t next_stats =
	    dx_clock_mono_us() + (int64_t) pl->cfg->store.stats_interval_sec * 1000000;
	size_t ahead = 0;  /* ring B position of the next record to prefetch for */
	unsigned lead = 0; /* records prefetched beyond the current one */
	struct prev pv = {dx_clock_mono_us(), 0, 0, 0, 0};
	for (;;) {
		size_t len;
		bool tick, end;
		const dx_query_t *q =
		    dx_consume(pl->ring_b, &len, &step, &pl->parser_done, &tick, &end);
		if (end)
			break;
		if (q == NULL) {
			if (tick) {
				if (pl->dump)
					fflush(pl->dump_out);
				housekeeping(pl, pkt_now, &next_stats, &pv);
			}
			continue;
		}
		look_ahead(pl, &ahead, &lead);
		if (q->ts_us > pkt_now)
			pkt_now = pl->pkt_now = q->ts_us;
		if (q->flags & DX_Q_ECHO) {
			dx_count(&pl->det.echoes, 1);
			dx_detect_echo(pl->engine, q);
		} else {
			dx_count(&pl->det.dns_msgs, 1);
			dx_count(q->dns.is_response ? &pl->det.responses : &pl->det.queries, 1);
			dx_detect_add(pl->engine, q);
		}
		if (pl->dump) {
			size_t k = dx_dump_format(q, line);
			fwrite(line, 1, k, pl->dump_out);
		}
		dx_ring_release(pl->ring_b);
		if ((++n & 1023) == 0)
			housekeeping(pl, pkt_now, &next_stats, &pv);
	}
	wind_up(pl, pkt_now);
	pl->cpu_s[2] = dx_clock_thread_cpu();
	atomic_store_explicit(&pl->detector_done, true, memory_order_release);
	pthread_kill(pl->main_thread, SIGUSR2);
	return NULL;
}
