/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DNS message decoder, run by the parser thread on each UDP payload and each reassembled TCP
 * message.
 *
 * Only the first question is decoded: QDCOUNT is recorded, but every real resolver sends one
 * question and libknot rejects more. For responses the RR walk is bounded by DX_MAX_RR
 * whatever the counts say (R7), skips owner names without following pointers (only their
 * direction is checked), and narrows to each RDLENGTH with a sub-cursor so a lying RDLENGTH
 * cannot move the walk past the captured end (R4).
 */
#include <string.h>

#include "lib/decode/cursor.h"
#include "lib/decode/dns.h"

static enum dx_reason name_reason(int err)
{
	switch (err) {
	case DX_EPTR:
		return DX_R_dname_bad_ptr;
	case DX_ELONG:
		return DX_R_dname_too_long;
	case DX_ELABEL:
		return DX_R_dname_bad_label;
	case DX_ETRUNC:
		return DX_R_dns_trunc;
	default:
		return DX_R_dns_malformed;
	}
}

/* Walk n RRs of one section (RFC 1035 4.1.3). section: 0 answer, 1 authority, 2 additional. */
/* An answer address (rd: rdlen bytes, in bounds): counted, and whether it is the "no
 * address" a C2 server answers while it has nothing to say (0.0.0.0, 127/8, ::, ::1). */
static void count_addr(dx_dns_msg_t *m, const uint8_t *rd, uint16_t rdlen)
{
	bool idle;
	if (rdlen == 4) {
		idle = rd[0] == 127 || (rd[0] | rd[1] | rd[2] | rd[3]) == 0;
	} else {
		uint8_t any = 0;
		for (int i = 0; i < 15; i++)
			any |= rd[i];
		idle = any == 0 && rd[15] <= 1;
	}
	if (m->an_addr < UINT8_MAX) {
		m->an_addr++;
		m->an_idle += idle;
	}
}

static void walk_rrs(dx_cur_t *c, unsigned n, int section, unsigned *examined, dx_dns_msg_t *m)
{
	while (n-- > 0 && c->err == DX_OK && *examined < DX_MAX_RR) {
		(*examined)++;
		if (dx_dname_skip(c) != DX_OK)
			return;
		dx_hdr_t h = dx_cur_take(c, 10); /* type, class, TTL, RDLENGTH */
		uint16_t type = dx_hdr_be16(h, 0);
		uint16_t klass = dx_hdr_be16(h, 2);
		uint32_t ttl = dx_hdr_be32(h, 4);
		uint16_t rdlen = dx_hdr_be16(h, 8);
		if (c->err != DX_OK)
			return;
		if (rdlen > dx_cur_left(c)) {
			dx_cur_fail(c, DX_ETRUNC);
			if (section == 0) { /* count what the record claims: it was sent */
				m->an_seen++;
				m->answer_bytes += rdlen;
			}
			return;
		}
		if (section == 0 && ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)))
			count_addr(m, c->base + c->off, rdlen);
		dx_cur_skip(c, rdlen);
		if (section == 0) {
			m->an_seen++;
			m->answer_bytes += rdlen;
			if (ttl > INT32_MAX)
				ttl = 0; /* RFC 2181 8: a TTL with the top bit set counts as 0 */
			if (ttl < m->min_ttl)
				m->min_ttl = ttl;
		} else if (section == 2 && type == DX_DNS_T_OPT && !m->has_edns) {
			m->has_edns = true;
			m->edns_size = klass;
			m->rcode = (uint16_t) (((ttl >> 24) << 4) | (m->rcode & 0x0F));
		}
	}
}

