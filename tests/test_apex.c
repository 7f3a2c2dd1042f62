/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void test_apex_allowlist(void)
{
	char path[] = "/tmp/dx_allow_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\n\nSophosXL.net   # trailing comment\n*.ec2.internal\n", f);
	fclose(f);
	char err[DX_CONFIG_ERRMAX];
	dx_allow_t *al = NULL;
	CU_ASSERT_EQUAL_FATAL(dx_allow_load(&al, path, key, err), DX_OK);
	CU_ASSERT_EQUAL(dx_allow_count(al), 2);
	CU_ASSERT_TRUE(dx_allow_match(al, "sophosxl.net"));
	CU_ASSERT_TRUE(dx_allow_match(al, "x.y.sophosxl.net"));
	CU_ASSERT_TRUE(dx_allow_match(al, "ec2.internal"));
	CU_ASSERT_FALSE(dx_allow_match(al, "notsophosxl.net"));
	CU_ASSERT_FALSE(dx_allow_match(al, "sophosxl.net.evil.com"));
	dx_allow_free(al);
	f = fopen(path, "w");
	fputs("good.example\nbad example\n", f);
	fclose(f);
	al = NULL;
	CU_ASSERT_EQUAL(dx_allow_load(&al, path, key, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: 'bad example' is not a domain name"));
	CU_ASSERT_PTR_NULL(al);
	unlink(path);
	CU_ASSERT_EQUAL(dx_allow_load(&al, path, key, err), DX_ENOENT);
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

/* Found by fuzz_dns: a NUL byte in the first label sent the search for the rest of the name
 * past its end. Such names are aggregated by their last two labels. */
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

static CU_TestInfo apex_tests[] = {
    {"fuzz_nul_in_label", test_apex_fuzz_nul_in_label},
    {"psl_private", test_apex_psl_private},
    {"icann_only", test_apex_icann_only},
    {"cache_cost", test_apex_cache_cost},
    {"prefilter_exact", test_apex_prefilter_exact},
    {"prefilter_cost", test_apex_prefilter_cost},
    {"multilabel_cost", test_apex_multilabel_cost},
    {"allowlist", test_apex_allowlist},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"apex", setup, teardown, NULL, NULL, apex_tests},
    CU_SUITE_INFO_NULL,
};
