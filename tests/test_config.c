/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/base/err.h"
#include "lib/base/log.h"

static void test_config_defaults_valid_with_input(void)
{
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(dx_config_validate(&c, err), DX_ECONFIG); /* no input yet */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no input"));
	CU_ASSERT_EQUAL(dx_config_set(&c, "capture", "file", "x.pcap", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_validate(&c, err), DX_OK);
	CU_ASSERT_EQUAL(c.capture.snaplen, 65535);
	CU_ASSERT_EQUAL(c.capture.vxlan_ports[0], 4789);
	CU_ASSERT_EQUAL(c.capture.geneve_ports[0], 6081);
	dx_config_free(&c);
}

static void test_config_every_key(void)
{
	static const char *ini = "[capture]\n"
				 "interface = ens5\n"
				 "bpf = udp port 53\n"
				 "snaplen = 9001\n"
				 "buffer_mb = 128\n"
				 "promisc = no\n"
				 "ring_a_mb = 32\n"
				 "ring_b_slots = 4096\n"
				 "tcp_flows = 64\n"
				 "tcp_flow_bytes = 1024\n"
				 "tcp_idle_sec = 10\n"
				 "max_encap = 3\n"
				 "vxlan_ports = 4789, 8472\n"
				 "geneve_ports = 6081\n"
				 "vni = 123,124\n"
				 "[log]\n"
				 "level = debug\n";
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(dx_config_load_string(&c, ini, "t.ini", err), DX_OK);
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "ens5");
	CU_ASSERT_STRING_EQUAL(c.capture.bpf, "udp port 53");
	CU_ASSERT_EQUAL(c.capture.snaplen, 9001);
	CU_ASSERT_EQUAL(c.capture.buffer_mb, 128);
	CU_ASSERT_FALSE(c.capture.promisc);
	CU_ASSERT_EQUAL(c.capture.ring_a_mb, 32);
	CU_ASSERT_EQUAL(c.capture.ring_b_slots, 4096);
	CU_ASSERT_EQUAL(c.capture.tcp_flows, 64);
	CU_ASSERT_EQUAL(c.capture.tcp_flow_bytes, 1024);
	CU_ASSERT_EQUAL(c.capture.tcp_idle_sec, 10);
	CU_ASSERT_EQUAL(c.capture.max_encap, 3);
	CU_ASSERT_EQUAL(c.capture.n_vxlan, 2);
	CU_ASSERT_EQUAL(c.capture.vxlan_ports[1], 8472);
	CU_ASSERT_EQUAL(c.capture.n_vnis, 2);
	CU_ASSERT_EQUAL(c.capture.vnis[1], 124);
	CU_ASSERT_EQUAL(c.log.level, DX_LOG_DEBUG);
	CU_ASSERT_EQUAL(dx_config_validate(&c, err), DX_OK);
	dx_config_free(&c);
}

/* One error line naming the file, the line and the key, whatever is wrong. */
static void expect_error(const char *ini, const char *needle)
{
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX] = "";
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(dx_config_load_string(&c, ini, "bad.ini", err), DX_ECONFIG);
	if (strstr(err, needle) == NULL)
		fprintf(stderr, "\n  got '%s', wanted '%s'\n", err, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	dx_config_free(&c);
}

