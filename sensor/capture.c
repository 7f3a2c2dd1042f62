/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture thread: libpcap (live interface or capture files in order) -> ring A.
 *
 * Each frame is copied once, into its ring A record, with its packet time; nothing here
 * decodes. Live mode never waits on the parser: a full ring drops the frame and counts it, so
 * the kernel buffer keeps draining. Offline mode waits for room instead, which makes a replay
 * lossless and its output identical every time. Files are opened one at a time so a replay
 * of thousands of files holds one descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/decode/r53log.h"
#include "sensor/logs.h"
#include "sensor/pipeline.h"

/* The first few steps only yield: with three threads on two cores, the thread a ring waits on
 * is often runnable on this very core, and a yield hands it the core at once, where a sleep
 * of even 50 µs leaves a core idle. Then sleeps, so an idle sensor costs nothing. */
#define YIELDS 4u

void dx_backoff(unsigned *step)
{
	if (*step < YIELDS) {
		(*step)++;
		sched_yield();
		return;
	}
	unsigned k = *step - YIELDS;
	long ns = 50000L << (k < 5 ? k : 5);
	if (ns > 1000000L)
		ns = 1000000L;
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
	(*step)++;
}

/* Files are read through a 1 MiB stdio buffer: with the default 4 KiB one a replay spends
 * more time entering read(2) than decoding. The FILE is owned by the pcap handle and closed
 * by pcap_close(). */
#define READ_BUF (1u << 20)

/* Standard input for libpcap: the bytes already read to judge it, then the rest. */
static ssize_t stdin_read(void *cookie, char *buf, size_t n)
{
	dx_pipeline_t *pl = cookie;
	static size_t off; /* standard input is read once, by one thread at a time */
	if (off < pl->stdin_pre_n) {
		size_t take = pl->stdin_pre_n - off < n ? pl->stdin_pre_n - off : n;
		memcpy(buf, pl->stdin_pre + off, take);
		off += take;
		return (ssize_t) take;
	}
	ssize_t k;
	do
		k = read(STDIN_FILENO, buf, n);
	while (k < 0 && errno == EINTR);
	return k;
}

static pcap_t *open_file(dx_pipeline_t *pl, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	bool is_stdin = strcmp(path, "-") == 0;
	const char *what = is_stdin ? "stdin" : path;
	FILE *fp = is_stdin ? fopencookie(pl, "rb", (cookie_io_functions_t){.read = stdin_read})
			    : fopen(path, "rb");
	if (fp == NULL) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", what, strerror(errno));
		return NULL;
	}
	setvbuf(fp, NULL, _IOFBF, READ_BUF);
	pcap_t *p =
	    pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (p == NULL) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", what, errbuf);
		fclose(fp);
	}
	return p;
}

static int set_filter(pcap_t *p, const char *what, const char *bpf)
{
	struct bpf_program prog;
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: filter '%s': %s", what, bpf,
		       pcap_geterr(p));
		return -1;
	}
	int rc = pcap_setfilter(p, &prog);
	if (rc != 0)
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: filter '%s': %s", what, bpf,
		       pcap_geterr(p));
	pcap_freecode(&prog);
	return rc == 0 ? 0 : -1;
}

/* DNS on UDP/TCP 53 and the tunnel ports, also inside one or two VLAN tags; with [capture]
 * icmp, ICMP and ICMPv6 too (the decoder keeps only echo requests and replies). */
static void default_filter(const dx_config_t *cfg, char *buf, size_t len)
{
	char inner[512];
	int n = snprintf(inner, sizeof(inner), "udp port 53 or tcp port 53%s",
			 cfg->capture.icmp ? " or icmp or icmp6" : "");
	for (unsigned i = 0; i < cfg->capture.n_vxlan && n > 0 && (size_t) n < sizeof(inner); i++)
		n += snprintf(inner + n, sizeof(inner) - (size_t) n, " or udp dst port %u",
			      cfg->capture.vxlan_ports[i]);
	for (unsigned i = 0; i < cfg->capture.n_geneve && n > 0 && (size_t) n < sizeof(inner); i++)
		n += snprintf(inner + n, sizeof(inner) - (size_t) n, " or udp dst port %u",
			      cfg->capture.geneve_ports[i]);
	snprintf(buf, len, "(%s) or (vlan and (%s))", inner, inner);
}

