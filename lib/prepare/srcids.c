/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interned (source, VPC) pairs of query-log records (parser thread writes, detector reads;
 * srcids.h). Open addressing over twice the entries, FNV-1a of the two strings: a log names
 * a few hundred instances, looked up once per record.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/base/mem.h"
#include "lib/prepare/srcids.h"

struct entry {
	char source[DX_SRCID_MAX];
	char vpc[DX_SRCID_MAX];
};

struct dx_srcids {
	uint32_t max, n, mask;
	uint64_t full;
	uint32_t *slots; /* entry index + 1, 0 empty */
	struct entry *e; /* e[0] unused: id 0 is "none" */
};

size_t dx_srcids_mem_bound(uint32_t max)
{
	return sizeof(struct dx_srcids) +
	       (size_t) dx_pow2_at_least(2 * max, 16) * sizeof(uint32_t) +
	       (size_t) (max + 1) * sizeof(struct entry);
}

dx_srcids_t *dx_srcids_new(uint32_t max)
{
	dx_srcids_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->max = max;
	t->mask = dx_pow2_at_least(2 * max, 16) - 1;
	t->slots = calloc((size_t) t->mask + 1, sizeof(*t->slots));
	t->e = calloc((size_t) max + 1, sizeof(*t->e));
	if (t->slots == NULL || t->e == NULL) {
		dx_srcids_free(t);
		return NULL;
	}
	return t;
}

void dx_srcids_free(dx_srcids_t *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->e);
	free(t);
}

static uint32_t fnv(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (; *a; a++)
		h = (h ^ (unsigned char) *a) * 16777619u;
	h = (h ^ 0xff) * 16777619u; /* the separator: ("ab", "") is not ("a", "b") */
	for (; *b; b++)
		h = (h ^ (unsigned char) *b) * 16777619u;
	return h;
}

uint32_t dx_srcids_intern(dx_srcids_t *t, const char *source, const char *vpc)
{
	size_t ls = strlen(source), lv = strlen(vpc);
	if ((ls == 0 && lv == 0) || ls >= DX_SRCID_MAX || lv >= DX_SRCID_MAX)
		return 0;
	for (uint32_t i = fnv(source, vpc) & t->mask;; i = (i + 1) & t->mask) {
		uint32_t k = t->slots[i];
		if (k == 0) {
			if (t->n == t->max) {
				t->full++;
				return 0;
			}
			uint32_t id = ++t->n;
			memcpy(t->e[id].source, source, ls + 1);
			memcpy(t->e[id].vpc, vpc, lv + 1);
			t->slots[i] = id;
			return id;
		}
		if (strcmp(t->e[k].source, source) == 0 && strcmp(t->e[k].vpc, vpc) == 0)
			return k;
	}
}

const char *dx_srcids_source(const dx_srcids_t *t, uint32_t id)
{
	return id && id <= t->max ? t->e[id].source : "";
}

const char *dx_srcids_vpc(const dx_srcids_t *t, uint32_t id)
{
	return id && id <= t->max ? t->e[id].vpc : "";
}

uint64_t dx_srcids_full(const dx_srcids_t *t)
{
	return t->full;
}
