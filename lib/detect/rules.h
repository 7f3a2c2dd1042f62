/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detectors as a table (private to lib/detect): one judge() per threat type, which reads
 * what the engine knows of the apex and the client at this query and says the severity it
 * sees, and its score when that is news. The engine asks every rule in table order at every subdomain
 * query of an ordinary apex and raises what is news. Adding a detector is one function and
 * one row (and its threat type in alert.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/detect/state.h"

/* Fixed parts of the rules, named beside them (the tunable ones are [detect] keys). */
#define DX_RULE_INFO_MEDIUM_DIV 4 /* INFO_VOLUME MEDIUM at info_horizon_bytes / 4 ... */
#define DX_RULE_INFO_LOW_DIV 16	  /* ... LOW at / 16, whatever the names look like */
#define DX_RULE_CLIENT_SCORE 10	  /* CLIENT_ANOMALY's score is 1 at 10 × client_min_unique */

/** What a rule sees at one query: read only. */
typedef struct dx_rule_view {
	const dx_detect_cfg_t *k;
	const struct bucket *w;	    /* the apex's window */
	bool rnd;		    /* most subdomain queries in the window look machine-made */
	bool machine;		    /* ... and most are unique: names made to carry data */
	bool hmachine;		    /* most of the horizon's subdomain queries look machine-made */
	uint32_t info_w;	    /* estimated bytes in the window */
	uint64_t info_h;	    /* ... in the horizon */
	const dx_client_t *c;	    /* the querying client */
	uint32_t client_median;	    /* new names of the median active client; UINT32_MAX: none */
	const dx_features_t *f;	    /* this query's name */
	bool lookup;		    /* the apex looks like a hash or reputation lookup service */
	const dx_beacon_t *beacon;  /* this client's check-ins to the apex, or NULL */
	const struct apex_st *apex; /* the apex itself (its sources) */
} dx_rule_view_t;

/** A rule's severity at this query (DX_SEV_NONE: nothing), and its score, asked only when the
 * severity is news (a busy apex is judged at every query and is almost never news). */
typedef enum dx_severity (*dx_rule_judge_fn)(const dx_rule_view_t *v);
typedef double (*dx_rule_score_fn)(const dx_rule_view_t *v);

typedef struct dx_rule {
	enum dx_threat threat;
	dx_rule_judge_fn judge;
	dx_rule_score_fn score;
} dx_rule_t;

#define DX_RULES 8
/** The detectors, in the order they are judged (README "Detectors"). */
extern const dx_rule_t dx_rules[DX_RULES];
