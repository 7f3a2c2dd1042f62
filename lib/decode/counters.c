/* SPDX-License-Identifier: BSD-2-Clause */
/* Names for the per-reason counters, generated from the same X-macro list as the enum so the
 * two can never drift. */
#include "lib/decode/counters.h"

#define SKIP 0
#define MALF 1

static const struct {
	const char *name;
	int malformed;
} reasons[DX_R_COUNT] = {
#define DX_X_NAME(n, kind) {#n, kind},
    DX_REASONS(DX_X_NAME)
#undef DX_X_NAME
};

const char *dx_reason_name(enum dx_reason r)
{
	return (unsigned) r < DX_R_COUNT ? reasons[r].name : "?";
}

int dx_reason_is_malformed(enum dx_reason r)
{
	return (unsigned) r < DX_R_COUNT ? reasons[r].malformed : 0;
}
