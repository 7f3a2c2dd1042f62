/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file clock.h
 * @brief The two clocks the sensor reads outside packet processing: a monotonic one for
 * timeouts, flush intervals and rates, and the wall clock for run records and hook latency.
 * Parsers and detectors never call these (R13): they run on packet time (dx_ts_t).
 */
#pragma once

#include <stdint.h>
#include <time.h>

/** Monotonic microseconds (arbitrary origin). */
static inline int64_t dx_clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** CPU time of the calling thread, seconds (for the run summary). */
static inline double dx_clock_thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/** Wall clock, Unix seconds. */
static inline double dx_clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}
