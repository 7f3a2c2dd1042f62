/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file report.h
 * @brief `dnsexfild report`: the incidents or alerts of one database, or of several sensors'
 * databases read as one list, as an aligned table or JSON lines. Opens every database
 * read-only, so it is safe while the sensors write.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/base/common.h"

/* SQLite attaches at most 10 databases to a connection (SQLITE_MAX_ATTACHED) */
#define DX_REPORT_MAX_DB 10

typedef struct dx_report_opts {
	const char *db[DX_REPORT_MAX_DB]; /* several: one list, each row naming its sensor */
	int n_db;
	const char *since;  /* epoch seconds, ISO 8601 date/time (UTC), or "30m"/"24h"/"7d"
	                         before now; NULL: all */
	const char *until;  /* detected before this (the same forms); NULL: all */
	const char *apex;   /* NULL: all */
	int min_severity;   /* enum dx_severity; 0: all */
	const char *status; /* open, closed, blocked, allowlisted or all; NULL: all but
			       allowlisted (they are not threats) */
	long limit;	    /* rows, newest first */
	bool json;
	bool alerts; /* the detector rows; default: the incidents */
	long run;    /* this run only (of each database); 0: every live run, and the latest of
		      * each replayed input */
} dx_report_opts_t;

/** Print the report to out. On failure returns DX_ESTORE (or DX_EINVAL for a bad --since)
 * with one line in err (DX_CONFIG_ERRMAX bytes). */
int dx_report(const dx_report_opts_t *o, FILE *out, char *err) DX_MUSTCHECK;

/** Parse a --since or --until value into epoch seconds; relative forms count back from
 * now (the caller's clock). */
int dx_report_parse_since(const char *s, double now, double *out) DX_MUSTCHECK;
