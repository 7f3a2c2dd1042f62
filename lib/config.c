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
#include "lib/prepare/srcids.h"
#include "lib/respond/events.h"
#include "lib/respond/hook.h"

#include "lib/config_keys.h"

static const char *const sync_names[] = {"auto", "normal", "off"};

/* names[v] of a table of n names, or dflt when v is out of it. */
static const char *name_of(const char *const *names, size_t n, int v, const char *dflt)
{
	return v >= 0 && (size_t) v < n ? names[v] : dflt;
}

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
	cfg->output.eve_min_severity = DX_SEV_LOW;
	cfg->output.eve_queue_kb = 1024;
	cfg->notify.min_severity = DX_SEV_HIGH;
	cfg->notify.per_incident_per_hour = 6;
	cfg->notify.timeout_ms = 30000;
	cfg->notify.retries = 3;
	cfg->notify.backoff_ms = 1000;
	cfg->notify.queue = 256;
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
	free(cfg->output.eve);
	free(cfg->output.sensor_id);
	free(cfg->notify.hook);
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

static int set_str(char **s, const char *v)
{
	char *dup = strdup(v);
	if (dup == NULL)
		return DX_ENOMEM;
	free(*s);
	*s = dup[0] ? dup : (free(dup), NULL);
	return DX_OK;
}

/* [capture] file: each line adds one */
static int add_file(dx_config_t *cfg, const char *v)
{
	if (*v == '\0') /* "file =" as printed for no file */
		return DX_OK;
	if (cfg->capture.n_files >= DX_MAX_FILES)
		return DX_EINVAL;
	char **nf =
	    realloc(cfg->capture.files, (cfg->capture.n_files + 1) * sizeof(*cfg->capture.files));
	if (nf == NULL)
		return DX_ENOMEM;
	cfg->capture.files = nf;
	if ((nf[cfg->capture.n_files] = strdup(v)) == NULL)
		return DX_ENOMEM;
	cfg->capture.n_files++;
	return DX_OK;
}

static int set_bool(bool *b, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*b = false;
	else
		return DX_EINVAL;
	return DX_OK;
}

static int set_ports(dx_config_t *cfg, uint16_t *ports, const char *v)
{
	uint32_t tmp[DX_MAX_PORTS], n;
	if (parse_list(v, 1, 65535, tmp, DX_MAX_PORTS, &n) != DX_OK)
		return DX_EINVAL;
	for (uint32_t i = 0; i < n; i++)
		ports[i] = (uint16_t) tmp[i];
	/* the count sits after the two port arrays: find it by which array this is */
	if (ports == cfg->capture.vxlan_ports)
		cfg->capture.n_vxlan = (uint8_t) n;
	else
		cfg->capture.n_geneve = (uint8_t) n;
	return DX_OK;
}

/* A name from a fixed set (log level, severity, block scope, synchronous), as its index. */
static int set_name(const struct key *k, int *field, const char *v)
{
	int x = -1;
	if (k->type == KEY_LEVEL)
		x = dx_log_level_parse(v);
	else if (k->type == KEY_SEVERITY)
		x = dx_severity_parse(v);
	else if (k->type == KEY_SCOPE)
		x = dx_respond_scope_parse(v);
	else
		for (size_t i = 0; i < ARRAY_SIZE(sync_names); i++)
			if (!strcmp(v, sync_names[i]))
				x = (int) i;
	if (x < 0)
		return DX_EINVAL;
	*field = x;
	return DX_OK;
}

