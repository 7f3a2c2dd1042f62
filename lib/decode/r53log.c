/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Route 53 Resolver query-log records -> the packets the resolver saw (capture thread).
 *
 * JSON is parsed with cJSON (Debian's libcjson: of json-c, jansson, yajl and cJSON it was the
 * fastest on these records, 2.7× json-c; README "Route 53 query logs"), its allocations
 * served from a per-thread arena that is reset at each record: no malloc per record, and a
 * record's memory is bounded by DX_R53_RECORD_MAX. The tree is never freed node by node.
 *
 * The record's fields, as AWS documents them (Route 53 Developer Guide, "Values that appear
 * in Resolver query logs"): query_timestamp (ISO 8601 UTC), query_name (presentation form,
 * trailing dot), query_type, query_class and rcode (mnemonics), answers[] of {Rdata, Type,
 * Class}, srcaddr, srcport (a string), transport, vpc_id, srcids.instance or
 * srcids.resolver_endpoint. A name is rebuilt into wire form (\DDD and \X escapes, RFC 1035
 * §5.1), each label at most 63 bytes, the whole at most 255; anything else skips the record.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/decode/dns.h"
#include "lib/decode/r53log.h"

/* ---- the arena behind cJSON */

#define ARENA (4u << 20) /* a DX_R53_RECORD_MAX record's tree fits many times over */

static _Thread_local char *arena;
static _Thread_local size_t arena_used;

static void *arena_alloc(size_t n)
{
	if (arena == NULL && (arena = malloc(ARENA)) == NULL)
		return NULL;
	n = (n + 15) & ~(size_t) 15;
	if (n > ARENA - arena_used)
		return NULL; /* cJSON then fails the parse: counted as log_bad_json */
	void *p = arena + arena_used;
	arena_used += n;
	return p;
}

static void arena_free(void *p)
{
	(void) p; /* the whole arena is reset per record */
}

