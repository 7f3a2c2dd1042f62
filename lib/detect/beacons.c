/* SPDX-License-Identifier: BSD-2-Clause */
/* The check-in table of beacons.h. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/mem.h"
#include "lib/detect/beacons.h"

static uint32_t sets_for(uint32_t max_pairs)
{
	return dx_pow2_at_least(max_pairs / 4, 4);
}

size_t dx_beacons_bytes(uint32_t max_pairs)
{
	return (size_t) sets_for(max_pairs) * 4 * sizeof(dx_beacon_t);
}

bool dx_beacons_init(dx_beacons_t *t, uint32_t max_pairs)
{
	t->n_sets = sets_for(max_pairs);
	t->evictions = 0;
	t->sets = dx_table_alloc(dx_beacons_bytes(max_pairs));
	return t->sets != NULL;
}

void dx_beacons_free(dx_beacons_t *t)
{
	dx_table_free(t->sets, (size_t) t->n_sets * 4 * sizeof(dx_beacon_t));
	t->sets = NULL;
}

dx_beacon_t *dx_beacons_see(dx_beacons_t *t, uint64_t h, dx_ts_t ts, uint32_t name, bool machine,
			    uint32_t gap_ms, bool *checkin)
{
	h |= 1;
	dx_beacon_t *set = t->sets + (h & (t->n_sets - 1)) * 4, *b = NULL, *victim = &set[0];
	for (int w = 0; w < 4 && b == NULL; w++) {
		if (set[w].h == h)
			b = &set[w];
		else if (set[w].h == 0 || (victim->h != 0 && set[w].last_ts < victim->last_ts))
			victim = &set[w];
	}
	*checkin = true;
	if (b == NULL) {
		if (victim->h != 0)
			t->evictions++;
		memset(victim, 0, sizeof(*victim));
		victim->h = h;
		victim->last_ts = victim->last_q = ts;
		victim->last_name = name;
		victim->checkins = victim->fresh = 1;
		victim->machine = machine;
		return victim;
	}
	if (ts < b->last_q || ts - b->last_q < (dx_ts_t) gap_ms * 1000) {
		*checkin = false; /* the same check-in (or time going backwards) */
		if (ts > b->last_q)
			b->last_q = ts;
		return b;
	}
	dx_ts_t iv = (ts - b->last_ts) / 1000;
	b->iv[b->pos] = iv > UINT32_MAX ? UINT32_MAX : (uint32_t) iv;
	b->pos = (uint8_t) ((b->pos + 1) % DX_BEACON_IVS);
	if (b->n_iv < DX_BEACON_IVS)
		b->n_iv++;
	if (b->checkins < UINT16_MAX) {
		b->checkins++;
		b->fresh += name != b->last_name;
		b->machine += machine;
	}
	b->last_ts = b->last_q = ts;
	b->last_name = name;
	return b;
}

void dx_beacons_answer(dx_beacons_t *t, uint64_t h, bool idle)
{
	h |= 1;
	dx_beacon_t *set = t->sets + (h & (t->n_sets - 1)) * 4;
	for (int w = 0; w < 4; w++)
		if (set[w].h == h) {
			if (set[w].answers < UINT16_MAX) {
				set[w].answers++;
				set[w].idle += idle;
			}
			return;
		}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
	return x < y ? -1 : x > y;
}

bool dx_beacons_regular(const dx_beacon_t *b, unsigned min_ivs, uint32_t min_sec, uint32_t max_sec,
			uint32_t spread_pct)
{
	unsigned n = b->n_iv;
	if (n < min_ivs || n == 0)
		return false;
	uint32_t v[DX_BEACON_IVS], dev[DX_BEACON_IVS];
	memcpy(v, b->iv, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u32);
	uint32_t med = v[n / 2];
	if (med < (uint64_t) min_sec * 1000 || med > (uint64_t) max_sec * 1000)
		return false;
	/* arrivals at random (mail to a DNSBL, a person browsing) have gaps far shorter and far
	 * longer than their median; a beacon under jitter keeps within half to twice it, but
	 * for one (a retry after a timeout, a missed check-in) once twelve gaps are known */
	unsigned outliers = 0;
	for (unsigned i = 0; i < n; i++) {
		dev[i] = v[i] > med ? v[i] - med : med - v[i];
		outliers += v[i] < med / 2 || v[i] > 2 * (uint64_t) med;
	}
	if (outliers > (n >= 12 ? 1u : 0u))
		return false;
	qsort(dev, n, sizeof(dev[0]), cmp_u32);
	return (uint64_t) dev[n / 2] * 100 <= (uint64_t) med * spread_pct;
}
