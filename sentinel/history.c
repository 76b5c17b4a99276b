/* history: append-only JSON lines with fsync, bounded in memory and on disk (see history.h).
 * Records are kept as their text plus the master name, in a ring, oldest first. */
#include "sentinel/history.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"

struct record {
    char *master;
    char *line; /* JSON text without the newline */
};

struct history {
    char *path; /* NULL = memory only */
    int fd;     /* append descriptor, -1 = memory only */
    size_t file_lines;
    size_t skipped;
    size_t head, count; /* ring of HISTORY_MAX_RECORDS */
    struct record ring[HISTORY_MAX_RECORDS];
};

static void record_free(struct record *r)
{
    free(r->master);
    free(r->line);
    r->master = r->line = NULL;
}

static struct record *ring_at(struct history *h, size_t i)
{
    return &h->ring[(h->head + i) % HISTORY_MAX_RECORDS];
}

static void ring_push(struct history *h, const char *master, const char *line)
{
    if (h->count == HISTORY_MAX_RECORDS) {
        record_free(ring_at(h, 0));
        h->head = (h->head + 1) % HISTORY_MAX_RECORDS;
        h->count--;
    }
    struct record *r = ring_at(h, h->count++);
    r->master = xstrdup(master);
    r->line = xstrdup(line);
}

/* The "master" of a record line, or NULL when the line is not a usable record. */
static char *master_of(const char *line)
{
    cJSON *o = cJSON_Parse(line);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "master");
    char *name = cJSON_IsObject(o) && cJSON_IsString(m) ? xstrdup(m->valuestring) : NULL;
    cJSON_Delete(o);
    return name;
}

static void load_file(struct history *h)
{
    int fd = atomic_file_open_read(h->path);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (f == NULL) {
        if (fd >= 0) close(fd);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        h->file_lines++;
        char *master = n <= HISTORY_MAX_LINE ? master_of(line) : NULL;
        if (master == NULL) {
            h->skipped++;
            continue;
        }
        ring_push(h, master, line);
        free(master);
    }
    free(line);
    fclose(f);
    if (h->skipped) log_warning("history: skipped %zu unreadable lines in %s", h->skipped, h->path);
}

struct history *history_open(const char *dir)
{
    struct history *h = xcalloc(1, sizeof(*h));
    h->fd = -1;
    if (dir == NULL) return h;
    size_t len = strlen(dir) + sizeof(HISTORY_FILE_NAME) + 2;
    h->path = xmalloc(len);
    snprintf(h->path, len, "%s/%s", dir, HISTORY_FILE_NAME);
    load_file(h);
    h->fd = atomic_file_open_append(h->path, 0644); /* a symlink there is refused (ELOOP) */
    if (h->fd < 0)
        log_warning("history: cannot open %s (%s): failover records kept in memory only", h->path,
                    strerror(errno));
    return h;
}

void history_close(struct history *h)
{
    if (h == NULL) return;
    for (size_t i = 0; i < h->count; i++) record_free(ring_at(h, i));
    if (h->fd >= 0) close(h->fd);
    free(h->path);
    free(h);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Rewrite the file with the records in memory (atomic_file_write: temp, fsync, rename, fsync
 * dir), then reopen the append descriptor on the new file. */
static int compact(struct history *h)
{
    struct buf text;
    buf_init(&text);
    for (size_t i = 0; i < h->count; i++) {
        buf_append_str(&text, ring_at(h, i)->line);
        buf_append(&text, "\n", 1);
    }
    char err[4400];
    int rc = atomic_file_write(h->path, text.data, text.len, 0644, err, sizeof err);
    buf_free(&text);
    if (rc != 0) {
        log_warning("history: cannot compact: %s", err);
        return rc;
    }
    close(h->fd);
    h->fd = atomic_file_open_append(h->path, 0644);
    h->file_lines = h->count;
    return 0;
}

int history_append(struct history *h, const struct cJSON *record)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(record, "master");
    if (!cJSON_IsObject(record) || !cJSON_IsString(m)) return -1;
    char *line = cJSON_PrintUnformatted(record);
    if (line == NULL || strlen(line) > HISTORY_MAX_LINE) {
        cJSON_free(line);
        return -1;
    }
    ring_push(h, m->valuestring, line);
    int rc = -1;
    if (h->fd >= 0) {
        size_t n = strlen(line);
        char *text = xmalloc(n + 1);
        memcpy(text, line, n);
        text[n] = '\n';
        /* One write per record: a crash tears at most this line, which loading skips. */
        rc = write_all(h->fd, text, n + 1) == 0 && fsync(h->fd) == 0 ? 0 : -1;
        free(text);
        if (rc != 0)
            log_warning("history: cannot append to %s: %s", h->path, strerror(errno));
        else if (++h->file_lines >= 2 * HISTORY_MAX_RECORDS)
            compact(h);
    }
    cJSON_free(line);
    return rc;
}

int history_amend(struct history *h, const char *master, double epoch, const char *key, cJSON *item)
{
    for (size_t i = h->count; i-- > 0;) {
        struct record *r = ring_at(h, i);
        if (strcmp(r->master, master) != 0) continue;
        cJSON *o = cJSON_Parse(r->line);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "epoch");
        if (!cJSON_IsNumber(e) || e->valuedouble != epoch) {
            cJSON_Delete(o);
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
        cJSON_AddItemToObject(o, key, item);
        char *line = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (line == NULL || strlen(line) > HISTORY_MAX_LINE) {
            cJSON_free(line);
            return -1;
        }
        free(r->line);
        r->line = xstrdup(line);
        cJSON_free(line);
        return h->path && h->fd >= 0 ? compact(h) : 0;
    }
    cJSON_Delete(item);
    return -1;
}

size_t history_count(const struct history *h) { return h->count; }
size_t history_skipped_lines(const struct history *h) { return h->skipped; }
bool history_is_durable(const struct history *h) { return h->fd >= 0; }

cJSON *history_list(const struct history *h, const char *master, size_t limit)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n = 0;
    for (size_t i = h->count; i-- > 0 && n < limit;) {
        const struct record *r = &h->ring[(h->head + i) % HISTORY_MAX_RECORDS];
        if (master && strcmp(master, r->master) != 0) continue;
        cJSON *o = cJSON_Parse(r->line);
        if (o == NULL) continue;
        cJSON_AddItemToArray(arr, o);
        n++;
    }
    return arr;
}
