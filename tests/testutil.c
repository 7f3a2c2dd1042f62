/* SPDX-License-Identifier: BSD-2-Clause */
/* Test builders. Every put is checked against the buffer: a test that overflows aborts. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

void tu_put(tu_buf_t *m, const void *p, size_t n)
{
	if (n > sizeof(m->b) - m->len)
		abort();
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

void tu_u8(tu_buf_t *m, unsigned v)
{
	uint8_t b = (uint8_t) v;
	tu_put(m, &b, 1);
}

void tu_be16(tu_buf_t *m, unsigned v)
{
	uint8_t b[2] = {(uint8_t) (v >> 8), (uint8_t) v};
	tu_put(m, b, 2);
}

void tu_be32(tu_buf_t *m, uint32_t v)
{
	tu_be16(m, v >> 16);
	tu_be16(m, v & 0xFFFF);
}

void tu_set16(tu_buf_t *m, size_t off, unsigned v)
{
	m->b[off] = (uint8_t) (v >> 8);
	m->b[off + 1] = (uint8_t) v;
}

void tu_name(tu_buf_t *m, const char *dotted)
{
	const char *p = dotted;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		tu_u8(m, (unsigned) n);
		tu_put(m, p, n);
		p += n + (dot != NULL);
	}
	tu_u8(m, 0);
}

void tu_dns_query(tu_buf_t *m, unsigned id, unsigned flags, const char *name, unsigned qtype)
{
	tu_be16(m, id);
	tu_be16(m, flags);
	tu_be16(m, 1);
	tu_be16(m, 0);
	tu_be16(m, 0);
	tu_be16(m, 0);
	tu_name(m, name);
	tu_be16(m, qtype);
	tu_be16(m, 1);
}

void tu_rr_ptr12(tu_buf_t *m, unsigned type, uint32_t ttl, const void *rdata, unsigned rdlen)
{
	tu_be16(m, 0xC00C);
	tu_be16(m, type);
	tu_be16(m, 1);
	tu_be32(m, ttl);
	tu_be16(m, rdlen);
	tu_put(m, rdata, rdlen);
}

/* src then dst, each n bytes of family af in network order */
static void put_addrs(tu_buf_t *f, int af, const char *src, const char *dst, size_t n)
{
	uint8_t a[16];
	inet_pton(af, src, a);
	tu_put(f, a, n);
	inet_pton(af, dst, a);
	tu_put(f, a, n);
}

static void eth_ip4(tu_buf_t *f, const char *src, const char *dst, unsigned proto, size_t l4len)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0, 0xaa};
	tu_put(f, macs, 12);
	tu_be16(f, 0x0800);
	tu_u8(f, 0x45);
	tu_u8(f, 0);
	tu_be16(f, (unsigned) (20 + l4len));
	tu_be32(f, 0);
	tu_u8(f, 64);
	tu_u8(f, proto);
	tu_be16(f, 0);
	put_addrs(f, AF_INET, src, dst, 4);
}

void tu_eth_ip4_udp(tu_buf_t *f, const char *src, const char *dst, unsigned sport, unsigned dport,
		    const void *payload, size_t len)
{
	eth_ip4(f, src, dst, 17, 8 + len);
	tu_be16(f, sport);
	tu_be16(f, dport);
	tu_be16(f, (unsigned) (8 + len));
	tu_be16(f, 0);
	tu_put(f, payload, len);
}

void tu_eth_icmp(tu_buf_t *f, const char *src, const char *dst, unsigned type, unsigned id,
		 unsigned seq, const void *payload, size_t len)
{
	if (strchr(src, ':') == NULL) {
		eth_ip4(f, src, dst, 1, 8 + len);
	} else { /* IPv6: version, class, flow; payload length; next header 58; hop limit */
		static const uint8_t macs[12] = {2, 0, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0, 0xaa};
		tu_put(f, macs, 12);
		tu_be16(f, 0x86DD);
		tu_be32(f, 0x60000000);
		tu_be16(f, (unsigned) (8 + len));
		tu_u8(f, 58);
		tu_u8(f, 64);
		put_addrs(f, AF_INET6, src, dst, 16);
	}
	tu_u8(f, type);
	tu_u8(f, 0);
	tu_be16(f, 0); /* checksum: not checked */
	tu_be16(f, id);
	tu_be16(f, seq);
	tu_put(f, payload, len);
}

void tu_eth_ip4_tcp(tu_buf_t *f, const char *src, const char *dst, unsigned sport, unsigned dport,
		    uint32_t seq, unsigned flags, const void *payload, size_t len)
{
	eth_ip4(f, src, dst, 6, 20 + len);
	tu_be16(f, sport);
	tu_be16(f, dport);
	tu_be32(f, seq);
	tu_be32(f, 0);
	tu_u8(f, 5 << 4);
	tu_u8(f, flags);
	tu_be16(f, 65535);
	tu_be32(f, 0);
	tu_put(f, payload, len);
}
