/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file events.h
 * @brief Incident events, as they happen: the detector thread feeds every alert write and
 * every block state change here; an in-memory table of incidents (one per apex and episode,
 * as the database's incidents table) turns them into state changes, each one JSON line in the
 * EVE style (README "Sending events") handed to a callback that queues it for the EVE file and
 * the notify hook. Nothing here blocks or writes a file.
 *
 * Events: opened (the incident first reached the EVE threshold), escalated (its severity
 * rose), blocked (the block hook's add succeeded), unblocked (its remove did), closed (its
 * last alert ended), and stats (the sensor's counters, periodically).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/detect/alert.h"

enum dx_event_type {
	DX_EV_OPENED = 0,
	DX_EV_ESCALATED,
	DX_EV_BLOCKED,
	DX_EV_UNBLOCKED,
	DX_EV_CLOSED,
	DX_EV_STATS,
	DX_EV_COUNT
};

#define DX_EVENT_MAX 8192   /* bytes of one event line, newline included */
#define DX_EVENT_SAMPLE 128 /* characters kept of each sample name (cut between escapes) */
#define DX_EVENT_IDLEN 16   /* hex digits of an incident's uid */

typedef struct dx_events_cfg {
	uint32_t max_incidents; /* incidents followed at once (open, or closed and still blocked) */
	int eve_min;	/* enum dx_severity: to the EVE file from it; DX_SEV_CRITICAL + 1: none */
	int notify_min; /* ... to the notify hook; incidents below both make no events */
	uint32_t notify_per_hour; /* events of one incident to the notify hook per hour */
	const char *host;	  /* borrowed */
	const char *sensor_id;	  /* borrowed; part of every uid */
} dx_events_cfg_t;

/** One event, valid during the callback only. */
typedef struct dx_event {
	enum dx_event_type type;
	enum dx_severity severity; /* the incident's; NONE for stats */
	bool to_eve;		   /* at or above eve_min (stats: always) */
	bool to_notify;		   /* at or above notify_min and within notify_per_hour */
	const char *uid;	   /* the incident's, or "" for stats */
	const char *apex;	   /* escaped text, or "" for stats */
	const char *line;	   /* one JSON object and '\n', no NUL inside */
	size_t len;
} dx_event_t;

typedef void (*dx_event_fn)(void *ctx, const dx_event_t *ev);

typedef struct dx_events_stats {
	uint64_t made[DX_EV_COUNT]; /* events made, by type */
	uint64_t table_full;	    /* alerts of an incident there was no room to follow */
	uint64_t rate_limited;	    /* events kept from the notify hook by notify_per_hour */
	uint32_t incidents;	    /* followed now */
} dx_events_stats_t;

typedef struct dx_events dx_events_t;

/** "opened", "escalated", "blocked", "unblocked", "closed", "stats". */
const char *dx_event_name(enum dx_event_type t);

/** NULL on OOM. cfg's strings are borrowed for the table's life. */
dx_events_t *dx_events_new(const dx_events_cfg_t *cfg, dx_event_fn fn, void *ctx);
void dx_events_free(dx_events_t *e);
size_t dx_events_mem_bound(uint32_t max_incidents);

/** An alert was raised, escalated, refreshed or ended (a->ended); now: the packet time. */
void dx_events_alert(dx_events_t *e, const dx_alert_t *a, dx_ts_t now);

/** The block of apex changed state: "pending", "dry_run", "done", "failed" or "removed". */
void dx_events_block(dx_events_t *e, const char *apex, const char *state, dx_ts_t now);

/** A stats event carrying the JSON object stats (the sensor's counters). */
void dx_events_stats(dx_events_t *e, dx_ts_t now, const char *stats);

void dx_events_get_stats(const dx_events_t *e, dx_events_stats_t *out);

/** t as "2026-12-02T07:00:31.123456+0000" (local time with its offset, as Suricata writes
 * EVE timestamps); buf of at least 40 bytes. */
void dx_events_time(dx_ts_t t, char *buf, size_t n);
