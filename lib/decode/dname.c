/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DNS name decoding, run by the parser thread for every question.
 *
 * The walk reads raw bytes of the message only after checking them against the captured
 * length (R1: the one place outside cursor.h allowed to index, because it is the inner loop).
 * Compression pointers (RFC 1035 4.1.4) may only go backwards, each strictly below the last
 * target, so the walk terminates without a visited set; the hop cap is a second fence.
 * Text is lower-cased here, once, for aggregation; the wire case survives as a bit mask
 * because resolvers using DNS 0x20 randomise it and an analyst wants to see what was sent.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/decode/dname.h"

/* Per-byte class: 0 for the common case (lower-case letters, digits, '-', '_' ...), so the
 * inner loop takes one load and one rarely-taken branch per byte. */
enum { C_UPPER = 1, C_ODD = 2 };
static const uint8_t byte_class[256] = {
    [0x00 ... 0x20] = C_ODD,
    ['.'] = C_ODD,
    ['A' ... 'Z'] = C_UPPER,
    [0x7F ... 0xFF] = C_ODD,
};

#if defined(__SSE2__)
/* Bit i of each: byte i is upper case A-Z, odd (byte_class C_ODD), a '.'. */
struct classes {
	unsigned upper, odd, dot;
};

/* Lower-case the 16 bytes at src into dst and classify them: the scalar loop's byte_class
 * for 16 bytes in a few instructions and no branch, which random tunnel labels mispredict.
 * Unsigned ranges are tested as signed compares of the bytes moved by a bias. */
static inline struct classes lower16(const uint8_t *src, char *dst)
{
	__m128i v = _mm_loadu_si128((const __m128i *) (const void *) src);
	__m128i up = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x80 - 'A')),
				    _mm_set1_epi8((char) (-128 + 26))); /* A-Z */
	__m128i ok = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x80 - 0x21)),
				    _mm_set1_epi8((char) (-128 + 0x7F - 0x21))); /* 0x21-0x7E */
	__m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
	_mm_storeu_si128((__m128i *) (void *) dst,
			 _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20))));
	unsigned d = (unsigned) _mm_movemask_epi8(dot);
	return (struct classes){.upper = (unsigned) _mm_movemask_epi8(up),
				.odd = (~(unsigned) _mm_movemask_epi8(ok) & 0xFFFF) | d,
				.dot = d};
}

/* Set bit (at + i) of the mask m for each bit i of bits. */
static inline void set_bits(uint8_t *m, size_t at, unsigned bits)
{
	for (; bits != 0; bits &= bits - 1) {
		size_t t = at + (size_t) __builtin_ctz(bits);
		m[t >> 3] |= (uint8_t) (1u << (t & 7));
	}
}
#endif

/* The text of label lab[0..b) appended to out->text at *tlen, lowercased, its upper-case
 * letters marked in mask and its literal dots in dots, *odd set for any byte outside
 * letters, digits and '-'. avail: bytes readable from lab. */
static inline void copy_label(const uint8_t *lab, unsigned b, size_t avail, dx_name_t *out,
			      size_t *tlen_io, uint8_t *mask, uint8_t *dots, bool *odd_io)
{
	size_t tlen = *tlen_io;
	bool odd = *odd_io;
	unsigned i = 0;
#if defined(__SSE2__)
	/* 16 bytes at a time where 16 can be read from the message and written to the text: the
	 * bytes read past the label are not used, those written past it are overwritten by what
	 * follows or lie past the NUL. The scalar loop below takes what is left (labels near the
	 * end of the message or of the text). */
	size_t chunks = ((size_t) b + 15) & ~(size_t) 15;
	if (chunks <= avail && chunks <= sizeof(out->text) - tlen) {
		for (; i < b; i += 16) {
			unsigned n = b - i < 16 ? b - i : 16, keep = (1u << n) - 1;
			struct classes k = lower16(lab + i, out->text + tlen);
			set_bits(mask, tlen, k.upper & keep);
			set_bits(dots, tlen, k.dot & keep);
			odd |= (k.odd & keep) != 0;
			tlen += n;
		}
	}
#else
	(void) avail;
#endif
	for (; i < b; i++) {
		uint8_t ch = lab[i];
		uint8_t k = byte_class[ch];
		if (unlikely(k != 0)) {
			if (k == C_UPPER) {
				ch = (uint8_t) (ch | 0x20);
				mask[tlen >> 3] |= (uint8_t) (1u << (tlen & 7));
			} else {
				odd = true;
				if (ch == '.')
					dots[tlen >> 3] |= (uint8_t) (1u << (tlen & 7));
			}
		}
		out->text[tlen++] = (char) ch;
	}
	*tlen_io = tlen;
	*odd_io = odd;
}

