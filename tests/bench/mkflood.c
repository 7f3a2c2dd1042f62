/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mkflood: writes a reproducible random-subdomain flood as a pcap (Ethernet, IPv4, UDP
 * queries to 10.0.0.2:53), optionally with the packets of another capture (a tunnel) mixed in
 * at their own pace, for the bounded-memory and hash-flooding benchmarks and tests.
 *
 *   mkflood [-n NAMES] [-a APEXES] [-k CLIENTS] [-q QPS] [-s SEED] [-c BITS]
 *           [-m CAPTURE [-t OFFSET_S] [-x STRETCH]] -o FILE|-
 *
 * Every name is a fresh random label under one of APEXES random registrable domains
 * (<8-12 letters>.<com|net|org|io|info|de|co.uk|com.au>), from one of CLIENTS clients, QPS
 * per second of packet time from 2024-03-01Z. -c BITS crafts the apexes instead: only names
 * whose SipHash under the published replay key (DX_REPLAY_KEY) has BITS low zero bits are
 * kept, which is what an attacker who read the source would send to put every apex in one
 * slot of a table indexed by hash & mask. -m mixes in every packet of CAPTURE (Ethernet),
 * its first packet OFFSET_S seconds after the flood's first (negative: before) and its gaps
 * multiplied by STRETCH. Prints what it wrote to stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/hash.h"

#define T0_US 1709251200000000LL /* 2024-03-01T00:00:00Z */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct mixed {
	int64_t ts;
	uint32_t len;
	uint8_t *data;
};

static FILE *out;

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		fprintf(stderr, "mkflood: write: %s\n", strerror(errno));
		exit(1);
	}
}

static void put_record(int64_t ts, const uint8_t *data, uint32_t len)
{
	uint32_t h[4] = {(uint32_t) (ts / 1000000), (uint32_t) (ts % 1000000), len, len};
	put(h, sizeof(h));
	put(data, len);
}

/* Apex number i (from the seed) as text; returns its length. */
static int apex_text(uint64_t seed, uint64_t i, char *a)
{
	static const char *tld[] = {"com", "net", "org", "io", "info", "de", "co.uk", "com.au"};
	uint64_t s = seed ^ (i * 0xD6E8FEB86659FD93ULL);
	uint64_t r = splitmix(&s);
	int n = 8 + (int) (r % 5);
	for (int k = 0; k < n; k++)
		a[k] = (char) ('a' + splitmix(&s) % 26);
	return n + snprintf(a + n, 32 - (size_t) n, ".%s", tld[r >> 32 & 7]); /* a: 32 bytes */
}

/* An Ethernet/IPv4/UDP DNS query for label.apex from client c. Returns the frame length. */
static uint32_t query_frame(uint8_t *f, const char *label, const char *apex, uint32_t c, uint64_t r)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0};
	memcpy(f, eth, 14);
	uint8_t *dns = f + 14 + 20 + 8;
	dns[0] = (uint8_t) (r >> 8);
	dns[1] = (uint8_t) r;
	static const uint8_t hdr[10] = {1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(dns + 2, hdr, 10);
	size_t o = 12;
	char name[300];
	snprintf(name, sizeof(name), "%s.%s", label, apex);
	for (char *p = name; *p;) {
		char *dot = strchr(p, '.');
		size_t l = dot ? (size_t) (dot - p) : strlen(p);
		dns[o++] = (uint8_t) l;
		memcpy(dns + o, p, l);
		o += l;
		p += l + (dot != NULL);
	}
	dns[o++] = 0;
	static const uint8_t qt[4] = {0, 1, 0, 1}; /* A, IN */
	memcpy(dns + o, qt, 4);
	o += 4;
	uint8_t *udp = f + 34;
	uint16_t sport = (uint16_t) (1024 + (r >> 16) % 60000);
	uint16_t ulen = (uint16_t) (8 + o);
	udp[0] = (uint8_t) (sport >> 8);
	udp[1] = (uint8_t) sport;
	udp[2] = 0;
	udp[3] = 53;
	udp[4] = (uint8_t) (ulen >> 8);
	udp[5] = (uint8_t) ulen;
	udp[6] = udp[7] = 0; /* no checksum (allowed for IPv4) */
	uint8_t *ip = f + 14;
	uint16_t tot = (uint16_t) (20 + ulen);
	uint8_t iph[20] = {
	    0x45, 0, (uint8_t) (tot >> 8), (uint8_t) tot, 0,  0, 0x40, 0, 64, 17, 0, 0,
	    10,	  1, (uint8_t) (c >> 8),   (uint8_t) c,	  10, 0, 0,    2};
	uint32_t sum = 0;
	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t) (iph[k] << 8 | iph[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	iph[10] = (uint8_t) (~sum >> 8);
	iph[11] = (uint8_t) ~sum;
	memcpy(ip, iph, 20);
	return (uint32_t) (34 + ulen);
}

static struct mixed *load_mixed(const char *path, int64_t start, double stretch, size_t *n)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (p == NULL) {
		fprintf(stderr, "mkflood: %s: %s\n", path, err);
		exit(1);
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "mkflood: %s: not an Ethernet capture\n", path);
		exit(1);
	}
	struct mixed *m = NULL;
	size_t cap = 0;
	*n = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	int64_t first = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		int64_t ts = (int64_t) h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		if (*n == 0)
			first = ts;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			m = realloc(m, cap * sizeof(*m));
			if (m == NULL)
				exit(1);
		}
		m[*n].ts = start + (int64_t) ((double) (ts - first) * stretch);
		m[*n].len = h->caplen;
		m[*n].data = malloc(h->caplen);
		if (m[*n].data == NULL)
			exit(1);
		memcpy(m[*n].data, d, h->caplen);
		(*n)++;
	}
	pcap_close(p);
	return m;
}

