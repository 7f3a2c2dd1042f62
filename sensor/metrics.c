/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics file of metrics.h: one function per part of the pipeline. */
#include <stdio.h>
#include <unistd.h>

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "sensor/metrics.h"

#define G(x) dx_counter_get(&(x))
#define HEAD(name, type, help) \
	fprintf(f, "# HELP dnsexfild_" name " " help "\n# TYPE dnsexfild_" name " " type "\n")
#define V(name, labels, v) fprintf(f, "dnsexfild_" name labels " %llu\n", (unsigned long long) (v))

static void capture_part(FILE *f, dx_pipeline_t *pl)
{
	HEAD("packets_total", "counter", "Frames read.");
	V("packets_total", "", G(pl->cap.packets));
	HEAD("bytes_total", "counter", "Bytes of frames read.");
	V("bytes_total", "", G(pl->cap.bytes));
	HEAD("dns_messages_total", "counter", "DNS messages decoded.");
	V("dns_messages_total", "{kind=\"query\"}", G(pl->par.queries));
	V("dns_messages_total", "{kind=\"response\"}", G(pl->par.responses));
	HEAD("drops_total", "counter", "Packets or messages lost, by place.");
	V("drops_total", "{place=\"kernel\"}", G(pl->ps_drop));
	V("drops_total", "{place=\"interface\"}", G(pl->ps_ifdrop));
	V("drops_total", "{place=\"ring_a\"}", G(pl->cap.ring_full));
	V("drops_total", "{place=\"ring_b\"}", G(pl->par.ring_full));
	HEAD("input_total", "counter", "Inputs skipped or malformed, by reason.");
	for (int r = 0; r < DX_R_COUNT; r++)
		fprintf(f, "dnsexfild_input_total{reason=\"%s\",kind=\"%s\"} %llu\n",
			dx_reason_name((enum dx_reason) r),
			dx_reason_is_malformed((enum dx_reason) r) ? "malformed" : "skipped",
			(unsigned long long) dx_reason_total(pl, r));
	HEAD("vni_dns_messages_total", "counter", "DNS messages per mirror session.");
	uint32_t nv = atomic_load(&pl->vni_used);
	for (uint32_t i = 0; i < nv; i++) {
		char name[16];
		dx_vni_name(pl, i, name);
		fprintf(f, "dnsexfild_vni_dns_messages_total{vni=\"%s\",kind=\"query\"} %llu\n",
			name, (unsigned long long) G(pl->vni_stats[i].queries));
		fprintf(f, "dnsexfild_vni_dns_messages_total{vni=\"%s\",kind=\"response\"} %llu\n",
			name, (unsigned long long) G(pl->vni_stats[i].responses));
	}
}

static void detect_part(FILE *f, dx_pipeline_t *pl)
{
	dx_detect_stats_t ds;
	dx_detect_get_stats(pl->engine, &ds);
	HEAD("apexes", "gauge", "Apexes tracked.");
	V("apexes", "", ds.apexes);
	HEAD("evictions_total", "counter", "Table entries evicted, by table.");
	V("evictions_total", "{table=\"apex\"}", ds.apex_evictions);
	V("evictions_total", "{table=\"name\"}", ds.subdomain_evictions);
	V("evictions_total", "{table=\"client\"}", ds.client_evictions);
	HEAD("alerts_total", "counter",
	     "Alerts raised (highest severity reached), by severity; allowlisted apart.");
	for (int v = DX_SEV_LOW; v <= DX_SEV_CRITICAL; v++)
		fprintf(f, "dnsexfild_alerts_total{severity=\"%s\"} %llu\n",
			dx_severity_name((enum dx_severity) v),
			(unsigned long long) pl->alerts_by_sev[v]);
	HEAD("alerts_allowlisted_total", "counter",
	     "Alerts on allowlisted apexes (stored, never blocked).");
	V("alerts_allowlisted_total", "", pl->alerts_allowlisted);
}

static void respond_part(FILE *f, dx_pipeline_t *pl)
{
	dx_respond_stats_t rs;
	dx_respond_get_stats(pl->respond, &rs);
	HEAD("blocks_total", "counter", "Block requests, by outcome.");
	V("blocks_total", "{state=\"requested\"}", rs.requested);
	V("blocks_total", "{state=\"done\"}", rs.done);
	V("blocks_total", "{state=\"failed\"}", rs.failed);
	V("blocks_total", "{state=\"dry_run\"}", rs.dry_run);
	V("blocks_total", "{state=\"removed\"}", rs.removed);
	HEAD("blocks_refused_total", "counter", "Block requests refused, by reason.");
	for (int k = 0; k < DX_REF_COUNT; k++)
		fprintf(f, "dnsexfild_blocks_refused_total{reason=\"%s\"} %llu\n",
			dx_refusal_name((enum dx_refusal) k), (unsigned long long) rs.refused[k]);
}

static void store_part(FILE *f, dx_pipeline_t *pl)
{
	HEAD("db_rows_total", "counter", "Database rows written.");
	V("db_rows_total", "", dx_store_rows_written(pl->store));
	HEAD("db_errors_total", "counter", "Database writes that failed.");
	V("db_errors_total", "", dx_store_errors(pl->store));
	const uint64_t *lb = dx_store_lost_by_table(pl->store);
	HEAD("db_rows_lost_total", "counter", "Rows that never reached the database, by table.");
	V("db_rows_lost_total", "{table=\"alerts\"}", lb[DX_TAB_ALERTS]);
	V("db_rows_lost_total", "{table=\"apex_window_stats\"}", lb[DX_TAB_WINDOWS]);
	V("db_rows_lost_total", "{table=\"sensor_stats\"}", lb[DX_TAB_STATS]);
	V("db_rows_lost_total", "{table=\"blocks\"}", lb[DX_TAB_BLOCKS]);
	HEAD("db_rows_waiting", "gauge",
	     "Rows not yet committed (the open batch, or waiting for a lock or the disk).");
	V("db_rows_waiting", "", dx_store_waiting(pl->store));
}

void dx_metrics_write(dx_pipeline_t *pl)
{
	const char *path = pl->cfg->log.metrics_file;
	if (path == NULL)
		return;
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int) sizeof(tmp))
		return;
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		static dx_ratelimit_t rl;
		if (dx_ratelimit_ok(&rl, dx_clock_mono_us(), 60000000))
			dx_log(DX_LOG_WARN, DX_GRP_MAIN, "%s: cannot write metrics", tmp);
		return;
	}
	capture_part(f, pl);
	detect_part(f, pl);
	respond_part(f, pl);
	store_part(f, pl);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}
