/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Apex resolution, run by the parser thread (lib/prep.c).
 *
 * libpsl costs about 650 ns per psl_registrable_domain() and 200 ns per psl_is_public_suffix()
 * on this machine, far more than the rest of a query's processing, and tunnel names are all
 * unique, so a cache keyed by the whole name alone would miss on exactly the traffic we watch.
 * Repeated names are answered by the parser's cache of prepared names (lib/prep.c), which
 * asks here only on a miss; so the cache here is by "rest", direct-mapped and bounded:
 *   - the name less its first label: the apex of rest (a few short labels) is
 *     shared by every tunnel query under it. For a name L1.rest the apex is then apex(rest),
 *     unless L1.rest is itself a public suffix (an explicit or wildcard rule one label longer
 *     than rest, or an exception), which one psl_is_public_suffix() call settles. So a new
 *     tunnel name costs one libpsl call instead of one per label, and the answer is exact.
 *     A rest the cache has not seen is worked out the same way from its own rest, down to
 *     the longest suffix it has (rest_find()).
 * Entries hold a 64-bit keyed hash, not the text: a collision needs the per-process key.
 *
 * That last psl_is_public_suffix() call, once per name the name cache has not seen, was
 * most of the detector's apex work: libpsl clears a buffer on every call. L1.rest can only be a public suffix if the list has a rule directly below rest
 * ("L1.rest", "*.rest" or "!L1.rest"), so at start the parents of every rule are read from
 * the list libpsl's built-in data was made from (psl_builtin_filename()) into a set, and
 * the call is skipped for a rest that is not in it. The set is used only when that file is
 * the one the built-in data came from, the distribution file libpsl prefers is from the same
 * day, and libpsl agrees with every ASCII rule in it; otherwise every name asks libpsl as
 * before. A rest with an 8-bit byte or an "xn--" label always asks (internationalised rules
 * are in the list as UTF-8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/prepare/apex.h"
#include "lib/base/err.h"
#include "lib/base/mem.h"

struct cache_ent {
	uint64_t h;
	int16_t
	    apex_len; /* characters of the apex at the end of the key; -1: no registrable domain */
	bool below;   /* rests: the list may have a rule one label below this rest */
};

struct dx_apex {
	const psl_ctx_t *psl;
	int psl_type;
	struct cache_ent *rests;
	unsigned bits;
	uint64_t salt; /* slots come through dx_hash_index(): see dx_hash_salt() */
	uint64_t calls;
	dx_hash_key_t key;
	uint64_t *parents; /* open addressing of rest hashes (0 = empty); NULL: not used */
	uint32_t pmask;
};

static uint64_t rest_hash(const dx_apex_t *ax, const char *s, size_t n)
{
	uint64_t h = dx_hash(&ax->key, s, n) ^ 0x5bd1e995u;
	return h ? h : 1;
}

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) s[i] >= 0x80)
			return false;
	return true;
}

/* Read the rule list into ax->parents, validating it against libpsl; on any doubt leave
 * ax->parents NULL (every name then asks libpsl). */
static void load_parents(dx_apex_t *ax)
{
	const char *dat = psl_builtin_filename(), *dist = psl_dist_filename();
	struct stat sd, sf;
	if (dat == NULL || stat(dat, &sd) != 0 || sd.st_mtime != psl_builtin_file_time())
		return;
	if (dist != NULL && stat(dist, &sf) == 0 &&
	    (sf.st_mtime > sd.st_mtime + 86400 || sf.st_mtime < sd.st_mtime - 86400))
		return;
	FILE *f = fopen(dat, "r");
	if (f == NULL)
		return;
	uint32_t cap = 16384, n = 0, probed = 0;
	ax->parents = calloc(cap, sizeof(*ax->parents));
	ax->pmask = cap - 1;
	bool ok = ax->parents != NULL;
	char line[512], probe[600];
	while (ok && fgets(line, sizeof(line), f) != NULL) {
		char *r = line;
		r[strcspn(r, " \t\r\n")] = '\0';
		if (r[0] == '\0' || (r[0] == '/' && r[1] == '/'))
			continue;
		bool exc = r[0] == '!', wild = r[0] == '*' && r[1] == '.';
		if (exc)
			r++;
		if (wild)
			r += 2;
		/* Parents to remember: the rule's own (libpsl also takes the X of "*.X" as a public
		 * suffix), and X itself, the parent of a wildcard's children. */
		const char *dot = strchr(r, '.');
		const char *cand[2] = {dot ? dot + 1 : NULL, wild ? r : NULL};
		for (int k = 0; k < 2 && ok; k++) {
			if (cand[k] == NULL || !is_ascii(cand[k], strlen(cand[k])))
				continue;
			if (n * 2 >= cap) { /* the list has ~10,000 rules: never near */
				ok = false;
				break;
			}
			if (dx_hset_put(ax->parents, ax->pmask,
					rest_hash(ax, cand[k], strlen(cand[k]))))
				n++;
		}
		/* libpsl must agree with the file: an ASCII rule is public, a wildcard's child too.
		 * Every wildcard and every 8th other rule are asked (the file's time already
		 * matched libpsl's; asking all of them at each start cost milliseconds);
		 * tests/test_apex.c compares every rule with libpsl. */
		if (ok && !exc && (dot != NULL || wild) && (wild || probed++ % 8 == 0) &&
		    is_ascii(r, strlen(r))) {
			snprintf(probe, sizeof(probe), "%s%s", wild ? "dx-probe." : "", r);
			ok = psl_is_public_suffix2(ax->psl, probe, PSL_TYPE_ANY) != 0;
		}
	}
	fclose(f);
	if (!ok || n == 0) {
		free(ax->parents);
		ax->parents = NULL;
	}
}

