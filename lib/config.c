/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration: defaults in one function (Unbound's config_create), one table of keys that
 * drives the INI handler, the command-line overrides and --check-config's output, and
 * validation across fields at the end.
 *
 * inih keeps calling the handler after a rejected line and reports only the first bad line
 * number, so the handler remembers only the first reason and the loader pairs it with that
 * line number. Numbers go through strtoul with errno, the end pointer and [min, max] checked.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/file.h"
#include "lib/config.h"
#include "lib/store/store.h"
#include "lib/decode/dname.h"
#include "lib/prepare/prep.h"
#include "lib/base/err.h"
#include "lib/base/log.h"
#include "lib/prepare/query.h"
#include "lib/base/ring.h"
#include "lib/decode/tcp.h"

enum key_type {
	KEY_STR,
	KEY_U32,
	KEY_BOOL,
	KEY_PORTS,
	KEY_VNIS,
	KEY_FILE,
	KEY_LEVEL,
	KEY_SEVERITY,
	KEY_SCOPE,
	KEY_SYNC
};

static const char *const sync_names[] = {"auto", "normal", "off"};

/* names[v] of a table of n names, or dflt when v is out of it. */
static const char *name_of(const char *const *names, size_t n, int v, const char *dflt)
{
	return v >= 0 && (size_t) v < n ? names[v] : dflt;
}

struct key {
	const char *section, *name;
	size_t off; /* offsetof the field in dx_config_t */
	enum key_type type;
	uint32_t min, max; /* inclusive, KEY_U32 only */
	const char *help;  /* unit and meaning, for the example config */
};

#define OFF(f) offsetof(dx_config_t, f)
static const struct key keys[] = {
    {"capture", "interface", OFF(capture.interface), KEY_STR, 0, 0,
     "live capture interface (or use file)"},
    {"capture", "file", OFF(capture.files), KEY_FILE, 0, 0,
     "capture file to replay; repeat the key for several files, read in order"},
    {"capture", "bpf", OFF(capture.bpf), KEY_STR, 0, 0,
     "BPF filter replacing the default (DNS on 53, VXLAN and GENEVE ports)"},
    {"capture", "snaplen", OFF(capture.snaplen), KEY_U32, 64, 262144, "bytes per frame"},
    {"capture", "buffer_mb", OFF(capture.buffer_mb), KEY_U32, 1, 4096,
     "kernel capture buffer, MiB"},
    {"capture", "promisc", OFF(capture.promisc), KEY_BOOL, 0, 0, "promiscuous mode"},
    {"capture", "ring_a_mb", OFF(capture.ring_a_mb), KEY_U32, 1, 4096,
     "capture -> parser ring, MiB"},
    {"capture", "ring_b_slots", OFF(capture.ring_b_slots), KEY_U32, 1024, 1u << 22,
     "parser -> detector ring, messages"},
    {"capture", "tcp_flows", OFF(capture.tcp_flows), KEY_U32, 4, 1u << 20,
     "DNS-over-TCP flows reassembled at once"},
    {"capture", "tcp_flow_bytes", OFF(capture.tcp_flow_bytes), KEY_U32, 512, 65535,
     "bytes kept of one TCP DNS message"},
    {"capture", "tcp_idle_sec", OFF(capture.tcp_idle_sec), KEY_U32, 1, 3600,
     "seconds of packet time before an idle TCP flow may be reused"},
    {"capture", "max_encap", OFF(capture.max_encap), KEY_U32, 1, DX_MAX_LAYERS,
     "tunnels inside tunnels decapsulated"},
    {"capture", "vxlan_ports", OFF(capture.vxlan_ports), KEY_PORTS, 0, 0,
     "UDP destination ports carrying VXLAN (comma separated, up to 8)"},
    {"capture", "geneve_ports", OFF(capture.geneve_ports), KEY_PORTS, 0, 0,
     "UDP destination ports carrying GENEVE (comma separated, up to 8)"},
    {"capture", "vni", OFF(capture.vnis), KEY_VNIS, 0, 0,
     "only these VNIs (comma separated); empty: all traffic"},
    {"capture", "user", OFF(capture.user), KEY_STR, 0, 0,
     "live capture: after opening the interface, run as this user (if it exists)"},
    {"detect", "window_sec", OFF(detect.cfg.window_sec), KEY_U32, 30, 3600,
     "sliding window of packet time, seconds (a multiple of 30)"},
    {"detect", "horizon_hours", OFF(detect.cfg.horizon_hours), KEY_U32, 1, 168,
     "horizon of the information estimate, hours"},
    {"detect", "psl_private", OFF(detect.prep.psl_private), KEY_BOOL, 0, 0,
     "apply the Public Suffix List's private section (x.cloudfront.net is its own apex)"},
    {"detect", "builtin_allowlist", OFF(detect.builtin_allowlist), KEY_BOOL, 0, 0,
     "apply the built-in allowlist (contrib/allowlist.txt, compiled in)"},
    {"detect", "allowlist", OFF(detect.allowlist), KEY_STR, 0, 0,
     "file of more domains never to alert on as threats (one per line, # comments)"},
    {"detect", "max_apexes", OFF(detect.cfg.max_apexes), KEY_U32, 64, 1u << 24,
     "apexes tracked at once (about 2.2 KiB each)"},
    {"detect", "max_subdomains", OFF(detect.cfg.max_subdomains), KEY_U32, 1024, 1u << 28,
     "names remembered for uniqueness (16 bytes each)"},
    {"detect", "max_clients", OFF(detect.cfg.max_clients), KEY_U32, 16, 1u << 24,
     "clients tracked at once (about 0.5 KiB each)"},
    {"detect", "max_alerts", OFF(detect.cfg.max_alerts), KEY_U32, 16, 1u << 20,
     "alerts open at once (about 3.9 KiB each)"},
    {"detect", "cache_entries", OFF(detect.prep.cache_entries), KEY_U32, 1024, 1u << 26,
     "apex lookup cache entries (two caches of 16 bytes each)"},
    {"detect", "hf_medium", OFF(detect.cfg.hf_medium), KEY_U32, 1, 1000000,
     "HIGH_FREQUENCY: subdomain queries to one apex in the window for MEDIUM (more than)"},
    {"detect", "hf_high", OFF(detect.cfg.hf_high), KEY_U32, 1, 1000000,
     "... for HIGH, if the names look machine-made and unique"},
    {"detect", "hf_critical", OFF(detect.cfg.hf_critical), KEY_U32, 1, 1000000,
     "... for CRITICAL, likewise"},
    {"detect", "enc_low", OFF(detect.cfg.enc_low), KEY_U32, 0, 1000000,
     "ENCODED_SUBDOMAIN: unique encoded subdomains in the window for LOW (more than)"},
    {"detect", "enc_medium", OFF(detect.cfg.enc_medium), KEY_U32, 1, 1000000, "... for MEDIUM"},
    {"detect", "enc_high", OFF(detect.cfg.enc_high), KEY_U32, 1, 1000000, "... for HIGH"},
    {"detect", "enc_critical", OFF(detect.cfg.enc_critical), KEY_U32, 1, 1000000,
     "... for CRITICAL"},
    {"detect", "enc_high_bytes", OFF(detect.cfg.enc_high_bytes), KEY_U32, 1, 1u << 30,
     "... HIGH already at enc_medium if they carry this many bytes"},
    {"detect", "enc_critical_bytes", OFF(detect.cfg.enc_critical_bytes), KEY_U32, 1, 1u << 30,
     "... CRITICAL needs more than enc_critical carrying this many bytes"},
    {"detect", "long_qname", OFF(detect.cfg.long_qname), KEY_U32, 16, 253,
     "LONG_NAME: a name longer than this, characters"},
    {"detect", "long_label", OFF(detect.cfg.long_label), KEY_U32, 8, 63,
     "LONG_NAME: or a label longer than this"},
    {"detect", "long_medium", OFF(detect.cfg.long_medium), KEY_U32, 1, 1000000,
     "LONG_NAME: unique long names in the window for MEDIUM"},
    {"detect", "long_high", OFF(detect.cfg.long_high), KEY_U32, 1, 1000000,
     "... for HIGH, if machine-made"},
    {"detect", "long_critical", OFF(detect.cfg.long_critical), KEY_U32, 1, 1000000,
     "... for CRITICAL, likewise"},
    {"detect", "qtype_min", OFF(detect.cfg.qtype_min), KEY_U32, 1, 1000000,
     "UNUSUAL_QTYPE: TXT/NULL/CNAME/MX/SRV/KEY/unknown queries in the window, half of all"},
    {"detect", "qtype_high", OFF(detect.cfg.qtype_high), KEY_U32, 1, 1000000,
     "... for HIGH, if machine-made"},
    {"detect", "qtype_critical", OFF(detect.cfg.qtype_critical), KEY_U32, 1, 1000000,
     "... for CRITICAL, likewise"},
    {"detect", "enum_min_unique", OFF(detect.cfg.enum_min_unique), KEY_U32, 1, 1000000,
     "SUBDOMAIN_ENUMERATION: unique dictionary-like names, mostly NXDOMAIN, for LOW"},
    {"detect", "enum_medium", OFF(detect.cfg.enum_medium), KEY_U32, 1, 1000000,
     "... for MEDIUM (reconnaissance: never higher)"},
    {"detect", "info_window_bytes", OFF(detect.cfg.info_window_bytes), KEY_U32, 64, 1u << 30,
     "INFO_VOLUME: estimated bytes in the window for HIGH"},
    {"detect", "info_horizon_bytes", OFF(detect.cfg.info_horizon_bytes), KEY_U32, 256, 1u << 30,
     "INFO_VOLUME: estimated bytes in the horizon for HIGH"},
    {"detect", "info_critical_factor", OFF(detect.cfg.info_critical_factor), KEY_U32, 2, 1024,
     "INFO_VOLUME: CRITICAL at this many times either budget, if machine-made"},
    {"detect", "client_min_unique", OFF(detect.cfg.client_min_unique), KEY_U32, 1, 1000000,
     "CLIENT_ANOMALY: new names from one client in the window"},
    {"detect", "client_ratio", OFF(detect.cfg.client_ratio), KEY_U32, 2, 1000000,
     "CLIENT_ANOMALY: ... and this many times the median client's"},
    {"detect", "stats_min_queries", OFF(detect.cfg.stats_min_queries), KEY_U32, 1, 1000000,
     "apex_window_stats rows only for apexes with this many queries in the window"},
    {"store", "path", OFF(store.path), KEY_STR, 0, 0, "the SQLite database"},
    {"store", "flush_ms", OFF(store.flush_ms), KEY_U32, 10, 60000,
     "longest a written row waits for its commit, ms"},
    {"store", "batch_rows", OFF(store.batch_rows), KEY_U32, 1, 1000000,
     "rows after which a batch commits anyway"},
    {"store", "queue_rows", OFF(store.queue_rows), KEY_U32, 16, 1u << 20,
     "rows waiting for their commit, also while the database is locked or failing (~4 KiB each)"},
    {"store", "retention_days", OFF(store.retention_days), KEY_U32, 0, 36500,
     "delete window stats and closed alerts older than this (packet time); 0 keeps all"},
    {"store", "synchronous", OFF(store.synchronous), KEY_SYNC, 0, 0,
     "fsync the database at checkpoints: normal, off, or auto (normal live, off replaying)"},
    {"store", "stats_interval_sec", OFF(store.stats_interval_sec), KEY_U32, 1, 86400,
     "seconds between sensor_stats rows"},
    {"response", "hook", OFF(response.hook), KEY_STR, 0, 0,
     "block hook executable, run as HOOK add|remove DOMAIN... (README \"Hook\")"},
    {"response", "min_severity", OFF(response.cfg.min_severity), KEY_SEVERITY, 0, 0,
     "alerts at or above this severity are blocked: LOW, MEDIUM, HIGH or CRITICAL"},
    {"response", "block_scope", OFF(response.cfg.scope), KEY_SCOPE, 0, 0,
     "both (apex and *.apex), apex, wildcard, or auto (wildcard if > 10 unique subdomains)"},
    {"response", "protect", OFF(response.protect), KEY_STR, 0, 0,
     "your own zones, never blocked (comma separated)"},
    {"response", "dry_run", OFF(response.cfg.dry_run), KEY_BOOL, 0, 0,
     "record block requests as dry_run, run nothing"},
    {"response", "max_blocks_per_hour", OFF(response.cfg.max_blocks_per_hour), KEY_U32, 0, 100000,
     "new blocks per hour of packet time"},
    {"response", "block_ttl_sec", OFF(response.cfg.block_ttl_sec), KEY_U32, 0, 31536000,
     "remove a block this long after its apex was last active; 0 never"},
    {"response", "max_blocks", OFF(response.cfg.max_blocks), KEY_U32, 16, 1u << 20,
     "blocks tracked at once"},
    {"response", "hook_timeout_ms", OFF(response.hook_timeout_ms), KEY_U32, 100, 600000,
     "kill a hook run after this long"},
    {"response", "hook_retries", OFF(response.hook_retries), KEY_U32, 0, 10,
     "further attempts after a failed run"},
    {"response", "hook_backoff_ms", OFF(response.hook_backoff_ms), KEY_U32, 10, 600000,
     "wait before the first retry, doubling each time"},
    {"response", "hook_queue", OFF(response.hook_queue), KEY_U32, 1, 65536,
     "hook requests waiting at most"},
    {"response", "shutdown_ms", OFF(response.shutdown_ms), KEY_U32, 0, 600000,
     "on SIGTERM or the end of input, how long queued hooks may still run"},
    {"log", "syslog", OFF(log.syslog), KEY_BOOL, 0, 0,
     "log to syslog (daemon facility) instead of standard error"},
    {"log", "metrics_file", OFF(log.metrics_file), KEY_STR, 0, 0,
     "Prometheus text file rewritten every stats_interval_sec (node_exporter textfile)"},
    {"log", "drop_warn_pct", OFF(log.drop_warn_pct), KEY_U32, 0, 100,
     "warn when the kernel drops more than this % of packets in a stats interval"},
    {"log", "level", OFF(log.level), KEY_LEVEL, 0, 0, "error, warning, notice, info or debug"},
};
#undef OFF
_Static_assert(ARRAY_SIZE(keys) <= DX_CONFIG_KEYS, "DX_CONFIG_KEYS is too small");

void dx_config_defaults(dx_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capture.snaplen = 65535;
	cfg->capture.buffer_mb = 64;
	cfg->capture.promisc = true;
	cfg->capture.ring_a_mb = 8;
	cfg->capture.ring_b_slots = 65536;
	cfg->capture.tcp_flows = 1024;
	cfg->capture.tcp_flow_bytes = 4096;
	cfg->capture.tcp_idle_sec = 30;
	cfg->capture.max_encap = 2;
	cfg->capture.vxlan_ports[0] = DX_VXLAN_PORT;
	cfg->capture.n_vxlan = 1;
	cfg->capture.geneve_ports[0] = DX_GENEVE_PORT;
	cfg->capture.n_geneve = 1;
	dx_detect_cfg_defaults(&cfg->detect.cfg);
	dx_qprep_cfg_defaults(&cfg->detect.prep);
	cfg->detect.builtin_allowlist = true;
	cfg->response.cfg.min_severity = DX_SEV_HIGH;
	cfg->response.cfg.scope = DX_SCOPE_BOTH;
	cfg->response.cfg.max_blocks_per_hour = 20;
	cfg->response.cfg.block_ttl_sec = 86400;
	cfg->response.cfg.max_blocks = 4096;
	cfg->response.hook_timeout_ms = 30000;
	cfg->response.hook_retries = 3;
	cfg->response.hook_backoff_ms = 1000;
	cfg->response.hook_queue = 256;
	cfg->response.shutdown_ms = 10000;
	cfg->store.flush_ms = 1000;
	cfg->store.batch_rows = 5000;
	cfg->store.queue_rows = 1024;
	cfg->store.retention_days = 30;
	cfg->store.stats_interval_sec = 60;
	cfg->log.level = DX_LOG_NOTICE;
	cfg->log.drop_warn_pct = 1;
}

void dx_config_clear_inputs(dx_config_t *cfg)
{
	free(cfg->capture.interface);
	cfg->capture.interface = NULL;
	for (uint32_t i = 0; i < cfg->capture.n_files; i++)
		free(cfg->capture.files[i]);
	free(cfg->capture.files);
	cfg->capture.files = NULL;
	cfg->capture.n_files = 0;
}

void dx_config_free(dx_config_t *cfg)
{
	dx_config_clear_inputs(cfg);
	free(cfg->capture.bpf);
	free(cfg->detect.allowlist);
	free(cfg->store.path);
	free(cfg->response.hook);
	free(cfg->response.protect);
	free(cfg->capture.user);
	free(cfg->log.metrics_file);
	free(cfg->origin.file);
	dx_config_defaults(cfg);
}

static int parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	if (*v == '\0' || *v == '-' || *v == '+')
		return DX_EINVAL;
	errno = 0;
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return DX_EINVAL;
	*out = (uint32_t) x;
	return DX_OK;
}