void dx_r53_release(void)
{
	free(arena);
	arena = NULL;
	arena_used = 0;
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void set_hooks(void)
{
	cJSON_Hooks h = {arena_alloc, arena_free};
	cJSON_InitHooks(&h);
}

/* ---- fields */

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An AWS resource id (vpc-…, i-…, rslvr-in-…) into out, or "" if it is not one: letters,
 * digits and '-' only, shorter than n. These reach JSON, log lines and the hooks'
 * environment: nothing else may. */
static void copy_id(char *out, size_t n, const char *id)
{
	out[0] = '\0';
	if (id == NULL)
		return;
	size_t len = 0;
	for (const char *p = id; *p; p++, len++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-';
		if (!ok || len + 1 >= n)
			return;
	}
	memcpy(out, id, len + 1);
}

/* A required string member: NULL with *why set if it is missing or not a string. */
static const char *need_str(const cJSON *v, enum dx_reason *why)
{
	if (cJSON_IsString(v))
		return v->valuestring;
	if (*why == DX_R_COUNT)
		*why = v == NULL ? DX_R_log_missing_field : DX_R_log_bad_field;
	return NULL;
}

/* n decimal digits at s into *v; false if one is not a digit. */
static bool digits(const char *s, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* "2026-11-23T04:20:02Z" or with a fraction of a second ("…02.123Z"), UTC. */
static bool parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	if (strnlen(s, 20) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	const char *p = s + 19;
	int64_t us = 0;
	if (*p == '.') {
		int nd = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, nd++)
			if (nd < 6)
				us = us * 10 + (*p - '0');
		if (nd == 0)
			return false;
		for (; nd < 6; nd++)
			us *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return false;
	/* days from the civil date (H. Hinnant's days_from_civil): no timegm(), no locale */
	int yy = y - (mo <= 2);
	int64_t era = yy / 400, yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + us;
	return true;
}

/* One byte of presentation text at *pp (a \DDD or \X escape, RFC 1035 §5.1, or itself),
 * advancing *pp past it; -1 for a broken escape. */
static int text_byte(const char **pp)
{
	const char *p = *pp;
	int c = (unsigned char) *p++;
	if (c == '\\') {
		if (p[0] >= '0' && p[0] <= '9') {
			if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
				return -1;
			c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
			if (c > 255)
				return -1;
			p += 3;
		} else if (*p != '\0') {
			c = (unsigned char) *p++;
		} else {
			return -1;
		}
	}
	*pp = p;
	return c;
}

/* A presentation-form name into wire form: labels of 1 to 63 bytes, at most 255 bytes with
 * the root label, the trailing dot optional; "." is the root. */
static bool name_to_wire(const char *s, uint8_t *out, size_t *len)
{
	size_t o = 0;
	const char *p = s;
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		*len = 1;
		return true;
	}
	while (*p) {
		size_t lab = o;
		if (o >= DX_DNAME_MAXWIRE - 1) /* room for this byte and the root label */
			return false;
		o++;
		size_t l = 0;
		while (*p && *p != '.') {
			int c = text_byte(&p);
			if (c < 0 || l == 63 || o >= DX_DNAME_MAXWIRE - 1)
				return false;
			out[o++] = (uint8_t) c;
			l++;
		}
		if (l == 0)
			return false; /* an empty label: "a..b", ".a" */
		out[lab] = (uint8_t) l;
		if (*p == '.')
			p++;
	}
	if (o == 0)
		return false;
	out[o++] = 0;
	*len = o;
	return true;
}

/* TXT rdata as logs show it: one or more "quoted" strings (or a bare word) into
 * character-strings (RFC 1035 §3.3.14). */
static bool txt_to_wire(const char *s, dx_r53_answer_t *a)
{
	size_t o = 0;
	for (const char *p = s; *p;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		bool quoted = *p == '"';
		if (quoted)
			p++;
		size_t lenpos = o++;
		if (o > DX_R53_RDATA)
			return false;
		while (*p && (quoted ? *p != '"' : *p != ' ')) {
			int c = text_byte(&p);
			if (c < 0 || o >= DX_R53_RDATA || o - lenpos - 1 >= 255)
				return false;
			a->rdata[o++] = (uint8_t) c;
		}
		if (quoted && *p == '"')
			p++;
		a->rdata[lenpos] = (uint8_t) (o - lenpos - 1);
	}
	a->len = (uint16_t) o;
	return true;
}

/* One answer's Rdata text into wire rdata; false for a type not rebuilt or bad text. */
static bool answer(const cJSON *an, dx_r53_answer_t *a)
{
	const char *rd = str_of(an, "Rdata"), *ty = str_of(an, "Type");
	if (rd == NULL || ty == NULL)
		return false;
	int t = dx_dns_type_parse(ty);
	if (t < 0)
		return false;
	a->type = (uint16_t) t;
	size_t n = 0;
	switch (t) {
	case 1:
		a->len = 4;
		return inet_pton(AF_INET, rd, a->rdata) == 1;
	case 28:
		a->len = 16;
		return inet_pton(AF_INET6, rd, a->rdata) == 1;
	case 2:
	case 5:
	case 12:
	case 39:
		if (!name_to_wire(rd, a->rdata, &n))
			return false;
		a->len = (uint16_t) n;
		return true;
	case 15: { /* "10 mx.example.com." */
		char *end;
		unsigned long pref = strtoul(rd, &end, 10);
		if (end == rd || *end != ' ' || pref > 65535 ||
		    !name_to_wire(end + 1, a->rdata + 2, &n) || n + 2 > DX_R53_RDATA)
			return false;
		a->rdata[0] = (uint8_t) (pref >> 8);
		a->rdata[1] = (uint8_t) pref;
		a->len = (uint16_t) (n + 2);
		return true;
	}
	case 16:
		return txt_to_wire(rd, a);
	default:
		return false;
	}
}

enum dx_reason dx_r53_parse(const char *json, size_t len, dx_r53_rec_t *out)
{
	if (len > DX_R53_RECORD_MAX)
		return DX_R_log_too_long;
	pthread_once(&hooks_once, set_hooks);
	arena_used = 0;
	cJSON *o = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(o))
		return DX_R_log_bad_json;
	memset(out, 0, offsetof(dx_r53_rec_t, an));
	/* one pass over the members, each kept by its key (the first of a repeated key) */
	const cJSON *f_ts = NULL, *f_qn = NULL, *f_qt = NULL, *f_src = NULL, *f_qc = NULL,
		    *f_rc = NULL, *f_sp = NULL, *f_tr = NULL, *f_vpc = NULL, *f_ids = NULL,
		    *f_ans = NULL;
	const cJSON *m;
	cJSON_ArrayForEach(m, o)
	{
		const char *k = m->string;
		const cJSON **slot = NULL;
		switch (k[0]) {
		case 'q':
			slot = !strcmp(k, "query_timestamp") ? &f_ts
			       : !strcmp(k, "query_name")    ? &f_qn
			       : !strcmp(k, "query_type")    ? &f_qt
			       : !strcmp(k, "query_class")   ? &f_qc
							     : NULL;
			break;
		case 's':
			slot = !strcmp(k, "srcaddr")   ? &f_src
			       : !strcmp(k, "srcport") ? &f_sp
			       : !strcmp(k, "srcids")  ? &f_ids
						       : NULL;
			break;
		case 'r':
			slot = !strcmp(k, "rcode") ? &f_rc : NULL;
			break;
		case 't':
			slot = !strcmp(k, "transport") ? &f_tr : NULL;
			break;
		case 'v':
			slot = !strcmp(k, "vpc_id") ? &f_vpc : NULL;
			break;
		case 'a':
			slot = !strcmp(k, "answers") ? &f_ans : NULL;
			break;
		default:
			break;
		}
		if (slot && *slot == NULL)
			*slot = m;
	}
	enum dx_reason why = DX_R_COUNT;
	const char *ts = need_str(f_ts, &why), *qn = need_str(f_qn, &why),
		   *qt = need_str(f_qt, &why), *src = need_str(f_src, &why);
	if (why != DX_R_COUNT)
		return why;
	if (!parse_time(ts, &out->ts_us))
		return DX_R_log_bad_field;
	if (!name_to_wire(qn, out->name, &out->name_len))
		return DX_R_log_bad_name;
	int t = dx_dns_type_parse(qt);
	if (t < 0)
		return DX_R_log_bad_field;
	out->qtype = (uint16_t) t;
	const char *qc = cJSON_IsString(f_qc) ? f_qc->valuestring : NULL;
	out->qclass = qc == NULL || strcmp(qc, "IN") == 0 ? 1 : strcmp(qc, "CH") == 0 ? 3 : 255;
	const char *rc = cJSON_IsString(f_rc) ? f_rc->valuestring : NULL;
	int r = rc ? dx_dns_rcode_parse(rc) : 0;
	if (r < 0 || r > 15)
		return DX_R_log_bad_field;
	out->rcode = (uint8_t) r;
	if (inet_pton(AF_INET, src, out->src) == 1)
		out->af = 4;
	else if (inet_pton(AF_INET6, src, out->src) == 1)
		out->af = 6;
	else
		return DX_R_log_bad_field;
	/* srcport is a string in AWS's records; a number is taken too */
	const cJSON *sp = f_sp;
	long port = 0;
	if (cJSON_IsString(sp)) {
		const char *c = sp->valuestring;
		port = *c ? 0 : -1;
		for (; *c && port >= 0; c++)
			port =
			    *c >= '0' && *c <= '9' && port <= 65535 ? port * 10 + (*c - '0') : -1;
	} else if (cJSON_IsNumber(sp)) {
		port = (long) sp->valuedouble;
	}
	if (port < 0 || port > 65535)
		return DX_R_log_bad_field;
	out->sport = (uint16_t) port;
	const char *tr = cJSON_IsString(f_tr) ? f_tr->valuestring : NULL;
	out->tcp = tr != NULL && strcmp(tr, "TCP") == 0;
	copy_id(out->vpc_id, sizeof(out->vpc_id),
		cJSON_IsString(f_vpc) ? f_vpc->valuestring : NULL);
	const cJSON *ids = f_ids;
	const char *inst = cJSON_IsObject(ids) ? str_of(ids, "instance") : NULL;
	if (inst == NULL && cJSON_IsObject(ids))
		inst = str_of(ids, "resolver_endpoint");
	copy_id(out->instance, sizeof(out->instance), inst);
	const cJSON *ans = f_ans;
	if (ans != NULL && !cJSON_IsArray(ans) && !cJSON_IsNull(ans))
		return DX_R_log_bad_field;
	const cJSON *an;
	cJSON_ArrayForEach(an, ans)
	{
		if (out->n_answers >= DX_R53_ANSWERS)
			break;
		if (cJSON_IsObject(an) && answer(an, &out->an[out->n_answers]))
			out->n_answers++;
	}
	return DX_R_COUNT;
}