size_t dx_apex_mem_bound(uint32_t cache_entries)
{
	return sizeof(dx_apex_t) +
	       (size_t) dx_pow2_at_least(cache_entries, 1024) * sizeof(struct cache_ent);
}

dx_apex_t *dx_apex_new(const psl_ctx_t *psl, bool private_rules, uint32_t cache_entries,
		       dx_hash_key_t key)
{
	uint32_t n = dx_pow2_at_least(cache_entries, 1024);
	dx_apex_t *ax = calloc(1, sizeof(*ax));
	if (ax == NULL)
		return NULL;
	ax->rests = calloc(n, sizeof(*ax->rests));
	if (ax->rests == NULL) {
		dx_apex_free(ax);
		return NULL;
	}
	while ((1u << ax->bits) < n)
		ax->bits++;
	ax->salt = dx_hash_salt();
	ax->psl = psl;
	ax->psl_type = private_rules ? PSL_TYPE_ANY : PSL_TYPE_ICANN;
	ax->key = key;
	load_parents(ax);
	return ax;
}

void dx_apex_free(dx_apex_t *ax)
{
	if (ax == NULL)
		return;
	free(ax->rests);
	free(ax->parents);
	free(ax);
}

const dx_hash_key_t *dx_apex_key(const dx_apex_t *ax)
{
	return &ax->key;
}

bool dx_apex_prefilter(const dx_apex_t *ax)
{
	return ax->parents != NULL;
}

uint64_t dx_apex_psl_calls(const dx_apex_t *ax)
{
	return ax->calls;
}

static bool is_public(dx_apex_t *ax, const char *s)
{
	ax->calls++;
	return psl_is_public_suffix2(ax->psl, s, ax->psl_type) != 0;
}

/* Whether the list may have a rule directly below s (so that L.s may be public). */
static bool rules_below(const dx_apex_t *ax, const char *s, size_t n, uint64_t h)
{
	return ax->parents == NULL || dx_hset_has(ax->parents, ax->pmask, h) || !is_ascii(s, n) ||
	       memmem(s, n, "xn--", 4) != NULL;
}

/* The apex of s = L.R (n characters, a C string) as a length at its end (-1: none), from R's
 * apex and whether R may have a rule below it: s is public only if R may (one libpsl call then
 * says); its apex is s itself when R has none (R is public, or one label), else R's. */
static int apex_step(dx_apex_t *ax, const char *s, size_t n, int r_apex, bool r_below)
{
	if (r_below && is_public(ax, s))
		return -1;
	return r_apex < 0 ? (int) n : r_apex;
}

/*
 * The apex of rest (rlen > 0, '.' only between labels) as a length at its end (-1: none),
 * and whether rules may sit directly below it, from the rest cache; on a miss, worked out
 * from its longest cached suffix one label at a time, caching each: a suffix L.R is public
 * only if R may have a rule below it (one libpsl call then says), its apex is L.R when R has
 * none (R is public, or one label), else R's. The same rule as for the whole name, so a
 * tunnel's many-label random subdomain costs a hash per label instead of the libpsl call per
 * label the rest's registrable domain took.
 */
static int rest_find(dx_apex_t *ax, const char *rest, size_t rlen, bool *below)
{
	struct {
		size_t off;
		uint64_t h;
		struct cache_ent *e;
	} miss[DX_DNAME_MAXTEXT / 2 + 1]; /* a name of 253 characters has <= 127 labels, rest 126 */
	unsigned k = 0;
	int apex = -1; /* of the suffix after the last miss; a lone label has none */
	bool next_below = false,
	     known = false; /* known: apex and next_below are a cached suffix's */
	for (size_t o = 0;;) {
		uint64_t h = rest_hash(ax, rest + o, rlen - o);
		struct cache_ent *e = &ax->rests[dx_hash_index(h, ax->salt, ax->bits)];
		if (e->h == h) {
			apex = e->apex_len;
			next_below = e->below;
			known = true;
			break;
		}
		miss[k].off = o;
		miss[k].h = h;
		miss[k].e = e;
		k++;
		const char *dot = memchr(rest + o, '.', rlen - o);
		if (dot == NULL)
			break;
		o = (size_t) (dot - rest) + 1;
	}
	while (k-- > 0) {
		const char *s = rest + miss[k].off;
		size_t n = rlen - miss[k].off;
		if (known) /* else s is the last label: no registrable domain (apex stays -1) */
			apex = apex_step(ax, s, n, apex, next_below);
		known = true;
		next_below = rules_below(ax, s, n, miss[k].h);
		miss[k].e->h = miss[k].h;
		miss[k].e->apex_len = (int16_t) apex;
		miss[k].e->below = next_below;
	}
	*below = next_below;
	return apex;
}

