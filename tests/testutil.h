/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file testutil.h
 * @brief Helpers for the unit tests: a tiny DNS message builder so tests do not hand-count
 * offsets, and frame builders for the decoder tests.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct tu_buf {
	uint8_t b[4096];
	size_t len;
} tu_buf_t;

void tu_put(tu_buf_t *m, const void *p, size_t n);
void tu_u8(tu_buf_t *m, unsigned v);
void tu_be16(tu_buf_t *m, unsigned v);
void tu_be32(tu_buf_t *m, uint32_t v);
/** A dotted name in wire form, uncompressed. */
void tu_name(tu_buf_t *m, const char *dotted);
/** Header (id, flags, counts) + one question. */
void tu_dns_query(tu_buf_t *m, unsigned id, unsigned flags, const char *name, unsigned qtype);
/** An RR whose owner is a pointer to offset 12 (the question name). */
void tu_rr_ptr12(tu_buf_t *m, unsigned type, uint32_t ttl, const void *rdata, unsigned rdlen);
/** Set the 16-bit word at byte offset off. */
void tu_set16(tu_buf_t *m, size_t off, unsigned v);

/** Ethernet/IPv4/UDP frame around payload. */
void tu_eth_ip4_udp(tu_buf_t *f, const char *src, const char *dst, unsigned sport, unsigned dport,
		    const void *payload, size_t len);
/** Ethernet/IPv4 (src has no ':') or IPv6 ICMP echo of type type (8, 0; 128, 129). */
void tu_eth_icmp(tu_buf_t *f, const char *src, const char *dst, unsigned type, unsigned id,
		 unsigned seq, const void *payload, size_t len);
/** Ethernet/IPv4/TCP segment. */
void tu_eth_ip4_tcp(tu_buf_t *f, const char *src, const char *dst, unsigned sport, unsigned dport,
		    uint32_t seq, unsigned flags, const void *payload, size_t len);
