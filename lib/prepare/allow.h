/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file allow.h
 * @brief Allowlists: domains whose names never alert ([detect] allowlist) and zones never
 * blocked ([response] protect). An entry matches itself and every name under it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/base/hash.h"

typedef struct dx_allow dx_allow_t;

/**
 * Load an allowlist file: one domain per line, '#' comments, blank lines ignored; an entry
 * matches that domain and every name under it ("*.x" is accepted and means the same). On a bad
 * line returns DX_ECONFIG with "path:LINE: reason" in err (DX_CONFIG_ERRMAX bytes); a missing
 * file is DX_ENOENT.
 */
int dx_allow_load(dx_allow_t **out, const char *path, dx_hash_key_t key, char *err) DX_MUSTCHECK;
/** An empty allowlist. */
dx_allow_t *dx_allow_new(dx_hash_key_t key);
/** Add one domain (lower-case text). DX_EINVAL if it is not a domain name. */
int dx_allow_add(dx_allow_t *al, const char *domain) DX_MUSTCHECK;
/** True if text (a lower-case name or apex) is an entry or under one. */
bool dx_allow_match(const dx_allow_t *al, const char *text);
uint32_t dx_allow_count(const dx_allow_t *al);
void dx_allow_free(dx_allow_t *al);
