/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file tunnel.h
 * @brief The tunnels AWS Traffic Mirroring and Gateway Load Balancers wrap frames in: VXLAN
 * (RFC 7348) on its UDP ports and GENEVE (RFC 8926) on its own; one header at a time, the
 * frame decoder (pkt.c) looping over the layers and capping them (max_encap).
 */
#pragma once

#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/counters.h"
#include "lib/decode/cursor.h"
#include "lib/decode/pkt.h"

#define DX_ETH_IPV4 0x0800
#define DX_ETH_IPV6 0x86DD
#define DX_ETH_TEB 0x6558 /* transparent Ethernet bridging (GENEVE protocol type) */

enum dx_tunnel { DX_TUN_NONE = 0, DX_TUN_VXLAN, DX_TUN_GENEVE };

/** The tunnel UDP destination port dport carries under cfg (a VXLAN port first), or none. The
 * caller asks only for datagrams that are not DNS: DNS on either port is never a tunnel. */
enum dx_tunnel dx_tunnel_of(const dx_decode_cfg_t *cfg, uint16_t dport);

/**
 * Take one tunnel header of kind t at the start of pay (the UDP payload). On success *inner is
 * the cursor over the frame it carries, past the inner Ethernet header if there is one, *et
 * that frame's ethertype (DX_ETH_IPV4 or DX_ETH_IPV6 straight from GENEVE, else the inner
 * Ethernet header's) and *vni the header's 24-bit network identifier. Errors, with the reason
 * in *why: DX_ETRUNC (trunc_vxlan, trunc_geneve, trunc_l2), DX_EMALF (vxlan_bad_flags: the I
 * flag clear; geneve_bad_version), DX_EUNSUP (geneve_unknown_proto). Writes the out-params on
 * success only.
 */
int dx_tunnel_decap(enum dx_tunnel t, const dx_cur_t *pay, dx_cur_t *inner, int *et, uint32_t *vni,
		    enum dx_reason *why) DX_MUSTCHECK;