/* Comma-separated numbers into arr; at most cap of them. */
static int parse_list(const char *v, uint32_t min, uint32_t max, uint32_t *arr, uint32_t cap,
		      uint32_t *n)
{
	char buf[256];
	size_t len = strlen(v);
	if (len >= sizeof(buf))
		return DX_EINVAL;
	memcpy(buf, v, len + 1);
	uint32_t k = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (k == cap || parse_u32(tok, min, max, &arr[k]) != DX_OK)
			return DX_EINVAL;
		k++;
	}
	*n = k;
	return DX_OK;
}

static int set_key(dx_config_t *cfg, const struct key *k, const char *v)
{
	void *field = (char *) cfg + k->off;
	switch (k->type) {
	case KEY_STR: {
		char **s = field;
		char *dup = strdup(v);
		if (dup == NULL)
			return DX_ENOMEM;
		free(*s);
		*s = dup[0] ? dup : (free(dup), NULL);
		return DX_OK;
	}
	case KEY_FILE: {
		if (*v == '\0') /* "file =" as printed for no file */
			return DX_OK;
		if (cfg->capture.n_files >= DX_MAX_FILES)
			return DX_EINVAL;
		char **nf = realloc(cfg->capture.files,
				    (cfg->capture.n_files + 1) * sizeof(*cfg->capture.files));
		if (nf == NULL)
			return DX_ENOMEM;
		cfg->capture.files = nf;
		if ((nf[cfg->capture.n_files] = strdup(v)) == NULL)
			return DX_ENOMEM;
		cfg->capture.n_files++;
		return DX_OK;
	}
	case KEY_U32:
		return parse_u32(v, k->min, k->max, field);
	case KEY_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(bool *) field = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
			 !strcmp(v, "0"))
			*(bool *) field = false;
		else
			return DX_EINVAL;
		return DX_OK;
	case KEY_PORTS: {
		uint32_t tmp[DX_MAX_PORTS], n;
		if (parse_list(v, 1, 65535, tmp, DX_MAX_PORTS, &n) != DX_OK)
			return DX_EINVAL;
		uint16_t *ports = field;
		for (uint32_t i = 0; i < n; i++)
			ports[i] = (uint16_t) tmp[i];
		/* the count sits after the two port arrays: find it by which array this is */
		if (ports == cfg->capture.vxlan_ports)
			cfg->capture.n_vxlan = (uint8_t) n;
		else
			cfg->capture.n_geneve = (uint8_t) n;
		return DX_OK;
	}
	case KEY_VNIS:
		return parse_list(v, 0, 0xFFFFFF, cfg->capture.vnis, DX_MAX_VNIS,
				  &cfg->capture.n_vnis);
	case KEY_LEVEL: {
		int lv = dx_log_level_parse(v);
		if (lv < 0)
			return DX_EINVAL;
		*(int *) field = lv;
		return DX_OK;
	}
	case KEY_SEVERITY: {
		int sv = dx_severity_parse(v);
		if (sv < 0)
			return DX_EINVAL;
		*(int *) field = sv;
		return DX_OK;
	}
	case KEY_SCOPE: {
		int sc = dx_respond_scope_parse(v);
		if (sc < 0)
			return DX_EINVAL;
		*(int *) field = sc;
		return DX_OK;
	}
	case KEY_SYNC:
		for (size_t i = 0; i < ARRAY_SIZE(sync_names); i++)
			if (!strcmp(v, sync_names[i])) {
				*(int *) field = (int) i;
				return DX_OK;
			}
		return DX_EINVAL;
	}
	return DX_EINVAL;
}

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void describe(const struct key *k, char *buf, size_t len)
{
	if (k->type == KEY_U32)
		snprintf(buf, len, "expected a whole number from %u to %u", k->min, k->max);
	else if (k->type == KEY_BOOL)
		snprintf(buf, len, "expected yes or no");
	else if (k->type == KEY_PORTS)
		snprintf(buf, len, "expected up to %d ports from 1 to 65535", DX_MAX_PORTS);
	else if (k->type == KEY_VNIS)
		snprintf(buf, len, "expected up to %d VNIs from 0 to 16777215", DX_MAX_VNIS);
	else if (k->type == KEY_LEVEL)
		snprintf(buf, len, "expected error, warning, notice, info or debug");
	else if (k->type == KEY_SEVERITY)
		snprintf(buf, len, "expected LOW, MEDIUM, HIGH or CRITICAL");
	else if (k->type == KEY_SCOPE)
		snprintf(buf, len, "expected both, apex, wildcard or auto");
	else if (k->type == KEY_SYNC)
		snprintf(buf, len, "expected auto, normal or off");
	else
		snprintf(buf, len, "bad value");
}

