/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/prepare/allow.h"
#include "lib/prepare/apex.h"
#include "lib/config.h"
#include "lib/base/err.h"
#include "tests/testutil.h"

static const psl_ctx_t *psl;
static const dx_hash_key_t key = {11, 22};

static int setup(void)
{
	psl = psl_latest(NULL);
	return psl ? 0 : 1;
}

static int teardown(void)
{
	psl_free((psl_ctx_t *) psl);
	return 0;
}

static void name_of(const char *dotted, dx_name_t *n)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 1, 0x0100, dotted, 1);
	dx_cur_t c = dx_cur_init(m.b, m.len);
	c.off = 12;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, n), DX_OK);
}

/* Every answer, asked twice (the second time from a cache), equals libpsl's own. */
static void check(dx_apex_t *ax, const char *dotted, const char *want, enum dx_apex_class cls)
{
	for (int round = 0; round < 2; round++) {
		dx_name_t n;
		unsigned off = 999;
		name_of(dotted, &n);
		enum dx_apex_class got = dx_apex_find(ax, &n, &off);
		CU_ASSERT_EQUAL(got, cls);
		CU_ASSERT_STRING_EQUAL(n.text + off, want);
		if (got != cls || strcmp(n.text + off, want) != 0)
			fprintf(stderr, "\n  %s -> %s (class %d), want %s (%d)\n", dotted,
				n.text + off, got, want, cls);
	}
}

static void test_apex_psl_private(void)
{
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	check(ax, "Www.Google.com", "google.com", DX_APEX_NORMAL);
	check(ax, "abcdefghijkl0123456789.t1.lab.example", "lab.example", DX_APEX_NORMAL);
	check(ax, "foo.bar.co.uk", "bar.co.uk", DX_APEX_NORMAL);
	check(ax, "d111111abcdef8.cloudfront.net", "d111111abcdef8.cloudfront.net", DX_APEX_NORMAL);
	check(ax, "x.s3.amazonaws.com", "x.s3.amazonaws.com", DX_APEX_NORMAL);
	check(ax, "ip-10-0-1-5.ec2.internal", "ec2.internal", DX_APEX_NORMAL);
	check(ax, "com", "com", DX_APEX_DOTLESS);
	check(ax, "co.uk", "co.uk", DX_APEX_SUFFIX);
	check(ax, "ec2-1-2-3-4.compute-1.amazonaws.com", "ec2-1-2-3-4.compute-1.amazonaws.com",
	      DX_APEX_SUFFIX);
	check(ax, "1.0.0.127.in-addr.arpa", "in-addr.arpa", DX_APEX_ARPA);
	check(ax, "printer.local", "printer.local", DX_APEX_LOCAL);
	check(ax, "svc.default.svc.cluster.local", "cluster.local", DX_APEX_LOCAL);
	check(ax, "_.example.com", "example.com", DX_APEX_QMIN);
	/* the same "rest" with a different first label: the rest cache must not lie */
	check(ax, "bucket.s3.dualstack.eu-west-1.amazonaws.com",
	      "bucket.s3.dualstack.eu-west-1.amazonaws.com", DX_APEX_NORMAL);
	check(ax, "s3.dualstack.eu-west-1.amazonaws.com", "s3.dualstack.eu-west-1.amazonaws.com",
	      DX_APEX_SUFFIX);
	check(ax, "other.dualstack.eu-west-1.amazonaws.com", "amazonaws.com", DX_APEX_NORMAL);
	dx_apex_free(ax);
}

static void test_apex_icann_only(void)
{
	dx_apex_t *ax = dx_apex_new(psl, false, 1024, key);
	check(ax, "d111111abcdef8.cloudfront.net", "cloudfront.net", DX_APEX_NORMAL);
	check(ax, "x.s3.amazonaws.com", "amazonaws.com", DX_APEX_NORMAL);
	check(ax, "foo.bar.co.uk", "bar.co.uk", DX_APEX_NORMAL);
	dx_apex_free(ax);
}

