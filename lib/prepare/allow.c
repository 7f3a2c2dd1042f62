/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allowlists: sets of domains that never alert as threats, and of the organisation's own
 * zones that are never blocked ([response] protect). Two open-addressing sets of keyed hashes:
 * the entries (a name matches when it or one of its parents is one) and every proper parent
 * of an entry (so the block policy can refuse "mcafee.com" when "avts.mcafee.com" is listed).
 *
 * An allowlist is operator input that decides what is never blocked, so a line that would
 * cover a public suffix is refused, not skipped: "co.uk" would let every domain registered
 * under it tunnel unseen. The file is checked to be a regular file of bounded size before it
 * is read (a FIFO or /dev/zero would otherwise hang start-up).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/err.h"
#include "lib/base/file.h"
#include "lib/decode/dname.h"
#include "lib/prepare/allow.h"

struct set {
	uint64_t *slots; /* 0: empty */
	uint32_t mask, count;
};

struct dx_allow {
	struct set entries, parents;
	dx_hash_key_t key;
};

static int set_init(struct set *s)
{
	s->mask = 255;
	s->count = 0;
	s->slots = calloc(s->mask + 1, sizeof(*s->slots));
	return s->slots ? DX_OK : DX_ENOMEM;
}

/* Add h, growing to keep the load at most one half. */
static int set_put(struct set *s, uint64_t h)
{
	if ((s->count + 1) * 2 > s->mask) {
		uint32_t nmask = s->mask * 2 + 1;
		uint64_t *ns = calloc((size_t) nmask + 1, sizeof(*ns));
		if (ns == NULL)
			return DX_ENOMEM;
		for (uint32_t i = 0; i <= s->mask; i++)
			if (s->slots[i] != 0)
				dx_hset_put(ns, nmask, s->slots[i]);
		free(s->slots);
		s->slots = ns;
		s->mask = nmask;
	}
	if (dx_hset_put(s->slots, s->mask, h))
		s->count++;
	return DX_OK;
}

dx_allow_t *dx_allow_new(dx_hash_key_t key)
{
	dx_allow_t *al = calloc(1, sizeof(*al));
	if (al == NULL)
		return NULL;
	al->key = key;
	if (set_init(&al->entries) != DX_OK || set_init(&al->parents) != DX_OK) {
		dx_allow_free(al);
		return NULL;
	}
	return al;
}

void dx_allow_free(dx_allow_t *al)
{
	if (al == NULL)
		return;
	free(al->entries.slots);
	free(al->parents.slots);
	free(al);
}

uint32_t dx_allow_count(const dx_allow_t *al)
{
	return al ? al->entries.count : 0;
}

static uint64_t allow_hash(const dx_allow_t *al, const char *s, size_t n)
{
	uint64_t h = dx_hash(&al->key, s, n);
	return h ? h : 1;
}

/* Host-name syntax: LDH labels (and '_', as in _dmarc or _sip._tcp) of 1..63 characters, no
 * label starting or ending with '-', at most 253 characters. Returns why not, or NULL. */
static const char *syntax(const char *d, size_t n)
{
	if (n == 0)
		return "empty";
	if (n > DX_DNAME_MAXTEXT)
		return "longer than 253 characters";
	size_t lab = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? d[i] : '.';
		if (c == '.') {
			if (lab == 0)
				return "has an empty label";
			if (lab > 63)
				return "has a label longer than 63 characters";
			if (d[i - 1] == '-' || d[i - lab] == '-')
				return "has a label starting or ending with '-'";
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "is not a host name (letters, digits, '-', '_' and dots only)";
		lab++;
	}
	return NULL;
}

static const char *strip_star(const char *d)
{
	return d[0] == '*' && d[1] == '.' ? d + 2 : d;
}

const char *dx_allow_refusal(const char *domain, const psl_ctx_t *psl)
{
	domain = strip_star(domain);
	const char *why = syntax(domain, strlen(domain));
	if (why != NULL)
		return why;
	if (strchr(domain, '.') == NULL)
		return "is a single label (a top-level domain): it would cover every domain under it";
	if (psl != NULL && psl_is_public_suffix2(psl, domain, PSL_TYPE_ANY))
		return "is a public suffix: it would cover every domain registered under it";
	return NULL;
}

