/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file logs.h
 * @brief Route 53 Resolver query logs as an input (README "Route 53 query logs"), for the
 * capture thread: what a file holds, judged by its first bytes; a directory tree in S3's
 * layout expanded in time order; a log file read to its end into ring A, each record as the
 * query and response packets the resolver saw (lib/decode/r53log.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sensor/pipeline.h"

enum dx_input { DX_IN_PCAP = 0, DX_IN_LOG, DX_IN_NEITHER, DX_IN_UNREADABLE };

#define DX_SNIFF_MAX 512 /* bytes looked at to tell a capture from a log */

/** What bytes b[0..n) begin: a pcap or pcapng capture, a log (gzip, or a JSON object after
 * white space), or neither. */
enum dx_input dx_input_kind(const uint8_t *b, size_t n);

/** The regular files under path (a directory), sorted by path (S3's layout,
 * .../YYYY/MM/DD/..._YYYYMMDDTHHMMZ_..., sorts in time order), appended to *list (n, cap
 * grown with realloc). 0, or -1 after one log line. */
int dx_input_expand_dir(const char *path, char ***list, uint32_t *n, uint32_t *cap);

/** Read one log (path, or "-" for standard input after pre[0..pre_n), the bytes already read
 * to judge it) to its end into ring A. 0, or -1 if it could not be read (a gzip member cut
 * short is counted, log_gzip_cut, and ends the file, like a truncated capture). */
int dx_logs_drain(dx_pipeline_t *pl, const char *path, const uint8_t *pre, size_t pre_n);
