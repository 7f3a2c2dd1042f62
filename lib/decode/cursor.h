/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file cursor.h
 * @brief dx_cur_t: a bounds-checked reader over captured bytes whose first error sticks.
 *
 * Every packet read goes through here (parsing rule R1). Reads past the end return 0 and set
 * DX_ETRUNC; parsers read a whole header and check c.err once. Bounds are compared by
 * subtraction so a length field cannot wrap an addition (R3). Multi-byte values are built
 * from bytes, never by casting a struct onto the packet (R5).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

typedef struct dx_cur {
	const uint8_t *base; /* first byte of the region being parsed */
	size_t len;	     /* bytes actually captured from base on */
	size_t off;	     /* next byte to read */
	int err;	     /* sticky: first failure wins, later reads return 0 */
} dx_cur_t;

static inline dx_cur_t dx_cur_init(const uint8_t *base, size_t len)
{
	return (dx_cur_t){.base = base, .len = len, .off = 0, .err = DX_OK};
}

static inline int dx_cur_fail(dx_cur_t *c, int err)
{
	if (c->err == DX_OK)
		c->err = err;
	return c->err;
}

static inline size_t dx_cur_left(const dx_cur_t *c)
{
	return c->err != DX_OK ? 0 : c->len - c->off;
}

/* n may come straight from a length field: compare by subtraction. */
static inline bool dx_cur_need(dx_cur_t *c, size_t n)
{
	if (c->err != DX_OK)
		return false;
	if (n > c->len - c->off) {
		dx_cur_fail(c, DX_ETRUNC);
		return false;
	}
	return true;
}

static inline const uint8_t *dx_cur_ptr(const dx_cur_t *c)
{
	return c->base + c->off;
}

static inline uint8_t dx_cur_u8(dx_cur_t *c)
{
	if (!dx_cur_need(c, 1))
		return 0;
	return c->base[c->off++];
}

static inline uint16_t dx_cur_be16(dx_cur_t *c)
{
	if (!dx_cur_need(c, 2))
		return 0;
	const uint8_t *p = c->base + c->off;
	c->off += 2;
	return (uint16_t) ((unsigned) p[0] << 8 | p[1]);
}

static inline uint32_t dx_cur_be32(dx_cur_t *c)
{
	if (!dx_cur_need(c, 4))
		return 0;
	const uint8_t *p = c->base + c->off;
	c->off += 4;
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* Little-endian 32 bits: only the BSD loopback header, which is in the capturing host's order. */
static inline uint32_t dx_cur_le32(dx_cur_t *c)
{
	if (!dx_cur_need(c, 4))
		return 0;
	const uint8_t *p = c->base + c->off;
	c->off += 4;
	return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static inline void dx_cur_skip(dx_cur_t *c, size_t n)
{
	if (dx_cur_need(c, n))
		c->off += n;
}

/* Copy n bytes out; on failure dst is left untouched. */
static inline void dx_cur_copy(dx_cur_t *c, void *dst, size_t n)
{
	if (!dx_cur_need(c, n))
		return;
	for (size_t i = 0; i < n; i++)
		((uint8_t *) dst)[i] = c->base[c->off + i];
	c->off += n;
}

/*
 * Fixed-size headers (an IPv4, UDP or DNS header, an RR's fixed part): dx_cur_take() checks
 * all n bytes at once and steps over them; the dx_hdr_*() reads then take offsets inside
 * them. Each read still checks its offset against n, which the compiler folds away when n
 * and the offset are constants, as they are at every call: one check per header instead of
 * one per field. On failure the cursor's error is set and the header is empty (reads give 0).
 */
typedef struct dx_hdr {
	const uint8_t *p;
	size_t n;
} dx_hdr_t;

static inline dx_hdr_t dx_cur_take(dx_cur_t *c, size_t n)
{
	if (!dx_cur_need(c, n))
		return (dx_hdr_t){.p = NULL, .n = 0};
	dx_hdr_t h = {.p = c->base + c->off, .n = n};
	c->off += n;
	return h;
}

static inline uint8_t dx_hdr_u8(dx_hdr_t h, size_t at)
{
	return at < h.n ? h.p[at] : 0;
}

static inline uint16_t dx_hdr_be16(dx_hdr_t h, size_t at)
{
	if (h.n < 2 || at > h.n - 2)
		return 0;
	return (uint16_t) ((unsigned) h.p[at] << 8 | h.p[at + 1]);
}

static inline uint32_t dx_hdr_be32(dx_hdr_t h, size_t at)
{
	if (h.n < 4 || at > h.n - 4)
		return 0;
	const uint8_t *p = h.p + at;
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* len bytes at offset at into dst; dst is left untouched if they are not all inside. */
static inline void dx_hdr_copy(dx_hdr_t h, size_t at, void *dst, size_t len)
{
	if (len > h.n || at > h.n - len)
		return;
	for (size_t i = 0; i < len; i++)
		((uint8_t *) dst)[i] = h.p[at + i];
}

/* A child cursor over the next n bytes, which cannot read past them; the parent steps over. */
static inline dx_cur_t dx_cur_sub(dx_cur_t *c, size_t n)
{
	if (!dx_cur_need(c, n))
		return (dx_cur_t){.base = c->base, .len = 0, .off = 0, .err = c->err};
	dx_cur_t sub = {.base = c->base + c->off, .len = n, .off = 0, .err = DX_OK};
	c->off += n;
	return sub;
}

/* Length fields can only shrink the view (R4): a child over min(n, left); *short_out is set
 * when the field claimed more than was captured. The parent steps over what it hands out. */
static inline dx_cur_t dx_cur_sub_upto(dx_cur_t *c, size_t n, bool *short_out)
{
	size_t left = dx_cur_left(c);
	*short_out = n > left;
	return dx_cur_sub(c, n > left ? left : n);
}
