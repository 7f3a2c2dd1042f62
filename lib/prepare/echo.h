/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file echo.h
 * @brief dx_echo_prepare(): the per-packet part of ICMP tunnel detection, done in the parser
 * thread like dx_query_prepare() for DNS: a keyed digest of the echo payload (a reply that
 * echoes its request has the request's digest), the entropy of its successive byte
 * differences, and known tunnel tools' magic numbers.
 *
 * Why differences: the payload of Linux ping counts up (0x10, 0x11, ...) after a timestamp,
 * so its bytes are all distinct and their plain entropy is as high as random data's; the
 * differences of a counting, repeating or zero pattern take one or two values, those of data
 * (compressed, encrypted or encoded) nearly every value.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/base/hash.h"
#include "lib/prepare/query.h"

#define DX_PTUNNEL_MAGIC 0xD5200880u	/* ptunnel 0.72, the original */
#define DX_PTUNNEL_NG_MAGIC 0xDEADC0DEu /* ptunnel-ng's default (its --magic changes it) */

/** Fill out from one echo's payload: p holds the caplen captured bytes of a payload of len
 * bytes on the wire; type is the ICMP or ICMPv6 type, reply whether it is an echo reply.
 * The caller sets ident and seq. */
void dx_echo_prepare(const dx_hash_key_t *key, const uint8_t *p, size_t caplen, uint32_t len,
		     uint8_t type, bool reply, dx_echo_t *out);

/** The entropy of the successive differences of p[0..n), in millibits per difference
 * (0 for fewer than two bytes). */
uint16_t dx_echo_delta_entropy(const uint8_t *p, size_t n);
