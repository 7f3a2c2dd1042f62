/* SPDX-License-Identifier: BSD-2-Clause */
/* Each detector's judge() alone, at the edges of its thresholds (README "Detectors"), with
 * the default configuration and with its own keys moved. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lib/detect/rules.h"

static dx_detect_cfg_t k;
static struct bucket w;
static dx_client_t cl;
static dx_features_t f;
static dx_rule_view_t v;

static void fresh(void)
{
	dx_detect_cfg_defaults(&k);
	memset(&w, 0, sizeof(w));
	memset(&cl, 0, sizeof(cl));
	memset(&f, 0, sizeof(f));
	f.sub_len = 10;
	v = (dx_rule_view_t){.k = &k, .w = &w, .c = &cl, .client_median = UINT32_MAX, .f = &f};
}

static enum dx_severity judge(enum dx_threat t)
{
	for (int r = 0; r < DX_RULES; r++)
		if (dx_rules[r].threat == t)
			return dx_rules[r].judge(&v);
	CU_FAIL("no rule");
	return DX_SEV_NONE;
}

/* The table judges every DNS threat type once (ICMP_TUNNEL is judged on echoes: icmp.c). */
static void test_rules_table(void)
{
	int seen[DX_T_COUNT] = {0};
	for (int r = 0; r < DX_RULES; r++)
		seen[dx_rules[r].threat]++;
	for (int t = 0; t < DX_T_COUNT; t++)
		CU_ASSERT_EQUAL(seen[t], t == DX_T_ICMP_TUNNEL ? 0 : 1);
}

static void test_rules_high_frequency(void)
{
	fresh();
	w.sq = 20;
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_NONE);
	w.sq = 21; /* volume alone is popularity or a retry storm: LOW */
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_LOW);
	w.sq = 101;
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_LOW);
	k.recipe_compat = true; /* the AWS recipe's severities on counts alone */
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_CRITICAL);
	w.sq = 21;
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_MEDIUM);
	k.recipe_compat = false;
	w.sq = 101;
	v.machine = true;
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_CRITICAL);
	w.sq = 51;
	CU_ASSERT_EQUAL(judge(DX_T_HIGH_FREQUENCY), DX_SEV_HIGH);
	CU_ASSERT_DOUBLE_EQUAL(dx_rules[0].score(&v), 0.51, 1e-12);
}

static void test_rules_encoded_subdomain(void)
{
	fresh();
	w.enc_uniq = 5;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_NONE);
	w.enc_uniq = 6;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_LOW);
	w.enc_uniq = 11;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_MEDIUM);
	w.enc_uniq = 5;
	v.info_w = 512; /* HIGH already at enc_low when the names carry enc_high_bytes */
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_HIGH);
	v.info_w = 511;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_NONE);
	w.enc_uniq = 4;
	v.info_w = 4096;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_NONE);
	w.enc_uniq = 51;
	v.info_w = 4095;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_HIGH);
	v.info_w = 4096;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_CRITICAL);
	k.enc_critical_bytes = 8192; /* its own key */
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_HIGH);
	w.enc_uniq = 3;
	k.enc_low = 2;
	v.info_w = 0;
	CU_ASSERT_EQUAL(judge(DX_T_ENCODED_SUBDOMAIN), DX_SEV_LOW);
}

static void test_rules_long_name(void)
{
	fresh();
	w.long_uniq = 4;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_NONE);
	w.long_uniq = 5;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_MEDIUM);
	w.long_uniq = 50;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_MEDIUM); /* not machine-made */
	v.machine = true;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_CRITICAL);
	w.long_uniq = 49;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_HIGH);
	k.long_critical = 40;
	CU_ASSERT_EQUAL(judge(DX_T_LONG_NAME), DX_SEV_CRITICAL);
}

static void test_rules_unusual_qtype(void)
{
	fresh();
	w.sq = w.uniq = 40; /* unique names */
	w.odd_q = 20;
	w.q = 41; /* less than half of the apex's queries */
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_NONE);
	w.q = 40;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_MEDIUM);
	w.uniq = 3; /* a few SRV names asked again and again: service discovery */
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_LOW);
	w.uniq = 29;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_LOW);
	w.uniq = 30; /* three in four */
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_MEDIUM);
	w.odd_q = w.q = 200;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_MEDIUM);
	v.machine = true;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_CRITICAL);
	w.odd_q = w.q = 16; /* qtype_high: HIGH below qtype_min when the names agree */
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_HIGH);
	w.odd_q = w.q = 15;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_NONE);
	v.machine = false; /* plain polls between encoded data queries (iodine) */
	w.odd_q = w.q = 16;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_NONE);
	w.enc_uniq = 5;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_HIGH);
	w.enc_uniq = 4;
	w.odd_q = w.q = 30;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_MEDIUM);
	/* its own keys: it no longer borrows hf_high */
	v.machine = true;
	k.hf_high = 10;
	k.qtype_high = 40;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_MEDIUM);
	k.qtype_high = 30;
	CU_ASSERT_EQUAL(judge(DX_T_UNUSUAL_QTYPE), DX_SEV_HIGH);
}