/* Tunnel names under one apex cost one libpsl call each after the first, not one per label. */
static void test_apex_cache_cost(void)
{
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	char buf[128];
	for (int i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "%08xabcdef.a.b.t1.lab.example", i);
		dx_name_t n;
		unsigned off;
		name_of(buf, &n);
		dx_apex_find(ax, &n, &off);
		CU_ASSERT_STRING_EQUAL(n.text + off, "lab.example");
	}
	CU_ASSERT_TRUE(dx_apex_psl_calls(ax) <= 100 + 6);
	dx_apex_free(ax);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Load text as an allowlist file into a fresh set; returns the result, err holds the line. */
static int load_text(const char *text, dx_allow_t **al, char *err)
{
	char path[] = "/tmp/dx_allow_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	write_file(path, text);
	*al = dx_allow_new(key);
	int rc = dx_allow_load(*al, path, psl, err);
	unlink(path);
	return rc;
}

static void test_apex_allowlist(void)
{
	char err[DX_CONFIG_ERRMAX];
	dx_allow_t *al = NULL;
	CU_ASSERT_EQUAL_FATAL(
	    load_text("# comment\n\nSophosXL.net   # trailing comment\n*.ec2.internal\n"
		      "avts.mcafee.com\n",
		      &al, err),
	    DX_OK);
	CU_ASSERT_EQUAL(dx_allow_count(al), 3);
	CU_ASSERT_TRUE(dx_allow_match(al, "sophosxl.net"));
	CU_ASSERT_TRUE(dx_allow_match(al, "x.y.sophosxl.net"));
	CU_ASSERT_TRUE(dx_allow_match(al, "ec2.internal"));
	CU_ASSERT_FALSE(dx_allow_match(al, "notsophosxl.net"));
	CU_ASSERT_FALSE(dx_allow_match(al, "sophosxl.net.evil.com"));
	CU_ASSERT_FALSE(dx_allow_match(al, "mcafee.com"));
	/* above an entry: blocking it would block the entry */
	CU_ASSERT_TRUE(dx_allow_has_below(al, "mcafee.com"));
	CU_ASSERT_TRUE(dx_allow_has_below(al, "com"));
	CU_ASSERT_FALSE(dx_allow_has_below(al, "avts.mcafee.com"));
	CU_ASSERT_FALSE(dx_allow_has_below(al, "sophos.net"));
	dx_allow_free(al);
	/* many entries: the set grows */
	dx_allow_t *big = dx_allow_new(key);
	char d[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "d%d.example", i);
		CU_ASSERT_EQUAL(dx_allow_add(big, d), DX_OK);
	}
	CU_ASSERT_TRUE(dx_allow_match(big, "x.d4999.example"));
	CU_ASSERT_FALSE(dx_allow_match(big, "d5000.example"));
	dx_allow_free(big);
}

/* Lines that would cover a public suffix, or are not host names, are refused naming the file
 * and line; the line's text is escaped. */
