/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file hook.h
 * @brief The block hook runner: a bounded request queue, a worker thread that runs the hook
 * executable with posix_spawn and a fixed argv (never a shell), a deadline and a kill, capped
 * stderr, retries with backoff; results come back through a second queue to the thread that
 * owns the database.
 *
 * Contract (README "Hook"): `HOOK add DOMAIN...` / `HOOK remove DOMAIN...`, context in
 * DNSEXFIL_* environment variables, standard input /dev/null, exit 0 for success. Block
 * requests submitted together (up to DX_HOOK_BATCH, the same action) are one run: all their
 * domains in argv, the per-alert variables as comma-separated lists in the same order.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/dname.h"

#define DX_HOOK_MAX_DOMAINS 2
#define DX_HOOK_DOMAIN_MAX 255 /* DNS Firewall's limit */
#define DX_HOOK_STDERR_MAX 2048
/* Block requests queued together go to the hook as one run of at most this many (README
 * "Hook": the Route 53 Resolver API allows ~5 requests a second per account and Region) */
#define DX_HOOK_BATCH 32
/* How long a block request waits for others to join it, ms: dx_hook_flush() sends sooner */
#define DX_HOOK_LINGER_MS 50

/* NOTIFY: the notify hook, run as `HOOK EVENT` with the event's JSON on standard input */
/* add, remove: DNS Firewall domains; isolate: the clients of an ICMP tunnel (its peer's
 * address as the one argument, [response] isolate_icmp); notify: an event */
enum dx_hook_action { DX_HOOK_ADD = 0, DX_HOOK_REMOVE, DX_HOOK_NOTIFY, DX_HOOK_ISOLATE };
enum dx_hook_state { DX_HOOK_DONE = 0, DX_HOOK_FAILED };

typedef struct dx_hook_cfg {
	const char *path; /* the executable */
	uint32_t timeout_ms;
	uint32_t retries;    /* further attempts after a failure */
	uint32_t backoff_ms; /* before the first retry; doubles each time */
	uint32_t queue;	     /* requests waiting at most */
	const char *db_path; /* for DNSEXFIL_DB */
} dx_hook_cfg_t;

typedef struct dx_hook_req {
	uint64_t seq;
	enum dx_hook_action action;
	int n_domains;
	char domains[DX_HOOK_MAX_DOMAINS][DX_HOOK_DOMAIN_MAX + 1];
	int64_t block_ids[DX_HOOK_MAX_DOMAINS]; /* the blocks rows to update */
	char apex[DX_DNAME_MAXTEXT + 1];
	char severity[12];
	char threat[32];
	int64_t alert_id;
	uint64_t est_bytes;
	char sources[800];   /* comma-separated addresses */
	char instances[200]; /* query logs: comma-separated instance (or endpoint) ids */
	char vpcs[200];	     /* ... and their VPCs */
	uint32_t vni;
	bool has_vni;
	double ref_wall; /* wall clock of the threshold-crossing packet (latency reference) */
	/* NOTIFY only: the event type (argv[1]), the incident's uid, and the event's JSON line,
	 * malloc'ed: dx_hook_submit() takes it (and the runner frees it) only when it returns
	 * DX_OK */
	char event[16];
	char uid[24];
	char *input;
	size_t input_len;
} dx_hook_req_t;

typedef struct dx_hook_result {
	uint64_t seq;
	enum dx_hook_action action;
	int n_domains;
	int64_t block_ids[DX_HOOK_MAX_DOMAINS];
	enum dx_hook_state state;
	int exit_code; /* the hook's status; 128+N if killed by signal N; -1 timeout; -2 no exec */
	uint32_t attempts;
	double latency_ms; /* ref_wall to the first exec */
	char stderr_text[DX_HOOK_STDERR_MAX + 1];
} dx_hook_result_t;

/** True if d is acceptable to Route 53 Resolver DNS Firewall and safe as an argument:
 * ^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$, at most 255 characters, no label starting with '-'. */
bool dx_hook_domain_valid(const char *d);

/** Run one request to completion in the calling thread: spawn, wait up to timeout_ms, kill,
 * retry with backoff. Never uses a shell. */
void dx_hook_run(const dx_hook_cfg_t *cfg, const dx_hook_req_t *req, dx_hook_result_t *res);

typedef struct dx_hook dx_hook_t;

/** Bytes a runner with `queue` requests allocates, each carrying up to input_max bytes of
 * standard input (NOTIFY). */
size_t dx_hook_mem_bound(uint32_t queue, size_t input_max);

/** Start the worker thread. cfg and its strings are borrowed for the runner's life. */
dx_hook_t *dx_hook_new(const dx_hook_cfg_t *cfg);
/** Queue a request (copied). DX_EAGAIN if the queue is full. An add or remove waits up to
 * DX_HOOK_LINGER_MS, or until dx_hook_flush(), for others to join its run. */
int dx_hook_submit(dx_hook_t *h, const dx_hook_req_t *req) DX_MUSTCHECK;
/** Run what is queued now: the requests submitted since the last flush are one batch. */
void dx_hook_flush(dx_hook_t *h);
/** Take one finished result, if any (non-blocking). */
bool dx_hook_poll(dx_hook_t *h, dx_hook_result_t *out);
/** Requests queued or running. */
uint32_t dx_hook_busy(dx_hook_t *h);
/** Stop: run what is queued, waiting at most deadline_ms in all; then kill the running hook
 * and drop the rest (their results say failed, exit -1). Safe on NULL. Results stay pollable
 * until dx_hook_free(). */
void dx_hook_stop(dx_hook_t *h, uint32_t deadline_ms);
void dx_hook_free(dx_hook_t *h);
