/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file apex.h
 * @brief The apex (registrable domain) of a query name, from the Public Suffix List (libpsl),
 * with caches so libpsl stays off the profile.
 *
 * Names that are a public suffix, dotless names, *.arpa, *.local, QNAME-minimisation
 * probes ("_.example.com", RFC 9156) and names whose apex would hold a NUL or a '.' inside a
 * label get an apex for counting but are marked not to feed the tunnel detectors. No name
 * gets a public suffix as its apex with class DX_APEX_NORMAL.
 */
#pragma once

#include <libpsl.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/dname.h"
#include "lib/base/hash.h"

typedef struct dx_apex dx_apex_t;

enum dx_apex_class {
	DX_APEX_NORMAL = 0, /* feeds the detectors */
	DX_APEX_SUFFIX,	    /* the name is a public suffix (or has no registrable domain) */
	DX_APEX_DOTLESS,
	DX_APEX_ARPA,
	DX_APEX_LOCAL,
	DX_APEX_QMIN,	 /* "_." probe */
	DX_APEX_HOSTILE, /* a NUL or '.' inside a label of the apex: no resolver reaches it */
};

/** Create the resolver over psl (borrowed; read-only and thread-safe). private_rules: include
 * the list's PRIVATE section (x.cloudfront.net is then its own apex). cache_entries: size of
 * its cache of rests, rounded up to a power of two. NULL on OOM. */
dx_apex_t *dx_apex_new(const psl_ctx_t *psl, bool private_rules, uint32_t cache_entries,
		       dx_hash_key_t key);
void dx_apex_free(dx_apex_t *ax);
/** True if the rule list's parents were loaded (fewer libpsl calls; see apex.c). */
bool dx_apex_prefilter(const dx_apex_t *ax);
/** Bytes dx_apex_new() allocates for cache_entries (libpsl's own list not included). */
size_t dx_apex_mem_bound(uint32_t cache_entries);

/**
 * The apex of n (lower-cased text): *off is the offset of the apex in n->text (0 when the
 * whole name is the apex) and the return value its class. Never fails: a name without a
 * registrable domain is its own apex, class DX_APEX_SUFFIX.
 */
enum dx_apex_class dx_apex_find(dx_apex_t *ax, const dx_name_t *n, unsigned *off);

/** The hash key ax was made with. */
const dx_hash_key_t *dx_apex_key(const dx_apex_t *ax);

/** Lookups answered by libpsl (cache misses), for the stats. */
uint64_t dx_apex_psl_calls(const dx_apex_t *ax);