static void test_config_errors_name_line_and_key(void)
{
	expect_error("[capture]\nsnaplen = 10\n", "bad.ini:2: [capture] snaplen: bad value '10'");
	expect_error("[capture]\nsnaplen = 1000x\n", "bad.ini:2: [capture] snaplen");
	expect_error("[capture]\nsnaplen = -5\n", "snaplen: bad value");
	expect_error("[capture]\nsnaplen = 99999999999999999999\n", "snaplen: bad value");
	expect_error("\n[capture]\n\nfrobnicate = 1\n",
		     "bad.ini:4: [capture] frobnicate: unknown key");
	expect_error("[nosuch]\nsnaplen = 100\n", "bad.ini:2: [nosuch] snaplen: unknown key");
	expect_error("[capture]\npromisc = maybe\n",
		     "promisc: bad value 'maybe' (expected yes or no)");
	expect_error("[capture]\nvxlan_ports = 0\n", "vxlan_ports: bad value");
	expect_error("[capture]\nvxlan_ports = 1,2,3,4,5,6,7,8,9\n", "vxlan_ports: bad value");
	expect_error("[capture]\nvni = 16777216\n", "vni: bad value");
	expect_error("[log]\nlevel = loud\n", "[log] level: bad value");
	expect_error("[capture]\nthis line has no equals sign\n", "bad.ini:2: syntax error");
	/* two bad lines: the first one is reported */
	expect_error("[capture]\nsnaplen = 1\ntcp_flows = 0\n", "bad.ini:2: [capture] snaplen");
}

