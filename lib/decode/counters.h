/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file counters.h
 * @brief Per-reason counters for skipped and malformed input (parsing rule R9) and the
 * per-thread counter block they live in.
 *
 * Each thread owns one dx_counters_t and updates it with relaxed atomic adds; other threads
 * (the summary, the stats snapshot) only read. No lock is ever taken to count.
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

/* X(name, kind): kind is SKIP (not for us: counted, not an error) or MALF (broken input). */
#define DX_REASONS(X)                 \
	X(unknown_linktype, SKIP)     \
	X(not_ip, SKIP)               \
	X(not_udp_tcp, SKIP)          \
	X(not_dns_port, SKIP)         \
	X(ip_frag_skipped, SKIP)      \
	X(vni_filtered, SKIP)         \
	X(tcp_no_payload, SKIP)       \
	X(not_icmp_echo, SKIP)        \
	X(trunc_l2, MALF)             \
	X(too_many_layers, MALF)      \
	X(trunc_ip, MALF)             \
	X(bad_ip_version, MALF)       \
	X(bad_ihl, MALF)              \
	X(bad_ip_len, MALF)           \
	X(trunc_ipv6_ext, MALF)       \
	X(trunc_udp, MALF)            \
	X(bad_udp_len, MALF)          \
	X(trunc_tcp, MALF)            \
	X(bad_tcp_off, MALF)          \
	X(trunc_icmp, MALF)           \
	X(trunc_vxlan, MALF)          \
	X(vxlan_bad_flags, MALF)      \
	X(trunc_geneve, MALF)         \
	X(geneve_bad_version, MALF)   \
	X(geneve_unknown_proto, MALF) \
	X(dns_trunc, MALF)            \
	X(dns_malformed, MALF)        \
	X(dns_no_question, MALF)      \
	X(dname_bad_ptr, MALF)        \
	X(dname_too_long, MALF)       \
	X(dname_bad_label, MALF)      \
	X(tcp_gap, MALF)              \
	X(tcp_msg_oversize, MALF)     \
	X(tcp_flow_evicted, MALF)     \
	X(tcp_flow_idle, SKIP)        \
	X(tcp_retransmit, SKIP)       \
	X(log_bad_json, MALF)         \
	X(log_missing_field, MALF)    \
	X(log_bad_field, MALF)        \
	X(log_bad_name, MALF)         \
	X(log_too_long, MALF)         \
	X(log_gzip_cut, MALF)

enum dx_reason {
#define DX_X_ENUM(name, kind) DX_R_##name,
	DX_REASONS(DX_X_ENUM)
#undef DX_X_ENUM
	    DX_R_COUNT
};

/** Name of a reason ("dname_bad_ptr"); never NULL. */
const char *dx_reason_name(enum dx_reason r);
/** True for malformed-input reasons, false for inputs skipped as not ours. */
int dx_reason_is_malformed(enum dx_reason r);

typedef struct dx_counters {
	_Atomic uint64_t packets;      /* frames read (capture) or decoded (parser) */
	_Atomic uint64_t bytes;	       /* wire bytes of those frames */
	_Atomic uint64_t dns_msgs;     /* DNS messages decoded */
	_Atomic uint64_t queries;      /* of which QR=0 */
	_Atomic uint64_t responses;    /* of which QR=1 */
	_Atomic uint64_t echoes;       /* ICMP echo requests and replies decoded ([capture] icmp) */
	_Atomic uint64_t truncated;    /* messages decoded from a frame cut short (flagged, kept) */
	_Atomic uint64_t ring_full;    /* live: records dropped because the next ring was full */
	_Atomic uint64_t ring_waits;   /* offline: times the producer waited for room */
	_Atomic uint64_t ts_backwards; /* frames stamped before the frame read before them (kept:
					* the detector folds them into its current bucket) */
	_Atomic uint64_t reason[DX_R_COUNT];
} dx_counters_t;

/* Each counter has exactly one writer (its thread), so a relaxed load and store suffice: no
 * locked read-modify-write on the packet path. Readers see a recent value, never a torn one. */
static inline void dx_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t dx_counter_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static inline void dx_count_reason(dx_counters_t *c, enum dx_reason r)
{
	dx_count(&c->reason[r], 1);
}
