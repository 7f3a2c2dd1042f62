/* SPDX-License-Identifier: BSD-2-Clause */
/* The names table of names.h. */
#include <stdbool.h>

#include "lib/base/mem.h"
#include "lib/detect/names.h"

static uint32_t sets_for(uint32_t max_names)
{
	return dx_pow2_at_least(max_names / DX_NAMES_WAYS, 16);
}

size_t dx_names_bytes(uint32_t max_names)
{
	return (size_t) sets_for(max_names) * DX_NAMES_WAYS * sizeof(dx_names_ent_t);
}

bool dx_names_init(dx_names_t *t, uint32_t max_names, uint32_t horizon_sec)
{
	t->n_sets = sets_for(max_names);
	t->horizon_sec = horizon_sec;
	t->evictions = 0;
	t->sets = dx_table_alloc(dx_names_bytes(max_names));
	return t->sets != NULL;
}

void dx_names_free(dx_names_t *t)
{
	dx_table_free(t->sets, (size_t) t->n_sets * DX_NAMES_WAYS * sizeof(dx_names_ent_t));
	t->sets = NULL;
}

uint32_t dx_names_seen(dx_names_t *t, uint64_t h, uint32_t now_sec)
{
	dx_names_ent_t *set = t->sets + (h & (t->n_sets - 1)) * DX_NAMES_WAYS;
	dx_names_ent_t *victim = &set[0];
	uint32_t tag = (uint32_t) (h >> 32) | 1;
	for (int w = 0; w < DX_NAMES_WAYS; w++) {
		dx_names_ent_t *e = &set[w];
		if (e->tag == tag) {
			uint32_t ago = now_sec >= e->last_sec ? now_sec - e->last_sec : 0;
			if (now_sec > e->last_sec)
				e->last_sec = now_sec;
			return ago;
		}
		if (e->tag == 0 || (victim->tag != 0 && e->last_sec < victim->last_sec))
			victim = e;
	}
	if (victim->tag != 0 && now_sec - victim->last_sec < t->horizon_sec)
		t->evictions++;
	victim->tag = tag;
	victim->last_sec = now_sec;
	return UINT32_MAX;
}