static pcap_t *open_live(const dx_config_t *cfg)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *ifc = cfg->capture.interface;
	pcap_t *p = pcap_create(ifc, errbuf);
	if (p == NULL) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", ifc, errbuf);
		return NULL;
	}
	pcap_set_snaplen(p, (int) cfg->capture.snaplen);
	pcap_set_promisc(p, cfg->capture.promisc);
	/* Not immediate mode: on Linux that selects TPACKET_V2, whose ring has one fixed slot of
	 * snaplen bytes per packet (64 MiB / 64 KiB = about 1,000 packets), so a burst beyond
	 * that is dropped by the kernel at modest rates (README "Performance", live). TPACKET_V3
	 * packs packets into blocks, and a block is handed over when full or after this timeout:
	 * at most 10 ms of added latency when traffic is light, and the stop flag is noticed. */
	pcap_set_timeout(p, 10);
	pcap_set_buffer_size(p, (int) (cfg->capture.buffer_mb << 20 > INT32_MAX
					   ? INT32_MAX
					   : cfg->capture.buffer_mb << 20));
	int rc = pcap_activate(p);
	if (rc < 0) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", ifc, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		dx_log(DX_LOG_WARN, DX_GRP_CAPTURE, "%s: %s", ifc, pcap_statustostr(rc));
	/* Non-blocking, with our own poll (see wait_readable()): with TPACKET_V3 libpcap's own
	 * wait has no end on an idle interface, and the thread must go round for the watchdog
	 * and the kernel's drop counters. */
	if (pcap_setnonblock(p, 1, errbuf) != 0) {
		dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", ifc, errbuf);
		pcap_close(p);
		return NULL;
	}
	char def[2048];
	default_filter(cfg, def, sizeof(def));
	if (set_filter(p, ifc, cfg->capture.bpf ? cfg->capture.bpf : def) != 0) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

static bool check_dlt(pcap_t *p, const char *what)
{
	int dlt = pcap_datalink(p);
	if (dx_pkt_dlt_supported(dlt))
		return true;
	const char *name = pcap_datalink_val_to_name(dlt);
	dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: unsupported link type %d (%s)", what, dlt,
	       name ? name : "unknown");
	return false;
}

