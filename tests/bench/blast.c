/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blast: offer a capture's frames to an interface as fast as asked, for the live benchmark
 * (live.sh). tcpreplay sends one frame per system call and tops out near 300,000 packets/s
 * on a 2-vCPU VM, below the rate the benchmark must offer. This loads the whole file first
 * (libpcap), then hands the kernel BATCH frames per sendmmsg(2) on an AF_PACKET socket that
 * bypasses the qdisc. With -p it paces batch by batch against CLOCK_MONOTONIC (a batch is
 * sent when its first frame is due); without, it sends flat out. Prints the frames sent, the
 * seconds taken and the rate achieved.
 *   blast -i IFACE [-p PPS] [-b BATCH] [-l LOOPS] FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: blast -i IFACE [-p PPS] [-b BATCH] [-l LOOPS] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ifname = NULL;
	double pps = 0;
	unsigned batch = 32, loops = 1;
	int opt;
	while ((opt = getopt(argc, argv, "i:p:b:l:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'p':
			pps = atof(optarg);
			break;
		case 'b':
			batch = (unsigned) atoi(optarg);
			break;
		case 'l':
			loops = (unsigned) atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || optind != argc - 1 || batch < 1 || batch > MAX_BATCH || pps < 0)
		usage();

	/* the whole capture into one buffer, an iovec per frame */
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[optind], err);
	if (p == NULL) {
		fprintf(stderr, "blast: %s: %s\n", argv[optind], err);
		return 1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "blast: %s: not an Ethernet capture\n", argv[optind]);
		return 1;
	}
	size_t cap = 1u << 20, used = 0, n = 0, nmax = 1u << 16;
	unsigned char *buf = malloc(cap);
	struct iovec *iov = malloc(nmax * sizeof(*iov));
	size_t *off = malloc(nmax * sizeof(*off));
	struct pcap_pkthdr *h;
	const u_char *b;
	while (buf && iov && off && pcap_next_ex(p, &h, &b) == 1) {
		if (used + h->caplen > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		if (n == nmax) {
			nmax *= 2;
			iov = realloc(iov, nmax * sizeof(*iov));
			off = realloc(off, nmax * sizeof(*off));
		}
		if (buf == NULL || iov == NULL || off == NULL)
			break;
		memcpy(buf + used, b, h->caplen);
		off[n] = used;
		iov[n].iov_len = h->caplen;
		used += h->caplen;
		n++;
	}
	pcap_close(p);
	if (buf == NULL || iov == NULL || off == NULL) {
		fprintf(stderr, "blast: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		iov[i].iov_base = buf + off[i];
	free(off);

	int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, receive nothing */
	if (fd < 0) {
		perror("blast: socket(AF_PACKET)");
		return 1;
	}
	int one = 1;
	(void) setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	int sndbuf = 64 << 20;
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int) if_nametoindex(ifname);
	sll.sll_protocol = htons(ETH_P_ALL);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *) &sll, sizeof(sll)) != 0) {
		fprintf(stderr, "blast: %s: %s\n", ifname, strerror(errno));
		return 1;
	}

	struct mmsghdr *mm = calloc(MAX_BATCH, sizeof(*mm));
	if (mm == NULL)
		return 1;
	unsigned long long sent = 0, retries = 0, total = (unsigned long long) n * loops;
	double t0 = now_s();
	for (unsigned long long i = 0; i < total;) {
		unsigned k = 0;
		for (; k < batch && i + k < total; k++) {
			mm[k].msg_hdr.msg_iov = &iov[(i + k) % n];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		if (pps > 0) { /* this batch's first frame is due at t0 + i / pps */
			double due = t0 + (double) i / pps;
			double t;
			while ((t = now_s()) < due) {
				if (due - t > 200e-6) {
					struct timespec ts = {0, (long) ((due - t - 100e-6) * 1e9)};
					nanosleep(&ts, NULL);
				}
			}
		}
		int r = sendmmsg(fd, mm, k, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				retries++;
				continue;
			}
			perror("blast: sendmmsg");
			return 1;
		}
		sent += (unsigned) r;
		i += (unsigned) r;
	}
	double dt = now_s() - t0;
	printf("sent %llu frames in %.3f s: %.0f pps (%llu retries)\n", sent, dt,
	       dt > 0 ? sent / dt : 0, retries);
	close(fd);
	free(mm);
	free(iov);
	free(buf);
	return 0;
}
