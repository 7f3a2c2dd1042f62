/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hook runner. The detector thread submits requests; one worker thread (owned here) runs them
 * one at a time, so a hook that hangs, crashes or floods its output delays only later hooks,
 * never capture or detection, and the bounded queue refuses what does not fit.
 *
 * The hook is started with posix_spawn(): a fixed argv of validated domains, no shell, stdin
 * from /dev/null, stdout to /dev/null, stderr to a pipe we read (at most DX_HOOK_STDERR_MAX
 * bytes kept, the rest read and dropped so the hook never blocks on a full pipe), in a process
 * group of its own so a timeout kills the hook and whatever it started (the aws CLI).
 * Results go back through a second queue; the database is written by the thread that owns it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/clock.h"
#include "lib/base/common.h"
#include "lib/base/err.h"
#include "lib/base/csv.h"
#include "lib/respond/hook.h"

extern char **environ;

bool dx_hook_domain_valid(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || n > DX_HOOK_DOMAIN_MAX)
		return false;
	const char *p = d;
	if (p[0] == '*' && p[1] == '.')
		p += 2;
	int labels = 0;
	size_t lab = 0;
	for (;; p++) {
		char c = *p;
		if (c == '.' || c == '\0') {
			if (lab == 0)
				return false; /* empty label */
			labels++;
			lab = 0;
			if (c == '\0')
				break;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (!ok || (c == '-' && lab == 0)) /* no label, so no argument, starts with '-' */
			return false;
		lab++;
	}
	return labels >= 2;
}

enum field { F_APEX, F_SEV, F_THREAT, F_ALERT, F_EST, F_SOURCES, F_INSTANCES, F_VPCS, F_VNI };

static const char *field(const dx_hook_req_t *r, enum field f, char tmp[24])
{
	switch (f) {
	case F_APEX:
		return r->apex;
	case F_SEV:
		return r->severity;
	case F_THREAT:
		return r->threat;
	case F_ALERT:
		snprintf(tmp, 24, "%lld", (long long) r->alert_id);
		return tmp;
	case F_EST:
		snprintf(tmp, 24, "%llu", (unsigned long long) r->est_bytes);
		return tmp;
	case F_SOURCES:
		return r->sources;
	case F_INSTANCES:
		return r->instances;
	case F_VPCS:
		return r->vpcs;
	case F_VNI:
		if (!r->has_vni)
			return "";
		snprintf(tmp, 24, "%u", r->vni);
		return tmp;
	}
	return "";
}

/* "NAME=" and each request's field, comma separated, at buf + *o; a set (the addresses and
 * ids, comma-separated lists themselves) keeps each item once. NULL if it does not fit. */
static char *join(char *buf, size_t len, size_t *o, const char *name, const dx_hook_req_t *r,
		  int nr, enum field f, bool set)
{
	char *start = buf + *o, tmp[24];
	int w = snprintf(start, len - *o, "%s=", name);
	if (w < 0 || (size_t) w >= len - *o)
		return NULL;
	char *val = start + w;
	size_t at = *o + (size_t) w;
	for (int i = 0; i < nr; i++) {
		const char *v = field(&r[i], f, tmp);
		if (!set) { /* one entry per request, empty ones too: the lists stay aligned */
			w = snprintf(buf + at, len - at, "%s%s", i ? "," : "", v);
			if (w < 0 || (size_t) w >= len - at)
				return NULL;
			at += (size_t) w;
			continue;
		}
		for (const char *p = v; *p;) {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t) (c - p) : strlen(p);
			if (n && !dx_csv_has(val, p, n)) {
				if (at + n + 2 >= len)
					return NULL;
				if (buf + at != val)
					buf[at++] = ',';
				memcpy(buf + at, p, n);
				at += n;
				buf[at] = '\0';
			}
			if (c == NULL)
				break;
			p = c + 1;
		}
	}
	*o = at + 1;
	return start;
}

/* environ, less any DNSEXFIL_* already there, plus ours for the nr requests of one run. The
 * strings live in *bufp (malloc'ed; the caller frees it and the array). */