static bool has_literal_dot(const dx_name_t *n)
{
	for (size_t i = 0; i < sizeof(n->dot_lit); i++)
		if (n->dot_lit[i])
			return true;
	return false;
}

/* Offset of the first label separator of n (its length if none). */
static size_t first_sep(const dx_name_t *n)
{
	size_t i = 0;
	while (i < n->len && !dx_name_is_sep(n, i))
		i++;
	return i;
}

/* Offset of the last k labels of n (0 if it has no more). */
static unsigned last_labels_off(const dx_name_t *n, int k)
{
	int seps = 0;
	for (size_t i = n->len; i-- > 0;)
		if (dx_name_is_sep(n, i) && ++seps == k)
			return (unsigned) i + 1;
	return 0;
}

/* The apex of name text s[0..n) whose '.'s are all separators (no NUL): a length at its end,
 * -1 if it has no registrable domain (s is public, or one label). */
static int clean_apex(dx_apex_t *ax, const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	if (dot == NULL)
		return -1;
	bool below;
	int rest_apex = rest_find(ax, dot + 1, n - (size_t) (dot + 1 - s), &below);
	return apex_step(ax, s, n, rest_apex, below);
}

/*
 * A name with a NUL byte or a '.' inside a label (DNS allows any byte; no registry does).
 * libpsl sees C strings and dots, so such a label must never reach it, and such a name must
 * never steer the apex to a public suffix: "ab\000cd.evil.co.uk" once got the apex "co.uk".
 * The labels after the last such label are ordinary: if they hold a registrable domain it is
 * the apex, as for any name (a tunnel cannot hide its data behind a NUL). Otherwise the odd
 * label is part of the apex itself, which no resolver can reach: the apex is that label and
 * all after it (at least two labels), a key of its own that never alerts.
 */
static enum dx_apex_class hostile(dx_apex_t *ax, const dx_name_t *n, unsigned *off)
{
	const char *t = n->text;
	size_t len = n->len, bad = 0;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '\0' || (t[i] == '.' && !dx_name_is_sep(n, i)))
			bad = i;
	size_t end = bad; /* the separator after the last odd label, or len */
	while (end < len && !dx_name_is_sep(n, end))
		end++;
	if (end < len) {
		const char *clean = t + end + 1;
		int alen = clean_apex(ax, clean, len - end - 1);
		if (alen >= 0) {
			*off = (unsigned) (len - (size_t) alen);
			return DX_APEX_NORMAL;
		}
	}
	size_t start = bad; /* the odd label's first character */
	while (start > 0 && !dx_name_is_sep(n, start - 1))
		start--;
	*off = (unsigned) start;
	if (end == len) /* the odd label is the last: take two labels */
		*off = last_labels_off(n, 2);
	return DX_APEX_HOSTILE;
}

static enum dx_apex_class special(const dx_name_t *n, unsigned *off)
{
	const char *t = n->text;
	size_t len = n->len;
	if (n->n_labels <= 1) {
		*off = 0;
		return DX_APEX_DOTLESS;
	}
	/* the last two labels: in-addr.arpa, ip6.arpa */
	if ((len >= 5 && memcmp(t + len - 5, ".arpa", 5) == 0) ||
	    (len >= 6 && memcmp(t + len - 6, ".local", 6) == 0)) {
		*off = last_labels_off(n, 2); /* in-addr.arpa, ip6.arpa, cluster.local */
		return t[len - 1] == 'a' ? DX_APEX_ARPA : DX_APEX_LOCAL;
	}
	return DX_APEX_NORMAL;
}

enum dx_apex_class dx_apex_find(dx_apex_t *ax, const dx_name_t *n, unsigned *off)
{
	enum dx_apex_class cls = special(n, off);
	if (cls != DX_APEX_NORMAL)
		return cls;
	const char *t = n->text;
	size_t len = n->len;
	if (n->odd_bytes && (has_literal_dot(n) || memchr(t, '\0', len) != NULL))
		return hostile(ax, n, off);
	const char *rest = t + first_sep(n) + 1; /* n_labels >= 2: a separator exists */
	bool below;
	int rest_apex = rest_find(ax, rest, len - (size_t) (rest - t), &below);
	int alen = apex_step(ax, t, len, rest_apex, below);
	if (alen < 0) {
		*off = 0;
		return DX_APEX_SUFFIX;
	}
	*off = (unsigned) (len - (size_t) alen);
	/* QNAME minimisation (RFC 9156) asks "_.apex" */
	if (*off == 2 && t[0] == '_')
		return DX_APEX_QMIN;
	return DX_APEX_NORMAL;
}