static void test_apex_allowlist_refused(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"good.example\nbad example\n", ":2: 'bad\\032example' is not a host name"},
	    {"com\n", ":1: 'com' is a single label"},
	    {"a.example\nco.uk\n", ":2: 'co.uk' is a public suffix"},
	    {"*.co.uk\n", ":1: '*.co.uk' is a public suffix"},
	    {"github.io\n", ":1: 'github.io' is a public suffix"}, /* private section */
	    {"s3.amazonaws.com\n", ":1: 's3.amazonaws.com' is a public suffix"}, /* likewise */
	    {"-bad.com\n", ":1: '-bad.com' has a label starting or ending with '-'"},
	    {"bad-.com\n", ":1: 'bad-.com' has a label starting or ending with '-'"},
	    {"a..b\n", ":1: 'a..b' has an empty label"},
	    {".example.com\n", ":1: '.example.com' has an empty label"},
	    {"x\x01y.com\n", ":1: 'x\\001y.com' is not a host name"},
	};
	char err[DX_CONFIG_ERRMAX];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		dx_allow_t *al = NULL;
		CU_ASSERT_EQUAL(load_text(cases[i].text, &al, err), DX_ECONFIG);
		if (strstr(err, cases[i].want) == NULL) {
			CU_FAIL("wrong refusal");
			fprintf(stderr, "\n  got '%s', want '...%s'\n", err, cases[i].want);
		}
		dx_allow_free(al);
	}
	/* a label of 64 characters, a name over 253 */
	char longl[128], longn[300];
	memset(longl, 'a', 64);
	snprintf(longl + 64, sizeof(longl) - 64, ".com\n");
	dx_allow_t *al = NULL;
	CU_ASSERT_EQUAL(load_text(longl, &al, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 63"));
	dx_allow_free(al);
	for (int i = 0; i < 64; i++)
		memcpy(longn + 4 * i, "abc.", 4);
	snprintf(longn + 256, sizeof(longn) - 256, "com\n");
	CU_ASSERT_EQUAL(load_text(longn, &al, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 253"));
	dx_allow_free(al);
}

/* What is not a regular file of bounded size is refused before it is read: a directory, a
 * FIFO (opening it must not wait for a writer), /dev/zero (endless), a file over the cap. */
static void test_apex_allowlist_files(void)
{
	char err[DX_CONFIG_ERRMAX];
	dx_allow_t *al = dx_allow_new(key);
	CU_ASSERT_EQUAL(dx_allow_load(al, "/tmp", psl, err), DX_ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/tmp: is a directory"));
	CU_ASSERT_EQUAL(dx_allow_load(al, "/dev/zero", psl, err), DX_ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/dev/zero: is not a regular file"));
	char fifo[] = "/tmp/dx_allow_fifoXXXXXX";
	CU_ASSERT_FATAL(mkdtemp(fifo) != NULL);
	char fp[64];
	snprintf(fp, sizeof(fp), "%s/f", fifo);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fp, 0600), 0);
	CU_ASSERT_EQUAL(dx_allow_load(al, fp, psl, err), DX_ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not a regular file"));
	unlink(fp);
	snprintf(fp, sizeof(fp), "%s/big", fifo);
	FILE *f = fopen(fp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (unsigned i = 0; i * 16 <= DX_ALLOW_MAX_BYTES; i++)
		fprintf(f, "d%013u.com\n", i);
	fclose(f);
	CU_ASSERT_EQUAL(dx_allow_load(al, fp, psl, err), DX_ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than the 4 MiB"));
	unlink(fp);
	rmdir(fifo);
	CU_ASSERT_EQUAL(dx_allow_load(al, "/nonexistent/allow.txt", psl, err), DX_ENOENT);
	CU_ASSERT_EQUAL(dx_allow_count(al), 0);
	dx_allow_free(al);
}

/* The built-in list: every entry passes the checks a user's file gets under the list in use,
 * it is applied unless switched off, and a file adds to it. */
static void test_apex_allowlist_builtin(void)
{
	CU_ASSERT_TRUE(dx_allow_builtin_n >= 40);
	for (size_t i = 0; i < dx_allow_builtin_n; i++) {
		const char *why = dx_allow_refusal(dx_allow_builtin[i], psl);
		CU_ASSERT_PTR_NULL(why);
		if (why)
			fprintf(stderr, "\n  built-in %s %s\n", dx_allow_builtin[i], why);
	}
	char err[DX_CONFIG_ERRMAX];
	unsigned skipped = 99;
	dx_allow_t *al = NULL;
	CU_ASSERT_EQUAL_FATAL(dx_allow_build(&al, true, NULL, psl, key, &skipped, err), DX_OK);
	CU_ASSERT_EQUAL(skipped, 0);
	/* the list's entries, and the registrable domain of every reputation zone taken from
	 * Debian's mail filters (zen.spamhaus.org: spamhaus.org), each once */
	CU_ASSERT_TRUE(dx_allow_count(al) > dx_allow_builtin_n);
	CU_ASSERT_TRUE(dx_allow_count(al) <= dx_allow_builtin_n + dx_reputation_zones_n);
	CU_ASSERT_TRUE(dx_reputation_zones_n >= 25);
	for (size_t i = 0; i < dx_reputation_zones_n; i++) {
		char name[300];
		snprintf(name, sizeof(name), "4.3.2.1.%s", dx_reputation_zones[i]);
		CU_ASSERT_TRUE(dx_allow_match(al, name));
	}
	CU_ASSERT_TRUE(dx_allow_match(al, "2.0.0.127.zen.spamhaus.org"));
	CU_ASSERT_TRUE(dx_allow_match(al, "x.multi.uribl.com"));
	CU_ASSERT_FALSE(dx_allow_match(al, "x.example.org"));
	size_t all = dx_allow_count(al);
	CU_ASSERT_TRUE(dx_allow_match(al, "0123456789abcdef.avqs.mcafee.com"));
	CU_ASSERT_TRUE(dx_allow_match(al, "x.sxl.sophosxl.net"));
	CU_ASSERT_TRUE(dx_allow_match(al, "h.malware.hash.cymru.com"));
	dx_allow_free(al);
	CU_ASSERT_EQUAL_FATAL(dx_allow_build(&al, false, NULL, psl, key, &skipped, err), DX_OK);
	CU_ASSERT_EQUAL(dx_allow_count(al), 0);
	CU_ASSERT_FALSE(dx_allow_match(al, "x.mcafee.com"));
	dx_allow_free(al);
	char path[] = "/tmp/dx_allow_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	write_file(path, "mine.example\n");
	CU_ASSERT_EQUAL_FATAL(dx_allow_build(&al, true, path, psl, key, &skipped, err), DX_OK);
	CU_ASSERT_EQUAL(dx_allow_count(al), all + 1);
	CU_ASSERT_TRUE(dx_allow_match(al, "a.mine.example"));
	CU_ASSERT_TRUE(dx_allow_match(al, "x.mcafee.com"));
	dx_allow_free(al);
	write_file(path, "co.uk\n");
	al = NULL;
	CU_ASSERT_EQUAL(dx_allow_build(&al, true, path, psl, key, &skipped, err), DX_ECONFIG);
	CU_ASSERT_PTR_NULL(al);
	unlink(path);
}

/* Found by fuzz_dns: a NUL byte in the first label sent the search for the rest of the name
 * past its end. The labels after it hold a registrable domain: that is the apex. */
static void test_apex_fuzz_nul_in_label(void)
{
	static const uint8_t msg[] = {0,   0, 1,   0,	0,   1,	  0, 0,	  0,   0,
				      0,   0, 3,   'a', 0,   'b', 4, 'e', 'v', 'i',
				      'l', 3, 'c', 'o', 'm', 0,	  0, 1,	  0,   1};
	dx_cur_t c = dx_cur_init(msg, sizeof(msg));
	c.off = 12;
	dx_name_t n;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, &n), DX_OK);
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	unsigned off = 999;
	CU_ASSERT_EQUAL(dx_apex_find(ax, &n, &off), DX_APEX_NORMAL);
	CU_ASSERT_STRING_EQUAL(n.text + off, "evil.com");
	dx_apex_free(ax);
}

/* libpsl's answer without our caches or the rule-parent set: -1 if t is a public suffix,
 * else the offset of its registrable domain. */
static int ref_off(const char *t, int type)
{
	if (psl_is_public_suffix2(psl, t, type))
		return -1;
	for (const char *p = t;;) {
		const char *dot = strchr(p, '.');
		if (dot == NULL || psl_is_public_suffix2(psl, dot + 1, type))
			return (int) (p - t);
		p = dot + 1;
	}
}

static int compared;

static void same_as_libpsl(dx_apex_t *ax, const char *dotted, int type)
{
	dx_name_t n;
	if (strlen(dotted) > 200)
		return;
	name_of(dotted, &n);
	unsigned off = 999;
	enum dx_apex_class got = dx_apex_find(ax, &n, &off);
	if (got != DX_APEX_NORMAL && got != DX_APEX_SUFFIX)
		return; /* arpa, local, dotless, "_.": decided before libpsl */
	int want = ref_off(n.text, type);
	bool ok = want < 0 ? got == DX_APEX_SUFFIX : got == DX_APEX_NORMAL && (int) off == want;
	CU_ASSERT_TRUE(ok);
	if (!ok)
		fprintf(stderr, "\n  %s: class %d off %u, libpsl %d\n", dotted, got, off, want);
	compared++;
}

/* The rule-parent set changes no answer: every rule of the list, with one and two labels in
 * front, asked of dx_apex_find and of libpsl directly, with and without the private rules. */
static void test_apex_prefilter_exact(void)
{
	FILE *f = fopen(psl_builtin_filename(), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	dx_apex_t *any = dx_apex_new(psl, true, 1024, key);
	dx_apex_t *icann = dx_apex_new(psl, false, 1024, key);
	CU_ASSERT_TRUE(dx_apex_prefilter(any)); /* Debian's publicsuffix package is installed */
	char line[512], name[600];
	compared = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '/')
			continue;
		const char *r = line;
		if (*r == '!')
			r++;
		else if (r[0] == '*' && r[1] == '.')
			r += 2;
		static const char *const front[] = {"", "x.", "b7.x.", "www.", "a.q.b7.x."};
		for (int i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), "%s%s", front[i], r);
			same_as_libpsl(any, name, PSL_TYPE_ANY);
			same_as_libpsl(icann, name, PSL_TYPE_ICANN);
		}
	}
	fclose(f);
	CU_ASSERT_TRUE(compared > 20000);
	dx_apex_free(any);
	dx_apex_free(icann);
}

/* A random-subdomain flood under a domain with no rules below it: no libpsl call per name. */
static void test_apex_prefilter_cost(void)
{
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	char buf[128];
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "r%06dq.flood-target.com", i);
		dx_name_t n;
		unsigned off;
		name_of(buf, &n);
		CU_ASSERT_EQUAL(dx_apex_find(ax, &n, &off), DX_APEX_NORMAL);
		CU_ASSERT_STRING_EQUAL(n.text + off, "flood-target.com");
	}
	CU_ASSERT_TRUE(dx_apex_psl_calls(ax) <= 4); /* the rest, once: flood-target.com, com */
	dx_apex_free(ax);
}