int dx_allow_add(dx_allow_t *al, const char *domain)
{
	domain = strip_star(domain);
	size_t n = strlen(domain);
	if (syntax(domain, n) != NULL)
		return DX_EINVAL;
	if (set_put(&al->entries, allow_hash(al, domain, n)) != DX_OK)
		return DX_ENOMEM;
	for (const char *p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (set_put(&al->parents, allow_hash(al, p + 1, n - (size_t) (p + 1 - domain))) !=
		    DX_OK)
			return DX_ENOMEM;
	return DX_OK;
}

bool dx_allow_match(const dx_allow_t *al, const char *text)
{
	if (al == NULL || al->entries.count == 0)
		return false;
	size_t n = strlen(text);
	for (const char *p = text;;) { /* the name, then each parent */
		if (dx_hset_has(al->entries.slots, al->entries.mask,
				allow_hash(al, p, n - (size_t) (p - text))))
			return true;
		const char *dot = strchr(p, '.');
		if (dot == NULL)
			return false;
		p = dot + 1;
	}
}

bool dx_allow_has_below(const dx_allow_t *al, const char *text)
{
	if (al == NULL || al->parents.count == 0)
		return false;
	return dx_hset_has(al->parents.slots, al->parents.mask, allow_hash(al, text, strlen(text)));
}

int dx_allow_load(dx_allow_t *al, const char *path, const psl_ctx_t *psl, char *err)
{
	size_t n = 0;
	char *text = dx_file_slurp(path, DX_ALLOW_MAX_BYTES, false, "an allowlist", &n, err);
	FILE *f = text ? fmemopen(text, n ? n : 1, "r") : NULL;
	if (f == NULL) {
		if (text != NULL)
			snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory", path);
		free(text);
		return DX_ENOENT;
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
		const char *why = dx_allow_refusal(s, psl);
		if (why == NULL && (rc = dx_allow_add(al, s)) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "%s: out of memory", path);
			break;
		}
		if (why != NULL) {
			char esc[4 * 80 + 1]; /* operator text reaches the terminal escaped */
			size_t k = (size_t) (e - s);
			dx_dname_escape_text(s, k < 80 ? k : 80, esc, sizeof(esc));
			snprintf(err, DX_CONFIG_ERRMAX, "%s:%d: '%s' %s", path, lineno, esc, why);
			rc = DX_ECONFIG;
			break;
		}
	}
	fclose(f);
	free(text);
	return rc;
}

int dx_allow_build(dx_allow_t **out, bool builtin, const char *path, const psl_ctx_t *psl,
		   dx_hash_key_t key, unsigned *skipped, char *err)
{
	*skipped = 0;
	dx_allow_t *al = dx_allow_new(key);
	if (al == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory for the allowlist");
		return DX_ENOMEM;
	}
	for (size_t i = 0; builtin && i < dx_allow_builtin_n; i++) {
		/* checked when built; a newer Public Suffix List may have made one public */
		if (dx_allow_refusal(dx_allow_builtin[i], psl) != NULL) {
			(*skipped)++;
			continue;
		}
		if (dx_allow_add(al, dx_allow_builtin[i]) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "out of memory for the allowlist");
			dx_allow_free(al);
			return DX_ENOMEM;
		}
	}
	/* the reputation zones' providers (zen.spamhaus.org: spamhaus.org), by the list in use */
	for (size_t i = 0; builtin && i < dx_reputation_zones_n; i++) {
		const char *reg = psl_registrable_domain(psl, dx_reputation_zones[i]);
		if (reg == NULL || dx_allow_refusal(reg, psl) != NULL) {
			(*skipped)++;
			continue;
		}
		if (!dx_allow_match(al, reg) && dx_allow_add(al, reg) != DX_OK) {
			snprintf(err, DX_CONFIG_ERRMAX, "out of memory for the allowlist");
			dx_allow_free(al);
			return DX_ENOMEM;
		}
	}
	int rc = path ? dx_allow_load(al, path, psl, err) : DX_OK;
	if (rc != DX_OK) {
		dx_allow_free(al);
		return rc;
	}
	*out = al;
	return DX_OK;
}
