/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file dname.h
 * @brief DNS names from the wire: decompression under strict rules, lower-cased text with the
 * original case kept as a bit mask, label statistics, and escaping for output.
 *
 * Every name is attacker-controlled. The decoder enforces RFC 1035 4.1.4 compression with the
 * rules of parsing rule R6: a pointer must land at or after the 12-byte header and strictly
 * before the name being decoded, and each further pointer strictly before the previous
 * target, so no byte is visited twice; a 255-octet wire cap and a hop cap are backstops.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/base/common.h"
#include "lib/decode/cursor.h"

#define DX_DNS_HDRLEN 12       /* RFC 1035 4.1.1 */
#define DX_DNAME_MAXWIRE 255   /* RFC 1035 3.1, root label included */
#define DX_DNAME_MAXTEXT 253   /* 255 wire octets, less the root and the first length byte */
#define DX_DNAME_MAXLABELS 127 /* 1-octet labels: 127 × 2 + 1 = 255 */
#define DX_MAX_PTR_HOPS 64     /* backstop: the ordering rule already forbids loops */

/** A decoded name. Value type: copied through ring B, built directly in tests. text is the
 * last member so a ring record can end right after the name's NUL (dx_name_size()). */
typedef struct dx_name {
	uint8_t len;	       /* bytes of text, without the NUL; 0 for the root */
	uint8_t n_labels;      /* labels, root excluded */
	uint8_t max_label;     /* longest label, octets */
	bool odd_bytes;	       /* some label byte is <= 0x20, >= 0x7F, or a literal '.' */
	uint8_t case_mask[32]; /* bit i set: text[i] was upper case on the wire */
	uint8_t dot_lit[32]; /* bit i set: text[i] is a '.' byte inside a label, not a separator */
	char text[DX_DNAME_MAXTEXT + 1]; /* labels lower-cased (A-Z only), joined by '.', NUL */
} dx_name_t;

/** Bytes of a dx_name_t that hold data: everything up to and including the text's NUL. */
static inline size_t dx_name_size(const dx_name_t *n)
{
	return offsetof(dx_name_t, text) + n->len + 1u;
}

/** True if text[i] is a label separator (not a literal '.' byte inside a label). */
static inline bool dx_name_is_sep(const dx_name_t *n, size_t i)
{
	return n->text[i] == '.' && !(n->dot_lit[i >> 3] >> (i & 7) & 1);
}

/** The first label separator in text[from, end), or end: memchr() over the label bytes
 * (tunnel labels run to 63), stepping over literal dots. */
static inline size_t dx_name_next_sep(const dx_name_t *n, size_t from, size_t end)
{
	while (from < end) {
		const char *d = memchr(n->text + from, '.', end - from);
		if (d == NULL)
			return end;
		size_t j = (size_t) (d - n->text);
		if (!(n->dot_lit[j >> 3] >> (j & 7) & 1))
			return j;
		from = j + 1;
	}
	return end;
}

/**
 * Decode the name at c->off. c must span the whole DNS message, because pointers are offsets
 * from its first byte. On success writes *out and leaves c->off after the name (after the
 * first pointer, if any). Errors (also left sticky in c): DX_ETRUNC, DX_EPTR (pointer loop,
 * forward or into the header), DX_ELONG (over 255 octets), DX_ELABEL (label type 0x40/0x80).
 */
int dx_dname_decode(dx_cur_t *c, dx_name_t *out) DX_MUSTCHECK;

/**
 * Step over the name at c->off without building text (RR owner names). Checks label types,
 * the wire length of the uncompressed part and that a pointer points backwards past the
 * header, but does not follow it. Same errors as dx_dname_decode().
 */
int dx_dname_skip(dx_cur_t *c) DX_MUSTCHECK;

#define DX_DNAME_ESCMAX (DX_DNAME_MAXTEXT * 4 + 2) /* every byte as \DDD, plus NUL */

/** Escape name text s[0..n) (dots taken as separators) into out (at least 4n+1 bytes, cut at
 * cap) with the rules of dx_dname_escape(); for apex text held without label boundaries. */
size_t dx_dname_escape_text(const char *s, size_t n, char *out, size_t cap);

/** Copy escaped presentation text esc into out (cap >= max + 1 bytes) whole if it has at
 * most max characters; else cut it, never inside a \DDD escape, and end it with "..." within
 * max. Returns the length written. For log lines, which show a name's start. */
size_t dx_dname_cut(const char *esc, size_t max, char *out, size_t cap);

/**
 * Write the name as presentation text into buf (at least DX_DNAME_ESCMAX bytes): bytes
 * outside 0x21..0x7E and the characters '\\', '"' and a '.' inside a label as \DDD; the root
 * as ".". With orig_case the wire's case is restored. Returns the length written.
 */
size_t dx_dname_escape(const dx_name_t *n, bool orig_case, char *buf);
