/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file query.h
 * @brief dx_query_t: one decoded DNS message, or one ICMP echo (DX_Q_ECHO), as it crosses ring B
 * from the parser thread to the detector thread. Self-contained, no pointers: once the slot is released nothing may
 * point into it (style 2.5).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/decode/dns.h"
#include "lib/prepare/features.h"

enum {
	DX_Q_TCP = 1 << 0, /* came over TCP */
	DX_Q_TRUNCATED =
	    1 << 1, /* the frame or TCP message was cut short; decoded as far as it went */
	DX_Q_HAS_VNI = 1 << 2, /* came through VXLAN/GENEVE; vni is valid */
	DX_Q_ECHO = 1 << 3,    /* an ICMP echo: echo is valid, prep and dns are not */
};

#define DX_PREP_LABELS 4 /* long-label hashes carried per message */

/** What the detector needs of a message that depends on the message alone: computed by
 * dx_query_prepare() in the parser thread, so that the parser and the detector share the
 * per-message work (the detector thread alone was the bottleneck). */
typedef struct dx_prep {
	uint64_t name_hash;   /* keyed hash of the whole name text: the name table's key */
	uint64_t apex_hash;   /* of the apex text: the apex table's key */
	uint64_t client_hash; /* of the client (a query's source, a response's destination) */
	dx_features_t f;      /* of the subdomain, no label left out */
	uint32_t lab_hash[DX_PREP_LABELS]; /* labels of 8+ characters left of the apex, hash|1 */
	uint8_t lab_idx[DX_PREP_LABELS];   /* ... and their index from the left */
	uint8_t n_lab;			   /* entries; > DX_PREP_LABELS: more than fit */
	uint8_t apex_off;		   /* offset of the apex in dns.qname.text */
	uint8_t apex_cls;		   /* enum dx_apex_class */
	bool ready;			   /* set by dx_query_prepare() */
} dx_prep_t;

/** What the ICMP tunnel detector needs of one echo request or reply (dx_echo_prepare()). */
typedef struct dx_echo {
	uint64_t
	    digest; /* keyed hash of the captured payload: an echoing reply has its request's */
	uint64_t sketch; /* ... of the 32 bytes past the first 16 (a ping's timestamp), 0 when under
			  * 8 are there: a ping's stays the same from request to request */
	uint32_t len;	 /* payload bytes on the wire */
	uint32_t caplen; /* ... of which captured (and digested) */
	uint16_t ident, seq;
	uint16_t dent; /* entropy of the successive byte differences, millibits per byte */
	uint8_t type;  /* the ICMP or ICMPv6 type */
	bool reply;
	bool random; /* dent near the most the payload's length allows: data, not a pattern */
	bool
	    marker; /* a known tunnel tool's magic number opens the payload (ptunnel, ptunnel-ng) */
} dx_echo_t;

typedef struct dx_query {
	dx_ts_t ts_us;
	uint8_t src[16], dst[16]; /* innermost addresses: the DNS client and server */
	uint16_t sport, dport;
	uint32_t vni;
	uint32_t srcid; /* a query log's instance and VPC (prepare/srcids.h), 0 for none */
	uint8_t af;	/* 4 or 6 */
	uint8_t flags;	/* DX_Q_* */
	union {
		dx_prep_t prep; /* dx_query_prepare() */
		dx_echo_t echo; /* DX_Q_ECHO: dx_echo_prepare(); the record ends here */
	};
	dx_dns_msg_t dns; /* last: a record ends after dns.qname's text (dx_query_size()) */
} dx_query_t;

/** Bytes of q that hold data: ring B records are committed at this length. */
static inline size_t dx_query_size(const dx_query_t *q)
{
	if (q->flags & DX_Q_ECHO)
		return offsetof(dx_query_t, dns);
	return offsetof(dx_query_t, dns.qname) + dx_name_size(&q->dns.qname);
}
