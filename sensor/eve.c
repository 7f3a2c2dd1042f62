/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EVE writer thread. The detector thread puts each event line into an SPSC ring (a full ring
 * drops the line and counts it: events must never hold detection back) and wakes the writer;
 * the writer gathers what is queued into one buffer and appends it with write(2) on an
 * O_APPEND descriptor, so lines reach the file whole and in the order they were made, and a
 * reader (a SIEM forwarder tailing the file) sees each once.
 *
 * SIGHUP sets a flag; the writer closes and reopens the path before its next write, which is
 * what logrotate's default "create" mode expects (contrib/logrotate/dnsexfild). A failed write
 * (a full disk) loses that batch, counted and logged at most once a minute; the writer goes
 * on with the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/clock.h"
#include "lib/base/err.h"
#include "lib/base/log.h"
#include "lib/base/ring.h"
#include "lib/respond/events.h"
#include "sensor/eve.h"

#define BATCH (64u << 10) /* bytes gathered into one write */

struct dx_eve {
	char *path; /* NULL: standard output */
	int fd;
	dx_ring_t *ring;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool wait; /* a full ring: wait for room (replay) rather than drop (live) */
	_Atomic bool stop, reopen;
	_Atomic int64_t stop_deadline;
	_Atomic uint64_t written, dropped, failed, reopened;
	dx_ratelimit_t rl;
	char buf[BATCH];
};

static int open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

size_t dx_eve_mem_bound(size_t queue_bytes)
{
	return sizeof(struct dx_eve) + dx_ring_bytes(queue_bytes);
}

/* Write n bytes of buf, whole (a regular file takes them at once; a pipe may not). */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? errno : EIO;
		buf += k;
		n -= (size_t) k;
	}
	return 0;
}

static void do_reopen(dx_eve_t *w)
{
	if (!atomic_exchange(&w->reopen, false) || w->path == NULL)
		return;
	int fd = open_path(w->path);
	if (fd < 0) {
		/* keep writing to the old file rather than lose lines */
		dx_log(DX_LOG_ERR, DX_GRP_MAIN,
		       "eve: cannot reopen %s: %s; still writing the old file", w->path,
		       strerror(errno));
		return;
	}
	close(w->fd);
	w->fd = fd;
	atomic_fetch_add(&w->reopened, 1);
}

/* One batch: the queued lines, whole, into buf, then one write. False if none was queued. */
static bool flush_batch(dx_eve_t *w)
{
	size_t n = 0, lines = 0, len;
	const void *rec;
	while ((rec = dx_ring_peek(w->ring, &len)) != NULL && n + len <= BATCH) {
		memcpy(w->buf + n, rec, len);
		n += len;
		lines++;
		dx_ring_release(w->ring);
	}
	if (lines == 0)
		return false;
	do_reopen(w);
	int e = write_all(w->fd, w->buf, n);
	if (e == 0) {
		atomic_fetch_add(&w->written, lines);
	} else {
		atomic_fetch_add(&w->failed, lines);
		if (dx_ratelimit_ok(&w->rl, dx_clock_mono_us(), 60 * 1000000LL))
			dx_log(DX_LOG_ERR, DX_GRP_MAIN,
			       "eve: writing %s: %s (%llu lines lost so far)",
			       w->path ? w->path : "standard output", strerror(e),
			       (unsigned long long) atomic_load(&w->failed));
	}
	return true;
}

static void *writer(void *arg)
{
	dx_eve_t *w = arg;
	for (;;) {
		while (flush_batch(w))
			if (atomic_load(&w->stop) &&
			    dx_clock_mono_us() > atomic_load(&w->stop_deadline))
				return NULL; /* the deadline passed: what is left stays unwritten */
		do_reopen(w);
		if (atomic_load(&w->stop) && dx_ring_empty(w->ring))
			return NULL;
		pthread_mutex_lock(&w->mu);
		if (dx_ring_empty(w->ring) && !atomic_load(&w->stop) && !atomic_load(&w->reopen)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		}
		pthread_mutex_unlock(&w->mu);
	}
}

int dx_eve_open(dx_eve_t **out, const char *path, size_t queue_bytes, bool wait, char *err)
{
	*out = NULL;
	dx_eve_t *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "[output] eve: out of memory");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->path = strdup(path);
		w->fd = w->path ? open_path(path) : -1;
		if (w->fd < 0) {
			snprintf(err, DX_CONFIG_ERRMAX, "[output] eve: %s: %s", path,
				 strerror(errno));
			free(w->path);
			free(w);
			return -1;
		}
	}
	w->ring = dx_ring_new(queue_bytes, DX_EVENT_MAX);
	if (w->ring == NULL) {
		snprintf(err, DX_CONFIG_ERRMAX, "[output] eve: out of memory");
		goto fail;
	}
	w->wait = wait;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer, w) != 0) {
		snprintf(err, DX_CONFIG_ERRMAX, "[output] eve: cannot start its thread");
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	dx_ring_free(w->ring);
	if (w->path)
		close(w->fd);
	free(w->path);
	free(w);
	return -1;
}

bool dx_eve_put(dx_eve_t *w, const char *line, size_t len)
{
	if (len > DX_EVENT_MAX)
		len = DX_EVENT_MAX;
	void *rec;
	while ((rec = dx_ring_reserve(w->ring, len)) == NULL) {
		if (!w->wait) {
			atomic_fetch_add(&w->dropped, 1);
			return false;
		}
		pthread_mutex_lock(&w->mu); /* the writer may be asleep on a ring it left full */
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		struct timespec ts = {0, 200 * 1000L};
		nanosleep(&ts, NULL);
	}
	memcpy(rec, line, len);
	dx_ring_commit(w->ring);
	/* events are few (state changes, not packets): a lock each is cheap */
	pthread_mutex_lock(&w->mu);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return true;
}

void dx_eve_reopen(dx_eve_t *w)
{
	if (w)
		atomic_store(&w->reopen, true);
}

void dx_eve_close(dx_eve_t *w, uint32_t deadline_ms, dx_eve_stats_t *last)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop_deadline, dx_clock_mono_us() + (int64_t) deadline_ms * 1000);
	atomic_store(&w->stop, true);
	pthread_mutex_lock(&w->mu);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	if (w->path)
		close(w->fd);
	if (last)
		dx_eve_get_stats(w, last);
	dx_ring_free(w->ring);
	free(w->path);
	free(w);
}

void dx_eve_get_stats(dx_eve_t *w, dx_eve_stats_t *out)
{
	out->written = atomic_load(&w->written);
	out->dropped = atomic_load(&w->dropped);
	out->failed = atomic_load(&w->failed);
	out->reopened = atomic_load(&w->reopened);
}