static char **build_env(const dx_hook_cfg_t *cfg, const dx_hook_req_t *r, int nr, char **bufp)
{
	size_t n = 0;
	while (environ[n])
		n++;
	size_t len = 1024 + (size_t) nr * (sizeof(*r) - offsetof(dx_hook_req_t, apex));
	char **env = calloc(n + 24, sizeof(*env)) /* ours: at most 15 and the NULL */;
	char *buf = *bufp = malloc(len);
	if (env == NULL || buf == NULL) {
		free(env);
		free(buf);
		*bufp = NULL;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "DNSEXFIL_", 9) != 0)
			env[k++] = environ[i];
	size_t o = 0;
#define ADD(...)                                                  \
	do {                                                      \
		int w_ = snprintf(buf + o, len - o, __VA_ARGS__); \
		if (w_ > 0 && (size_t) w_ < len - o) {            \
			env[k++] = buf + o;                       \
			o += (size_t) w_ + 1;                     \
		}                                                 \
	} while (0)
#define JOIN(name, f, set)                                                      \
	do {                                                                    \
		char *v_ = join(buf, len, &o, "DNSEXFIL_" name, r, nr, f, set); \
		if (v_)                                                         \
			env[k++] = v_;                                          \
	} while (0)
	if (r->action == DX_HOOK_NOTIFY) {
		ADD("DNSEXFIL_EVENT=%s", r->event);
		ADD("DNSEXFIL_INCIDENT=%s", r->uid);
	}
	ADD("DNSEXFIL_BATCH=%d", nr);
	JOIN("APEX", F_APEX, false);
	JOIN("SEVERITY", F_SEV, false);
	JOIN("THREAT", F_THREAT, false);
	JOIN("ALERT_ID", F_ALERT, false);
	JOIN("EST_BYTES", F_EST, false);
	JOIN("SOURCES", F_SOURCES, true);
	JOIN("INSTANCES", F_INSTANCES, true);
	JOIN("VPCS", F_VPCS, true);
	JOIN("VNI", F_VNI, false);
	ADD("DNSEXFIL_TIMEOUT_MS=%u", cfg->timeout_ms);
	ADD("DNSEXFIL_DB=%s", cfg->db_path ? cfg->db_path : "");
#undef JOIN
#undef ADD
	env[k] = NULL;
	return env;
}

/* The earlier of deadline and the shutdown deadline (0: none), which may be set while a
 * hook runs: shutdown_ms bounds the exit whatever is running. */
static int64_t deadline_now(int64_t deadline, _Atomic int64_t *stop)
{
	int64_t sd = stop ? atomic_load(stop) : 0;
	return sd && sd < deadline ? sd : deadline;
}

/*
 * The sensor is the subreaper of what its hooks start (dx_hook_new()), so a process a hook
 * left behind, even one that detached with setsid() into a session of its own, becomes our
 * child when the hook exits. Each runner runs one hook at a time, and the running hooks are
 * registered here (spawned and registered under the same lock the sweep takes): once a hook
 * has ended, every other child of ours is such a leftover, and is ended with its group.
 * Under systemd the unit's cgroup does the same at stop; this covers replays and a sensor run
 * by hand.
 */
#define RUNNERS 8 /* hook runners at once: the block hook's and the notify hook's */
static pthread_mutex_t kids_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t running[RUNNERS];

static void set_running(pid_t old, pid_t pid)
{
	for (int i = 0; i < RUNNERS; i++)
		if (running[i] == old) {
			running[i] = pid;
			return;
		}
}

static bool is_running(pid_t pid)
{
	for (int i = 0; i < RUNNERS; i++)
		if (running[i] == pid)
			return true;
	return false;
}

/* The hook has ended: reaped, and no longer one to spare. */
static void reap(pid_t pid, int *status)
{
	waitpid(pid, status, 0);
	pthread_mutex_lock(&kids_mu);
	set_running(pid, 0);
	pthread_mutex_unlock(&kids_mu);
}