/* A tunnel's subdomain of several random labels: each new name's rest is new too, and is
 * resolved from its cached suffix, not by a libpsl call per label (5 a name before). */
static void test_apex_multilabel_cost(void)
{
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	char buf[128];
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "p%07d.q%07d.r%07d.s1.flood-target.co.uk", i, i * 7,
			 i * 13);
		dx_name_t n;
		unsigned off;
		name_of(buf, &n);
		CU_ASSERT_EQUAL(dx_apex_find(ax, &n, &off), DX_APEX_NORMAL);
		CU_ASSERT_STRING_EQUAL(n.text + off, "flood-target.co.uk");
	}
	CU_ASSERT_TRUE(dx_apex_psl_calls(ax) <= 8);
	dx_apex_free(ax);
}

/* A wire name from n raw labels (any bytes) into *out, decoded. */
static void wire_name(const char *const *labels, const size_t *lens, int n, dx_name_t *out)
{
	uint8_t msg[600] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t o = 12;
	for (int i = 0; i < n; i++) {
		msg[o++] = (uint8_t) lens[i];
		memcpy(msg + o, labels[i], lens[i]);
		o += lens[i];
	}
	msg[o++] = 0;
	memcpy(msg + o, "\0\1\0\1", 4);
	o += 4;
	dx_cur_t c = dx_cur_init(msg, o);
	c.off = 12;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, out), DX_OK);
}

