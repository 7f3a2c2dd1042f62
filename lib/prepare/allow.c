/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allowlists: sets of domains that never alert, and of the organisation's own zones that are
 * never blocked ([response] protect). Keyed hashes of the entries in an open-addressing set; a
 * name matches when it or one of its parents is an entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/err.h"
#include "lib/decode/dname.h"
#include "lib/prepare/allow.h"

/* ---- allowlist: an open-addressing set of keyed hashes of the entries ---- */

struct dx_allow {
	uint64_t *slots; /* 0: empty */
	uint32_t mask, count;
	dx_hash_key_t key;
};

dx_allow_t *dx_allow_new(dx_hash_key_t key)
{
	dx_allow_t *al = calloc(1, sizeof(*al));
	if (al == NULL)
		return NULL;
	al->mask = 255;
	al->slots = calloc(al->mask + 1, sizeof(*al->slots));
	if (al->slots == NULL) {
		free(al);
		return NULL;
	}
	al->key = key;
	return al;
}

void dx_allow_free(dx_allow_t *al)
{
	if (al == NULL)
		return;
	free(al->slots);
	free(al);
}

uint32_t dx_allow_count(const dx_allow_t *al)
{
	return al->count;
}

static uint64_t allow_hash(const dx_allow_t *al, const char *s, size_t n)
{
	uint64_t h = dx_hash(&al->key, s, n);
	return h ? h : 1;
}

static bool allow_has(const dx_allow_t *al, uint64_t h)
{
	return dx_hset_has(al->slots, al->mask, h);
}

static int allow_grow(dx_allow_t *al)
{
	uint32_t nmask = al->mask * 2 + 1;
	uint64_t *ns = calloc((size_t) nmask + 1, sizeof(*ns));
	if (ns == NULL)
		return DX_ENOMEM;
	for (uint32_t i = 0; i <= al->mask; i++) {
		if (al->slots[i] != 0)
			dx_hset_put(ns, nmask, al->slots[i]);
	}
	free(al->slots);
	al->slots = ns;
	al->mask = nmask;
	return DX_OK;
}

int dx_allow_add(dx_allow_t *al, const char *domain)
{
	if (domain[0] == '*' && domain[1] == '.')
		domain += 2;
	size_t n = strlen(domain);
	if (n == 0 || n > DX_DNAME_MAXTEXT || domain[0] == '.' || domain[n - 1] == '.')
		return DX_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = domain[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return DX_EINVAL;
	}
	uint64_t h = allow_hash(al, domain, n);
	if (allow_has(al, h))
		return DX_OK;
	if ((al->count + 1) * 2 > al->mask && allow_grow(al) != DX_OK)
		return DX_ENOMEM;
	dx_hset_put(al->slots, al->mask, h);
	al->count++;
	return DX_OK;
}

bool dx_allow_match(const dx_allow_t *al, const char *text)
{
	if (al == NULL || al->count == 0)
		return false;
	size_t n = strlen(text);
	for (const char *p = text;;) { /* the name, then each parent */
		if (allow_has(al, allow_hash(al, p, n - (size_t) (p - text))))
			return true;
		const char *dot = strchr(p, '.');
		if (dot == NULL)
			return false;
		p = dot + 1;
	}
}

int dx_allow_load(dx_allow_t **out, const char *path, dx_hash_key_t key, char *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open allowlist", path);
		return DX_ENOENT;
	}
	dx_allow_t *al = dx_allow_new(key);
	if (al == NULL) {
		fclose(f);
		snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory", path);
		return DX_ENOMEM;
	}
	char line[512];
	int lineno = 0, rc = DX_OK;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			snprintf(err, DX_CONFIG_ERRMAX, "%s:%d: line too long", path, lineno);
			rc = DX_ECONFIG;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			*--e = '\0';
		if (*s == '\0')
			continue;
		for (char *c = s; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char) (*c | 0x20);
		int r = dx_allow_add(al, s);
		if (r != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s:%d: '%.80s' is not a domain name", path,
				 lineno, s);
			rc = DX_ECONFIG;
			break;
		}
	}
	fclose(f);
	if (rc != DX_OK) {
		dx_allow_free(al);
		return rc;
	}
	*out = al;
	return DX_OK;
}
