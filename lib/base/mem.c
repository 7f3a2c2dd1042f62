/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/base/mem.h"

#define HUGE_2M ((size_t) 2 << 20)

uint32_t dx_pow2_at_least(uint32_t n, uint32_t min)
{
	uint32_t p = min;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DX_ASAN 1
#endif

#ifdef DX_ASAN
/* Under AddressSanitizer, plain heap blocks: it puts redzones around those, not around
 * mappings, and catching an index off the end of a table matters more there than speed. */
void *dx_table_alloc(size_t bytes)
{
	return calloc(1, bytes ? bytes : 1);
}

void dx_table_free(void *p, size_t bytes)
{
	(void) bytes;
	free(p);
}

void *dx_pool_alloc(size_t bytes)
{
	return calloc(1, bytes ? bytes : 1);
}

void dx_pool_free(void *p, size_t bytes)
{
	(void) bytes;
	free(p);
}
#else
static size_t page_round(size_t bytes)
{
	return bytes == 0 ? 4096 : (bytes + 4095) & ~(size_t) 4095;
}

static size_t round_up(size_t bytes)
{
	return bytes >= HUGE_2M ? (bytes + HUGE_2M - 1) & ~(HUGE_2M - 1) : page_round(bytes);
}

/* len bytes of zeroed ordinary pages, or NULL. */
static void *map_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *dx_table_alloc(size_t bytes)
{
	if (bytes == 0)
		bytes = 1;
	size_t len = round_up(bytes);
	if (len < HUGE_2M) /* small: plain pages */
		return map_pages(len);
	/* map 2 MiB more, keep the aligned middle, give back both ends */
	uint8_t *raw =
	    mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *) (((uintptr_t) raw + HUGE_2M - 1) & ~(uintptr_t) (HUGE_2M - 1));
	if (p > raw)
		munmap(raw, (size_t) (p - raw));
	size_t tail = (size_t) (raw + len + HUGE_2M - (p + len));
	if (tail > 0)
		munmap(p + len, tail);
	(void) madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void dx_table_free(void *p, size_t bytes)
{
	if (p != NULL)
		munmap(p, round_up(bytes == 0 ? 1 : bytes));
}

void *dx_pool_alloc(size_t bytes)
{
	return map_pages(page_round(bytes));
}

void dx_pool_free(void *p, size_t bytes)
{
	if (p != NULL)
		munmap(p, page_round(bytes));
}
#endif
