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

#include "lib/dump.h"

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

struct out {
	char *p, *end;
};

static void put_str(struct out *o, const char *s)
{
	while (*s && o->p < o->end)
		*o->p++ = *s++;
}

static void put_uint(struct out *o, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0 && o->p < o->end)
		*o->p++ = tmp[--n];
}

/* The dump runs at millions of lines a second, so no printf on this path: the date part of the
 * time is formatted once per second of packet time and reused. */
static void put_time(struct out *o, dx_ts_t ts_us, int64_t *cached_sec, char *cached)
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
	put_str(o, cached);
	char u[7];
	for (int i = 5; i >= 0; i--, usec /= 10)
		u[i] = (char) ('0' + usec % 10);
	u[6] = '\0';
	put_str(o, u);
	put_str(o, "Z");
}

static void put_addr(struct out *o, const dx_query_t *q, const uint8_t *a, uint16_t port)
{
	if (q->af == 6) {
		char txt[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, a, txt, sizeof(txt)) == NULL)
			memcpy(txt, "?", 2);
		put_str(o, txt);
	} else {
		for (int i = 0; i < 4; i++) {
			if (i)
				put_str(o, ".");
			put_uint(o, a[i]);
		}
	}
	put_str(o, ".");
	put_uint(o, port);
}

static void put_mnemonic(struct out *o, const char *name, const char *prefix, unsigned v)
{
	put_str(o, " ");
	if (name) {
		put_str(o, name);
	} else {
		put_str(o, prefix);
		put_uint(o, v);
	}
}

size_t dx_dump_format(const dx_query_t *q, char *buf)
{
	static _Thread_local int64_t cached_sec = INT64_MIN;
	static _Thread_local char cached[24];
	const dx_dns_msg_t *m = &q->dns;
	struct out o = {buf, buf + DX_DUMP_LINEMAX - 2}; /* room kept for "\n\0" */
	put_time(&o, q->ts_us, &cached_sec, cached);
	put_str(&o, " ");
	put_addr(&o, q, q->src, q->sport);
	put_str(&o, " > ");
	put_addr(&o, q, q->dst, q->dport);
	if (q->flags & DX_Q_HAS_VNI) {
		put_str(&o, " vni ");
		put_uint(&o, q->vni);
	}
	put_str(&o, (q->flags & DX_Q_TCP) ? " tcp id " : " udp id ");
	put_uint(&o, m->id);
	put_str(&o, m->is_response ? " r" : " q");
	put_mnemonic(&o, dx_dns_opcode_name(m->opcode), "OPCODE", m->opcode);
	put_mnemonic(&o, dx_dns_rcode_name(m->rcode), "RCODE", m->rcode);
	/* RFC 3597 TYPEnnn for types without a mnemonic */
	put_mnemonic(&o, dx_dns_type_name(m->qtype), "TYPE", m->qtype);
	put_str(&o, " ");
	if ((size_t) (o.end - o.p) > DX_DNAME_ESCMAX)
		o.p += dx_dname_escape(&m->qname, true, o.p);
	if (m->is_response) {
		put_str(&o, " an ");
		put_uint(&o, m->ancount);
	}
	if ((q->flags & DX_Q_TRUNCATED) || m->truncated)
		put_str(&o, " trunc");
	*o.p++ = '\n';
	*o.p = '\0';
	return (size_t) (o.p - buf);
}