int dx_config_set(dx_config_t *cfg, const char *section, const char *name, const char *value,
		  char *err)
{
	const struct key *k = find_key(section, name);
	if (k == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "[%s] %s: unknown key", section, name);
		return DX_ECONFIG;
	}
	int rc = set_key(cfg, k, value);
	if (rc == DX_ENOMEM) {
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
		return rc;
	}
	if (rc != DX_OK) {
		char why[96], esc[4 * 80 + 1]; /* operator text reaches the terminal escaped */
		describe(k, why, sizeof(why));
		dx_dname_escape_text(value, strnlen(value, 80), esc, sizeof(esc));
		snprintf(err, DX_CONFIG_ERRMAX, "[%s] %s: bad value '%s' (%s)", section, name, esc,
			 why);
		return DX_ECONFIG;
	}
	cfg->origin.line[k - keys] = 0; /* a flag's value: not the file's line */
	return DX_OK;
}

struct parse_state {
	dx_config_t *cfg;
	char first[DX_CONFIG_ERRMAX];
	bool seen[ARRAY_SIZE(keys)]; /* set once: a second line for the key is an error */
	const char *text, *end;	     /* what is left to read */
	uint32_t line;		     /* the line inih parses now */
};

/* inih's reader: one line per call (prescan() made sure each fits), counted, so the handler
 * knows the line of the key it is given. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	if (ps->text >= ps->end || num < 2)
		return NULL;
	const char *nl = memchr(ps->text, '\n', (size_t) (ps->end - ps->text));
	size_t n = nl ? (size_t) (nl - ps->text) + 1 : (size_t) (ps->end - ps->text);
	if (n > (size_t) num - 1)
		n = (size_t) num - 1;
	memcpy(str, ps->text, n);
	str[n] = '\0';
	ps->text += n;
	ps->line++;
	return str;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	if (name == NULL) /* a section header alone */
		return 1;
	char err[DX_CONFIG_ERRMAX];
	const struct key *k = find_key(section, name);
	if (k != NULL && k->type != KEY_FILE && ps->seen[k - keys]) {
		/* the later line would silently win: say so instead */
		if (ps->first[0] == '\0')
			snprintf(ps->first, sizeof(ps->first), "[%s] %s: duplicate key", section,
				 name);
		return 0;
	}
	if (k != NULL)
		ps->seen[k - keys] = true;
	if (dx_config_set(ps->cfg, section, name, value, err) == DX_OK) {
		ps->cfg->origin.line[k - keys] = ps->line;
		return 1;
	}
	if (ps->first[0] == '\0')
		snprintf(ps->first, sizeof(ps->first), "%s", err);
	return 0;
}