/* What path holds, from its first bytes (standard input's kept in pl for its reader). */
static enum dx_input judge(dx_pipeline_t *pl, const char *path)
{
	if (strcmp(path, "-") == 0) {
		enum dx_input k = DX_IN_NEITHER;
		while (pl->stdin_pre_n < sizeof(pl->stdin_pre)) {
			ssize_t r = read(STDIN_FILENO, pl->stdin_pre + pl->stdin_pre_n,
					 sizeof(pl->stdin_pre) - pl->stdin_pre_n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			pl->stdin_pre_n += (size_t) r;
			k = dx_input_kind(pl->stdin_pre, pl->stdin_pre_n);
			if (k != DX_IN_NEITHER && (k == DX_IN_LOG || pl->stdin_pre_n >= 4))
				break;
		}
		return dx_input_kind(pl->stdin_pre, pl->stdin_pre_n);
	}
	uint8_t b[DX_SNIFF_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DX_IN_UNREADABLE;
	ssize_t n = read(fd, b, sizeof(b));
	close(fd);
	return n < 0 ? DX_IN_UNREADABLE : dx_input_kind(b, (size_t) n);
}

static int add_input(dx_pipeline_t *pl, char *path)
{
	if (pl->n_inputs == pl->inputs_cap) {
		uint32_t cap = pl->inputs_cap ? pl->inputs_cap * 2 : 16;
		char **l = realloc(pl->inputs, cap * sizeof(*l));
		if (l == NULL)
			return -1;
		pl->inputs = l;
		pl->inputs_cap = cap;
	}
	pl->inputs[pl->n_inputs++] = path;
	return 0;
}

/* The offline inputs in order: each -r file, a directory's files sorted by path; each
 * judged a capture or a query log. A file that is neither is one error line. */
static int list_inputs(dx_pipeline_t *pl)
{
	const dx_config_t *cfg = pl->cfg;
	for (uint32_t i = 0; i < cfg->capture.n_files; i++) {
		const char *f = cfg->capture.files[i];
		struct stat st;
		if (strcmp(f, "-") == 0 && i > 0) {
			dx_log(DX_LOG_ERR, DX_GRP_CAPTURE,
			       "-r -: standard input must be the first input");
			return -1;
		}
		if (strcmp(f, "-") != 0 && stat(f, &st) == 0 && S_ISDIR(st.st_mode)) {
			uint32_t before = pl->n_inputs;
			if (dx_input_expand_dir(f, &pl->inputs, &pl->n_inputs, &pl->inputs_cap) !=
			    0)
				return -1;
			if (pl->n_inputs == before) {
				dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: no files in it", f);
				return -1;
			}
			continue;
		}
		char *dup = strdup(f);
		if (dup == NULL || add_input(pl, dup) != 0) {
			free(dup);
			return -1;
		}
	}
	pl->input_kind = calloc(pl->n_inputs ? pl->n_inputs : 1, 1);
	if (pl->input_kind == NULL)
		return -1;
	for (uint32_t i = 0; i < pl->n_inputs; i++) {
		const char *f = pl->inputs[i];
		enum dx_input k = judge(pl, f);
		if (k == DX_IN_UNREADABLE) {
			dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", f, strerror(errno));
			return -1;
		}
		if (k == DX_IN_NEITHER) {
			dx_log(DX_LOG_ERR, DX_GRP_CAPTURE,
			       "%s: neither a pcap/pcapng capture nor a Route 53 query log",
			       strcmp(f, "-") ? f : "stdin");
			return -1;
		}
		pl->input_kind[i] = (uint8_t) k;
	}
	return 0;
}

int dx_capture_open(dx_pipeline_t *pl, const char *write_path)
{
	const dx_config_t *cfg = pl->cfg;
	if (pl->live) {
		pl->pcap = open_live(cfg);
		if (pl->pcap && !check_dlt(pl->pcap, cfg->capture.interface)) {
			pcap_close(pl->pcap);
			pl->pcap = NULL;
		}
		if (pl->pcap && write_path) {
			pl->dumper = pcap_dump_open(pl->pcap, write_path);
			if (pl->dumper == NULL) {
				dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "-w %s: %s", write_path,
				       pcap_geterr(pl->pcap));
				pcap_close(pl->pcap);
				pl->pcap = NULL;
			}
		}
		return pl->pcap ? 0 : -1;
	}
	if (list_inputs(pl) != 0)
		return -1;
	/* Check every file now so a typo in the tenth name fails before anything runs. Standard
	 * input can be read only once: it is opened for real, and only as the first input. */
	for (uint32_t i = 0; i < pl->n_inputs; i++) {
		const char *f = pl->inputs[i];
		if (pl->input_kind[i] != DX_IN_PCAP)
			continue; /* a log: judged by its first bytes already */
		if (i == 0 || strcmp(f, "-") != 0) {
			pcap_t *p = open_file(pl, f);
			if (p == NULL)
				return -1;
			if (!check_dlt(p, f)) {
				pcap_close(p);
				return -1;
			}
			if (cfg->capture.bpf && set_filter(p, f, cfg->capture.bpf) != 0) {
				pcap_close(p);
				return -1;
			}
			if (i == 0)
				pl->pcap = p;
			else
				pcap_close(p);
		}
	}
	return 0;
}

bool dx_capture_push(dx_pipeline_t *pl, int dlt, int64_t ts_us, const uint8_t *bytes,
		     uint32_t caplen, uint32_t wirelen)
{
	/* a file's own snaplen may exceed ours (a query-log record has its own bound) */
	if (dlt != DX_DLT_R53 && caplen > pl->cfg->capture.snaplen)
		caplen = pl->cfg->capture.snaplen;
	size_t need = sizeof(dx_frame_t) + caplen;
	unsigned step = 0;
	dx_frame_t *f;
	while ((f = dx_ring_reserve(pl->ring_a, need)) == NULL ||
	       (!pl->live && dx_want_room(pl->ring_a, step))) {
		if (pl->live) {
			dx_count(&pl->cap.ring_full, 1);
			return true;
		}
		if (atomic_load_explicit(&pl->stop, memory_order_relaxed))
			return false;
		if (step == 0)
			dx_count(&pl->cap.ring_waits, 1);
		dx_backoff(&step);
	}
	f->ts_us = ts_us;
	if (f->ts_us < pl->cap_last_ts)
		dx_count(&pl->cap.ts_backwards, 1);
	else
		pl->cap_last_ts = f->ts_us;
	f->caplen = caplen;
	f->wirelen = wirelen > caplen ? wirelen : caplen;
	f->dlt = dlt;
	memcpy(f + 1, bytes, caplen);
	dx_ring_commit(pl->ring_a);
	return true;
}

/* Kernel and interface drop counters, for the periodic stats (pcap handles are not shared
 * between threads, so the capture thread reads them and publishes copies). */
static void refresh_stats(dx_pipeline_t *pl, pcap_t *p)
{
	struct pcap_stat st;
	if (pcap_stats(p, &st) == 0) {
		atomic_store_explicit(&pl->ps_recv, st.ps_recv, memory_order_relaxed);
		atomic_store_explicit(&pl->ps_drop, st.ps_drop, memory_order_relaxed);
		atomic_store_explicit(&pl->ps_ifdrop, st.ps_ifdrop, memory_order_relaxed);
	}
}

/* Wait up to 100 ms for the live handle to have packets: > 0 if it has, 0 at the timeout.
 * The stop flag is seen within that. */
static int wait_readable(pcap_t *p)
{
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
	if (pfd.fd < 0) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		return 1;
	}
	int n = poll(&pfd, 1, 100);
	return n < 0 && errno == EINTR ? 1 : n;
}

