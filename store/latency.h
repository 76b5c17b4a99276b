/* latency: the latency monitor and the per-command latency histograms (see latency.c).
 *
 * Monitor: with latency-monitor-threshold > 0 (ms), an event that took at least that long is
 * recorded as a sample (unix second, ms) in its event's series (the last 160 seconds with a
 * spike; samples of one second merge, keeping the highest). Events recorded: "command" and
 * "fast-command" (a command's run), "expire-cycle", "eviction-cycle", "fork",
 * "aof-write" and "aof-fsync-always".
 *
 * Histograms: with latency-tracking yes, each command's run time feeds its own bounded
 * log-linear histogram (LATENCY HISTOGRAM, INFO latencystats). */
#ifndef VIGIL_LATENCY_H
#define VIGIL_LATENCY_H

#include <stdint.h>

#include "common/buf.h"
#include "store/server.h"

struct latency *latency_create(void);
void latency_destroy(struct latency *lat);

/* Record ms for event if latency-monitor-threshold says so. event: a static string. */
void latency_add_sample_if_needed(struct server *srv, const char *event, int64_t ms);
/* A command or subcommand ("config|get") ran for duration_us. entry: its command-table entry,
 * the key its histogram is found by (the same entry for every call of that command). */
void latency_record_command(struct server *srv, const void *entry, const char *family,
                            const char *name, int64_t duration_us);
/* CONFIG RESETSTAT: forget the histograms. */
void latency_reset_histograms(struct server *srv);
/* INFO latencystats' lines. */
void latency_format_info(struct server *srv, struct buf *out);
/* CONFIG SET latency-tracking-info-percentiles: 0, or -1 with a message. */
int latency_parse_percentiles(const char *text, double *out, size_t max, size_t *n, char *err,
                              size_t errlen);

#endif