static int set_key(dx_config_t *cfg, const struct key *k, const char *v)
{
	void *field = (char *) cfg + k->off;
	switch (k->type) {
	case KEY_STR:
		return set_str(field, v);
	case KEY_FILE:
		return add_file(cfg, v);
	case KEY_U32:
		return parse_u32(v, k->min, k->max, field);
	case KEY_BOOL:
		return set_bool(field, v);
	case KEY_PORTS:
		return set_ports(cfg, field, v);
	case KEY_VNIS:
		return parse_list(v, 0, 0xFFFFFF, cfg->capture.vnis, DX_MAX_VNIS,
				  &cfg->capture.n_vnis);
	case KEY_LEVEL:
	case KEY_SEVERITY:
	case KEY_SCOPE:
	case KEY_SYNC:
		return set_name(k, field, v);
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

/* An executable the sensor will run: it must be one now. */
static int check_exec(const dx_config_t *cfg, char *err, const char *section, const char *key,
		      const char *path)
{
	if (path == NULL || access(path, X_OK) == 0)
		return DX_OK;
	char esc[4 * 300 + 1]; /* operator text reaches the terminal escaped */
	dx_dname_escape_text(path, strnlen(path, 300), esc, sizeof(esc));
	return blame(cfg, err, section, key, NULL, "%.300s: %s", esc, strerror(errno));
}

/* [output] eve: a file the sensor can create or append to ("-": standard output) */
static int check_eve(const dx_config_t *cfg, char *err)
{
	const char *p = cfg->output.eve;
	if (p == NULL || strcmp(p, "-") == 0)
		return DX_OK;
	char dir[1024];
	const char *slash = strrchr(p, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int) (slash == p ? 1 : slash - p) : 1,
		 slash ? p : ".");
	int bad = access(p, F_OK) == 0 ? (access(p, W_OK) != 0 ? errno : 0)
				       : (access(dir, W_OK | X_OK) != 0 ? errno : 0);
	if (*p == '\0' || bad == 0)
		return *p ? DX_OK : blame(cfg, err, "output", "eve", NULL, "empty path");
	char esc[4 * 300 + 1];
	dx_dname_escape_text(p, strnlen(p, 300), esc, sizeof(esc));
	return blame(cfg, err, "output", "eve", NULL, "%.300s: %s", esc, strerror(bad));
}

int dx_config_check(const dx_config_t *cfg, char *err)
{
	if (check_exec(cfg, err, "response", "hook", cfg->response.hook) != DX_OK ||
	    check_exec(cfg, err, "notify", "hook", cfg->notify.hook) != DX_OK ||
	    check_eve(cfg, err) != DX_OK)
		return DX_ECONFIG;
	const char *id = cfg->output.sensor_id;
	if (id != NULL) {
		size_t n = strlen(id);
		bool ok = n >= 1 && n <= 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
			     (id[i] >= '0' && id[i] <= '9') || strchr("._:-", id[i]) != NULL;
		if (!ok)
			return blame(cfg, err, "output", "sensor_id", NULL,
				     "1 to 64 letters, digits, '.', '_', ':' or '-'");
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
	out->icmp = cfg->capture.icmp;
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

/* Events out: the incident table, the EVE ring and its batch, the notify queue with each
 * request's event line (README "Sending events"); nothing when neither output is on. */
static size_t events_mem_bound(const dx_config_t *cfg)
{
	if (cfg->output.eve == NULL && cfg->notify.hook == NULL)
		return 0;
	size_t b = dx_events_mem_bound(cfg->detect.cfg.max_alerts + cfg->response.cfg.max_blocks);
	if (cfg->output.eve)
		b += dx_ring_bytes((size_t) cfg->output.eve_queue_kb << 10) + (64u << 10);
	if (cfg->notify.hook)
		b += dx_hook_mem_bound(cfg->notify.queue, DX_EVENT_MAX);
	return b;
}

size_t dx_config_mem_bound(const dx_config_t *cfg)
{
	return dx_ring_bytes((size_t) cfg->capture.ring_a_mb << 20) +
	       dx_ring_bytes((size_t) cfg->capture.ring_b_slots *
			     dx_ring_recsize(sizeof(dx_query_t))) +
	       dx_tcp_mem_bound(cfg->capture.tcp_flows, cfg->capture.tcp_flow_bytes) +
	       dx_detect_mem_bound(&cfg->detect.cfg) +
	       dx_qprep_mem_bound(cfg->detect.prep.cache_entries) +
	       dx_store_mem_bound(cfg->store.queue_rows) + events_mem_bound(cfg) +
	       dx_srcids_mem_bound(DX_SRCIDS) + DX_MEM_FIXED;
}
