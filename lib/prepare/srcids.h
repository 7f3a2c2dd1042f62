/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file srcids.h
 * @brief The sources a Route 53 query log names beside the address (srcids.instance or
 * srcids.resolver_endpoint, and vpc_id), interned once by the parser thread so a query
 * carries a 4-byte id to the detector, which shows them in alerts and incidents and passes
 * them to the hooks (README "Route 53 query logs").
 *
 * One writer (the parser thread) appends; an entry is written before the query carrying its
 * id is committed to ring B, whose release/acquire hands it to the detector, and is never
 * changed after: readers need no lock. Bounded: when full, a new pair gets id 0 (none),
 * counted.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DX_SRCID_MAX 32 /* "i-0123456789abcdef0", "rslvr-in-0123456789abcdef0" */
#define DX_SRCIDS 16384 /* pairs kept: instances and endpoints of the logs read */

typedef struct dx_srcids dx_srcids_t;

/** A table of at most max pairs; NULL on OOM. */
dx_srcids_t *dx_srcids_new(uint32_t max);
void dx_srcids_free(dx_srcids_t *t);
size_t dx_srcids_mem_bound(uint32_t max);

/** The id of (source, vpc) (either may be ""), 0 for none or when the table is full. Parser
 * thread only. */
uint32_t dx_srcids_intern(dx_srcids_t *t, const char *source, const char *vpc);

/** The source and VPC of id (not 0); any thread that received id through ring B. */
const char *dx_srcids_source(const dx_srcids_t *t, uint32_t id);
const char *dx_srcids_vpc(const dx_srcids_t *t, uint32_t id);

/** Pairs refused because the table was full. */
uint64_t dx_srcids_full(const dx_srcids_t *t);
