/* SPDX-License-Identifier: BSD-2-Clause */
/* The DNS message parser, and everything downstream of a decoded name: the dump line, the
 * apex (libpsl and the caches), the features and the detectors. */
#include <stdlib.h>
#include <string.h>

#include "lib/prepare/apex.h"
#include "lib/detect/detect.h"
#include "lib/prepare/prep.h"
#include "lib/decode/dns.h"
#include "lib/prepare/dump.h"
#include "lib/prepare/features.h"
#include "lib/prepare/query.h"
#include "tests/fuzz/fuzz.h"

static void on_alert(void *ctx, dx_alert_t *a)
{
	(void) ctx;
	(void) a;
}

static void on_window(void *ctx, const dx_window_stats_t *w)
{
	(void) ctx;
	(void) w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const psl_ctx_t *psl;
	static dx_detect_t *det;
	static dx_qprep_t *qp;
	static dx_ts_t t;
	if (psl == NULL) {
		psl = psl_latest(NULL);
		dx_detect_cfg_t cfg;
		dx_detect_cfg_defaults(&cfg);
		cfg.max_apexes = 256;
		cfg.max_subdomains = 4096;
		cfg.max_clients = 64;
		cfg.max_alerts = 64;
		dx_hash_key_t k = {1, 2};
		dx_qprep_cfg_t pc;
		dx_qprep_cfg_defaults(&pc);
		qp = dx_qprep_new(psl, pc.psl_private, pc.cache_entries, k);
		det = dx_detect_new(&cfg, NULL, k, on_alert, on_window, NULL);
	}
	dx_query_t q;
	memset(&q, 0, sizeof(q));
	enum dx_reason why;
	if (dx_dns_parse(data, size, &q.dns, &why) != DX_OK)
		return 0;
	q.af = 4;
	q.ts_us = (t += 1000);
	char line[DX_DUMP_LINEMAX];
	dx_dump_format(&q, line);
	dx_query_prepare(qp, &q);
	dx_detect_add(det, &q);
	return 0;
}