int dx_dns_parse(const uint8_t *msg, size_t len, dx_dns_msg_t *out, enum dx_reason *why)
{
	dx_cur_t c = dx_cur_init(msg, len);
	dx_hdr_t h = dx_cur_take(&c, DX_DNS_HDRLEN);
	out->id = dx_hdr_be16(h, 0);
	out->flags = dx_hdr_be16(h, 2);
	out->qdcount = dx_hdr_be16(h, 4);
	out->ancount = dx_hdr_be16(h, 6);
	out->nscount = dx_hdr_be16(h, 8);
	out->arcount = dx_hdr_be16(h, 10);
	if (c.err != DX_OK) {
		*why = DX_R_dns_trunc;
		return DX_ETRUNC;
	}
	out->is_response = out->flags >> 15;
	out->opcode = (uint8_t) ((out->flags >> 11) & 0x0F);
	out->tc = (out->flags >> 9) & 1;
	out->rcode = out->flags & 0x0F;
	out->msg_len = (uint16_t) (len > 0xFFFF ? 0xFFFF : len);
	out->has_edns = false;
	out->edns_size = 0;
	out->truncated = false;
	out->an_seen = 0;
	out->an_addr = out->an_idle = 0;
	out->answer_bytes = 0;
	out->min_ttl = UINT32_MAX;
	if (out->qdcount == 0) {
		*why = DX_R_dns_no_question;
		return DX_EUNSUP;
	}
	int rc = dx_dname_decode(&c, &out->qname);
	if (rc != DX_OK) {
		*why = name_reason(rc);
		return rc;
	}
	h = dx_cur_take(&c, 4);
	out->qtype = dx_hdr_be16(h, 0);
	out->qclass = dx_hdr_be16(h, 2);
	if (c.err != DX_OK) {
		*why = DX_R_dns_trunc;
		return DX_ETRUNC;
	}
	/* Further questions are stepped over, then the sections (responses only: a query's
	 * additional section carries OPT, which we want too). */
	unsigned examined = 0;
	for (unsigned q = 1; q < out->qdcount && c.err == DX_OK && examined < DX_MAX_RR; q++) {
		examined++;
		if (dx_dname_skip(&c) == DX_OK)
			dx_cur_skip(&c, 4);
	}
	walk_rrs(&c, out->ancount, 0, &examined, out);
	walk_rrs(&c, out->nscount, 1, &examined, out);
	walk_rrs(&c, out->arcount, 2, &examined, out);
	if (c.err != DX_OK)
		out->truncated = true;
	return DX_OK;
}

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
    {1, "A"},		{2, "NS"},	    {5, "CNAME"},   {6, "SOA"},	    {10, "NULL"},
    {11, "WKS"},	{12, "PTR"},	    {13, "HINFO"},  {15, "MX"},	    {16, "TXT"},
    {17, "RP"},		{18, "AFSDB"},	    {24, "SIG"},    {25, "KEY"},    {28, "AAAA"},
    {29, "LOC"},	{33, "SRV"},	    {35, "NAPTR"},  {36, "KX"},	    {37, "CERT"},
    {39, "DNAME"},	{41, "OPT"},	    {43, "DS"},	    {44, "SSHFP"},  {45, "IPSECKEY"},
    {46, "RRSIG"},	{47, "NSEC"},	    {48, "DNSKEY"}, {49, "DHCID"},  {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},	    {53, "SMIMEA"}, {55, "HIP"},    {59, "CDS"},
    {60, "CDNSKEY"},	{61, "OPENPGPKEY"}, {62, "CSYNC"},  {63, "ZONEMD"}, {64, "SVCB"},
    {65, "HTTPS"},	{99, "SPF"},	    {249, "TKEY"},  {250, "TSIG"},  {251, "IXFR"},
    {252, "AXFR"},	{255, "ANY"},	    {256, "URI"},   {257, "CAA"},
};

const char *dx_dns_type_name(uint16_t type)
{
	/* The common types first: one compare instead of a walk. */
	switch (type) {
	case 1:
		return "A";
	case 28:
		return "AAAA";
	case 65:
		return "HTTPS";
	case 16:
		return "TXT";
	case 12:
		return "PTR";
	default:
		break;
	}
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

const char *dx_dns_rcode_name(uint16_t rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
	if (rcode < ARRAY_SIZE(names))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS"; /* RFC 6891 */
	if (rcode == 23)
		return "BADCOOKIE"; /* RFC 7873 */
	return NULL;
}

int dx_dns_type_parse(const char *s)
{
	/* the common ones first: a query log names a type per record */
	if (s[0] == 'A' && (s[1] == '\0' || strcmp(s, "AAAA") == 0))
		return s[1] ? 28 : 1;
	if (strcmp(s, "TXT") == 0)
		return 16;
	if (strcmp(s, "HTTPS") == 0)
		return 65;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(types[i].name, s) == 0)
			return types[i].type;
	/* RFC 3597 §5: TYPE followed by the number */
	if (strncmp(s, "TYPE", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
		unsigned long v = 0;
		const char *p = s + 4;
		for (; *p >= '0' && *p <= '9' && v <= 65535; p++)
			v = v * 10 + (unsigned long) (*p - '0');
		if (*p == '\0' && v <= 65535)
			return (int) v;
	}
	return -1;
}

int dx_dns_rcode_parse(const char *s)
{
	if (strcmp(s, "NOERROR") == 0)
		return 0;
	if (strcmp(s, "NXDOMAIN") == 0)
		return 3;
	for (uint16_t r = 0; r < 24; r++) {
		const char *n = dx_dns_rcode_name(r);
		if (n && strcmp(n, s) == 0)
			return r;
	}
	return -1;
}

const char *dx_dns_opcode_name(uint8_t opcode)
{
	static const char *const names[] = {"QUERY",  "IQUERY", "STATUS", NULL,
					    "NOTIFY", "UPDATE", "DSO"};
	return opcode < ARRAY_SIZE(names) ? names[opcode] : NULL;
}
