/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VXLAN and GENEVE headers, as a mirror target receives them: AWS VPC Traffic Mirroring sends
 * VXLAN to UDP 4789; a Gateway Load Balancer wraps in GENEVE on 6081, with Ethernet or IP
 * inside. Every field read is bounds-checked by the cursor; the option length of GENEVE only
 * narrows what is left.
 */
#include "lib/decode/tunnel.h"

static bool port_in(const uint16_t *ports, unsigned n, uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

enum dx_tunnel dx_tunnel_of(const dx_decode_cfg_t *cfg, uint16_t dport)
{
	if (port_in(cfg->vxlan_ports, cfg->n_vxlan, dport))
		return DX_TUN_VXLAN;
	if (port_in(cfg->geneve_ports, cfg->n_geneve, dport))
		return DX_TUN_GENEVE;
	return DX_TUN_NONE;
}

int dx_tunnel_decap(enum dx_tunnel t, const dx_cur_t *pay_in, dx_cur_t *inner, int *et,
		    uint32_t *vni_out, enum dx_reason *why)
{
	dx_cur_t pay = *pay_in;
	uint32_t vni;
	int inner_et = 0;
	bool inner_eth = true;
	if (t == DX_TUN_VXLAN) { /* RFC 7348 5: flags (I = 0x08), 24 reserved, VNI, 8 reserved */
		dx_hdr_t vh = dx_cur_take(&pay, 8);
		uint8_t flags = dx_hdr_u8(vh, 0);
		vni = dx_hdr_be32(vh, 4) >> 8;
		if (pay.err != DX_OK) {
			*why = DX_R_trunc_vxlan;
			return DX_ETRUNC;
		}
		if (!(flags & 0x08)) {
			*why = DX_R_vxlan_bad_flags;
			return DX_EMALF;
		}
	} else { /* RFC 8926 3.4: ver, opt len, flags, protocol, VNI, options */
		dx_hdr_t gh = dx_cur_take(&pay, 8);
		uint8_t b0 = dx_hdr_u8(gh, 0);
		uint16_t ptype = dx_hdr_be16(gh, 2);
		vni = dx_hdr_be32(gh, 4) >> 8;
		dx_cur_skip(&pay, (size_t) (b0 & 0x3F) * 4);
		if (pay.err != DX_OK) {
			*why = DX_R_trunc_geneve;
			return DX_ETRUNC;
		}
		if ((b0 >> 6) != 0) {
			*why = DX_R_geneve_bad_version;
			return DX_EMALF;
		}
		if (ptype == DX_ETH_IPV4 || ptype == DX_ETH_IPV6) {
			inner_eth = false;
			inner_et = ptype;
		} else if (ptype != DX_ETH_TEB) {
			*why = DX_R_geneve_unknown_proto;
			return DX_EUNSUP;
		}
	}
	dx_cur_t c = dx_cur_sub(&pay, dx_cur_left(&pay));
	if (inner_eth) { /* destination and source MAC, ethertype */
		inner_et = dx_hdr_be16(dx_cur_take(&c, 14), 12);
		if (c.err != DX_OK) {
			*why = DX_R_trunc_l2;
			return DX_ETRUNC;
		}
	}
	*inner = c;
	*et = inner_et;
	*vni_out = vni;
	return DX_OK;
}
