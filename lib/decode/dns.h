/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file dns.h
 * @brief DNS message decoding (RFC 1035 4.1): header, the first question, and for responses
 * a bounded walk over the resource records for answer sizes, the smallest TTL and EDNS.
 *
 * The message may be cut short by the capture: as long as the header and the question are
 * present the message is decoded and flagged truncated; the RR walk stops where the bytes
 * stop.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/counters.h"
#include "lib/decode/dname.h"

#define DX_MAX_RR 64 /* R7: RRs examined per message, whatever the counts claim */

#define DX_DNS_T_OPT 41 /* RFC 6891 */

/** A decoded DNS message. Value type. */
typedef struct dx_dns_msg {
	uint16_t id;
	uint16_t flags; /* the raw second header word */
	uint16_t rcode; /* with the EDNS extended bits (RFC 6891 6.1.3) */
	uint16_t qdcount, ancount, nscount, arcount;
	uint16_t qtype, qclass;
	uint16_t edns_size;    /* requestor's UDP payload size; 0 without OPT */
	uint16_t msg_len;      /* bytes of the message as captured (may be < the real size) */
	uint16_t an_seen;      /* answer RRs actually walked */
	uint8_t an_addr;       /* ... of which A or AAAA (saturating) */
	uint8_t an_idle;       /* ... of which 0.0.0.0, 127/8, :: or ::1: a C2's idle answer */
	uint32_t answer_bytes; /* sum of answer RDLENGTHs walked */
	uint32_t min_ttl;      /* smallest answer TTL walked; UINT32_MAX if none */
	uint8_t opcode;
	bool is_response;
	bool tc; /* the TC header bit */
	bool has_edns;
	bool truncated;	 /* the RR walk ran out of captured bytes */
	dx_name_t qname; /* last, so records can be cut after the name */
} dx_dns_msg_t;

/**
 * Decode the DNS message in msg[0..len). Borrows msg until return. On DX_OK writes *out
 * (partially decoded RR sections are flagged out->truncated, not an error). On failure
 * returns a negative dx_err and sets *why: dns_trunc (header or question cut short),
 * dns_no_question (QDCOUNT 0), dns_malformed, dname_bad_ptr, dname_too_long, dname_bad_label.
 * *out is unspecified on failure.
 */
int dx_dns_parse(const uint8_t *msg, size_t len, dx_dns_msg_t *out,
		 enum dx_reason *why) DX_MUSTCHECK;

/** Mnemonic of an RR type ("A", "TXT") or NULL if we have none (print TYPEnnn, RFC 3597). */
const char *dx_dns_type_name(uint16_t type);
/** Mnemonic of an RCODE ("NXDOMAIN") or NULL. */
const char *dx_dns_rcode_name(uint16_t rcode);
/** The inverses: "TXT" or "TYPE65280" -> the number, "NXDOMAIN" -> 3; -1 if unknown. */
int dx_dns_type_parse(const char *s);
int dx_dns_rcode_parse(const char *s);
/** Mnemonic of an OPCODE ("QUERY") or NULL. */
const char *dx_dns_opcode_name(uint8_t opcode);