int dx_dname_decode(dx_cur_t *c, dx_name_t *out)
{
	if (c->err != DX_OK)
		return c->err;
	const uint8_t *base = c->base;
	size_t pos = c->off, limit = c->off, resume = 0, wire = 1;
	unsigned hops = 0;
	size_t tlen = 0;
	uint8_t nl = 0, maxl = 0;
	bool odd = false;
	uint8_t mask[32], dots[32];
	memset(mask, 0, sizeof(mask));
	memset(dots, 0, sizeof(dots));

	for (;;) {
		if (pos >= c->len)
			return dx_cur_fail(c, DX_ETRUNC);
		uint8_t b = base[pos];
		if ((b & 0xC0) == 0xC0) {
			if (c->len - pos < 2)
				return dx_cur_fail(c, DX_ETRUNC);
			size_t target = ((size_t) (b & 0x3F) << 8) | base[pos + 1];
			/* Backwards only, below the previous target, never into the header:
			 * otherwise a pointer can loop or re-read bytes forever. */
			if (target < DX_DNS_HDRLEN || target >= limit || ++hops > DX_MAX_PTR_HOPS)
				return dx_cur_fail(c, DX_EPTR);
			if (resume == 0)
				resume = pos + 2;
			limit = pos = target;
			continue;
		}
		if (b & 0xC0) /* 0x40 (RFC 6891 extended, obsolete) and 0x80: not labels */
			return dx_cur_fail(c, DX_ELABEL);
		if (b == 0) {
			pos++;
			break;
		}
		wire += 1u + b;
		if (wire > DX_DNAME_MAXWIRE)
			return dx_cur_fail(c, DX_ELONG);
		if (b > c->len - pos - 1)
			return dx_cur_fail(c, DX_ETRUNC);
		const uint8_t *lab = base + pos + 1;
		if (nl > 0)
			out->text[tlen++] = '.';
		copy_label(lab, b, c->len - pos - 1, out, &tlen, mask, dots, &odd);
		nl++;
		if (b > maxl)
			maxl = b;
		pos += 1u + b;
	}
	/* wire <= 255 bounds tlen <= 253 and nl <= 127 */
	out->text[tlen] = '\0';
	out->len = (uint8_t) tlen;
	out->n_labels = nl;
	out->max_label = maxl;
	out->odd_bytes = odd;
	memcpy(out->case_mask, mask, sizeof(mask));
	memcpy(out->dot_lit, dots, sizeof(dots));
	c->off = resume ? resume : pos;
	return DX_OK;
}

int dx_dname_skip(dx_cur_t *c)
{
	if (c->err != DX_OK)
		return c->err;
	size_t start = c->off, pos = c->off, wire = 1;
	for (;;) {
		if (pos >= c->len)
			return dx_cur_fail(c, DX_ETRUNC);
		uint8_t b = c->base[pos];
		if ((b & 0xC0) == 0xC0) {
			if (c->len - pos < 2)
				return dx_cur_fail(c, DX_ETRUNC);
			size_t target = ((size_t) (b & 0x3F) << 8) | c->base[pos + 1];
			if (target < DX_DNS_HDRLEN || target >= start)
				return dx_cur_fail(c, DX_EPTR);
			c->off = pos + 2;
			return DX_OK;
		}
		if (b & 0xC0)
			return dx_cur_fail(c, DX_ELABEL);
		if (b == 0) {
			c->off = pos + 1;
			return DX_OK;
		}
		wire += 1u + b;
		if (wire > DX_DNAME_MAXWIRE)
			return dx_cur_fail(c, DX_ELONG);
		if (b > c->len - pos - 1)
			return dx_cur_fail(c, DX_ETRUNC);
		pos += 1u + b;
	}
}

/* One byte in presentation form: printable ASCII as is, the rest (and \\ and ", and a '.'
 * that is label data when dot is set) as \DDD. Returns the bytes written (1 or 4). */
static size_t esc_byte(uint8_t ch, bool dot, char *out)
{
	if (ch <= 0x20 || ch >= 0x7F || ch == '\\' || ch == '"' || (dot && ch == '.')) {
		out[0] = '\\';
		out[1] = (char) ('0' + ch / 100);
		out[2] = (char) ('0' + ch / 10 % 10);
		out[3] = (char) ('0' + ch % 10);
		return 4;
	}
	out[0] = (char) ch;
	return 1;
}

size_t dx_dname_escape(const dx_name_t *n, bool orig_case, char *buf)
{
	if (n->len == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		return 1;
	}
	size_t o = 0;
	for (size_t t = 0; t < n->len; t++) {
		uint8_t ch = (uint8_t) n->text[t];
		if (ch == '.' && dx_name_is_sep(n, t)) {
			buf[o++] = '.';
			continue;
		}
		if (orig_case && (n->case_mask[t >> 3] >> (t & 7) & 1))
			ch = (uint8_t) (ch & ~0x20);
		o += esc_byte(ch, true, buf + o);
	}
	buf[o] = '\0';
	return o;
}

size_t dx_dname_escape_text(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 <= cap; i++)
		o += esc_byte((uint8_t) s[i], false, out + o);
	out[o] = '\0';
	return o;
}

size_t dx_dname_cut(const char *esc, size_t max, char *out, size_t cap)
{
	DX_REQUIRE(cap > max && max >= 3);
	size_t n = strlen(esc);
	if (n <= max) {
		memcpy(out, esc, n + 1);
		return n;
	}
	size_t o = 0;
	for (;;) { /* whole characters and escapes while "..." still fits after them */
		size_t unit = esc[o] == '\\' && o + 3 < n ? 4 : 1;
		if (o + unit > max - 3)
			break;
		o += unit;
	}
	memcpy(out, esc, o);
	memcpy(out + o, "...", 4);
	return o + 3;
}