static void test_config_cross_field(void)
{
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(
	    dx_config_load_string(&c, "[capture]\ninterface=eth0\nfile=a.pcap\n", "x", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_validate(&c, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "both set"));
	dx_config_clear_inputs(&c);
	CU_ASSERT_EQUAL(dx_config_set(&c, "capture", "file", "a.pcap", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_set(&c, "capture", "geneve_ports", "4789", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_validate(&c, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "both a VXLAN and a GENEVE port"));
	dx_config_free(&c);
	/* a check across keys names the file, and the line of the key set last */
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(dx_config_load_string(&c,
					      "[detect]\nenc_high = 40\n\n# late\n"
					      "enc_critical = 30\n",
					      "t.ini", err),
			DX_OK);
	CU_ASSERT_EQUAL(dx_config_check(&c, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.ini:5: [detect] enc_critical: enc_high (40) must be"
					   " below enc_critical (30)"));
	/* a flag's value has no line in the file */
	CU_ASSERT_EQUAL(dx_config_set(&c, "detect", "enc_critical", "35", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_check(&c, err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.ini:2: [detect] enc_high: "));
	CU_ASSERT_EQUAL(dx_config_set(&c, "detect", "enc_high", "25", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_check(&c, err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_set(&c, "detect", "enc_high", "45", err), DX_OK);
	CU_ASSERT_EQUAL(dx_config_check(&c, err), DX_ECONFIG);
	CU_ASSERT_EQUAL(strncmp(err, "[detect] enc_high: ", 19), 0);
	dx_config_free(&c);
}

static void test_config_missing_file(void)
{
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(dx_config_load(&c, "/nonexistent/dnsexfild.ini", err), DX_ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dnsexfild.ini: cannot open"));
	dx_config_free(&c);
}

/* What --check-config prints loads back to the same configuration. */
static void test_config_print_round_trips(void)
{
	dx_config_t a, b;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&a);
	CU_ASSERT_EQUAL_FATAL(dx_config_load_string(&a,
						    "[capture]\nfile=a.pcap\nfile=b.pcap\n"
						    "vni=5\nvxlan_ports=4789,4790\n",
						    "x", err),
			      DX_OK);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	dx_config_print(&a, f);
	fclose(f);
	dx_config_defaults(&b);
	CU_ASSERT_EQUAL_FATAL(dx_config_load_string(&b, text, "printed", err), DX_OK);
	CU_ASSERT_EQUAL(b.capture.n_files, 2);
	CU_ASSERT_STRING_EQUAL(b.capture.files[1], "b.pcap");
	CU_ASSERT_EQUAL(b.capture.n_vnis, 1);
	CU_ASSERT_EQUAL(b.capture.n_vxlan, 2);
	CU_ASSERT_EQUAL(b.capture.snaplen, a.capture.snaplen);
	CU_ASSERT_PTR_NULL(b.capture.interface);
	free(text);
	dx_config_free(&a);
	dx_config_free(&b);
}

/* The bound counts the rings as allocated: rounded up to a power of two. */
static void test_config_mem_bound_rings_rounded(void)
{
	dx_config_t a, b;
	dx_config_defaults(&a);
	dx_config_defaults(&b);
	a.capture.ring_a_mb = 9; /* allocated as 16 MiB */
	b.capture.ring_a_mb = 16;
	CU_ASSERT_EQUAL(dx_config_mem_bound(&a), dx_config_mem_bound(&b));
	a.capture.ring_b_slots = 40000; /* ~19 MiB of records: 32 MiB allocated */
	b.capture.ring_b_slots = 65536;
	CU_ASSERT_EQUAL(dx_config_mem_bound(&a), dx_config_mem_bound(&b));
	dx_config_free(&a);
	dx_config_free(&b);
}

/* What SIGHUP can and cannot change: the keys only a restart applies are named, the
 * reloadable ones (thresholds, allowlists, block policy) and the inputs are not. */
static void test_config_restart_keys(void)
{
	dx_config_t a, b;
	char err[DX_CONFIG_ERRMAX], out[512];
	dx_config_defaults(&a);
	dx_config_defaults(&b);
	CU_ASSERT_EQUAL(dx_config_restart_keys(&a, &b, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL_FATAL(dx_config_load_string(&b,
						    "[detect]\nhf_high = 60\nallowlist = x.txt\n"
						    "[response]\nprotect = corp.example\n"
						    "[capture]\nfile = a.pcap\n",
						    "b", err),
			      DX_OK);
	CU_ASSERT_EQUAL(dx_config_restart_keys(&a, &b, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL_FATAL(dx_config_load_string(&b,
						    "[capture]\nsnaplen = 1500\n[detect]\n"
						    "max_apexes = 100\n[store]\npath = o.db\n",
						    "b2", err),
			      DX_OK);
	CU_ASSERT_EQUAL(dx_config_restart_keys(&a, &b, out, sizeof(out)), 3);
	CU_ASSERT_STRING_EQUAL(out, "[capture] snaplen, [detect] max_apexes, [store] path");
	dx_config_free(&a);
	dx_config_free(&b);
}

/* What inih alone would take wrong without a word: a key given twice, a NUL in a line, a line
 * over its buffer; each one line with the line number. */
static void test_config_silent_errors(void)
{
	dx_config_t c;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&c);
	CU_ASSERT_EQUAL(
	    dx_config_load_string(&c, "[detect]\nhf_high = 60\n\nhf_high = 70\n", "d", err),
	    DX_ECONFIG);
	CU_ASSERT_STRING_EQUAL(err, "d:4: [detect] hf_high: duplicate key");
	dx_config_free(&c);
	char longl[400];
	snprintf(longl, sizeof(longl), "[capture]\nbpf = %0250d\n", 1);
	CU_ASSERT_EQUAL(dx_config_load_string(&c, longl, "l", err), DX_ECONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "l:2: line longer than"));
	dx_config_free(&c);
	/* exactly 198 characters still fit */
	snprintf(longl, sizeof(longl), "[capture]\nbpf = %0192d\n", 1);
	CU_ASSERT_EQUAL(strlen(strchr(longl, '\n') + 1), 199);
	CU_ASSERT_EQUAL(dx_config_load_string(&c, longl, "l", err), DX_OK);
	dx_config_free(&c);
}

static CU_TestInfo config_tests[] = {
    {"mem_bound_rings_rounded", test_config_mem_bound_rings_rounded},
    {"defaults_valid_with_input", test_config_defaults_valid_with_input},
    {"every_key", test_config_every_key},
    {"errors_name_line_and_key", test_config_errors_name_line_and_key},
    {"cross_field", test_config_cross_field},
    {"missing_file", test_config_missing_file},
    {"print_round_trips", test_config_print_round_trips},
    {"restart_keys", test_config_restart_keys},
    {"silent_errors", test_config_silent_errors},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"config", NULL, NULL, NULL, NULL, config_tests},
    CU_SUITE_INFO_NULL,
};