static int finish(int rc, struct parse_state *ps, const char *name, char *err)
{
	if (rc == 0)
		return DX_OK;
	if (rc < 0) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s: cannot open: %s", name, strerror(errno));
		return DX_ENOENT;
	}
	/* the reason is cut to leave room for the file name and line: one line in all */
	snprintf(err, DX_CONFIG_ERRMAX, "%s:%d: %.400s", name, rc,
		 ps->first[0] ? ps->first : "syntax error (expected [section] or key = value)");
	return DX_ECONFIG;
}

/* Bytes that inih would take wrong without a word: a NUL ends its line early (the rest of
 * the value is lost), a line of INI_MAX_LINE or more is cut and the rest read as another
 * line. Checked before parsing; returns the first offending line (0: none) and why. */
static int prescan(const char *text, size_t n, const char **why)
{
	int line = 1;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\0') {
			*why = "a NUL byte in the line";
			return line;
		}
		if (text[i] == '\n') {
			line++;
			len = 0;
		} else if (++len >= DX_CONFIG_MAX_LINE) {
			*why = "line longer than the 198 characters a line may have";
			return line;
		}
	}
	return 0;
}

static int parse_text(dx_config_t *cfg, const char *text, size_t n, const char *name, char *err)
{
	const char *why = NULL;
	int bad = prescan(text, n, &why);
	if (bad > 0) {
		snprintf(err, DX_CONFIG_ERRMAX, "%s:%d: %s", name, bad, why);
		return DX_ECONFIG;
	}
	struct parse_state ps = {.cfg = cfg, .first = "", .text = text, .end = text + n};
	free(cfg->origin.file);
	memset(cfg->origin.line, 0, sizeof(cfg->origin.line));
	if ((cfg->origin.file = strdup(name)) == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "out of memory");
		return DX_ENOMEM;
	}
	return finish(ini_parse_stream(read_line, &ps, on_ini, &ps), &ps, name, err);
}

