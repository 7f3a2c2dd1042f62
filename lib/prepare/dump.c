/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --dump formatting, run by the detector thread. The format is a contract (golden files and
 * users' scripts read it), so it changes only with README. Every byte of the name is escaped
 * by dx_dname_escape(): nothing from the wire reaches the terminal raw. Each append is bounded
 * by the end of the caller's DX_DUMP_LINEMAX buffer; test_dump checks the worst case fits.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/prepare/dump.h"
#include "lib/base/out.h"

size_t dx_dump_time(dx_ts_t ts_us, char *buf)
{
	int64_t sec = ts_us >= 0 ? ts_us / 1000000 : (ts_us - 999999) / 1000000;
	long usec = (long) (ts_us - sec * 1000000);
	time_t t = (time_t) sec;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	int n = snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	return n > 0 && n < 32 ? (size_t) n : 0;
}

/* The dump runs at millions of lines a second, so no printf on this path: the date part of the
 * time is formatted once per second of packet time and reused. */
static void put_time(dx_out_t *o, dx_ts_t ts_us, int64_t *cached_sec, char *cached)
{
	int64_t sec = ts_us >= 0 ? ts_us / 1000000 : (ts_us - 999999) / 1000000;
	unsigned long usec = (unsigned long) (ts_us - sec * 1000000);
	if (sec != *cached_sec) {
		char full[32];
		dx_dump_time(sec * 1000000, full);
		memcpy(cached, full, 20); /* "YYYY-MM-DDTHH:MM:SS." */
		cached[20] = '\0';
		*cached_sec = sec;
	}
	dx_out_str(o, cached);
	dx_out_u64_pad(o, usec, 6);
	dx_out_str(o, "Z");
}

/* An address, and ".port" unless port < 0 (an echo has none) */
static void put_addr(dx_out_t *o, const dx_query_t *q, const uint8_t *a, int port)
{
	if (q->af == 6) {
		char txt[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, a, txt, sizeof(txt)) == NULL)
			memcpy(txt, "?", 2);
		dx_out_str(o, txt);
	} else {
		for (int i = 0; i < 4; i++) {
			if (i)
				dx_out_str(o, ".");
			dx_out_u64(o, a[i]);
		}
	}
	if (port < 0)
		return;
	dx_out_str(o, ".");
	dx_out_u64(o, (uint64_t) port);
}

static void put_mnemonic(dx_out_t *o, const char *name, const char *prefix, unsigned v)
{
	dx_out_str(o, " ");
	if (name) {
		dx_out_str(o, name);
	} else {
		dx_out_str(o, prefix);
		dx_out_u64(o, v);
	}
}

/* An echo, as tcpdump words it, with what the ICMP tunnel detector sees in its payload:
 * "icmp echo request id 7 seq 1 len 56 dent 2.310", then "random", "ptunnel", "trunc". */
static void put_echo(dx_out_t *o, const dx_query_t *q)
{
	const dx_echo_t *e = &q->echo;
	dx_out_str(o, q->af == 6 ? " icmp6 echo " : " icmp echo ");
	dx_out_str(o, e->reply ? "reply id " : "request id ");
	dx_out_u64(o, e->ident);
	dx_out_str(o, " seq ");
	dx_out_u64(o, e->seq);
	dx_out_str(o, " len ");
	dx_out_u64(o, e->len);
	dx_out_str(o, " dent ");
	dx_out_fixed3(o, e->dent / 1000.0);
	if (e->random)
		dx_out_str(o, " random");
	if (e->marker)
		dx_out_str(o, " ptunnel");
	if (q->flags & DX_Q_TRUNCATED)
		dx_out_str(o, " trunc");
}

size_t dx_dump_format(const dx_query_t *q, char *buf)
{
	static _Thread_local int64_t cached_sec = INT64_MIN;
	static _Thread_local char cached[24];
	const dx_dns_msg_t *m = &q->dns;
	bool echo = q->flags & DX_Q_ECHO;
	dx_out_t o = {buf, buf + DX_DUMP_LINEMAX - 2}; /* room kept for "\n\0" */
	put_time(&o, q->ts_us, &cached_sec, cached);
	dx_out_str(&o, " ");
	put_addr(&o, q, q->src, echo ? -1 : q->sport);
	dx_out_str(&o, " > ");
	put_addr(&o, q, q->dst, echo ? -1 : q->dport);
	if (q->flags & DX_Q_HAS_VNI) {
		dx_out_str(&o, " vni ");
		dx_out_u64(&o, q->vni);
	}
	if (echo) {
		put_echo(&o, q);
		*o.p++ = '\n';
		*o.p = '\0';
		return (size_t) (o.p - buf);
	}
	dx_out_str(&o, (q->flags & DX_Q_TCP) ? " tcp id " : " udp id ");
	dx_out_u64(&o, m->id);
	dx_out_str(&o, m->is_response ? " r" : " q");
	put_mnemonic(&o, dx_dns_opcode_name(m->opcode), "OPCODE", m->opcode);
	put_mnemonic(&o, dx_dns_rcode_name(m->rcode), "RCODE", m->rcode);
	/* RFC 3597 TYPEnnn for types without a mnemonic */
	put_mnemonic(&o, dx_dns_type_name(m->qtype), "TYPE", m->qtype);
	dx_out_str(&o, " ");
	if ((size_t) (o.end - o.p) > DX_DNAME_ESCMAX)
		o.p += dx_dname_escape(&m->qname, true, o.p);
	if (m->is_response) {
		dx_out_str(&o, " an ");
		dx_out_u64(&o, m->ancount);
	}
	if ((q->flags & DX_Q_TRUNCATED) || m->truncated)
		dx_out_str(&o, " trunc");
	*o.p++ = '\n';
	*o.p = '\0';
	return (size_t) (o.p - buf);
}
