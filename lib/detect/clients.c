/* SPDX-License-Identifier: BSD-2-Clause */
/* The clients table of clients.h. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/mem.h"
#include "lib/detect/clients.h"

#define NIL UINT32_MAX

static uint32_t sets_for(uint32_t max_clients)
{
	return dx_pow2_at_least(max_clients / 4, 4);
}

size_t dx_clients_bytes(uint32_t max_clients)
{
	return (size_t) sets_for(max_clients) * 4 *
	       (sizeof(dx_client_t) + sizeof(dx_client_slot_t) + sizeof(uint32_t));
}

bool dx_clients_init(dx_clients_t *t, uint32_t max_clients)
{
	memset(t, 0, sizeof(*t));
	t->n_sets = sets_for(max_clients);
	size_t n = (size_t) t->n_sets * 4;
	t->pool = dx_pool_alloc(n * sizeof(dx_client_t));
	t->slots = dx_table_alloc(n * sizeof(dx_client_slot_t));
	t->scratch = calloc(n, sizeof(*t->scratch));
	t->head = NIL;
	return t->pool && t->slots && t->scratch;
}

void dx_clients_free(dx_clients_t *t)
{
	size_t n = (size_t) t->n_sets * 4;
	dx_pool_free(t->pool, n * sizeof(dx_client_t));
	dx_table_free(t->slots, n * sizeof(dx_client_slot_t));
	free(t->scratch);
	memset(t, 0, sizeof(*t));
}

static void unlink_client(dx_clients_t *t, dx_client_t *c)
{
	if (c->prev != NIL)
		t->pool[c->prev].next = c->next;
	else
		t->head = c->next;
	if (c->next != NIL)
		t->pool[c->next].prev = c->prev;
}

static void push_front(dx_clients_t *t, dx_client_t *c)
{
	uint32_t i = (uint32_t) (c - t->pool);
	c->prev = NIL;
	c->next = t->head;
	if (t->head != NIL)
		t->pool[t->head].prev = i;
	t->head = i;
}

static void bucket_leaves(void *sum, const void *b)
{
	dx_client_bucket_t *c = sum;
	const dx_client_bucket_t *x = b;
	c->q -= x->q;
	c->uniq -= x->uniq;
	c->resp -= x->resp;
	c->nx -= x->nx;
}

dx_client_t *dx_clients_get(dx_clients_t *t, uint64_t h, uint32_t now_sec, uint32_t now_epoch)
{
	dx_client_slot_t *set = t->slots + (h & (t->n_sets - 1)) * 4;
	dx_client_slot_t *slot = &set[0];
	dx_client_t *c;
	for (int w = 0; w < 4; w++) {
		if (set[w].ref != 0 && set[w].h == h) {
			slot = &set[w];
			c = &t->pool[slot->ref - 1];
			goto found;
		}
		if (set[w].ref == 0 || (slot->ref != 0 && set[w].last_sec < slot->last_sec))
			slot = &set[w];
	}
	if (slot->ref != 0) {
		t->evictions++;
		unlink_client(t, &t->pool[slot->ref - 1]);
	} else {
		slot->ref = ++t->never_used; /* one record per slot: never past the pool */
	}
	c = &t->pool[slot->ref - 1];
	memset(c, 0, sizeof(*c));
	slot->h = h;
	slot->last_sec = now_sec;
	c->win.epoch = now_epoch;
	c->last_sec = now_sec;
	push_front(t, c);
found:
	if (c->last_sec != now_sec) { /* once a second at most: keeps the list in order */
		c->last_sec = slot->last_sec = now_sec;
		if (t->head != (uint32_t) (c - t->pool)) {
			unlink_client(t, c);
			push_front(t, c);
		}
	}
	dx_window_advance(&c->win, now_epoch, DX_DETECT_BUCKETS, c->b, sizeof(c->b[0]), &c->sum,
			  sizeof(c->sum), bucket_leaves);
	return c;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
	return x < y ? -1 : x > y;
}

/* The recency list is ordered by last_sec, so the walk stops at the first client quiet for a
 * window: the cost follows the active clients, not the table. */
void dx_clients_update_median(dx_clients_t *t, uint32_t now_sec, uint32_t now_epoch,
			      uint32_t window_sec)
{
	uint32_t n = 0;
	for (uint32_t i = t->head; i != NIL; i = t->pool[i].next) {
		dx_client_t *c = &t->pool[i];
		if (now_sec - c->last_sec >= window_sec)
			break;
		if (now_epoch - c->win.epoch < DX_DETECT_BUCKETS)
			t->scratch[n++] = c->sum.uniq;
	}
	if (n < 5) { /* too few peers to compare with */
		t->median = UINT32_MAX;
		return;
	}
	qsort(t->scratch, n, sizeof(*t->scratch), cmp_u32);
	t->median = t->scratch[n / 2];
}
