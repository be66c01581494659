/*
 * sdnotify.h - tell the service manager how the daemon is (systemd's
 * sd_notify protocol, written here: one datagram to $NOTIFY_SOCKET), and
 * how often it wants to hear that the daemon is alive ($WATCHDOG_USEC).
 */
#ifndef OUTGATE_SDNOTIFY_H
#define OUTGATE_SDNOTIFY_H

#include <stdint.h>

/* Send state ("READY=1", "STOPPING=1", ...) when $NOTIFY_SOCKET is set.  0, or -1. */
int	sdnotify(const char *state);
/* The watchdog interval the manager asked for, in µs; 0 none (for this process). */
uint64_t sdnotify_watchdog_us(void);

#endif
