/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential target: dx_dns_parse() against NLnet Labs' ldns (Debian's libldns, a test-only
 * dependency) on the same bytes. Any disagreement that is not one of the explained ones below
 * aborts, so libFuzzer keeps the input as a crasher.
 *
 * Three comparisons per input:
 *  1. The question, both ways: ldns_wire2dname() at offset 12 plus four bytes of type and
 *     class is the reference for the part we decode exactly. Where we accept, ldns must
 *     accept with the same labels (byte for byte, case included), type and class. Where ldns
 *     accepts and QDCOUNT > 0, we must accept too, except:
 *       - dname_bad_ptr: ldns follows a pointer to anywhere inside the message (a forward
 *         pointer, one into the header, a chain that revisits bytes) and relies on a hop
 *         count; parsing rule R6 accepts only pointers that land after the header and
 *         strictly before the name (RFC 1035 4.1.4: "a prior occurrence of the same name"),
 *         as Knot DNS does.
 *  2. The whole message: where ldns_wire2pkt() accepts, every field we report must equal
 *     ldns's: ID, QR, opcode, AA, TC, RD, RA, AD, CD, RCODE (with the EDNS extension bits),
 *     the four counts, the EDNS payload size, the answers walked and their smallest TTL.
 *     The fields taken from records (answers walked, smallest TTL, EDNS) are compared in
 *     comparison 3 only: ldns reads an RDATA field by field and, for a fixed-size type,
 *     carries on after the fields rather than after RDLENGTH, so on arbitrary bytes its
 *     record boundaries can differ from RFC 1035 4.1.3's (seen: an A record with RDLENGTH
 *     64 made ldns read the next record 60 bytes early and find an OPT that is not there).
 *     Explained differences:
 *       - QDCOUNT 0: ldns accepts a message without a question; we skip it (dns_no_question)
 *         because a sensor keyed on the question name has nothing to say about it.
 *       - dname_bad_ptr, and a truncated RR walk (we report what was read): the same R6
 *         pointer rule applied to owner names. Comparison 3 checks these messages again in
 *         the canonical form ldns writes.
 *       - more than DX_MAX_RR records: our walk stops there by design (R7), so the answer
 *         and EDNS fields are compared only when every record was walked.
 *       - a TSIG record: ldns takes it out of the additional section and lowers ARCOUNT
 *         while still reading that section, so it stops one record early and accepts a
 *         message that lacks its last record (and writes one back). With a TSIG present
 *         only the header and the question are compared.
 *       - several OPT records: ldns keeps the last, we keep the first (RFC 6891 6.1.1 makes
 *         such a message invalid); EDNS fields are compared only with exactly one.
 *     Where ldns rejects the message but we accept it, the difference must lie past the
 *     question: ldns validates RDATA by type and requires every counted record to be
 *     present; we decode the question and walk records by RDLENGTH only, flagging a short
 *     message as truncated. Comparison 1 already holds the question to ldns.
 *  3. The round trip: a message ldns accepts is written back with ldns_pkt2wire() (backward
 *     pointers only), parsed by both again, and must agree with no exception but QDCOUNT 0.
 */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decode/dns.h"
#include "tests/fuzz/fuzz.h"

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz_ldns: disagreement: %s (line %d)\n", #cond, \
				__LINE__);                                                \
			abort();                                                          \
		}                                                                         \
	} while (0)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t) (p[0] << 8 | p[1]);
}

/* Our name rebuilt as wire labels, original case restored, into w (>= 256 bytes). */
static size_t name_to_wire(const dx_name_t *n, uint8_t *w)
{
	size_t out = 0;
	size_t i = 0;
	while (i < n->len) {
		size_t len_at = out++;
		uint8_t llen = 0;
		for (; i < n->len && !dx_name_is_sep(n, i); i++, llen++) {
			uint8_t ch = (uint8_t) n->text[i];
			if (n->case_mask[i >> 3] >> (i & 7) & 1)
				ch = (uint8_t) (ch - 'a' + 'A');
			w[out++] = ch;
		}
		w[len_at] = llen;
		i++; /* the separator */
	}
	w[out++] = 0;
	return out;
}

static void same_name(const dx_name_t *n, const ldns_rdf *r)
{
	uint8_t w[DX_DNAME_MAXWIRE + 2];
	size_t wl = name_to_wire(n, w);
	CHECK(ldns_rdf_get_type(r) == LDNS_RDF_TYPE_DNAME);
	CHECK(wl == ldns_rdf_size(r));
	CHECK(memcmp(w, ldns_rdf_data(r), wl) == 0);
}

