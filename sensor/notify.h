/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file notify.h
 * @brief The service manager's notification protocol (sd_notify(3)) without libsystemd: one
 * datagram per message to $NOTIFY_SOCKET, and the watchdog interval from $WATCHDOG_USEC.
 * Everything here is a no-op when the sensor does not run under systemd (or Type=notify).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/** Read $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace), connect to it and
 * unset it for child processes (the hooks); read $WATCHDOG_USEC (for this process only, by
 * $WATCHDOG_PID). Call once, before dropping privileges. */
void dx_notify_init(void);

/** Send one message ("READY=1", "STOPPING=1", "STATUS=...", ...): true if sent. */
bool dx_notify(const char *msg);

/** The watchdog interval in µs, 0 if there is none. */
int64_t dx_notify_watchdog_us(void);
