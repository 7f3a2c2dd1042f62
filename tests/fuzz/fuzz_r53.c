/* SPDX-License-Identifier: BSD-2-Clause */
/* The Route 53 query-log reader: the input as a log buffer, cut into objects as the capture
 * thread cuts it, each parsed; every record that parses is made into its query and response
 * packets, which must decode again without a fault (a made packet the decoder refuses would
 * lose a record silently). */
#include <pcap/pcap.h>
#include <stdlib.h>

#include "lib/decode/dns.h"
#include "lib/decode/pkt.h"
#include "lib/decode/r53log.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dx_r53_rec_t rec;
	static uint8_t pkt[DX_R53_FRAME_MAX];
	dx_decode_cfg_t cfg;
	dx_decode_cfg_defaults(&cfg);
	const char *buf = (const char *) data;
	size_t off = 0;
	while (off < size) {
		bool broken;
		size_t start = off, end = dx_r53_next_object(buf, size, &start, &broken);
		if (end == 0)
			break;
		if (end <= off || end > size)
			abort(); /* no progress, or past the input */
		off = end;
		if (broken || dx_r53_parse(buf + start, end - start, &rec) != DX_R_COUNT)
			continue;
		for (int resp = 0; resp < 2; resp++) {
			size_t n = dx_r53_packet(&rec, resp, pkt, sizeof(pkt));
			if (n == 0)
				continue;
			dx_pkt_t p;
			dx_dns_msg_t d;
			enum dx_reason why;
			if (dx_pkt_decode(&cfg, DLT_RAW, pkt, n, n, &p, &why) != DX_OK ||
			    dx_dns_parse(p.payload, p.payload_len, &d, &why) != DX_OK ||
			    d.truncated)
				abort();
		}
	}
	return 0;
}
