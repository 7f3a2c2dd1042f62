/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * readfloor: the bare libpcap read loop, the floor every pcap tool stands on. Reads each
 * file with pcap_next_ex and touches one byte per packet so the loop cannot be optimised
 * away. The benchmark quotes dnsexfild's time as a ratio to this one, measured in the same
 * run, because the machines are noisy.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	unsigned long long packets = 0, sum = 0;
	for (int i = 1; i < argc; i++) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(argv[i], err);
		if (p == NULL) {
			fprintf(stderr, "readfloor: %s: %s\n", argv[i], err);
			return 1;
		}
		struct pcap_pkthdr *h;
		const u_char *b;
		while (pcap_next_ex(p, &h, &b) == 1) {
			packets++;
			if (h->caplen > 0)
				sum += b[h->caplen - 1];
		}
		pcap_close(p);
	}
	printf("%llu packets (checksum %llu)\n", packets, sum);
	return 0;
}
