/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-packet part of ICMP tunnel detection (echo.h). Reads only the captured bytes it is
 * given; a payload longer than DELTA_MAX is judged on its first DELTA_MAX bytes.
 */
#include <math.h>
#include <string.h>

#include "lib/prepare/echo.h"

#define DELTA_MAX 2048 /* bytes whose differences are counted: bounded work per packet */
#define RANDOM_MIN 16  /* fewer differences than this say nothing */
#define SKETCH_FROM 16 /* Linux, BSD and macOS ping put a struct timeval first */
#define SKETCH_LEN 32  /* ... and a fixed pattern after it, the same whatever the size */

uint16_t dx_echo_delta_entropy(const uint8_t *p, size_t n)
{
	if (n > DELTA_MAX)
		n = DELTA_MAX;
	if (n < 2)
		return 0;
	uint16_t hist[256];
	memset(hist, 0, sizeof(hist));
	for (size_t i = 1; i < n; i++)
		hist[(uint8_t) (p[i] - p[i - 1])]++;
	double total = (double) (n - 1), h = 0;
	for (int v = 0; v < 256; v++)
		if (hist[v]) {
			double f = hist[v] / total;
			h -= f * log2(f);
		}
	return (uint16_t) (h * 1000 + 0.5);
}

void dx_echo_prepare(const dx_hash_key_t *key, const uint8_t *p, size_t caplen, uint32_t len,
		     uint8_t type, bool reply, dx_echo_t *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->reply = reply;
	out->len = len;
	out->caplen = (uint32_t) caplen;
	out->digest = dx_hash(key, p, caplen);
	if (caplen >= SKETCH_FROM + 8) {
		size_t n = caplen - SKETCH_FROM < SKETCH_LEN ? caplen - SKETCH_FROM : SKETCH_LEN;
		out->sketch = dx_hash(key, p + SKETCH_FROM, n) | 1;
	}
	out->dent = dx_echo_delta_entropy(p, caplen);
	/* Random bytes' differences fill about log2(n) bits when n is below 256 differences, a
	 * little less (the coupon effect); data carried in a tunnel comes within 80 % of that,
	 * a counting or repeating pattern far below it. */
	size_t n = caplen > DELTA_MAX ? DELTA_MAX : caplen;
	if (n > RANDOM_MIN) {
		double most = log2((double) (n - 1 < 256 ? n - 1 : 256));
		out->random = out->dent >= 800.0 * most;
	}
	if (caplen >= 4) {
		uint32_t m =
		    (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
		out->marker = m == DX_PTUNNEL_MAGIC || m == DX_PTUNNEL_NG_MAGIC;
	}
}
