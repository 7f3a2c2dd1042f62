/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file respond.h
 * @brief The block policy, run by the detector thread: which alerts become block requests,
 * for which domains, how often, and when blocks expire; the blocks table rows; the results
 * coming back from the hook runner.
 */
#pragma once

#include <libpsl.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/base/hash.h"
#include "lib/detect/alert.h"
#include "lib/prepare/allow.h"
#include "lib/respond/hook.h"
#include "lib/store/store.h"

enum dx_scope { DX_SCOPE_BOTH = 0, DX_SCOPE_APEX, DX_SCOPE_WILDCARD, DX_SCOPE_AUTO };

typedef struct dx_respond_cfg {
	int min_severity; /* enum dx_severity */
	int scope;	  /* enum dx_scope */
	bool dry_run;
	uint32_t max_blocks_per_hour; /* new blocks per hour of packet time */
	uint32_t block_ttl_sec;	      /* 0: never expire */
	uint32_t max_blocks;	      /* blocks tracked at once */
	bool isolate_icmp;	      /* an ICMP_TUNNEL alert runs the hook as HOOK isolate PEER */
} dx_respond_cfg_t;

/** Why a block was not requested. The first six are domains that must never be blocked,
 * whatever the alert says: a hostile name must not be able to aim the hook at them. */
enum dx_refusal {
	DX_REF_INVALID = 0,    /* not DNS Firewall syntax (a hostile or broken apex) */
	DX_REF_SINGLE_LABEL,   /* a top-level domain or a dotless name */
	DX_REF_ARPA,	       /* reverse-lookup space */
	DX_REF_SITE_LOCAL,     /* under a top-level name that never leaves a site (consul, local) */
	DX_REF_PUBLIC_SUFFIX,  /* co.uk, github.io, s3.amazonaws.com: either section */
	DX_REF_PROTECTED,      /* a [response] protect zone or under one */
	DX_REF_PROTECT_PARENT, /* above a protect zone: blocking it would block the zone */
	DX_REF_ALLOWLISTED,    /* an allowlist entry, under one, or above one */
	DX_REF_RATE_LIMITED,   /* max_blocks_per_hour reached */
	DX_REF_NOT_DNS, /* not a DNS threat (ICMP_TUNNEL): DNS Firewall has nothing to block */
	DX_REF_COUNT
};

typedef struct dx_respond_stats {
	uint64_t requested, done, failed, dry_run, removed, queue_full;
	uint64_t refused[DX_REF_COUNT]; /* each decision to refuse, by reason */
} dx_respond_stats_t;

/** "public_suffix" and so on, for the summary, the metrics and the log. */
const char *dx_refusal_name(enum dx_refusal r);

typedef struct dx_respond dx_respond_t;

/** st, hook (NULL: no hook, nothing is requested unless dry_run), psl (read-only, for the
 * public-suffix refusal), allow and protect (NULL: none) are borrowed; key keys the table that
 * logs each refused apex once an hour. NULL on OOM. */
dx_respond_t *dx_respond_new(const dx_respond_cfg_t *cfg, dx_store_t *st, dx_hook_t *hook,
			     const psl_ctx_t *psl, const dx_allow_t *allow,
			     const dx_allow_t *protect, dx_hash_key_t key);

/** The allowlist and protect zones to use from now on (SIGHUP); borrowed, may be NULL. */
void dx_respond_set_lists(dx_respond_t *r, const dx_allow_t *allow, const dx_allow_t *protect);

/** Why apex (escaped text, as in dx_alert_t) must never be blocked, or DX_REF_COUNT if it may
 * be. The test dx_respond_alert() makes before any request. */
enum dx_refusal dx_respond_refusal(const dx_respond_t *r, const char *apex);
void dx_respond_free(dx_respond_t *r);

/** An alert opened, escalated or was refreshed (before it is stored). May request a block
 * and set a->status to DX_ST_BLOCKED while a block is in force. ref_wall: the wall clock
 * when its packet was seen (latency reference). */
void dx_respond_alert(dx_respond_t *r, dx_alert_t *a, double ref_wall);

/** New policy settings (SIGHUP); max_blocks and max_blocks_per_hour keep their allocated
 * sizes (a larger max_blocks_per_hour applies after a restart). */
void dx_respond_set_cfg(dx_respond_t *r, const dx_respond_cfg_t *cfg);

/** Collect hook results into the blocks table and expire blocks at packet time now. */
void dx_respond_tick(dx_respond_t *r, dx_ts_t now);

/** Parse "both", "apex", "wildcard", "auto"; -1 if none. */
int dx_respond_scope_parse(const char *s);
const char *dx_respond_scope_name(int scope);

void dx_respond_get_stats(const dx_respond_t *r, dx_respond_stats_t *out);

/** Told of each change of an apex's block: "pending" (requested), "dry_run", "done",
 * "failed", "removed" (expired and taken off); now is the packet time. */
typedef void (*dx_block_fn)(void *ctx, const char *apex, const char *state, dx_ts_t now);
void dx_respond_on_block(dx_respond_t *r, dx_block_fn fn, void *ctx);