/* What no name may do: get a public suffix or a single label as an apex that feeds the
 * detectors. type: the sections the resolver applies (with psl_private = no, "github.io" is
 * the apex of every page under it by choice; the block policy still refuses it). */
static bool apex_safe(const dx_name_t *n, unsigned off, enum dx_apex_class cls, int type)
{
	if (cls != DX_APEX_NORMAL)
		return true;
	const char *a = n->text + off;
	size_t alen = n->len - off;
	bool sep = false;
	for (size_t i = off; i < n->len; i++)
		sep |= dx_name_is_sep(n, i);
	return sep && strlen(a) == alen && !psl_is_public_suffix2(psl, a, type);
}

/* Names with a NUL, a literal dot or 8-bit bytes in a label: the apex is the registrable
 * domain of the ordinary labels after the odd one when there is one, else a key of its own
 * that never alerts; never "co.uk" (which "ab\000cd.evil.co.uk" once got). */
static void test_apex_hostile_labels(void)
{
	static const struct {
		const char *labels[5];
		size_t lens[5];
		int n;
		const char *apex; /* printed with \000 for NUL, "\." for a literal dot */
		enum dx_apex_class cls;
	} cases[] = {
	    {{"ab\0cd", "evil", "co", "uk"}, {5, 4, 2, 2}, 4, "evil.co.uk", DX_APEX_NORMAL},
	    {{"ab.cd", "evil", "co", "uk"}, {5, 4, 2, 2}, 4, "evil.co.uk", DX_APEX_NORMAL},
	    {{"x", "evil\0", "co", "uk"}, {1, 5, 2, 2}, 4, "evil\\000.co.uk", DX_APEX_HOSTILE},
	    {{"x", "ev.il", "co", "uk"}, {1, 5, 2, 2}, 4, "ev\\.il.co.uk", DX_APEX_HOSTILE},
	    {{"ab\0cd", "co", "uk"}, {5, 2, 2}, 3, "ab\\000cd.co.uk", DX_APEX_HOSTILE},
	    {{"y\0z", "github", "io"}, {3, 6, 2}, 3, "y\\000z.github.io", DX_APEX_HOSTILE},
	    {{"d", "bkt.x", "s3", "amazonaws", "com"},
	     {1, 5, 2, 9, 3},
	     5,
	     "bkt\\.x.s3.amazonaws.com",
	     DX_APEX_HOSTILE},
	    {{"q", "a", "b.c"}, {1, 1, 3}, 3, "a.b\\.c", DX_APEX_HOSTILE},
	    {{"a\0", "com"}, {2, 3}, 2, "a\\000.com", DX_APEX_HOSTILE},
	    {{"\xfe\xff", "evil", "co", "uk"}, {2, 4, 2, 2}, 4, "evil.co.uk", DX_APEX_NORMAL},
	};
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		dx_name_t n;
		wire_name(cases[i].labels, cases[i].lens, cases[i].n, &n);
		unsigned off = 999;
		enum dx_apex_class cls = dx_apex_find(ax, &n, &off);
		char esc[DX_DNAME_ESCMAX];
		CU_ASSERT_FATAL(off <= n.len);
		dx_dname_escape_text(n.text + off, n.len - off, esc, sizeof(esc));
		/* escape_text takes every '.' as a separator: compare the class and offset */
		dx_name_t want;
		wire_name(cases[i].labels, cases[i].lens, cases[i].n, &want);
		CU_ASSERT_EQUAL(cls, cases[i].cls);
		CU_ASSERT_TRUE(apex_safe(&n, off, cls, PSL_TYPE_ANY));
		char got[DX_DNAME_ESCMAX];
		/* the apex as presentation text, literal dots escaped */
		size_t o = 0;
		for (size_t k = off; k < n.len && o + 5 < sizeof(got); k++) {
			unsigned char ch = (unsigned char) n.text[k];
			if (ch == '.' && !dx_name_is_sep(&n, k))
				o += (size_t) snprintf(got + o, sizeof(got) - o, "\\.");
			else if (ch < 0x21 || ch > 0x7e)
				o += (size_t) snprintf(got + o, sizeof(got) - o, "\\%03u", ch);
			else
				got[o++] = (char) ch;
		}
		got[o] = '\0';
		CU_ASSERT_STRING_EQUAL(got, cases[i].apex);
		if (cls != cases[i].cls || strcmp(got, cases[i].apex) != 0)
			fprintf(stderr, "\n  case %zu: %s class %d, want %s %d\n", i, got, cls,
				cases[i].apex, cases[i].cls);
	}
	dx_apex_free(ax);
}

