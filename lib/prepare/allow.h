/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file allow.h
 * @brief Allowlists: domains whose names never alert as threats ([detect] allowlist, the
 * built-in list compiled from contrib/allowlist.txt, or both) and zones never blocked
 * ([response] protect). An entry matches itself and every name under it.
 *
 * An entry must be a host name (LDH labels of 1 to 63 characters, '_' allowed, no label
 * starting or ending with '-', at most 253 characters, at least two labels) and must not be
 * a public suffix in either section of the list: "co.uk" or "github.io" would cover every
 * registrable domain under it, anybody's included.
 */
#pragma once

#include <libpsl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/base/hash.h"

typedef struct dx_allow dx_allow_t;

/** Largest allowlist file read, bytes: the set's memory is bounded by it. */
#define DX_ALLOW_MAX_BYTES (4u << 20)

/** The built-in list: contrib/allowlist.txt, compiled in by the build (allow_builtin.c). */
extern const char *const dx_allow_builtin[];
extern const size_t dx_allow_builtin_n;
/** The DNS reputation zones real mail filters query (contrib/reputation-zones.txt, made from
 * Debian's spamassassin and rspamd by contrib/tools/gen-reputation-zones.py): with the
 * built-in list, each one's registrable domain is allowlisted. */
extern const char *const dx_reputation_zones[];
extern const size_t dx_reputation_zones_n;

/** An empty allowlist. NULL on OOM. */
dx_allow_t *dx_allow_new(dx_hash_key_t key);
void dx_allow_free(dx_allow_t *al);

/** Why domain (lower-case text, "*." prefix allowed) cannot be an entry, or NULL if it can.
 * psl may be NULL: then only the syntax is checked. */
const char *dx_allow_refusal(const char *domain, const psl_ctx_t *psl);

/** Add one domain (lower-case text, "*.x" means x). DX_EINVAL if it is not a host name (the
 * syntax of dx_allow_refusal(); the public-suffix test is the caller's), DX_ENOMEM. */
int dx_allow_add(dx_allow_t *al, const char *domain) DX_MUSTCHECK;

/**
 * Add the entries of an allowlist file to al: one domain per line, '#' comments, blank lines
 * ignored. The file must be a regular file of at most DX_ALLOW_MAX_BYTES (a directory, FIFO
 * or device is refused before it is read). On a refused line returns DX_ECONFIG with
 * "path:LINE: reason" in err (DX_CONFIG_ERRMAX bytes, the line's text escaped); a file that
 * cannot be opened is DX_ENOENT; DX_ENOMEM.
 */
int dx_allow_load(dx_allow_t *al, const char *path, const psl_ctx_t *psl, char *err) DX_MUSTCHECK;

/**
 * The allowlist of a configuration: the built-in entries if builtin (an entry the Public
 * Suffix List in use now calls a public suffix is left out and counted in *skipped), then
 * those of the file at path if not NULL (dx_allow_load()). Writes *out on success only.
 */
int dx_allow_build(dx_allow_t **out, bool builtin, const char *path, const psl_ctx_t *psl,
		   dx_hash_key_t key, unsigned *skipped, char *err) DX_MUSTCHECK;

/** True if text (a lower-case name or apex) is an entry or under one. al may be NULL. */
bool dx_allow_match(const dx_allow_t *al, const char *text);
/** True if some entry lies strictly below text ("mcafee.com" for the entry
 * "avts.mcafee.com"): blocking text would block the entry. al may be NULL. */
bool dx_allow_has_below(const dx_allow_t *al, const char *text);
uint32_t dx_allow_count(const dx_allow_t *al);