int dx_config_load(dx_config_t *cfg, const char *path, char *err)
{
	size_t n = 0;
	/* a character device too: -c /dev/null stands for the defaults (/dev/zero is then a
	 * NUL, not a hang) */
	char *text = dx_file_slurp(path, DX_CONFIG_MAX_BYTES, true, "a configuration", &n, err);
	if (text == NULL)
		return DX_ENOENT;
	int rc = parse_text(cfg, text, n, path, err);
	free(text);
	return rc;
}

int dx_config_load_string(dx_config_t *cfg, const char *text, const char *name, char *err)
{
	return parse_text(cfg, text, strlen(text), name, err);
}

int dx_config_validate(const dx_config_t *cfg, char *err)
{
	if (cfg->capture.interface && cfg->capture.n_files > 0) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 "[capture] interface and file are both set: choose live or offline");
		return DX_ECONFIG;
	}
	if (!cfg->capture.interface && cfg->capture.n_files == 0) {
		snprintf(err, DX_CONFIG_ERRMAX,
			 "no input: give -r FILE or -i IFACE "
			 "([capture] file or interface)");
		return DX_ECONFIG;
	}
	return dx_config_check(cfg, err);
}

/* The line key (of section) was set at in the configuration file, 0 if not there. */
static uint32_t line_of(const dx_config_t *cfg, const char *section, const char *key)
{
	const struct key *k = find_key(section, key);
	return k ? cfg->origin.line[k - keys] : 0;
}