/* A sign of life for the watchdog (main.c): when nothing is waiting, or every 4096 frames. */
static void alive(dx_pipeline_t *pl)
{
	atomic_store_explicit(&pl->alive_us[0], dx_clock_mono_us(), memory_order_relaxed);
}

/* Read one handle to its end (or until stopped). Returns 0, or -1 on a read error. */
static int drain(dx_pipeline_t *pl, pcap_t *p, const char *what)
{
	int dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *bytes;
	for (;;) {
		if (atomic_load_explicit(&pl->stop, memory_order_relaxed))
			return 0;
		int rc = pcap_next_ex(p, &h, &bytes);
		if (rc == 1) {
			if ((dx_counter_get(&pl->cap.packets) & 4095) == 0) {
				alive(pl);
				if (pl->live)
					refresh_stats(pl, p);
			}
			dx_count(&pl->cap.packets, 1);
			dx_count(&pl->cap.bytes, h->len);
			if (pl->dumper) /* -w: exactly what the pipeline sees, for a replay */
				pcap_dump((u_char *) pl->dumper, h, bytes);
			if (!dx_capture_push(pl, dlt,
					     (int64_t) h->ts.tv_sec * 1000000 + h->ts.tv_usec,
					     bytes, h->caplen, h->len))
				return 0;
		} else if (rc == 0) { /* live: nothing ready */
			alive(pl);
			if (wait_readable(p) == 0) { /* 100 ms without a packet */
				refresh_stats(pl, p);
				if (pl->dumper)
					pcap_dump_flush(pl->dumper);
			}
			continue;
		} else if (rc == PCAP_ERROR_BREAK) {
			return 0;
		} else {
			dx_log(DX_LOG_ERR, DX_GRP_CAPTURE, "%s: %s", what, pcap_geterr(p));
			return -1;
		}
	}
}

void *dx_capture_run(void *arg)
{
	dx_pipeline_t *pl = arg;
	const dx_config_t *cfg = pl->cfg;
	if (pl->live) {
		if (drain(pl, pl->pcap, cfg->capture.interface) != 0)
			pl->capture_failed = 1;
		refresh_stats(pl, pl->pcap);
		if (pl->dumper) {
			pcap_dump_close(pl->dumper);
			pl->dumper = NULL;
		}
	} else {
		for (uint32_t i = 0; i < pl->n_inputs; i++) {
			const char *f = pl->inputs[i];
			if (pl->input_kind[i] == DX_IN_LOG) {
				if (dx_logs_drain(pl, f, pl->stdin_pre, pl->stdin_pre_n) != 0)
					pl->capture_failed = 1;
				if (atomic_load_explicit(&pl->stop, memory_order_relaxed))
					break;
				continue;
			}
			pcap_t *p = i == 0 ? pl->pcap : open_file(pl, f);
			if (p != NULL && i > 0 && cfg->capture.bpf &&
			    set_filter(p, f, cfg->capture.bpf) != 0) {
				pcap_close(p);
				p = NULL;
			}
			pl->pcap = NULL;
			if (p == NULL) {
				pl->capture_failed = 1;
				break;
			}
			int rc = drain(pl, p, strcmp(f, "-") ? f : "stdin");
			pcap_close(p);
			if (rc != 0) /* like a truncated last record: keep what was read, go on */
				pl->capture_failed = 1;
			if (atomic_load_explicit(&pl->stop, memory_order_relaxed))
				break;
		}
	}
	pl->cpu_s[0] = dx_clock_thread_cpu();
	atomic_store_explicit(&pl->capture_done, true, memory_order_release);
	return NULL;
}
