/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine's alerts (private to lib/detect): see alerts.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/base/out.h"
#include "lib/detect/state.h"

/** Raise or escalate the alert of threat t on apex idx to severity sev, with score, at query
 * q (callers ask news() first); the alert goes to the engine's on_alert. A full pool drops
 * it (counted). */
void dx_alerts_raise(dx_detect_t *d, uint32_t idx, enum dx_threat t, enum dx_severity sev,
		     double score, const dx_query_t *q);

/** At a window's close: refresh every open alert of apex idx (its counts, sources, details),
 * and close those whose apex went quiet (a window; the horizon for INFO_VOLUME), or all. */
void dx_alerts_close(dx_detect_t *d, uint32_t idx, bool all);

/** The apex's client addresses, counted (linear counting over its 64-bit bitmap). */
uint64_t dx_alerts_source_count(const struct apex_st *s);

/** ,"name":v into a details object being written. */
void dx_alerts_put_field(dx_out_t *o, const char *name, uint64_t v);

/** {"raised":{...},"at":{...} of a's severities (the caller closes the object). */
void dx_alerts_put_raised(dx_out_t *out, const dx_alert_t *a);