/* ---- packets */

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t) (v >> 8);
	p[1] = (uint8_t) v;
}

size_t dx_r53_packet(const dx_r53_rec_t *r, bool response, uint8_t *buf, size_t cap)
{
	size_t ip = r->af == 6 ? 40 : 20;
	size_t dns = 12 + r->name_len + 4;
	if (response)
		for (int i = 0; i < r->n_answers; i++)
			dns += 12 + r->an[i].len;
	size_t total = ip + 8 + dns;
	if (total > cap || total > DX_R53_FRAME_MAX)
		return 0;
	memset(buf, 0, ip + 8 + 12);
	/* the VPC resolver: 169.254.169.253, or fd00:ec2::253 */
	static const uint8_t res4[4] = {169, 254, 169, 253};
	static const uint8_t res6[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0,
					 0,    0, 0,	0,    0, 0, 2, 0x53};
	const uint8_t *res = r->af == 6 ? res6 : res4;
	size_t alen = r->af == 6 ? 16 : 4;
	const uint8_t *from = response ? res : r->src, *to = response ? r->src : res;
	if (r->af == 6) {
		buf[0] = 0x60;
		be16(buf + 4, (unsigned) (8 + dns));
		buf[6] = 17;
		buf[7] = 64;
		memcpy(buf + 8, from, alen);
		memcpy(buf + 24, to, alen);
	} else {
		buf[0] = 0x45;
		be16(buf + 2, (unsigned) total);
		buf[8] = 64;
		buf[9] = 17;
		memcpy(buf + 12, from, alen);
		memcpy(buf + 16, to, alen);
	}
	uint8_t *u = buf + ip;
	be16(u, response ? 53 : r->sport);
	be16(u + 2, response ? r->sport : 53);
	be16(u + 4, (unsigned) (8 + dns));
	uint8_t *d = u + 8;
	/* id: the low bits of the time, so a query and its response pair up */
	be16(d, (unsigned) (r->ts_us & 0xffff));
	d[2] = response ? 0x81 : 0x01; /* QR, RD */
	d[3] = response ? (uint8_t) (0x80 | r->rcode) : 0;
	be16(d + 4, 1);
	be16(d + 6, response ? (unsigned) r->n_answers : 0);
	size_t o = 12;
	memcpy(d + o, r->name, r->name_len);
	o += r->name_len;
	be16(d + o, r->qtype);
	be16(d + o + 2, r->qclass);
	o += 4;
	for (int i = 0; response && i < r->n_answers; i++) {
		be16(d + o, 0xc00c); /* the question's name */
		be16(d + o + 2, r->an[i].type);
		be16(d + o + 4, 1);
		memset(d + o + 6, 0, 4); /* TTL: not in the logs */
		be16(d + o + 10, r->an[i].len);
		memcpy(d + o + 12, r->an[i].rdata, r->an[i].len);
		o += 12 + r->an[i].len;
	}
	return total;
}

/* ---- object boundaries */

size_t dx_r53_next_object(const char *buf, size_t n, size_t *start, bool *broken)
{
	size_t i = *start;
	*broken = false;
	while (i < n && buf[i] != '{')
		i++;
	if (i >= n) {
		*start = n;
		return 0;
	}
	*start = i;
	/* the line's end bounds every search: a record never crosses one */
	const char *nl = memchr(buf + i, '\n', n - i);
	size_t lim = nl ? (size_t) (nl - buf) : n;
	int depth = 0;
	for (; i < lim; i++) {
		char c = buf[i];
		if (c == '"') { /* a string: jump to its closing quote, one not escaped */
			for (;;) {
				const char *q = memchr(buf + i + 1, '"', lim - i - 1);
				if (q == NULL) {
					i = lim;
					break;
				}
				i = (size_t) (q - buf);
				size_t bs = 0;
				while (buf[i - 1 - bs] == '\\')
					bs++;
				if (bs % 2 == 0)
					break;
			}
			if (i >= lim)
				break;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	if (nl) {
		*broken = true;
		return lim + 1;
	}
	return 0;
}
