/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file tcp.h
 * @brief DNS over TCP (RFC 7766 8): 2-byte length-prefixed messages reassembled per flow
 * (one direction of a connection) within fixed bounds (parsing rule R11).
 *
 * The flow table is allocated once: max_flows flows of flow_bytes each, in 4-way sets indexed
 * by a keyed hash, the least recently active way evicted (counted) when a set is full and
 * idle flows reused first. Only in-order data is appended; a gap or a segment from the future
 * drops that flow's partial message (counted) and resynchronises at the segment. A message
 * larger than flow_bytes is delivered with its first flow_bytes bytes and marked partial, so
 * its header and question are still decoded. A message wholly inside one segment is delivered
 * straight from the packet with no copy.
 *
 * Memory: max_flows × (flow_bytes + about 80 bytes), fixed at dx_tcp_new().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/decode/counters.h"
#include "lib/base/err.h"
#include "lib/base/hash.h"
#include "lib/decode/pkt.h"

typedef struct dx_tcp dx_tcp_t;

/** Called once per complete DNS message; msg is borrowed until return. partial: the message
 * was longer than the flow buffer and msg holds only its beginning. */
typedef void (*dx_tcp_msg_fn)(void *ctx, const dx_pkt_t *pkt, const uint8_t *msg, size_t len,
			      bool partial);

/** Allocate the table. max_flows is rounded up to a power of two (at least 4). NULL on OOM. */
dx_tcp_t *dx_tcp_new(uint32_t max_flows, uint32_t flow_bytes, uint32_t idle_sec, dx_hash_key_t key);
void dx_tcp_free(dx_tcp_t *t);
/** Bytes dx_tcp_new() allocates for these settings. */
size_t dx_tcp_mem_bound(uint32_t max_flows, uint32_t flow_bytes);

/** Feed one TCP segment (pkt->proto == DX_PROTO_TCP) seen at ts_us. Complete messages are
 * passed to fn; reasons are counted in cnt. */
void dx_tcp_add(dx_tcp_t *t, const dx_pkt_t *pkt, int64_t ts_us, dx_counters_t *cnt,
		dx_tcp_msg_fn fn, void *ctx);

/** Flows currently tracked. */
uint32_t dx_tcp_active(const dx_tcp_t *t);