/* A check across keys failed: one line "file:LINE: [section] key: why" naming the one of
 * keys a and b set later in the file (a if neither is there: then no file and line). */
DX_PRINTF(6, 7)
static int blame(const dx_config_t *cfg, char *err, const char *section, const char *a,
		 const char *b, const char *fmt, ...)
{
	uint32_t la = line_of(cfg, section, a), lb = b ? line_of(cfg, section, b) : 0;
	const char *key = lb > la ? b : a;
	uint32_t line = lb > la ? lb : la;
	char why[DX_CONFIG_ERRMAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (line > 0 && cfg->origin.file != NULL)
		snprintf(err, DX_CONFIG_ERRMAX, "%.200s:%u: [%s] %s: %s", cfg->origin.file, line,
			 section, key, why);
	else
		snprintf(err, DX_CONFIG_ERRMAX, "[%s] %s: %s", section, key, why);
	return DX_ECONFIG;
}

/* lo < mid < hi for three [detect] thresholds named pre_medium, pre_high, pre_critical. */
static int check_order(const dx_config_t *cfg, char *err, const char *pre, uint32_t lo,
		       uint32_t mid, uint32_t hi)
{
	char m[32], h[32], c[32];
	snprintf(m, sizeof(m), "%s_medium", pre);
	snprintf(h, sizeof(h), "%s_high", pre);
	snprintf(c, sizeof(c), "%s_critical", pre);
	if (lo >= mid)
		return blame(cfg, err, "detect", m, h,
			     "%s (%u) must be below %s (%u): %s < %s < %s", m, lo, h, mid, m, h, c);
	if (mid >= hi)
		return blame(cfg, err, "detect", h, c,
			     "%s (%u) must be below %s (%u): %s < %s < %s", h, mid, c, hi, m, h, c);
	return DX_OK;
}

int dx_config_check(const dx_config_t *cfg, char *err)
{
	if (cfg->response.hook && access(cfg->response.hook, X_OK) != 0) {
		char esc[4 * 300 + 1]; /* operator text reaches the terminal escaped */
		dx_dname_escape_text(cfg->response.hook, strnlen(cfg->response.hook, 300), esc,
				     sizeof(esc));
		return blame(cfg, err, "response", "hook", NULL, "%.300s: %s", esc,
			     strerror(errno));
	}
	if ((size_t) cfg->capture.ring_a_mb << 20 < 4u * (cfg->capture.snaplen + 64u))
		return blame(cfg, err, "capture", "ring_a_mb", "snaplen",
			     "%u MiB is too small for snaplen %u", cfg->capture.ring_a_mb,
			     cfg->capture.snaplen);
	const dx_detect_cfg_t *d = &cfg->detect.cfg;
	if (check_order(cfg, err, "hf", d->hf_medium, d->hf_high, d->hf_critical) != DX_OK ||
	    check_order(cfg, err, "enc", d->enc_medium, d->enc_high, d->enc_critical) != DX_OK ||
	    check_order(cfg, err, "long", d->long_medium, d->long_high, d->long_critical) != DX_OK)
		return DX_ECONFIG;
	if (d->enc_low >= d->enc_medium)
		return blame(cfg, err, "detect", "enc_low", "enc_medium",
			     "enc_low (%u) must be below enc_medium (%u)", d->enc_low,
			     d->enc_medium);
	if (d->qtype_high >= d->qtype_critical)
		return blame(cfg, err, "detect", "qtype_high", "qtype_critical",
			     "qtype_high (%u) must be below qtype_critical (%u)", d->qtype_high,
			     d->qtype_critical);
	if (d->enum_min_unique >= d->enum_medium)
		return blame(cfg, err, "detect", "enum_min_unique", "enum_medium",
			     "enum_min_unique (%u) must be below enum_medium (%u)",
			     d->enum_min_unique, d->enum_medium);
	if (d->window_sec % DX_DETECT_BUCKETS != 0)
		return blame(cfg, err, "detect", "window_sec", NULL, "%u is not a multiple of %d",
			     d->window_sec, DX_DETECT_BUCKETS);
	for (uint32_t i = 0; i < cfg->capture.n_vxlan; i++)
		for (uint32_t j = 0; j < cfg->capture.n_geneve; j++)
			if (cfg->capture.vxlan_ports[i] == cfg->capture.geneve_ports[j])
				return blame(cfg, err, "capture", "vxlan_ports", "geneve_ports",
					     "port %u is both a VXLAN and a GENEVE port",
					     cfg->capture.vxlan_ports[i]);
	return DX_OK;
}

void dx_config_decode(const dx_config_t *cfg, dx_decode_cfg_t *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->vxlan_ports, cfg->capture.vxlan_ports, sizeof(out->vxlan_ports));
	memcpy(out->geneve_ports, cfg->capture.geneve_ports, sizeof(out->geneve_ports));
	out->n_vxlan = cfg->capture.n_vxlan;
	out->n_geneve = cfg->capture.n_geneve;
	out->max_encap = (uint8_t) cfg->capture.max_encap;
}

