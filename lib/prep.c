/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The part of detection that depends on one message alone, run by the parser thread: the
 * apex (PSL, cached), the keyed hashes of the name, the apex and the client, the subdomain
 * features with no label left out, and the hashes of the long labels the detector checks
 * against the ones it has seen under the apex. The detector thread then only updates its
 * tables, and redoes the features in the rare case that a long label repeats.
 */
#include <string.h>

#include "lib/prep.h"

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

void dx_query_prepare(dx_apex_t *ax, dx_query_t *q)
{
	dx_prep_t *p = &q->prep;
	const dx_hash_key_t *key = dx_apex_key(ax);
	const dx_name_t *n = &q->dns.qname;
	unsigned off;
	p->apex_cls = (uint8_t) dx_apex_find(ax, n, &off, &p->name_hash);
	p->apex_off = (uint8_t) off;
	p->apex_hash = dx_hash(key, n->text + off, n->len - off);
	p->client_hash = dx_client_hash(key, q->dns.is_response ? q->dst : q->src, q->af, q->vni);
	p->n_lab = 0;
	p->ready = true;
	if (q->dns.is_response)
		return; /* responses are counted, not featured */
	dx_features_compute(n, off, 0, &p->f);
	/* labels of 8+ characters left of the apex, as the detector walks them */
	if (off < 2)
		return;
	unsigned start = 0, li = 0;
	for (unsigned i = 0; i <= off - 1 && li < 64; i++) {
		if (i != off - 1 && !dx_name_is_sep(n, i))
			continue;
		unsigned len = i - start;
		if (len >= 8) {
			if (p->n_lab == DX_PREP_LABELS) {
				p->n_lab++; /* more than fit: the detector hashes them itself */
				return;
			}
			p->lab_hash[p->n_lab] = dx_label_hash(key, n->text + start, len);
			p->lab_idx[p->n_lab++] = (uint8_t) li;
		}
		start = i + 1;
		li++;
	}
}
