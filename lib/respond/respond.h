/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file respond.h
 * @brief The block policy, run by the detector thread: which alerts become block requests,
 * for which domains, how often, and when blocks expire; the blocks table rows; the results
 * coming back from the hook runner.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/detect/alert.h"
#include "lib/prepare/allow.h"
#include "lib/prepare/apex.h"
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
} dx_respond_cfg_t;

typedef struct dx_respond_stats {
	uint64_t requested, done, failed, dry_run, removed, refused_invalid, refused_protected,
	    rate_limited, queue_full;
} dx_respond_stats_t;

typedef struct dx_respond dx_respond_t;

/** st, hook (NULL: no hook, nothing is requested unless dry_run) and protect (NULL: none) are
 * borrowed. */
dx_respond_t *dx_respond_new(const dx_respond_cfg_t *cfg, dx_store_t *st, dx_hook_t *hook,
			     const dx_allow_t *protect);
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
