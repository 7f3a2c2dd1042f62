/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration parser on arbitrary INI text: load, validate, print, free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	dx_config_t cfg;
	char err[DX_CONFIG_ERRMAX];
	dx_config_defaults(&cfg);
	if (dx_config_load_string(&cfg, text, "fuzz.ini", err) == DX_OK &&
	    dx_config_validate(&cfg, err) == DX_OK) {
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			dx_config_print(&cfg, f);
			fclose(f);
		}
	}
	dx_config_free(&cfg);
	free(text);
	return 0;
}
