/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging: one line per event to stderr, "dnsexfild[group] level: text". stderr is line
 * buffered by glibc only for terminals, so each line is written with one fputs under the
 * stdio lock: lines from different threads never interleave. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/base/log.h"

_Atomic int dx_log_level = DX_LOG_NOTICE;
static _Atomic bool use_syslog, to_journal;

static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

void dx_log_use_syslog(void)
{
	openlog("dnsexfild", LOG_PID, LOG_DAEMON);
	atomic_store(&use_syslog, true);
}

bool dx_log_detect_journal(void)
{
	/* systemd sets JOURNAL_STREAM to the device and inode of the stream it connected
	 * stderr to (systemd.exec(5)); a stderr redirected elsewhere does not match */
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	bool yes = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		   fstat(STDERR_FILENO, &sb) == 0 && (unsigned long long) sb.st_dev == dev &&
		   (unsigned long long) sb.st_ino == ino;
	atomic_store(&to_journal, yes);
	return yes;
}

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};
static const char *const group_names[] = {"main",  "capture", "parse", "detect",
					  "store", "hook",    "config"};

void dx_log_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7F)
			*s = '?';
}

void dx_log_emit(int level, int group, const char *fmt, ...)
{
	int pr = level >= 0 && (size_t) level < ARRAY_SIZE(prio) ? prio[level] : LOG_NOTICE;
	bool syslogging = atomic_load_explicit(&use_syslog, memory_order_relaxed);
	/* the journal reads a "<N>" prefix as the line's priority (sd-daemon(3)), so
	 * journalctl -p warning works */
	char pre[8] = "";
	if (!syslogging && atomic_load_explicit(&to_journal, memory_order_relaxed))
		snprintf(pre, sizeof(pre), "<%d>", pr);
	char line[1024];
	int n = snprintf(
	    line, sizeof(line), "%sdnsexfild[%s] %s: ", pre,
	    group >= 0 && (size_t) group < ARRAY_SIZE(group_names) ? group_names[group] : "?",
	    level >= 0 && (size_t) level < ARRAY_SIZE(level_names) ? level_names[level] : "?");
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t) n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t) n, fmt, ap);
	va_end(ap);
	dx_log_sanitize(line);
	if (syslogging) {
		/* syslog adds its own tag: drop ours */
		const char *msg = strchr(line, ' ');
		syslog(pr, "%s", msg ? msg + 1 : line);
		return;
	}
	size_t len = strlen(line);
	if (len + 1 < sizeof(line)) {
		line[len] = '\n';
		line[len + 1] = '\0';
	} else {
		line[sizeof(line) - 2] = '\n';
	}
	fputs(line, stderr);
}

bool dx_ratelimit_ok(dx_ratelimit_t *rl, int64_t now_us, int64_t interval_us)
{
	if (now_us < rl->next_us) {
		rl->suppressed++;
		return false;
	}
	rl->next_us = now_us + interval_us;
	return true;
}

int dx_log_level_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int) i;
	if (strcmp(s, "err") == 0)
		return DX_LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return DX_LOG_WARN;
	return -1;
}
