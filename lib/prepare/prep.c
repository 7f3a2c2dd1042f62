/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The part of detection that depends on one message alone, run by the parser thread: the
 * apex (PSL, cached), the keyed hashes of the name, the apex and the client, the subdomain
 * features with no label left out, and the hashes of the long labels the detector checks
 * against the ones it has seen under the apex. The detector thread then only updates its
 * tables, and redoes the features in the rare case that a long label repeats.
 *
 * Everything but the client hash is a function of the name text alone, and benign traffic
 * asks the same names over and over (28,393 distinct names in the 1M-query bench corpus), so
 * it is kept per name in a direct-mapped cache of one 64-byte line per entry, keyed by the
 * name's keyed hash and length; the apex resolver, asked only on a miss, keeps no name cache
 * of its own (only one of rests). A miss, such as every query of a tunnel, costs what it cost
 * without the cache plus one line.
 *
 * The client hash is kept the same way per client address, in a small direct-mapped cache
 * whose slot comes from a cheap unkeyed mix of the address and whose entries hold the whole
 * address: spoofed sources can make it miss, never answer for another client. It saves a
 * SipHash of 21 bytes on nearly every message.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/base/mem.h"
#include "lib/prepare/prep.h"

struct pc_ent {
	_Alignas(64) uint64_t h; /* name hash; 0: empty */
	uint64_t apex_hash;
	dx_features_t f;
	uint32_t lab_hash[DX_PREP_LABELS];
	uint8_t lab_idx[DX_PREP_LABELS];
	uint8_t n_lab, apex_off, apex_cls, len;
};

#define CLIENT_SLOTS 4096u /* 128 KiB */

struct cc_ent {
	uint8_t addr[16];
	uint32_t vni;
	uint8_t af; /* 0: empty */
	uint64_t h;
};

struct dx_qprep {
	dx_apex_t *ax;
	const dx_hash_key_t *key;
	struct pc_ent *cache; /* dx_table_alloc(): entries are cache lines */
	uint32_t slots;
	uint64_t salt;
	unsigned bits;
	uint64_t misses;
	struct cc_ent *clients; /* CLIENT_SLOTS */
};

void dx_qprep_cfg_defaults(dx_qprep_cfg_t *c)
{
	c->psl_private = true;
	c->cache_entries = 65536;
}

size_t dx_qprep_mem_bound(uint32_t cache_entries)
{
	return sizeof(dx_qprep_t) + CLIENT_SLOTS * sizeof(struct cc_ent) +
	       (size_t) dx_pow2_at_least(cache_entries, 1024) * sizeof(struct pc_ent) +
	       dx_apex_mem_bound(cache_entries);
}

dx_qprep_t *dx_qprep_new(const psl_ctx_t *psl, bool private_rules, uint32_t cache_entries,
			 dx_hash_key_t key)
{
	dx_qprep_t *qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return NULL;
	uint32_t n = dx_pow2_at_least(cache_entries, 1024);
	qp->ax = dx_apex_new(psl, private_rules, cache_entries, key);
	qp->slots = n;
	qp->cache = dx_table_alloc((size_t) n * sizeof(struct pc_ent));
	qp->clients = calloc(CLIENT_SLOTS, sizeof(struct cc_ent));
	if (qp->ax == NULL || qp->cache == NULL || qp->clients == NULL) {
		dx_qprep_free(qp);
		return NULL;
	}
	qp->key = dx_apex_key(qp->ax);
	qp->salt = dx_hash_salt();
	while ((1u << qp->bits) < n)
		qp->bits++;
	return qp;
}

void dx_qprep_free(dx_qprep_t *qp)
{
	if (qp == NULL)
		return;
	dx_apex_free(qp->ax);
	dx_table_free(qp->cache, (size_t) qp->slots * sizeof(struct pc_ent));
	free(qp->clients);
	free(qp);
}

uint64_t dx_qprep_misses(const dx_qprep_t *qp)
{
	return qp->misses;
}