/* Comparison 1. */
static void question(const uint8_t *data, size_t size)
{
	dx_dns_msg_t m;
	enum dx_reason why;
	bool ours = dx_dns_parse(data, size, &m, &why) == DX_OK;
	bool theirs = false;
	ldns_rdf *qn = NULL;
	size_t pos = DX_DNS_HDRLEN;
	if (size >= DX_DNS_HDRLEN && be16(data + 4) > 0 && size > pos &&
	    ldns_wire2dname(&qn, data, size, &pos) == LDNS_STATUS_OK)
		theirs = pos + 4 <= size;
	if (ours) {
		CHECK(theirs);
		same_name(&m.qname, qn);
		CHECK(m.qtype == be16(data + pos));
		CHECK(m.qclass == be16(data + pos + 2));
	} else if (theirs) {
		CHECK(why == DX_R_dname_bad_ptr);
	}
	ldns_rdf_deep_free(qn);
}

static size_t records(const dx_dns_msg_t *m)
{
	return (size_t) m->qdcount - 1 + m->ancount + m->nscount + m->arcount;
}

/* ldns's view of the message equals ours. raw_ar is ARCOUNT as on the wire (ldns takes OPT
 * records out of the additional section and its count). records_too: also the fields taken
 * from the records (see comparison 3 for why only then). */
static void same_message(const ldns_pkt *p, const dx_dns_msg_t *m, uint16_t raw_ar,
			 bool records_too)
{
	CHECK(m->id == ldns_pkt_id(p));
	CHECK(m->is_response == ldns_pkt_qr(p));
	CHECK(m->opcode == ldns_pkt_get_opcode(p));
	CHECK(((m->flags >> 10) & 1) == ldns_pkt_aa(p));
	CHECK(m->tc == ldns_pkt_tc(p));
	CHECK(((m->flags >> 8) & 1) == ldns_pkt_rd(p));
	CHECK(((m->flags >> 7) & 1) == ldns_pkt_ra(p));
	CHECK(((m->flags >> 5) & 1) == ldns_pkt_ad(p));
	CHECK(((m->flags >> 4) & 1) == ldns_pkt_cd(p));
	CHECK((m->rcode & 0x0F) == ldns_pkt_get_rcode(p));
	CHECK(m->qdcount == ldns_pkt_qdcount(p));
	CHECK(m->ancount == ldns_pkt_ancount(p));
	CHECK(m->nscount == ldns_pkt_nscount(p));
	CHECK(m->arcount == raw_ar);
	CHECK(raw_ar >= ldns_pkt_arcount(p));

	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	same_name(&m->qname, ldns_rr_owner(q));
	CHECK(m->qtype == ldns_rr_get_type(q));
	CHECK(m->qclass == ldns_rr_get_class(q));

	if (!records_too || m->truncated || records(m) > DX_MAX_RR)
		return;
	CHECK(m->an_seen == m->ancount);
	uint32_t min_ttl = UINT32_MAX;
	const ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		uint32_t ttl = ldns_rr_ttl(ldns_rr_list_rr(an, i));
		if (ttl > INT32_MAX) /* ldns keeps it; RFC 2181 8 and we count it as 0 */
			ttl = 0;
		if (ttl < min_ttl)
			min_ttl = ttl;
	}
	CHECK(m->min_ttl == min_ttl);
	unsigned n_opt = (unsigned) (raw_ar - ldns_pkt_arcount(p));
	if (n_opt == 0) {
		CHECK(!m->has_edns);
		CHECK(m->rcode < 16);
	} else if (n_opt == 1) {
		CHECK(m->has_edns);
		CHECK(m->edns_size == ldns_pkt_edns_udp_size(p));
		CHECK(m->rcode >> 4 == ldns_pkt_edns_extended_rcode(p));
	}
}

/* Comparisons 2 (strict == false) and 3 (strict == true). Returns ldns's packet or NULL. */
static ldns_pkt *message(const uint8_t *data, size_t size, bool strict)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		return NULL;
	}
	dx_dns_msg_t m;
	enum dx_reason why;
	if (dx_dns_parse(data, size, &m, &why) != DX_OK) {
		CHECK(why == DX_R_dns_no_question || (!strict && why == DX_R_dname_bad_ptr));
		CHECK(why != DX_R_dns_no_question || ldns_pkt_qdcount(p) == 0);
	} else {
		bool tsig = ldns_pkt_tsig(p) != NULL;
		CHECK(!strict || tsig || !m.truncated);
		same_message(p, &m, be16(data + 10), strict && !tsig);
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	question(data, size);
	ldns_pkt *p = message(data, size, false);
	if (p == NULL)
		return 0;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	if (ldns_pkt2wire(&wire, p, &wlen) == LDNS_STATUS_OK) {
		ldns_pkt_free(message(wire, wlen, true));
		question(wire, wlen);
	}
	free(wire);
	ldns_pkt_free(p);
	return 0;
}
