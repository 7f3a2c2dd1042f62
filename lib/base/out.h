/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file out.h
 * @brief Bounded text building without printf, for the detector thread's hot formats: the
 * --dump line, an alert's details JSON (refreshed for every open alert at every window close)
 * and a window row's query-type counts. Every append stops at end, so a too-small buffer
 * truncates, as snprintf does; dx_out_end() writes the NUL, for which the caller keeps a byte
 * beyond end.
 */
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct dx_out {
	char *p, *end; /* next byte; the first byte not to write */
} dx_out_t;

static inline void dx_out_mem(dx_out_t *o, const char *s, size_t n)
{
	size_t room = (size_t) (o->end - o->p);
	if (n > room)
		n = room;
	memcpy(o->p, s, n);
	o->p += n;
}

/* strlen() of a literal is folded by the compiler: a constant-length copy */
static inline void dx_out_str(dx_out_t *o, const char *s)
{
	dx_out_mem(o, s, strlen(s));
}

static inline void dx_out_u64(dx_out_t *o, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);
	do {
		tmp[--n] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	dx_out_mem(o, tmp + n, sizeof(tmp) - n);
}

/** v with exactly `digits` digits, zero-padded (v < 10^digits). */
static inline void dx_out_u64_pad(dx_out_t *o, uint64_t v, unsigned digits)
{
	char tmp[20];
	if (digits > sizeof(tmp))
		digits = sizeof(tmp);
	for (unsigned i = digits; i-- > 0; v /= 10)
		tmp[i] = (char) ('0' + v % 10);
	dx_out_mem(o, tmp, digits);
}

/**
 * x as printf's "%.3f" writes it, for 0 <= x < 1e12 (false, and nothing written, otherwise):
 * x × 1000 rounded to nearest, a tie to even, judged on x's exact binary value. The product
 * is rounded, so a value that lands on a tie is checked with fma(), which rounds once: its
 * sign is the sign of the exact x × 1000 - (t + 0.5). Checked against snprintf by test_out.
 */
static inline int dx_out_fixed3(dx_out_t *o, double x)
{
	if (!(x >= 0 && x < 1e12))
		return 0;
	double t = floor(x * 1000.0);
	double r = fma(x, 1000.0, -(t + 0.5));
	uint64_t n = (uint64_t) t;
	if (r > 0 || (r == 0 && (n & 1)))
		n++;
	dx_out_u64(o, n / 1000);
	dx_out_mem(o, ".", 1);
	dx_out_u64_pad(o, n % 1000, 3);
	return 1;
}

/** s as a JSON string, quotes included (RFC 8259 §7): '"', '\\' and control bytes escaped.
 * Bytes from 0x80 are copied: callers pass escaped presentation text or operator text. */
static inline void dx_out_json_str(dx_out_t *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	dx_out_mem(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char) c};
			dx_out_mem(o, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			dx_out_mem(o, e, 6);
		} else {
			dx_out_mem(o, (const char *) &c, 1);
		}
	}
	dx_out_mem(o, "\"", 1);
}

/** A packet time as epoch seconds with six decimals ("%lld.%06lld" of the quotient and
 * remainder, as alert details have always written it, for times before 1970 too). */
static inline void dx_out_ts(dx_out_t *o, int64_t t)
{
	if (t < 0) {
		char b[48];
		snprintf(b, sizeof(b), "%lld.%06lld", (long long) (t / 1000000),
			 (long long) (t % 1000000));
		dx_out_str(o, b);
		return;
	}
	dx_out_u64(o, (uint64_t) t / 1000000);
	dx_out_mem(o, ".", 1);
	dx_out_u64_pad(o, (uint64_t) t % 1000000, 6);
}

static inline void dx_out_end(dx_out_t *o)
{
	*o->p = '\0';
}