uint64_t dx_client_hash(const dx_hash_key_t *key, const uint8_t addr[16], uint8_t af, uint32_t vni)
{
	uint8_t k[21];
	memcpy(k, addr, 16);
	k[16] = af;
	memcpy(k + 17, &vni, 4);
	return dx_hash(key, k, sizeof(k));
}

uint32_t dx_label_hash(const dx_hash_key_t *key, const char *label, size_t len)
{
	return (uint32_t) dx_hash(key, label, len) | 1;
}

unsigned dx_long_labels(const dx_hash_key_t *key, const dx_name_t *n, unsigned apex_off,
			uint32_t *hash, uint8_t *idx, unsigned max)
{
	if (apex_off < 2)
		return 0;
	unsigned found = 0, end = apex_off - 1; /* the dot before the apex */
	for (unsigned start = 0, li = 0; start <= end && li < 64; li++) {
		unsigned j = (unsigned) dx_name_next_sep(n, start, end);
		unsigned len = j - start;
		if (len >= 8) {
			if (found < max) {
				hash[found] = dx_label_hash(key, n->text + start, len);
				idx[found] = (uint8_t) li;
			}
			found++;
		}
		start = j + 1;
	}
	return found;
}

/* dx_client_hash(), through the client cache. */
static uint64_t client_hash(dx_qprep_t *qp, const uint8_t addr[16], uint8_t af, uint32_t vni)
{
	uint64_t w0, w1;
	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	uint64_t x = (w0 ^ (w1 * 0x9E3779B97F4A7C15ull) ^ vni) * 0xD6E8FEB86659FD93ull;
	struct cc_ent *e = &qp->clients[x >> (64 - 12)];
	_Static_assert(CLIENT_SLOTS == 1u << 12, "the slot takes the top 12 bits");
	if (e->af == af && e->vni == vni && memcmp(e->addr, addr, 16) == 0)
		return e->h;
	memcpy(e->addr, addr, 16);
	e->vni = vni;
	e->af = af;
	e->h = dx_client_hash(qp->key, addr, af, vni);
	return e->h;
}

/* Everything that depends on the name text alone, from scratch. */
static void prepare_name(dx_qprep_t *qp, const dx_name_t *n, uint64_t h, struct pc_ent *e)
{
	unsigned off;
	e->h = h;
	e->len = n->len;
	e->apex_cls = (uint8_t) dx_apex_find(qp->ax, n, &off);
	e->apex_off = (uint8_t) off;
	e->apex_hash = dx_hash(qp->key, n->text + off, n->len - off);
	dx_features_compute(n, off, 0, &e->f);
	/* the long labels; more than fit is marked DX_PREP_LABELS + 1: the detector walks them */
	unsigned k = dx_long_labels(qp->key, n, off, e->lab_hash, e->lab_idx, DX_PREP_LABELS);
	e->n_lab = (uint8_t) (k > DX_PREP_LABELS ? DX_PREP_LABELS + 1 : k);
}

void dx_query_prepare(dx_qprep_t *qp, dx_query_t *q)
{
	dx_prep_t *p = &q->prep;
	const dx_name_t *n = &q->dns.qname;
	uint64_t h = dx_hash(qp->key, n->text, n->len);
	struct pc_ent *e = &qp->cache[dx_hash_index(h, qp->salt, qp->bits)];
	struct pc_ent fresh;
	if (e->h != h || e->len != n->len || h == 0) {
		qp->misses++;
		prepare_name(qp, n, h, h == 0 ? &fresh : e);
		if (h == 0)
			e = &fresh;
	}
	p->name_hash = h;
	p->apex_hash = e->apex_hash;
	p->apex_off = e->apex_off;
	p->apex_cls = e->apex_cls;
	p->f = e->f;
	p->n_lab = e->n_lab;
	memcpy(p->lab_hash, e->lab_hash, sizeof(p->lab_hash));
	memcpy(p->lab_idx, e->lab_idx, sizeof(p->lab_idx));
	p->client_hash = client_hash(qp, q->dns.is_response ? q->dst : q->src, q->af, q->vni);
	p->ready = true;
}
