/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file mem.h
 * @brief Memory for the large tables (detection state, caches): zeroed, faulted in as first
 * touched, aligned to 2 MiB and advised to use transparent huge pages.
 *
 * Why: the tables are indexed by hash, so with 4 KiB pages every lookup in a 16 MiB name
 * table is also a TLB miss, and the first touch of each 4 KiB is a page fault (on a VM, a
 * costly one). With 2 MiB pages both mostly go away. A kernel with THP off ignores the advice.
 * The price: a table touched sparsely becomes resident in 2 MiB steps, which stays within
 * the memory bound (the bound counts every table whole).
 */
#pragma once

#include <stddef.h>

#include <stdint.h>

/** Slots of a table sized for n: the smallest power of two >= n and >= min (at most 2^30). */
uint32_t dx_pow2_at_least(uint32_t n, uint32_t min);

/** bytes of zeroed memory, or NULL. Free with dx_table_free(p, bytes). */
void *dx_table_alloc(size_t bytes);
void dx_table_free(void *p, size_t bytes);

/** The same on ordinary pages, for a pool of records handed out in order, whose used part
 * may be far smaller than 2 MiB (the clients: a few hundred records of 0.5 KiB, where a huge
 * page would zero 2 MiB to hold 100 KiB). Free with dx_pool_free(p, bytes). */
void *dx_pool_alloc(size_t bytes);
void dx_pool_free(void *p, size_t bytes);