static void usage(void)
{
	fprintf(stderr, "usage: mkflood [-n NAMES] [-a APEXES] [-k CLIENTS] [-q QPS] [-s SEED] "
			"[-c BITS] [-m CAPTURE [-t OFFSET_S] [-x STRETCH]] -o FILE|-\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t names = 10000000, apexes = 1000000, seed = 1;
	uint32_t clients = 4096, bits = 0;
	double qps = 100000, offset = 0, stretch = 1;
	const char *mix = NULL, *path = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "n:a:k:q:s:c:m:t:x:o:")) != -1) {
		switch (opt) {
		case 'n':
			names = strtoull(optarg, NULL, 10);
			break;
		case 'a':
			apexes = strtoull(optarg, NULL, 10);
			break;
		case 'k':
			clients = (uint32_t) strtoul(optarg, NULL, 10);
			break;
		case 'q':
			qps = strtod(optarg, NULL);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			bits = (uint32_t) strtoul(optarg, NULL, 10);
			break;
		case 'm':
			mix = optarg;
			break;
		case 't':
			offset = strtod(optarg, NULL);
			break;
		case 'x':
			stretch = strtod(optarg, NULL);
			break;
		case 'o':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || names == 0 || apexes == 0 || clients == 0 || clients > 65536 ||
	    qps <= 0 || bits > 32 || stretch <= 0)
		usage();
	out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (out == NULL) {
		fprintf(stderr, "mkflood: %s: %s\n", path, strerror(errno));
		return 1;
	}
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));

	/* -c: the crafted apexes, found by trying candidates in order */
	char(*crafted)[32] = NULL;
	if (bits > 0) {
		crafted = malloc(apexes * sizeof(*crafted));
		if (crafted == NULL)
			return 1;
		const dx_hash_key_t key = DX_REPLAY_KEY;
		uint64_t mask = bits == 32 ? 0xFFFFFFFFu : (1ull << bits) - 1, tried = 0;
		for (uint64_t found = 0, i = 0; found < apexes; i++, tried++) {
			char a[32];
			int len = apex_text(seed, i, a);
			if ((dx_hash(&key, a, (size_t) len) & mask) == 0)
				memcpy(crafted[found++], a, (size_t) len + 1);
		}
		fprintf(stderr, "mkflood: %" PRIu64 " apexes crafted from %" PRIu64 " candidates\n",
			apexes, tried);
	}

	size_t n_mix = 0, next_mix = 0;
	struct mixed *m =
	    mix ? load_mixed(mix, T0_US + (int64_t) (offset * 1e6), stretch, &n_mix) : NULL;

	uint32_t fh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	put(fh, sizeof(fh));
	uint64_t s = seed * 0x2545F4914F6CDD1DULL;
	static uint8_t frame[512];
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (uint64_t i = 0; i < names; i++) {
		int64_t ts = T0_US + (int64_t) ((double) i * 1e6 / qps);
		while (next_mix < n_mix && m[next_mix].ts <= ts) {
			put_record(m[next_mix].ts, m[next_mix].data, m[next_mix].len);
			next_mix++;
		}
		uint64_t r = splitmix(&s);
		char apex[32], label[24];
		uint64_t ai = r % apexes;
		if (crafted)
			memcpy(apex, crafted[ai], sizeof(apex));
		else
			apex_text(seed, ai, apex);
		int ll = 12 + (int) (r >> 40) % 9;
		uint64_t lr = splitmix(&s);
		for (int k = 0; k < ll; k++, lr = lr / 36 ? lr / 36 : splitmix(&s))
			label[k] = alnum[lr % 36];
		label[ll] = '\0';
		uint32_t c = (uint32_t) (r >> 32) % clients;
		put_record(ts, frame, query_frame(frame, label, apex, c, r));
	}
	for (; next_mix < n_mix; next_mix++)
		put_record(m[next_mix].ts, m[next_mix].data, m[next_mix].len);
	if (fflush(out) != 0) {
		fprintf(stderr, "mkflood: write: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "mkflood: %" PRIu64 " flood queries, %zu mixed-in packets\n", names, n_mix);
	for (size_t i = 0; i < n_mix; i++)
		free(m[i].data);
	free(m);
	free(crafted);
	return 0;
}
