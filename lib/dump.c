/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --dump formatting, run by the detector thread. The format is a contract (golden files and
 * users' scripts read it), so it changes only with README. Every byte of the name is escaped
 * by dx_dname_escape(): nothing from the wire reaches the terminal raw.
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

static size_t put_addr(char *o, const dx_query_t *q, const uint8_t *a, uint16_t port)
{
	char txt[INET6_ADDRSTRLEN];
	if (inet_ntop(q->af == 6 ? AF_INET6 : AF_INET, a, txt, sizeof(txt)) == NULL)
		strcpy(txt, "?");
	return (size_t) snprintf(o, INET6_ADDRSTRLEN + 8, "%s.%u", txt, port);
}

size_t dx_dump_format(const dx_query_t *q, char *buf)
{
	const dx_dns_msg_t *m = &q->dns;
	char *o = buf;
	char tmp[16];
	o += dx_dump_time(q->ts_us, o);
	*o++ = ' ';
	o += put_addr(o, q, q->src, q->sport);
	memcpy(o, " > ", 3);
	o += 3;
	o += put_addr(o, q, q->dst, q->dport);
	if (q->flags & DX_Q_HAS_VNI)
		o += sprintf(o, " vni %u", q->vni);
	o += sprintf(o, " %s id %u %s", (q->flags & DX_Q_TCP) ? "tcp" : "udp", m->id,
	             m->is_response ? "r" : "q");
	const char *op = dx_dns_opcode_name(m->opcode);
	if (op == NULL) {
		snprintf(tmp, sizeof(tmp), "OPCODE%u", m->opcode);
		op = tmp;
	}
	o += sprintf(o, " %s", op);
	const char *rc = dx_dns_rcode_name(m->rcode);
	if (rc == NULL) {
		snprintf(tmp, sizeof(tmp), "RCODE%u", m->rcode);
		rc = tmp;
	}
	o += sprintf(o, " %s", rc);
	const char *ty = dx_dns_type_name(m->qtype);
	if (ty == NULL) {
		snprintf(tmp, sizeof(tmp), "TYPE%u", m->qtype);
		ty = tmp;
	}
	o += sprintf(o, " %s ", ty);
	o += dx_dname_escape(&m->qname, true, o);
	if (m->is_response)
		o += sprintf(o, " an %u", m->ancount);
	if (q->flags & DX_Q_TRUNCATED || m->truncated)
		o += sprintf(o, " trunc");
	*o++ = '\n';
	*o = '\0';
	return (size_t) (o - buf);
}
