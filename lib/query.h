/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file query.h
 * @brief dx_query_t: one decoded DNS message as it crosses ring B from the parser thread to
 * the detector thread. Self-contained, no pointers: once the slot is released nothing may
 * point into it (style 2.5).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns.h"

typedef int64_t dx_ts_t; /* µs since the Unix epoch, packet time (never the wall clock) */

enum {
	DX_Q_TCP = 1 << 0, /* came over TCP */
	DX_Q_TRUNCATED =
	    1 << 1, /* the frame or TCP message was cut short; decoded as far as it went */
	DX_Q_HAS_VNI = 1 << 2, /* came through VXLAN/GENEVE; vni is valid */
};

typedef struct dx_query {
	dx_ts_t ts_us;
	uint8_t src[16], dst[16]; /* innermost addresses: the DNS client and server */
	uint16_t sport, dport;
	uint32_t vni;
	uint8_t af;	  /* 4 or 6 */
	uint8_t flags;	  /* DX_Q_* */
	dx_dns_msg_t dns; /* last: a record ends after dns.qname's text (dx_query_size()) */
} dx_query_t;

/** Bytes of q that hold data: ring B records are committed at this length. */
static inline size_t dx_query_size(const dx_query_t *q)
{
	return offsetof(dx_query_t, dns.qname) + dx_name_size(&q->dns.qname);
}
