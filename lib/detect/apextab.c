/* SPDX-License-Identifier: BSD-2-Clause */
/* The apex table of apextab.h. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/mem.h"
#include "lib/detect/apextab.h"
#include "lib/detect/state.h"

#define CMS_ROWS 4

struct sizes {
	uint32_t slots, cms_w;
};

static struct sizes sizes_of(uint32_t max)
{
	return (struct sizes){dx_pow2_at_least(max * 2, 1024), dx_pow2_at_least(max, 1024)};
}

size_t dx_apextab_bytes(uint32_t max)
{
	struct sizes z = sizes_of(max);
	return (size_t) max * sizeof(struct apex_st) + (size_t) z.slots * sizeof(uint32_t) +
	       (size_t) CMS_ROWS * z.cms_w;
}

bool dx_apextab_init(dx_apextab_t *t, uint32_t max, dx_apextab_evict_fn evict, void *ctx)
{
	memset(t, 0, sizeof(*t));
	struct sizes z = sizes_of(max);
	t->max = max;
	t->evict = evict;
	t->ctx = ctx;
	/* page-aligned, huge pages where the kernel allows */
	t->recs = dx_table_alloc((size_t) max * sizeof(struct apex_st));
	t->htab = malloc(z.slots * sizeof(*t->htab));
	t->cms = dx_table_alloc((size_t) CMS_ROWS * z.cms_w);
	t->cms_mask = z.cms_w - 1;
	if (t->recs == NULL || t->htab == NULL || t->cms == NULL || max == 0)
		return false;
	t->hsalt = dx_hash_salt();
	while ((1u << t->hbits) < z.slots)
		t->hbits++;
	memset(t->htab, 0xFF, z.slots * sizeof(*t->htab));
	t->cms_age_at = 10 * max;
	t->protected_max = max - max / 5;
	for (int g = 0; g < 2; g++)
		t->head[g] = t->tail[g] = NIL;
	/* Records are handed out in order and never pre-linked: touching every one here would
	 * fault in the whole table (tens of MiB) before the first packet. */
	return true;
}

void dx_apextab_free(dx_apextab_t *t)
{
	dx_table_free(t->recs, (size_t) t->max * sizeof(struct apex_st));
	free(t->htab);
	dx_table_free(t->cms, (size_t) CMS_ROWS * (t->cms_mask + 1));
	memset(t, 0, sizeof(*t));
}

/* Count one entry of h in the sketch; how many it has had, this one included. */
static unsigned cms_add(dx_apextab_t *t, uint64_t h)
{
	unsigned est = 255;
	uint8_t *cell[CMS_ROWS];
	for (int r = 0; r < CMS_ROWS; r++) {
		cell[r] = t->cms + (size_t) r * (t->cms_mask + 1) + ((h >> (16 * r)) & t->cms_mask);
		if (*cell[r] < est)
			est = *cell[r];
	}
	for (int r = 0; r < CMS_ROWS; r++) /* conservative update: raise only the minimum */
		if (*cell[r] == est && est < 255)
			(*cell[r])++;
	if (++t->cms_adds >= t->cms_age_at) {
		for (size_t i = 0; i < (size_t) CMS_ROWS * (t->cms_mask + 1); i++)
			t->cms[i] >>= 1;
		t->cms_adds = 0;
	}
	return est + 1;
}

static void lru_unlink(dx_apextab_t *t, uint32_t i)
{
	struct apex_st *s = &t->recs[i];
	int g = s->seg;
	if (s->prev != NIL)
		t->recs[s->prev].next = s->next;
	else
		t->head[g] = s->next;
	if (s->next != NIL)
		t->recs[s->next].prev = s->prev;
	else
		t->tail[g] = s->prev;
	t->n_seg[g]--;
}

static void lru_push_front(dx_apextab_t *t, uint32_t i, int g)
{
	struct apex_st *s = &t->recs[i];
	s->seg = (uint8_t) g;
	s->prev = NIL;
	s->next = t->head[g];
	if (t->head[g] != NIL)
		t->recs[t->head[g]].prev = i;
	t->head[g] = i;
	if (t->tail[g] == NIL)
		t->tail[g] = i;
	t->n_seg[g]++;
}

/* Put i at the front of protected, demoting protected's oldest to probation if full. */
static void promote(dx_apextab_t *t, uint32_t i)
{
	lru_push_front(t, i, SEG_PROTECTED);
	if (t->n_seg[SEG_PROTECTED] > t->protected_max) {
		uint32_t old = t->tail[SEG_PROTECTED];
		lru_unlink(t, old);
		lru_push_front(t, old, SEG_PROBATION);
	}
}

static uint32_t slot_of(const dx_apextab_t *t, uint64_t h)
{
	return dx_hash_index(h, t->hsalt, t->hbits);
}

static void htab_remove(dx_apextab_t *t, uint32_t i)
{
	uint32_t *p = &t->htab[slot_of(t, t->recs[i].h)];
	while (*p != i)
		p = &t->recs[*p].chain;
	*p = t->recs[i].chain;
}

uint32_t dx_apextab_get(dx_apextab_t *t, const char *a, size_t len, uint64_t h, bool *created)
{
	*created = false;
	for (uint32_t i = t->htab[slot_of(t, h)]; i != NIL; i = t->recs[i].chain) {
		struct apex_st *s = &t->recs[i];
		t->probes++;
		if (s->h == h && s->apex_len == len && memcmp(s->apex, a, len) == 0) {
			if (t->head[SEG_PROTECTED] != i) {
				lru_unlink(t, i);
				promote(t, i);
			}
			return i;
		}
	}
	unsigned freq = cms_add(t, h); /* entries of this apex, this one included */
	uint32_t i;
	if (t->n < t->max) {
		i = t->n++;
	} else { /* full: the least recently active apex of probation goes, its owner told first */
		i = t->tail[t->n_seg[SEG_PROBATION] ? SEG_PROBATION : SEG_PROTECTED];
		t->evict(t->ctx, i);
		lru_unlink(t, i);
		htab_remove(t, i);
		t->evictions++;
	}
	struct apex_st *s = &t->recs[i];
	memset(s, 0, sizeof(*s));
	memcpy(s->apex, a, len);
	s->apex[len] = '\0';
	s->apex_len = (uint8_t) len;
	s->h = h;
	s->chain = t->htab[slot_of(t, h)];
	t->htab[slot_of(t, h)] = i;
	if (freq >= 2)
		promote(t, i);
	else
		lru_push_front(t, i, SEG_PROBATION);
	*created = true;
	return i;
}

uint32_t dx_apextab_first(const dx_apextab_t *t)
{
	return t->head[SEG_PROBATION] != NIL ? t->head[SEG_PROBATION] : t->head[SEG_PROTECTED];
}

uint32_t dx_apextab_next(const dx_apextab_t *t, uint32_t i)
{
	const struct apex_st *s = &t->recs[i];
	if (s->next != NIL || s->seg == SEG_PROTECTED)
		return s->next;
	return t->head[SEG_PROTECTED];
}
