/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file config.h
 * @brief dx_config_t: the whole configuration, its defaults (one function), the INI reader
 * (inih, driven by one table of keys) and validation.
 *
 * main owns the config; threads get a const pointer. Strings belong to the config and are
 * freed by dx_config_free().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/base/common.h"
#include "lib/detect/detect.h"
#include "lib/decode/pkt.h"
#include "lib/prepare/prep.h"
#include "lib/respond/respond.h"

#define DX_MAX_FILES 1024
#define DX_MAX_VNIS 64
#define DX_DEFAULT_USER "dnsexfild"    /* [capture] user when unset */
#define DX_CONFIG_MAX_BYTES (1u << 20) /* a configuration file, at most */
#define DX_CONFIG_MAX_LINE 199	       /* inih's INI_MAX_LINE less the newline */

/** [store] synchronous: fsync at checkpoints or not; auto: yes live, no for a replay. */
enum dx_sync { DX_SYNC_AUTO = 0, DX_SYNC_NORMAL, DX_SYNC_OFF };

#define DX_CONFIG_KEYS 128 /* room for the key table's keys */

typedef struct dx_config {
	struct {
		char *interface; /* live capture, or NULL */
		char *bpf;	 /* NULL: the default filter */
		char *user;	 /* live: drop to this user after opening the interface */
		char **files;	 /* offline capture files, in order */
		uint32_t n_files;
		uint32_t snaplen;
		uint32_t buffer_mb; /* kernel capture buffer */
		bool promisc;
		bool icmp;	       /* ICMP echo too, for the ICMP tunnel detector */
		uint32_t ring_a_mb;    /* capture -> parser ring */
		uint32_t ring_b_slots; /* parser -> detector ring, in records */
		uint32_t tcp_flows;
		uint32_t tcp_flow_bytes;
		uint32_t tcp_idle_sec;
		uint32_t max_encap;
		uint16_t vxlan_ports[DX_MAX_PORTS];
		uint16_t geneve_ports[DX_MAX_PORTS];
		uint8_t n_vxlan, n_geneve;
		uint32_t vnis[DX_MAX_VNIS]; /* empty: every VNI and untunnelled traffic */
		uint32_t n_vnis;
	} capture;
	struct {
		dx_detect_cfg_t cfg;
		dx_qprep_cfg_t prep;	/* the parser's part: the apex resolver and its caches */
		char *allowlist;	/* file of domains never to alert on, or NULL */
		bool builtin_allowlist; /* the list compiled from contrib/allowlist.txt */
	} detect;
	struct {
		char *path; /* the database; default dnsexfild.db */
		uint32_t flush_ms;
		uint32_t batch_rows;
		uint32_t queue_rows; /* rows waiting for their commit */
		uint32_t retention_days;
		uint32_t stats_interval_sec;
		int synchronous; /* enum dx_sync */
	} store;
	struct {
		dx_respond_cfg_t cfg;
		char *hook;    /* the block hook executable, or NULL */
		char *protect; /* comma-separated zones never to block, or NULL */
		uint32_t hook_timeout_ms, hook_retries, hook_backoff_ms, hook_queue;
		uint32_t shutdown_ms; /* on SIGTERM, how long running hooks may finish */
	} response;
	struct {
		char *eve;	 /* EVE JSON lines file, "-" for standard output, or NULL: none */
		char *sensor_id; /* in every event; NULL: the host name */
		int eve_min_severity;
		uint32_t eve_queue_kb; /* event lines waiting for the writer */
	} output;
	struct {
		char *hook; /* the notify hook executable, or NULL */
		int min_severity;
		uint32_t per_incident_per_hour;
		uint32_t timeout_ms, retries, backoff_ms, queue;
	} notify;
	struct {
		int level; /* enum dx_log_level */
		bool syslog;
		char *metrics_file;
		uint32_t drop_warn_pct;
	} log;
	/* where the keys were set, so that a check across keys names a file and line */
	struct {
		char *file; /* the configuration file read, or NULL */
		uint32_t
		    line[DX_CONFIG_KEYS]; /* each key's line in it (key table order); 0: none */
	} origin;
} dx_config_t;

/** Every field to its default. Call before anything else; the strings are NULL. */
void dx_config_defaults(dx_config_t *cfg);

/** Read an INI file over cfg (which holds defaults or earlier values). On failure returns
 * DX_ECONFIG (bad content: a bad value, an unknown or duplicate key, a NUL byte, a line over
 * 198 characters) or DX_ENOENT (cannot open; a directory, FIFO or a file over 1 MiB) and
 * writes one line "path:LINE: [section] key: reason" into err (DX_CONFIG_ERRMAX bytes); cfg
 * then holds a mix: free it and exit. */
int dx_config_load(dx_config_t *cfg, const char *path, char *err) DX_MUSTCHECK;

/** The same for INI text in memory (tests); name stands in for the path in messages. */
int dx_config_load_string(dx_config_t *cfg, const char *text, const char *name,
			  char *err) DX_MUSTCHECK;

/** Set one key as if it were in the file (command-line overrides). DX_ECONFIG with err. */
int dx_config_set(dx_config_t *cfg, const char *section, const char *key, const char *value,
		  char *err) DX_MUSTCHECK;

/** Cross-field checks, after the file and the flags: exactly one input, then
 * dx_config_check(). */
int dx_config_validate(const dx_config_t *cfg, char *err) DX_MUSTCHECK;

/** Every check but the inputs' (threshold order, ring sizes, ports, the hook executable):
 * what start, --check-config and SIGHUP all refuse. DX_ECONFIG with err. */
int dx_config_check(const dx_config_t *cfg, char *err) DX_MUSTCHECK;

/** Keys whose value differs between a and b and that a running sensor cannot change (table
 * sizes, capture, store, hook runner...), as "[section] key, ..." in out (cut at n bytes);
 * the number of them. For the SIGHUP warning. */
unsigned dx_config_restart_keys(const dx_config_t *a, const dx_config_t *b, char *out, size_t n);

/** Print the effective configuration as INI (every key, defaults included). */
void dx_config_print(const dx_config_t *cfg, FILE *out);

/** The decoder settings the config implies. */
void dx_config_decode(const dx_config_t *cfg, dx_decode_cfg_t *out);

/** What dnsexfild may hold whatever the traffic, for this configuration: the tables and rings
 * allocated at start (dx_detect_mem_bound, dx_tcp_mem_bound, ring A and ring B) plus
 * DX_MEM_FIXED for code, libpsl's list, SQLite's page cache and thread stacks. Bytes. */
size_t dx_config_mem_bound(const dx_config_t *cfg);
#define DX_MEM_FIXED ((size_t) 24 << 20)

/** Forget the inputs (interface and files): the command line is replacing them. */
void dx_config_clear_inputs(dx_config_t *cfg);

/** Free the strings; cfg is left with defaults. Safe on a half-loaded config. */
void dx_config_free(dx_config_t *cfg);
