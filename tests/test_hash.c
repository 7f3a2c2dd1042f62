/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>

#include "lib/hash.h"

/* Test vectors from the SipHash paper (appendix A / reference vectors): key 00..0f, inputs
 * 00..(n-1). */
static void test_hash_siphash24_vectors(void)
{
	dx_hash_key_t k = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t in[64];
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t) i;
	CU_ASSERT_EQUAL(dx_siphash24(&k, in, 0), 0x726fdb47dd0e0e31ULL);
	CU_ASSERT_EQUAL(dx_siphash24(&k, in, 1), 0x74f839c593dc67fdULL);
	CU_ASSERT_EQUAL(dx_siphash24(&k, in, 8), 0x93f5f5799a932462ULL);
	CU_ASSERT_EQUAL(dx_siphash24(&k, in, 15), 0xa129ca6149be45e5ULL);
}

/* SipHash-1-3 under the all-zero key, the values published with the RustCrypto digest
 * crates' tests ("", "siphash", "digest-sip_hash"); the first is also OCaml's vector for the
 * empty input, from the reference implementation. */
static void test_hash_siphash13_vectors(void)
{
	dx_hash_key_t z = {0, 0};
	CU_ASSERT_EQUAL(dx_hash(&z, "", 0), 0xd1fba762150c532cULL);
	CU_ASSERT_EQUAL(dx_hash(&z, "siphash", 7), 0x8264ceeccb16bcbeULL);
	CU_ASSERT_EQUAL(dx_hash(&z, "digest-sip_hash", 15), 0xce31007e34130c0aULL);
}

static void test_hash_key_changes_result(void)
{
	dx_hash_key_t a = {1, 2}, b = {1, 3};
	CU_ASSERT_NOT_EQUAL(dx_hash(&a, "example.com", 11), dx_hash(&b, "example.com", 11));
}

static CU_TestInfo hash_tests[] = {
    {"siphash24_vectors", test_hash_siphash24_vectors},
    {"siphash13_vectors", test_hash_siphash13_vectors},
    {"key_changes_result", test_hash_key_changes_result},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"hash", NULL, NULL, NULL, NULL, hash_tests},
    CU_SUITE_INFO_NULL,
};
