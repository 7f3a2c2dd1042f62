/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP reassembly fed segment sequences: each segment is [flags][seq delta hi][seq delta lo]
 * [port][length][payload...], into a small table so eviction is exercised too; every
 * reassembled message is parsed as DNS. */
#include <string.h>

#include "lib/decode/dns.h"
#include "lib/decode/tcp.h"
#include "tests/fuzz/fuzz.h"

static void on_msg(void *ctx, const dx_pkt_t *pkt, const uint8_t *msg, size_t len, bool partial)
{
	(void) ctx;
	(void) pkt;
	(void) partial;
	dx_dns_msg_t m;
	enum dx_reason why;
	if (dx_dns_parse(msg, len, &m, &why) == DX_OK)
		(void) m.qname.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dx_hash_key_t k = {3, 4};
	dx_tcp_t *t = dx_tcp_new(8, 512, 30, k);
	dx_counters_t cnt;
	memset(&cnt, 0, sizeof(cnt));
	uint32_t seq[4] = {1000, 2000, 3000, 4000};
	size_t off = 0;
	int64_t ts = 0;
	while (size - off >= 5) {
		const uint8_t *h = data + off;
		size_t len = h[4];
		off += 5;
		if (len > size - off)
			len = size - off;
		dx_pkt_t p;
		memset(&p, 0, sizeof(p));
		p.af = 4;
		p.proto = DX_PROTO_TCP;
		p.sport = (uint16_t) (40000 + (h[3] & 3));
		p.dport = 53;
		seq[h[3] & 3] += (uint32_t) ((h[1] << 8 | h[2]) - 256); /* forwards, back, gaps */
		p.tcp_seq = seq[h[3] & 3];
		p.tcp_flags = h[0];
		p.payload = data + off;
		p.payload_len = len;
		dx_tcp_add(t, &p, ts += 1000, &cnt, on_msg, NULL);
		seq[h[3] & 3] += (uint32_t) len;
		off += len;
	}
	dx_tcp_free(t);
	return 0;
}