static void test_rules_subdomain_enumeration(void)
{
	fresh();
	w.uniq = 50;
	w.resp = 10;
	w.nx = 5;
	CU_ASSERT_EQUAL(judge(DX_T_SUBDOMAIN_ENUMERATION), DX_SEV_LOW);
	w.nx = 4; /* most not NXDOMAIN */
	CU_ASSERT_EQUAL(judge(DX_T_SUBDOMAIN_ENUMERATION), DX_SEV_NONE);
	w.nx = 10;
	v.rnd = true; /* machine-made names are not a dictionary */
	CU_ASSERT_EQUAL(judge(DX_T_SUBDOMAIN_ENUMERATION), DX_SEV_NONE);
	v.rnd = false;
	w.uniq = 200;
	CU_ASSERT_EQUAL(judge(DX_T_SUBDOMAIN_ENUMERATION), DX_SEV_MEDIUM);
	w.resp = 0;
	CU_ASSERT_EQUAL(judge(DX_T_SUBDOMAIN_ENUMERATION), DX_SEV_NONE);
}

static void test_rules_info_volume(void)
{
	fresh();
	v.info_h = 4095;
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_NONE);
	v.info_h = 4096; /* a sixteenth of the horizon's budget */
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_LOW);
	v.info_h = 16384;
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_MEDIUM);
	v.info_w = 4096; /* the window's budget, names not machine-made */
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_MEDIUM);
	v.hmachine = true;
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_HIGH);
	v.info_h = 16 * 65536;
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_CRITICAL);
	k.info_critical_factor = 32;
	CU_ASSERT_EQUAL(judge(DX_T_INFO_VOLUME), DX_SEV_HIGH);
}

static void test_rules_client_anomaly(void)
{
	fresh();
	cl.sum.uniq = 300;
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_NONE); /* no peers to compare */
	v.client_median = 30;
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_LOW);
	v.machine = true;
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_MEDIUM);
	v.client_median = 31; /* not 10 × its peers */
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_NONE);
	v.client_median = 0; /* peers that make no names: counted as 1 */
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_MEDIUM);
	f.sub_len = 0; /* a query without a subdomain is not charged */
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_NONE);
	f.sub_len = 3;
	v.c = NULL;
	CU_ASSERT_EQUAL(judge(DX_T_CLIENT_ANOMALY), DX_SEV_NONE);
}

static void test_rules_beacon(void)
{
	fresh();
	static dx_beacon_t b;
	static struct apex_st ap;
	memset(&b, 0, sizeof(b));
	memset(&ap, 0, sizeof(ap));
	ap.n_src = 1;
	ap.src_bits = 1;
	v.apex = &ap;
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_NONE); /* no pair */
	v.beacon = &b;
	b.regular = true;
	b.checkins = b.fresh = 8;
	b.answers = b.idle = 8;
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_MEDIUM);
	b.machine = 4; /* half machine-made, the apex's only client */
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_HIGH);
	ap.src_bits = 3; /* a second client */
	ap.n_src = 2;
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_MEDIUM);
	b.idle = 5; /* answers that say something: a service */
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_NONE);
	b.idle = 8;
	b.fresh = 5; /* mostly one fixed name */
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_NONE);
	b.fresh = 8;
	b.checkins = 7;
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_NONE);
	b.checkins = 8;
	b.regular = false;
	CU_ASSERT_EQUAL(judge(DX_T_BEACON), DX_SEV_NONE);
}

static CU_TestInfo rules_tests[] = {
    {"table", test_rules_table},
    {"high_frequency", test_rules_high_frequency},
    {"encoded_subdomain", test_rules_encoded_subdomain},
    {"long_name", test_rules_long_name},
    {"unusual_qtype", test_rules_unusual_qtype},
    {"subdomain_enumeration", test_rules_subdomain_enumeration},
    {"info_volume", test_rules_info_volume},
    {"client_anomaly", test_rules_client_anomaly},
    {"beacon", test_rules_beacon},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"rules", NULL, NULL, NULL, NULL, rules_tests},
    CU_SUITE_INFO_NULL,
};