/* A NUL, a literal dot or an 8-bit byte at every position of names under public suffixes of
 * both sections, and random labels of every byte: no apex that feeds the detectors is ever a
 * public suffix or a single label. */
static void test_apex_hostile_everywhere(void)
{
	static const char *const suffixes[] = {
	    "co.uk",	   "github.io",	    "s3.amazonaws.com",	     "com", "evil.co.uk",
	    "x.github.io", "arpa",	    "compute.amazonaws.com", "uk",  "blogspot.com",
	    "lab.example", "cloudfront.net"};
	static const char odd[] = {'\0', '.', (char) 0xfe, ' ', '\\'};
	dx_apex_t *ax = dx_apex_new(psl, true, 1024, key);
	dx_apex_t *icann = dx_apex_new(psl, false, 1024, key);
	unsigned checked = 0, bad = 0;
	for (size_t si = 0; si < ARRAY_SIZE(suffixes); si++) {
		/* labels: "abcdefgh" then the suffix's labels */
		const char *lab[8];
		size_t lens[8];
		char buf[8][64];
		int nl = 0;
		snprintf(buf[nl], sizeof(buf[nl]), "abcdefgh");
		lab[nl] = buf[nl];
		lens[nl] = 8;
		nl++;
		char sfx[64];
		snprintf(sfx, sizeof(sfx), "%s", suffixes[si]);
		for (char *t = strtok(sfx, "."); t; t = strtok(NULL, ".")) {
			snprintf(buf[nl], sizeof(buf[nl]), "%s", t);
			lab[nl] = buf[nl];
			lens[nl] = strlen(t);
			nl++;
		}
		/* each odd byte at each position of each label */
		for (int li = 0; li < nl; li++)
			for (size_t pos = 0; pos < lens[li]; pos++)
				for (size_t k = 0; k < sizeof(odd); k++) {
					char keep = buf[li][pos];
					buf[li][pos] = odd[k];
					for (int round = 0; round < 2; round++) {
						dx_apex_t *a = round ? icann : ax;
						dx_name_t n;
						wire_name(lab, lens, nl, &n);
						unsigned off = 999;
						enum dx_apex_class cls = dx_apex_find(a, &n, &off);
						checked++;
						if (off > n.len ||
						    !apex_safe(&n, off, cls,
							       round ? PSL_TYPE_ICANN
								     : PSL_TYPE_ANY)) {
							char e[DX_DNAME_ESCMAX];
							dx_dname_escape(&n, false, e);
							if (bad++ < 10)
								fprintf(
								    stderr,
								    "\n  unsafe: %s apex at %u class %d\n",
								    e, off, cls);
						}
					}
					buf[li][pos] = keep;
				}
	}
	/* random labels of random bytes under random suffixes */
	uint32_t x = 12345;
	for (int i = 0; i < 20000; i++) {
		const char *lab[8];
		size_t lens[8];
		char buf[8][16];
		int nl = 1 + (int) ((x = x * 1664525 + 1013904223) >> 28) % 4;
		for (int li = 0; li < nl; li++) {
			lens[li] = 1 + ((x = x * 1664525 + 1013904223) >> 28) % 12;
			for (size_t k = 0; k < lens[li]; k++) {
				x = x * 1664525 + 1013904223;
				unsigned r = x >> 24;
				buf[li][k] = r < 40 ? odd[r % sizeof(odd)] : (char) ('a' + r % 26);
			}
			lab[li] = buf[li];
		}
		char sfx[64];
		snprintf(sfx, sizeof(sfx), "%s",
			 suffixes[((x = x * 1664525 + 1013904223) >> 16) % ARRAY_SIZE(suffixes)]);
		char sb[4][24];
		int ns = 0;
		for (char *t = strtok(sfx, "."); t && nl + ns < 8; t = strtok(NULL, "."), ns++) {
			snprintf(sb[ns], sizeof(sb[ns]), "%s", t);
			lab[nl + ns] = sb[ns];
			lens[nl + ns] = strlen(t);
		}
		dx_name_t n;
		wire_name(lab, lens, nl + ns, &n);
		unsigned off = 999;
		enum dx_apex_class cls = dx_apex_find(i & 1 ? icann : ax, &n, &off);
		checked++;
		if (off > n.len ||
		    !apex_safe(&n, off, cls, i & 1 ? PSL_TYPE_ICANN : PSL_TYPE_ANY)) {
			char e[DX_DNAME_ESCMAX];
			dx_dname_escape(&n, false, e);
			if (bad++ < 20)
				fprintf(stderr, "\n  unsafe: %s apex at %u class %d\n", e, off,
					cls);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(checked > 20000);
	dx_apex_free(ax);
	dx_apex_free(icann);
}

static CU_TestInfo apex_tests[] = {
    {"fuzz_nul_in_label", test_apex_fuzz_nul_in_label},
    {"psl_private", test_apex_psl_private},
    {"icann_only", test_apex_icann_only},
    {"cache_cost", test_apex_cache_cost},
    {"prefilter_exact", test_apex_prefilter_exact},
    {"prefilter_cost", test_apex_prefilter_cost},
    {"multilabel_cost", test_apex_multilabel_cost},
    {"hostile_labels", test_apex_hostile_labels},
    {"hostile_everywhere", test_apex_hostile_everywhere},
    {"allowlist", test_apex_allowlist},
    {"allowlist_refused", test_apex_allowlist_refused},
    {"allowlist_files", test_apex_allowlist_files},
    {"allowlist_builtin", test_apex_allowlist_builtin},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"apex", setup, teardown, NULL, NULL, apex_tests},
    CU_SUITE_INFO_NULL,
};
