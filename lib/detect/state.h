/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detection engine's state, shared by its parts (private to lib/detect): the per-apex
 * record, the name and client tables, the alert pool and the engine itself. Nothing outside
 * lib/detect includes this; the public face is detect.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/detect/detect.h"
#include "lib/prepare/srcids.h"
#include "lib/detect/apextab.h"
#include "lib/detect/beacons.h"
#include "lib/detect/clients.h"
#include "lib/detect/icmp.h"
#include "lib/detect/names.h"
#include "lib/detect/window.h"
#include "lib/prepare/features.h"

#define NB DX_DETECT_BUCKETS
#define NH DX_DETECT_HOURS
#define NIL UINT32_MAX
#define SRC_KEEP 4
#define SEG_PROBATION 0
#define SEG_PROTECTED 1
#define QT_SLOTS 16

struct bucket {
	uint32_t q;	   /* queries */
	uint32_t sq;	   /* queries with a subdomain */
	uint32_t uniq;	   /* subdomains new in the window */
	uint32_t enc_uniq; /* ... of which encoded */
	uint32_t long_uniq;
	uint32_t rnd_q; /* subdomain queries that look machine-made */
	uint32_t odd_q; /* unusual query types */
	uint32_t resp, nx;
	uint32_t bits;	    /* information of the new subdomains (saturating) */
	uint32_t look_q;    /* subdomain queries in the apex's lookup shape (lookup_len, rest) */
	uint32_t data_resp; /* responses whose answers carry data (over answer_data_bytes) */
};

struct hour {
	uint64_t bits;
	uint32_t sq, rnd_q;
};

struct tumble {
	uint32_t q, sq, uniq, nx, max_label, max_qname;
	double ent_sum;
	uint64_t bits;
	uint32_t qt[10];
};

struct addr {
	uint8_t a[16];
	uint8_t af;
	uint32_t srcid; /* its query log's instance and VPC, 0 for none */
};

struct apex_st {
	/* what a lookup reads, then the text it compares, in the first lines */
	uint64_t h;
	uint32_t chain;	     /* next in the hash bucket */
	uint32_t prev, next; /* LRU list of its segment: head = most recent */
	uint8_t seg;	     /* SEG_PROBATION or SEG_PROTECTED */
	uint8_t cls;
	bool allowed;
	bool has_vni;
	uint8_t n_src;
	uint8_t apex_len; /* apex text may hold a NUL byte from the wire: never strlen() it */
	uint8_t alert_sev[DX_T_DNS_COUNT]; /* severity of alert[t] while it is open */
	char apex[DX_DNAME_MAXTEXT + 1];
	dx_window_t win;  /* the ring of b[] */
	dx_window_t hwin; /* the ring of hr[] */
	uint32_t vni;
	dx_ts_t first_ts, last_ts;
	uint64_t total_bits, total_q;
	uint64_t src_bits;    /* linear-counting bitmap of client addresses */
	uint32_t lab_seen[8]; /* hashes of recent long labels: repeated ones carry no data */
	uint8_t lab_next;
	struct addr src[SRC_KEEP];
	uint32_t alert[DX_T_DNS_COUNT]; /* index in the alert pool, or NIL */
	uint32_t look_rest;		/* the lookup shape: the rest of its first such name ... */
	uint8_t look_len;		/* ... and its data label's length; 0: none seen yet */
	struct bucket sum, b[NB];
	/* since the apex entered the table (its alerts' first_ts): subdomain queries by type,
	 * for top_qtype, and machine-made ones by encoding, so all its alerts name one */
	uint32_t qt_n[QT_SLOTS];
	uint16_t qt_other; /* the first type counted in the last slot */
	uint32_t enc_n[DX_ENC_COUNT];
	struct hour hsum; /* the horizon's total */
	struct hour hr[NH];
	struct tumble tum;
};

struct alert_slot {
	dx_alert_t a;
	uint32_t apex;	   /* owner */
	uint8_t n_sources; /* sources in a.sources: rebuilt only when the apex has more */
	uint32_t next_free;
	bool used;
};

struct dx_detect {
	dx_detect_cfg_t cfg;
	const dx_allow_t *allow;
	const dx_srcids_t *srcids; /* query logs' sources, or NULL */
	dx_hash_key_t key;
	dx_alert_fn on_alert;
	dx_window_fn on_window;
	void *ctx;

	uint32_t bucket_sec, hour_sec;
	dx_ts_t now;	     /* newest packet time seen */
	uint32_t now_epoch;  /* now / bucket_sec */
	uint32_t tumble_idx; /* now / window_sec of the open tumbling window; NIL before data */

	dx_apextab_t apexes;
	dx_names_t names;
	dx_clients_t clients;
	dx_beacons_t beacons;
	dx_icmp_t icmp;

	struct alert_slot *alerts;
	uint32_t free_alert, alerts_never_used;

	dx_detect_stats_t st;
};

/* ---- small helpers shared by the engine's parts */

static inline double frac(uint64_t a, uint64_t b)
{
	return b ? (double) a / (double) b : 0.0;
}

/* frac(a, b) >= 0.5 without a division (evaluate() asks several a query): for counts below
 * 2^32 the quotient rounded to a double is >= 0.5 exactly when 2a >= b. */
static inline bool half_or_more(uint64_t a, uint64_t b)
{
	return b != 0 && 2 * a >= b;
}

/* Query types an alert can name, one slot each; the last slot holds every other type. */
static const uint16_t qt_types[QT_SLOTS - 1] = {1,  28, 16, 10, 5,   15, 33, 65,
						12, 25, 2,  6,	255, 64, 99};

/* The slot of type t (qt_types[slot] == t), or the last: a switch, as it runs at every
 * subdomain query. */
static inline unsigned qt_slot(uint16_t t)
{
	switch (t) {
	case 1:
		return 0;
	case 28:
		return 1;
	case 16:
		return 2;
	case 10:
		return 3;
	case 5:
		return 4;
	case 15:
		return 5;
	case 33:
		return 6;
	case 65:
		return 7;
	case 12:
		return 8;
	case 25:
		return 9;
	case 2:
		return 10;
	case 6:
		return 11;
	case 255:
		return 12;
	case 64:
		return 13;
	case 99:
		return 14;
	default:
		return QT_SLOTS - 1;
	}
}

/* Would raise() change the alert of threat t: none open, or open below sev? Asked before
 * the call: a busy apex over a threshold asks at every query, and the answer is almost
 * always no. */
static inline bool news(const struct apex_st *s, enum dx_threat t, enum dx_severity sev)
{
	return sev != DX_SEV_NONE && (s->alert[t] == NIL || s->alert_sev[t] < sev);
}