static void print_list(FILE *out, const char *pre, const uint32_t *v, uint32_t n)
{
	fputs(pre, out);
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "%s%u", i ? "," : " ", v[i]);
	fputc('\n', out);
}

static const char *const levels[] = {"error", "warning", "notice", "info", "debug"};

/* "name = value" lines of key k (several for a repeated key, the bare "name =" for none). */
static void print_value(const dx_config_t *cfg, const struct key *k, FILE *out)
{
	const void *field = (const char *) cfg + k->off;
	char pre[64];
	snprintf(pre, sizeof(pre), "%s =", k->name);
	switch (k->type) {
	case KEY_STR: {
		const char *s = *(char *const *) field;
		if (s == NULL && k->off == offsetof(dx_config_t, capture.user))
			s = DX_DEFAULT_USER; /* NULL stands for the default */
		fprintf(out, "%s%s%s\n", pre, s ? " " : "", s ? s : "");
		break;
	}
	case KEY_FILE:
		if (cfg->capture.n_files == 0)
			fprintf(out, "%s\n", pre);
		for (uint32_t f = 0; f < cfg->capture.n_files; f++)
			fprintf(out, "%s %s\n", pre, cfg->capture.files[f]);
		break;
	case KEY_U32:
		fprintf(out, "%s %u\n", pre, *(const uint32_t *) field);
		break;
	case KEY_BOOL:
		fprintf(out, "%s %s\n", pre, *(const bool *) field ? "yes" : "no");
		break;
	case KEY_PORTS: {
		const uint16_t *p = field;
		uint32_t n =
		    p == cfg->capture.vxlan_ports ? cfg->capture.n_vxlan : cfg->capture.n_geneve;
		uint32_t tmp[DX_MAX_PORTS];
		for (uint32_t j = 0; j < n; j++)
			tmp[j] = p[j];
		print_list(out, pre, tmp, n);
		break;
	}
	case KEY_VNIS:
		print_list(out, pre, cfg->capture.vnis, cfg->capture.n_vnis);
		break;
	case KEY_SEVERITY:
		fprintf(out, "%s %s\n", pre, dx_severity_name(*(const int *) field));
		break;
	case KEY_SCOPE:
		fprintf(out, "%s %s\n", pre, dx_respond_scope_name(*(const int *) field));
		break;
	case KEY_SYNC:
		fprintf(out, "%s %s\n", pre,
			name_of(sync_names, ARRAY_SIZE(sync_names), *(const int *) field, "auto"));
		break;
	case KEY_LEVEL:
		fprintf(out, "%s %s\n", pre,
			name_of(levels, ARRAY_SIZE(levels), *(const int *) field, "notice"));
		break;
	}
}

