/* SPDX-License-Identifier: BSD-2-Clause */
/* SipHash, written from the paper's description: SipHash-1-3 for the tables, SipHash-2-4 only
 * so that tests/test_hash.c can check the shared code against the paper's vectors. Input bytes
 * are read one at a time into little-endian words, so the result does not depend on alignment
 * or host byte order (the compiler turns that into one load). */
#include <stdint.h>
#include <errno.h>
#include <sys/random.h>

#include "lib/base/err.h"

#include "lib/base/hash.h"

int dx_hash_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		/* flags 0: blocks until the kernel's pool is initialised, never returns guesses */
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t) r;
	}
	return DX_OK;
}

uint64_t dx_hash_salt(void)
{
	uint64_t s;
	if (dx_hash_random(&s, sizeof(s)) != DX_OK)
		s = DX_FIXED_SALT; /* a replay only: main refuses to capture live without getrandom */
	return s | 1;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16 |
	       (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32 | (uint64_t) p[5] << 40 |
	       (uint64_t) p[6] << 48 | (uint64_t) p[7] << 56;
}

static inline uint64_t siphash(const dx_hash_key_t *key, const void *in, size_t len, int c, int d)
{
	const uint8_t *p = in;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ key->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ key->k1;
	uint64_t b = (uint64_t) len << 56;
	size_t full = len & ~(size_t) 7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			SIPROUND;
		v0 ^= m;
	}
	size_t rest = len & 7;
	if (rest != 0 &&
	    len >= 8) /* the last 8 bytes in one load, the ones already hashed shifted out */
		b |= le64(p + len - 8) >> (64 - 8 * rest);
	else
		for (size_t i = 0; i < rest; i++)
			b |= (uint64_t) p[full + i] << (8 * i);
	v3 ^= b;
	for (int r = 0; r < c; r++)
		SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t dx_hash(const dx_hash_key_t *key, const void *in, size_t len)
{
	return siphash(key, in, len, 1, 3);
}

uint64_t dx_siphash24(const dx_hash_key_t *key, const void *in, size_t len)
{
	return siphash(key, in, len, 2, 4);
}