static void end_leftovers(void)
{
	pthread_mutex_lock(&kids_mu);
	DIR *tasks = opendir("/proc/self/task");
	if (tasks == NULL) {
		pthread_mutex_unlock(&kids_mu);
		return;
	}
	pid_t kids[64];
	int n = 0;
	for (struct dirent *t; (t = readdir(tasks)) != NULL;) {
		if (t->d_name[0] == '.')
			continue;
		char path[96];
		snprintf(path, sizeof(path), "/proc/self/task/%.32s/children", t->d_name);
		FILE *c = fopen(path, "r");
		if (c == NULL)
			continue;
		int k;
		while (n < (int) ARRAY_SIZE(kids) && fscanf(c, "%d", &k) == 1)
			kids[n++] = (pid_t) k;
		fclose(c);
	}
	closedir(tasks);
	for (int i = 0; i < n; i++) {
		if (is_running(kids[i]))
			continue;	 /* another runner's hook, still at work */
		kill(-kids[i], SIGKILL); /* its own group or session, if it made one */
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	pthread_mutex_unlock(&kids_mu);
}

/* One attempt for the nr requests of a run (one unless they are a batch of adds or of
 * removes). Returns the exit code as in dx_hook_result_t; appends stderr to res. */
static int run_once(const dx_hook_cfg_t *cfg, const dx_hook_req_t *r, int nr, dx_hook_result_t *res,
		    int64_t deadline_us, _Atomic int64_t *stop, double *exec_wall)
{
	*exec_wall = dx_clock_wall(); /* every return path, spawn or not, has a start time */
	char *argv[DX_HOOK_BATCH * DX_HOOK_MAX_DOMAINS + 3];
	int a = 0;
	argv[a++] = (char *) cfg->path;
	if (r->action == DX_HOOK_NOTIFY) {
		argv[a++] = (char *) r->event;
	} else {
		argv[a++] = (char *) (r->action == DX_HOOK_ADD	     ? "add"
				      : r->action == DX_HOOK_ISOLATE ? "isolate"
								     : "remove");
		for (int j = 0; j < nr && j < DX_HOOK_BATCH; j++)
			for (int i = 0; i < r[j].n_domains; i++)
				argv[a++] = (char *) r[j].domains[i];
	}
	argv[a] = NULL;

	/* posix_spawn reports a missing program only on some implementations (valgrind's, for
	 * one, forks and exits 127): check first, so "cannot run" is always reported the same */
	if (access(cfg->path, X_OK) != 0) {
		snprintf(res->stderr_text, sizeof(res->stderr_text), "dnsexfild: cannot run %s: %s",
			 cfg->path, strerror(errno));
		return -2;
	}
	char *envbuf = NULL;
	char **env = build_env(cfg, r, nr, &envbuf);
	int pfd[2] = {-1, -1}, ifd[2] = {-1, -1};
	if (env == NULL || pipe2(pfd, O_CLOEXEC) != 0 ||
	    (r->input && pipe2(ifd, O_CLOEXEC | O_NONBLOCK) != 0)) {
		free(env);
		free(envbuf);
		if (pfd[0] >= 0) {
			close(pfd[0]);
			close(pfd[1]);
		}
		snprintf(res->stderr_text, sizeof(res->stderr_text), "dnsexfild: out of resources");
		return -2;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	if (r->input)
		posix_spawn_file_actions_adddup2(&fa, ifd[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0); /* its own group: a timeout kills its children too */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none); /* our threads block signals; the hook must not */
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	*exec_wall = dx_clock_wall();
	pthread_mutex_lock(&kids_mu);
	int rc = posix_spawn(&pid, cfg->path, &fa, &at, argv, env);
	if (rc == 0)
		set_running(0, pid);
	pthread_mutex_unlock(&kids_mu);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	free(envbuf);
	close(pfd[1]);
	if (r->input) {
		/* the event is far smaller than a pipe's buffer (DX_EVENT_MAX < 64 KiB): written
		 * whole at once, so a hook that never reads cannot hold us */
		close(ifd[0]);
		if (rc == 0 && write(ifd[1], r->input, r->input_len) < 0)
			snprintf(res->stderr_text, sizeof(res->stderr_text),
				 "dnsexfild: writing the event: %s\n", strerror(errno));
		close(ifd[1]);
	}
	if (rc != 0) {
		close(pfd[0]);
		snprintf(res->stderr_text, sizeof(res->stderr_text), "dnsexfild: cannot run %s: %s",
			 cfg->path, strerror(rc));
		return -2;
	}
	size_t have = strlen(res->stderr_text);
	bool exited = false, eof = false;
	int status = 0;
	for (;;) {
		/* exited, but not reaped yet: the zombie keeps its pid, so its group can still be
		 * killed below without any risk of hitting a new process that took the number */
		siginfo_t si = {0};
		if (!exited && waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			exited = true;
		int64_t left = deadline_now(deadline_us, stop) - dx_clock_mono_us();
		if (!exited && left <= 0) { /* too slow: the hook and everything it started */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			reap(pid, &status);
			close(pfd[0]);
			end_leftovers();
			return -1;
		}
		if (eof) {
			if (exited)
				break;
			struct timespec ts = {0, 10 * 1000000L};
			nanosleep(&ts, NULL);
			continue;
		}
		/* Once the hook has exited, only what is already in the pipe is read: a child it
		 * left running may hold the pipe open forever. */
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		int ms = exited ? 0 : (left / 1000 > 50 ? 50 : (int) (left / 1000) + 1);
		int pr = poll(&p, 1, ms);
		if (pr <= 0) {
			if (exited)
				break;
			continue;
		}
		char chunk[4096];
		ssize_t k = read(pfd[0], chunk, sizeof(chunk));
		if (k <= 0) {
			eof = true;
			continue;
		}
		if (have < DX_HOOK_STDERR_MAX) { /* keep the start, read and drop the rest */
			size_t take = (size_t) k < DX_HOOK_STDERR_MAX - have
					  ? (size_t) k
					  : DX_HOOK_STDERR_MAX - have;
			memcpy(res->stderr_text + have, chunk, take);
			have += take;
			res->stderr_text[have] = '\0';
		}
	}
	close(pfd[0]);
	kill(-pid, SIGKILL); /* what it left in its group */
	reap(pid, &status);
	end_leftovers(); /* and what it left elsewhere */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -2;
}

/* Run nr requests as one hook run, with retries; res is the first request's result and
 * *first_exec the wall clock of the first exec (each request's latency is from there). */
static void run_with(const dx_hook_cfg_t *cfg, const dx_hook_req_t *r, int nr,
		     dx_hook_result_t *res, _Atomic int64_t *stop_deadline, double *first_exec)
{
	memset(res, 0, sizeof(*res));
	res->seq = r->seq;
	res->action = r->action;
	res->n_domains = r->n_domains;
	memcpy(res->block_ids, r->block_ids, sizeof(res->block_ids));
	res->state = DX_HOOK_FAILED;
	uint32_t backoff = cfg->backoff_ms;
	for (uint32_t attempt = 0; attempt <= cfg->retries; attempt++) {
		int64_t now = dx_clock_mono_us();
		int64_t sd = stop_deadline ? atomic_load(stop_deadline) : 0;
		if (attempt > 0) {
			int64_t wake = now + (int64_t) backoff * 1000;
			if (sd && wake > sd)
				break; /* shutting down: no more retries */
			/* in slices: a shutdown that starts meanwhile ends the wait */
			while ((now = dx_clock_mono_us()) < wake) {
				sd = stop_deadline ? atomic_load(stop_deadline) : 0;
				if (sd && wake > sd)
					break;
				int64_t us = wake - now < 20000 ? wake - now : 20000;
				struct timespec ts = {0, (long) us * 1000};
				nanosleep(&ts, NULL);
			}
			if (sd && wake > sd)
				break;
			backoff *= 2;
			now = dx_clock_mono_us();
		}
		int64_t deadline = now + (int64_t) cfg->timeout_ms * 1000;
		res->stderr_text[0] = '\0';
		double exec_wall;
		res->exit_code = run_once(cfg, r, nr, res, deadline, stop_deadline, &exec_wall);
		if (res->attempts++ == 0) {
			res->latency_ms = (exec_wall - r->ref_wall) * 1000.0;
			*first_exec = exec_wall;
		}
		if (res->exit_code == 0) {
			res->state = DX_HOOK_DONE;
			return;
		}
		sd = stop_deadline ? atomic_load(stop_deadline) : 0;
		bool at_stop = sd && dx_clock_mono_us() >= sd;
		if (res->exit_code == -1 && res->stderr_text[0] == '\0')
			snprintf(res->stderr_text, sizeof(res->stderr_text),
				 at_stop ? "dnsexfild: killed at shutdown (shutdown_ms)"
					 : "dnsexfild: killed after %u ms",
				 cfg->timeout_ms);
		if (at_stop)
			break; /* shutting down: no more retries */
	}
}

void dx_hook_run(const dx_hook_cfg_t *cfg, const dx_hook_req_t *req, dx_hook_result_t *res)
{
	double exec;
	run_with(cfg, req, 1, res, NULL, &exec);
}

/* ---- the worker and its two queues ---- */

struct dx_hook {
	dx_hook_cfg_t cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	dx_hook_req_t *reqs;
	dx_hook_req_t *batch; /* the worker's: the requests of the run in hand */
	dx_hook_result_t *res;
	uint32_t cap, rcap;
	uint32_t r_head, r_n; /* requests */
	uint32_t o_head, o_n; /* results */
	uint32_t running;
	int64_t linger_until; /* a block request waits for others until then; 0: go now */
	bool stopping, joined;
	_Atomic int64_t stop_deadline;
};

static void push_result(dx_hook_t *h, const dx_hook_result_t *r)
{
	pthread_mutex_lock(&h->mu);
	if (h->o_n < h->rcap) {
		h->res[(h->o_head + h->o_n) % h->rcap] = *r;
		h->o_n++;
	}
	pthread_mutex_unlock(&h->mu);
}

/* May the worker take the queue's head now? Not while a block request lingers for others to
 * join its run (the wait's end is *until). */
static bool ready(dx_hook_t *h, int64_t *until)
{
	*until = 0;
	if (h->r_n == 0)
		return false;
	if (h->stopping || h->linger_until == 0 || h->reqs[h->r_head].action == DX_HOOK_NOTIFY)
		return true;
	if (dx_clock_mono_us() >= h->linger_until)
		return true;
	*until = h->linger_until;
	return false;
}

static void wait_until(dx_hook_t *h, int64_t until)
{
	if (until == 0) {
		pthread_cond_wait(&h->cv, &h->mu);
		return;
	}
	struct timespec ts = {(time_t) (until / 1000000), (long) (until % 1000000) * 1000};
	pthread_cond_timedwait(&h->cv, &h->mu, &ts);
}

/* The requests of one run, taken off the queue under the lock: the head, and the adds (or
 * removes) queued behind it, up to DX_HOOK_BATCH. */
static int take(dx_hook_t *h)
{
	int nr = 0;
	do {
		h->batch[nr++] = h->reqs[h->r_head];
		h->r_head = (h->r_head + 1) % h->cap;
		h->r_n--;
	} while (h->batch[0].action != DX_HOOK_NOTIFY && nr < DX_HOOK_BATCH && h->r_n > 0 &&
		 h->reqs[h->r_head].action == h->batch[0].action);
	h->linger_until = 0;
	return nr;
}

static void *worker(void *arg)
{
	dx_hook_t *h = arg;
	dx_hook_result_t res, one;
	for (;;) {
		pthread_mutex_lock(&h->mu);
		int64_t until;
		while (!ready(h, &until) && !(h->stopping && h->r_n == 0))
			wait_until(h, until);
		if (h->r_n == 0) {
			pthread_mutex_unlock(&h->mu);
			return NULL;
		}
		int nr = take(h);
		h->running = (uint32_t) nr;
		bool late = h->stopping && dx_clock_mono_us() >= atomic_load(&h->stop_deadline);
		pthread_mutex_unlock(&h->mu);
		const dx_hook_req_t *req = h->batch;
		double exec = 0;
		if (late) { /* past the shutdown deadline: recorded, not run */
			memset(&res, 0, sizeof(res));
			res.state = DX_HOOK_FAILED;
			res.exit_code = -1;
			snprintf(res.stderr_text, sizeof(res.stderr_text),
				 "dnsexfild: not run, shutting down");
		} else {
			run_with(&h->cfg, req, nr, &res, &h->stop_deadline, &exec);
		}
		for (int i = 0; i < nr; i++) { /* one result per request, the run's fate */
			one = res;
			one.seq = req[i].seq;
			one.action = req[i].action;
			one.n_domains = req[i].n_domains;
			memcpy(one.block_ids, req[i].block_ids, sizeof(one.block_ids));
			if (res.attempts)
				one.latency_ms = (exec - req[i].ref_wall) * 1000.0;
			free(req[i].input);
			push_result(h, &one);
		}
		pthread_mutex_lock(&h->mu);
		h->running = 0;
		pthread_mutex_unlock(&h->mu);
	}
}

size_t dx_hook_mem_bound(uint32_t queue, size_t input_max)
{
	size_t q = queue ? queue : 64;
	size_t b = q < DX_HOOK_BATCH ? q : DX_HOOK_BATCH;
	return sizeof(struct dx_hook) + (q + b) * sizeof(dx_hook_req_t) + q * input_max +
	       (2 * q + 1) * sizeof(dx_hook_result_t);
}

dx_hook_t *dx_hook_new(const dx_hook_cfg_t *cfg)
{
	dx_hook_t *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->cfg = *cfg;
	h->cap = cfg->queue ? cfg->queue : 64;
	h->rcap = 2 * h->cap + 1;
	h->reqs = calloc(h->cap, sizeof(*h->reqs));
	h->batch = calloc(h->cap < DX_HOOK_BATCH ? h->cap : DX_HOOK_BATCH, sizeof(*h->batch));
	h->res = calloc(h->rcap, sizeof(*h->res));
	if (h->reqs == NULL || h->batch == NULL || h->res == NULL) {
		free(h->reqs);
		free(h->batch);
		free(h->res);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca; /* the linger's deadline is on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&h->stop_deadline, 0);
	/* what a hook leaves running, even detached, is reparented to us: see end_leftovers() */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pthread_create(&h->thread, NULL, worker, h) != 0) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h->reqs);
		free(h->batch);
		free(h->res);
		free(h);
		return NULL;
	}
	return h;
}

int dx_hook_submit(dx_hook_t *h, const dx_hook_req_t *req)
{
	int rc = DX_OK;
	pthread_mutex_lock(&h->mu);
	if (h->stopping || h->r_n == h->cap) {
		rc = DX_EAGAIN;
	} else {
		h->reqs[(h->r_head + h->r_n) % h->cap] = *req;
		h->r_n++;
		if (req->action != DX_HOOK_NOTIFY && h->linger_until == 0)
			h->linger_until = dx_clock_mono_us() + DX_HOOK_LINGER_MS * 1000;
		pthread_cond_signal(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

void dx_hook_flush(dx_hook_t *h)
{
	pthread_mutex_lock(&h->mu);
	if (h->linger_until) {
		h->linger_until = 0;
		pthread_cond_signal(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
}

bool dx_hook_poll(dx_hook_t *h, dx_hook_result_t *out)
{
	bool got = false;
	pthread_mutex_lock(&h->mu);
	if (h->o_n > 0) {
		*out = h->res[h->o_head];
		h->o_head = (h->o_head + 1) % h->rcap;
		h->o_n--;
		got = true;
	}
	pthread_mutex_unlock(&h->mu);
	return got;
}

uint32_t dx_hook_busy(dx_hook_t *h)
{
	pthread_mutex_lock(&h->mu);
	uint32_t n = h->r_n + h->running;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void dx_hook_stop(dx_hook_t *h, uint32_t deadline_ms)
{
	if (h == NULL || h->joined)
		return;
	atomic_store(&h->stop_deadline, dx_clock_mono_us() + (int64_t) deadline_ms * 1000);
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	h->joined = true;
}

void dx_hook_free(dx_hook_t *h)
{
	if (h == NULL)
		return;
	dx_hook_stop(h, 0);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->reqs);
	free(h->batch);
	free(h->res);
	free(h);
}
