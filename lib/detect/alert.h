/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file alert.h
 * @brief The values the detector produces and the store writes: an alert (one per apex,
 * threat type and episode, updated in place as it escalates) and a closed window's per-apex
 * statistics. Value types with no pointers, so they can be copied to the hook queue.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/dname.h"
#include "lib/prepare/features.h"

enum dx_severity { DX_SEV_NONE = 0, DX_SEV_LOW, DX_SEV_MEDIUM, DX_SEV_HIGH, DX_SEV_CRITICAL };

enum dx_threat {
	DX_T_HIGH_FREQUENCY = 0,
	DX_T_ENCODED_SUBDOMAIN,
	DX_T_LONG_NAME,
	DX_T_UNUSUAL_QTYPE,
	DX_T_SUBDOMAIN_ENUMERATION,
	DX_T_INFO_VOLUME,
	DX_T_CLIENT_ANOMALY,
	DX_T_BEACON,
	DX_T_ICMP_TUNNEL, /* not DNS: an ICMP echo tunnel; the alert's apex is the peer's address */
	DX_T_COUNT
};
/* The DNS threats, the ones an apex has: ICMP_TUNNEL's alerts live with its pairs (icmp.h) */
#define DX_T_DNS_COUNT DX_T_ICMP_TUNNEL

enum dx_status { DX_ST_OPEN = 0, DX_ST_CLOSED, DX_ST_BLOCKED, DX_ST_ALLOWLISTED };

#define DX_ALERT_SOURCES 16 /* client addresses kept per alert */
#define DX_ALERT_SOURCES_JSON (DX_ALERT_SOURCES * 48 + 4)
#define DX_ALERT_DETAILS 2048
#define DX_ALERT_SRCIDS 640 /* the kept sources' instances and VPCs, JSON */

/** The window's counts when an alert first reached a severity (details.at), so a row whose
 * refreshed counts fell below a threshold still shows what crossed it. */
typedef struct dx_alert_at {
	uint32_t queries, subdomain_queries, unique_subdomains, encoded_unique, long_unique,
	    unusual_qtype_queries, info_window_bytes;
	uint64_t info_horizon_bytes;
} dx_alert_at_t;

typedef struct dx_alert {
	int64_t id; /* database row id; 0 until first stored */
	char apex[DX_DNAME_MAXTEXT + 1];
	enum dx_threat threat;
	enum dx_severity severity;
	enum dx_status status;
	enum dx_encoding encoding; /* the apex's: the most common of its machine-made names */
	double score;
	dx_ts_t first_ts;    /* first query of the episode */
	dx_ts_t detected_ts; /* the query that raised it (first reached its current severity) */
	dx_ts_t last_ts;
	uint64_t query_count;
	uint64_t unique_subdomains;
	uint64_t source_count;
	uint64_t est_bytes;
	uint16_t top_qtype; /* the most common type of the apex's subdomain queries */
	uint32_t vni;
	bool has_vni;
	char sample_qname[DX_DNAME_ESCMAX];  /* escaped presentation text */
	char sources[DX_ALERT_SOURCES_JSON]; /* JSON array of address strings */
	char details[DX_ALERT_DETAILS];	     /* JSON object */
	/* query logs: [{"address":..,"instance" or "resolver_endpoint":..,"vpc":..}], or "" */
	char srcids[DX_ALERT_SRCIDS];
	enum dx_severity logged; /* highest severity already logged (not stored) */
	bool
	    refresh; /* only counts, sources, details, status and encoding changed since the last write */
	bool ended; /* its episode ended: this is its last write (the slot is reused after) */
	uint64_t store_seq; /* the store's: 1 + the queue position of its row not yet written */
	const char
	    *not_blocked; /* the block policy's: why it refused this apex (a constant), or NULL */
	dx_ts_t raised_ts[DX_SEV_CRITICAL + 1]; /* when each severity was first reached */
	dx_alert_at_t at[DX_SEV_CRITICAL + 1];	/* and the counts then */
} dx_alert_t;

/** One apex's statistics over a closed window. */
typedef struct dx_window_stats {
	char apex[DX_DNAME_MAXTEXT + 1];
	dx_ts_t start_ts, end_ts;
	uint64_t query_count;
	uint64_t subdomain_query_count;
	uint64_t unique_subdomains;
	uint64_t source_count;
	uint64_t nxdomain_count;
	uint64_t est_bytes;
	uint32_t max_label_len;
	uint32_t max_qname_len;
	double mean_entropy;
	char qtype_counts[256]; /* JSON object: {"A":12,"TXT":3} */
} dx_window_stats_t;

const char *dx_severity_name(enum dx_severity s); /* "HIGH" */
int dx_severity_parse(const char *s);		  /* -1 if unknown; accepts any case */
const char *dx_threat_name(enum dx_threat t);	  /* "ENCODED_SUBDOMAIN" */
const char *dx_encoding_name(enum dx_encoding e); /* "base32" */
const char *dx_status_name(enum dx_status s);	  /* "open" */
