/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --dump formatting, run by the detector thread. The format is a contract (golden files and
 * users' scripts read it), so it changes only with README. Every byte of the name is escaped
 * by dx_dname_escape(): nothing from the wire reaches the terminal raw. Each append is bounded
 * by the end of the caller's DX_DUMP_LINEMAX buffer; test_dump checks the worst case fits.
 */
#include <arpa/inet.h>
#include <stdarg.h>
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

static void put(struct out *o, const char *fmt, ...) DX_PRINTF(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p, (size_t) (o->end - o->p), fmt, ap);
	va_end(ap);
	if (n > 0)
		o->p += n < o->end - o->p ? n : o->end - o->p - 1;
}

static void put_addr(struct out *o, const dx_query_t *q, const uint8_t *a, uint16_t port)
{
	char txt[INET6_ADDRSTRLEN];
	if (inet_ntop(q->af == 6 ? AF_INET6 : AF_INET, a, txt, sizeof(txt)) == NULL)
		memcpy(txt, "?", 2);
	put(o, "%s.%u", txt, port);
}

size_t dx_dump_format(const dx_query_t *q, char *buf)
{
	const dx_dns_msg_t *m = &q->dns;
	struct out o = {buf, buf + DX_DUMP_LINEMAX - 2}; /* room kept for "\n\0" */
	char name[DX_DNAME_ESCMAX];
	o.p += dx_dump_time(q->ts_us, o.p);
	put(&o, " ");
	put_addr(&o, q, q->src, q->sport);
	put(&o, " > ");
	put_addr(&o, q, q->dst, q->dport);
	if (q->flags & DX_Q_HAS_VNI)
		put(&o, " vni %u", q->vni);
	put(&o, " %s id %u %s", (q->flags & DX_Q_TCP) ? "tcp" : "udp", m->id,
	    m->is_response ? "r" : "q");
	const char *op = dx_dns_opcode_name(m->opcode);
	if (op)
		put(&o, " %s", op);
	else
		put(&o, " OPCODE%u", m->opcode);
	const char *rc = dx_dns_rcode_name(m->rcode);
	if (rc)
		put(&o, " %s", rc);
	else
		put(&o, " RCODE%u", m->rcode);
	const char *ty = dx_dns_type_name(m->qtype);
	if (ty) /* RFC 3597 TYPEnnn for types without a mnemonic */
		put(&o, " %s", ty);
	else
		put(&o, " TYPE%u", m->qtype);
	dx_dname_escape(&m->qname, true, name);
	put(&o, " %s", name);
	if (m->is_response)
		put(&o, " an %u", m->ancount);
	if ((q->flags & DX_Q_TRUNCATED) || m->truncated)
		put(&o, " trunc");
	*o.p++ = '\n';
	*o.p = '\0';
	return (size_t) (o.p - buf);
}
