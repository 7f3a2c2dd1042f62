/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stages: where a replay's CPU time goes, one stage at a time on one thread, so that a change
 * to one stage can be measured apart from the scheduling of the three pipeline threads.
 *
 *   stages [-n ROUNDS] [-i] FILE.pcap
 *
 * Loads the whole capture into memory first, then times, each ROUNDS times (median):
 *   read    libpcap's pcap_next_ex over the file, copying each frame (the capture thread)
 *   decode  dx_pkt_decode + dx_dns_parse of every frame into an array (the parser thread)
 *   detect  dx_detect_add over that array, with alert and window callbacks that only count
 *           (the detector thread without the database)
 * and prints nanoseconds per message for each. -i decodes with [capture] icmp = yes (the DNS
 * path's cost of looking for ICMP echo too). Not a test: run by hand (README Performance).
 */
#include <libpsl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/config.h"
#include "lib/detect/detect.h"
#include "lib/decode/dns.h"
#include "lib/decode/pkt.h"
#include "lib/prepare/prep.h"
#include "lib/prepare/query.h"

#define SCRATCH 16384 /* ring B's default slots */

struct frame {
	int64_t ts_us;
	uint32_t caplen, wirelen, off;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static uint64_t n_alerts, n_windows;
static void on_alert(void *ctx, dx_alert_t *a)
{
	(void) ctx;
	(void) a;
	n_alerts++;
}
static void on_window(void *ctx, const dx_window_stats_t *w)
{
	(void) ctx;
	(void) w;
	n_windows++;
}

struct input {
	const uint8_t *buf;
	const struct frame *fr;
	size_t nf;
	int dlt;
	const dx_decode_cfg_t *dcfg;
	const psl_ctx_t *psl;
	const dx_detect_cfg_t *det;
	const dx_qprep_cfg_t *prep;
	uint64_t *misses; /* if not NULL: the preparer's cache misses */
};

/* The parser thread's work on every frame: decode, parse, prepare into out[n & mask]. A fresh
 * apex resolver each time, as a run starts with cold caches. Returns the messages. */
static size_t decode_all(const struct input *in, dx_query_t *out, size_t mask)
{
	dx_qprep_t *qp =
	    dx_qprep_new(in->psl, in->prep->psl_private, in->prep->cache_entries, DX_REPLAY_KEY);
	if (qp == NULL)
		return 0;
	size_t nq = 0;
	for (size_t i = 0; i < in->nf; i++) {
		const struct frame *f = &in->fr[i];
		dx_pkt_t pk;
		enum dx_reason why;
		if (dx_pkt_decode(in->dcfg, in->dlt, in->buf + f->off, f->caplen, f->wirelen, &pk,
				  &why) != DX_OK ||
		    pk.proto != DX_PROTO_UDP)
			continue;
		dx_query_t *q = &out[nq & mask];
		if (dx_dns_parse(pk.payload, pk.payload_len, &q->dns, &why) != DX_OK)
			continue;
		q->ts_us = f->ts_us;
		memcpy(q->src, pk.src, 16);
		memcpy(q->dst, pk.dst, 16);
		q->sport = pk.sport;
		q->dport = pk.dport;
		q->vni = pk.vni;
		q->af = pk.af;
		q->flags = pk.has_vni ? DX_Q_HAS_VNI : 0;
		dx_query_prepare(qp, q);
		nq++;
	}
	if (in->misses)
		*in->misses = dx_qprep_misses(qp);
	dx_qprep_free(qp);
	return nq;
}

int main(int argc, char **argv)
{
	int rounds = 5, ai = 1;
	bool icmp = false;
	if (argc > ai + 1 && strcmp(argv[ai], "-n") == 0) {
		rounds = atoi(argv[ai + 1]);
		ai += 2;
	}
	if (argc > ai && strcmp(argv[ai], "-i") == 0) {
		icmp = true;
		ai++;
	}
	if (ai >= argc || rounds < 1) {
		fprintf(stderr, "usage: stages [-n ROUNDS] [-i] FILE.pcap\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	const char *path = argv[ai];

	/* load: frames into one buffer */
	size_t cap = 1 << 20, used = 0, nf = 0, fcap = 1 << 16;
	uint8_t *buf = malloc(cap);
	struct frame *fr = malloc(fcap * sizeof(*fr));
	pcap_t *p = pcap_open_offline(path, err);
	if (p == NULL || buf == NULL || fr == NULL) {
		fprintf(stderr, "stages: %s: %s\n", path, p ? "out of memory" : err);
		return 1;
	}
	int dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *b;
	while (pcap_next_ex(p, &h, &b) == 1) {
		if (used + h->caplen > cap) {
			while (used + h->caplen > cap)
				cap *= 2;
			buf = realloc(buf, cap);
		}
		if (nf == fcap) {
			fcap *= 2;
			fr = realloc(fr, fcap * sizeof(*fr));
		}
		if (buf == NULL || fr == NULL)
			return 1;
		memcpy(buf + used, b, h->caplen);
		fr[nf++] = (struct frame){(int64_t) h->ts.tv_sec * 1000000 + h->ts.tv_usec,
					  h->caplen, h->len, (uint32_t) used};
		used += h->caplen;
	}
	pcap_close(p);

	dx_config_t cfg;
	dx_config_defaults(&cfg);
	dx_decode_cfg_t dcfg;
	cfg.capture.icmp = icmp;
	dx_config_decode(&cfg, &dcfg);
	dx_query_t *qs = malloc(nf * sizeof(*qs));
	const psl_ctx_t *psl = psl_latest(NULL);
	if (qs == NULL || psl == NULL)
		return 1;
	double *t_read = calloc((size_t) rounds, sizeof(double));
	double *t_dec = calloc((size_t) rounds, sizeof(double));
	double *t_det = calloc((size_t) rounds, sizeof(double));
	uint8_t *copy = malloc(1 << 16);
	dx_query_t *scratch = malloc(SCRATCH * sizeof(*scratch));
	if (copy == NULL || scratch == NULL)
		return 1;
	uint64_t misses = 0;
	struct input b_in = {buf,    fr, nf, dlt, &dcfg, psl, &cfg.detect.cfg, &cfg.detect.prep,
			     &misses};
	size_t nq = decode_all(&b_in, qs, SIZE_MAX); /* the detect stage's input, untimed */
	for (int r = 0; r < rounds; r++) {
		double t0 = now_s();
		p = pcap_open_offline(path, err);
		unsigned sum = 0;
		while (p && pcap_next_ex(p, &h, &b) == 1) {
			memcpy(copy, b, h->caplen > 65536 ? 65536 : h->caplen);
			sum += copy[0];
		}
		if (p)
			pcap_close(p);
		t_read[r] = now_s() - t0 + (sum == 1 ? 1e-12 : 0);

		/* into a ring-sized scratch array reused as ring B is, with cold apex caches */
		t0 = now_s();
		if (decode_all(&b_in, scratch, SCRATCH - 1) != nq)
			return 1;
		t_dec[r] = now_s() - t0;

		dx_detect_t *d =
		    dx_detect_new(&cfg.detect.cfg, NULL, DX_REPLAY_KEY, on_alert, on_window, NULL);
		if (d == NULL)
			return 1;
		n_alerts = n_windows = 0;
		t0 = now_s();
		for (size_t i = 0; i < nq; i++) {
			if (i + 8 < nq) /* as the detector thread looks ahead in ring B */
				dx_detect_prefetch(d, &qs[i + 8]);
			dx_detect_add(d, &qs[i]);
		}
		dx_detect_finish(d);
		t_det[r] = now_s() - t0;
		dx_detect_free(d);
	}
	qsort(t_read, (size_t) rounds, sizeof(double), cmp_d);
	qsort(t_dec, (size_t) rounds, sizeof(double), cmp_d);
	qsort(t_det, (size_t) rounds, sizeof(double), cmp_d);
	double m = (double) nq;
	printf("%zu frames, %zu DNS messages (UDP), %llu alert callbacks, %llu window rows\n", nf,
	       nq, (unsigned long long) n_alerts, (unsigned long long) n_windows);
	printf("parser's name cache: %llu misses (%.1f %%)\n", (unsigned long long) misses,
	       100.0 * (double) misses / m);
	printf("ns/msg  median  fastest\n");
	printf("read   %7.1f %8.1f\n", t_read[rounds / 2] / m * 1e9, t_read[0] / m * 1e9);
	printf("decode %7.1f %8.1f\n", t_dec[rounds / 2] / m * 1e9, t_dec[0] / m * 1e9);
	printf("detect %7.1f %8.1f\n", t_det[rounds / 2] / m * 1e9, t_det[0] / m * 1e9);
	psl_free((psl_ctx_t *) psl);
	free(qs);
	free(buf);
	free(fr);
	free(copy);
	free(scratch);
	free(t_read);
	free(t_dec);
	free(t_det);
	dx_config_free(&cfg);
	return 0;
}
