/* SPDX-License-Identifier: BSD-2-Clause */
/* The one main() every CUnit test executable links: registers dx_suites[] from the test file,
 * runs them verbosely, exits 0 only if every test passed (never the failure count: exit
 * statuses wrap at 256). */
#include <CUnit/Basic.h>
#include <stdio.h>

extern CU_SuiteInfo dx_suites[];

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(dx_suites) != CUE_SUCCESS) {
		fprintf(stderr, "register: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (run == 0)
		return 3; /* a suite that runs nothing is a broken suite */
	return failed == 0 ? 0 : 1;
}
