/* SPDX-License-Identifier: BSD-2-Clause */
/* The frame decoder from every link type through VXLAN/GENEVE down to DNS: byte 0 picks the
 * link type, the rest is the frame (caplen = what is there, wire length one byte more when
 * byte 0 is odd, to exercise truncation; ICMP echo decoded when bit 7 is set); a DNS payload
 * is decoded and formatted, an echo prepared (digest, entropy, markers) and formatted. */
#include <pcap/dlt.h>

#include "lib/decode/dns.h"
#include "lib/prepare/dump.h"
#include "lib/decode/pkt.h"
#include "lib/prepare/echo.h"
#include "lib/prepare/query.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				   DLT_IPV4,   DLT_IPV6,      DLT_NULL,	      DLT_LOOP};
	if (size < 1)
		return 0;
	dx_decode_cfg_t cfg;
	dx_decode_cfg_defaults(&cfg);
	cfg.max_encap = 3;
	cfg.icmp = (data[0] & 0x80) != 0;
	int dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	dx_pkt_t pk;
	enum dx_reason why;
	if (dx_pkt_decode(&cfg, dlt, data + 1, size - 1, size - 1 + (data[0] & 1), &pk, &why) !=
	    DX_OK)
		return 0;
	dx_query_t q = {0};
	char line[DX_DUMP_LINEMAX];
	if (pk.proto == DX_PROTO_ICMP || pk.proto == DX_PROTO_ICMP6) {
		static const dx_hash_key_t key = {1, 2};
		dx_echo_prepare(&key, pk.payload, pk.payload_len, pk.l4_len - 8, pk.icmp_type,
				pk.icmp_type == 0 || pk.icmp_type == 129, &q.echo);
		q.af = pk.af;
		q.flags = DX_Q_ECHO;
		dx_dump_format(&q, line);
		return 0;
	}
	if (dx_dns_parse(pk.payload, pk.payload_len, &q.dns, &why) != DX_OK)
		return 0;
	q.af = pk.af;
	q.vni = pk.vni;
	q.flags = pk.has_vni ? DX_Q_HAS_VNI : 0;
	dx_dump_format(&q, line);
	return 0;
}