void dx_config_print(const dx_config_t *cfg, FILE *out)
{
	const char *section = "";
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		if (k->type == KEY_U32)
			fprintf(out, "# %s; %u..%u\n", k->help, k->min, k->max);
		else if (k->type == KEY_BOOL)
			fprintf(out, "# %s; yes or no\n", k->help);
		else
			fprintf(out, "# %s\n", k->help);
		print_value(cfg, k, out);
	}
}

/* The keys SIGHUP applies to a running sensor: the detectors' thresholds, the allowlists and
 * the block policy. Everything else is allocated, opened or handed to a thread at start. */
static bool reloads(const struct key *k)
{
	static const char *const detect_fixed[] = {"window_sec", "horizon_hours",  "psl_private",
						   "max_apexes", "max_subdomains", "max_clients",
						   "max_alerts", "cache_entries"};
	static const char *const response_live[] = {
	    "min_severity", "block_scope",	   "protect",
	    "dry_run",	    "max_blocks_per_hour", "block_ttl_sec"};
	if (strcmp(k->section, "detect") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(detect_fixed); i++)
			if (strcmp(k->name, detect_fixed[i]) == 0)
				return false;
		return true;
	}
	if (strcmp(k->section, "response") == 0)
		for (size_t i = 0; i < ARRAY_SIZE(response_live); i++)
			if (strcmp(k->name, response_live[i]) == 0)
				return true;
	return false;
}

unsigned dx_config_restart_keys(const dx_config_t *a, const dx_config_t *b, char *out, size_t n)
{
	unsigned count = 0;
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		/* inputs come from the command line as often as from the file */
		if (reloads(k) || k->type == KEY_FILE ||
		    k->off == offsetof(dx_config_t, capture.interface))
			continue;
		char va[1024], vb[1024];
		FILE *fa = fmemopen(va, sizeof(va), "w"), *fb = fmemopen(vb, sizeof(vb), "w");
		if (fa)
			print_value(a, k, fa);
		if (fb)
			print_value(b, k, fb);
		if (fa)
			fclose(fa);
		if (fb)
			fclose(fb);
		if (fa == NULL || fb == NULL || strcmp(va, vb) == 0)
			continue;
		count++;
		int w = snprintf(out + o, n - o, "%s[%s] %s", o ? ", " : "", k->section, k->name);
		if (w > 0 && (size_t) w < n - o)
			o += (size_t) w;
	}
	return count;
}

size_t dx_config_mem_bound(const dx_config_t *cfg)
{
	return dx_ring_bytes((size_t) cfg->capture.ring_a_mb << 20) +
	       dx_ring_bytes((size_t) cfg->capture.ring_b_slots *
			     dx_ring_recsize(sizeof(dx_query_t))) +
	       dx_tcp_mem_bound(cfg->capture.tcp_flows, cfg->capture.tcp_flow_bytes) +
	       dx_detect_mem_bound(&cfg->detect.cfg) +
	       dx_qprep_mem_bound(cfg->detect.prep.cache_entries) +
	       dx_store_mem_bound(cfg->store.queue_rows) + DX_MEM_FIXED;
}
