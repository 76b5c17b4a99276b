/* aof_load_files: see aof_load_files.h. */
#include "store/persist/aof_load_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/util.h"
#include "store/persist/aof_manifest.h"
#include "store/rdb/crc64.h"
#include "store/store_config.h"

void aof_load_files_free(struct aof_load_files *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->names[i]);
    free(f->names);
    free(f->done_bytes);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Redis 7.0's upgrade: an old single AOF in the data folder becomes the base of a new AOF
 * folder. The manifest is written before the file moves: a crash in between leaves a manifest
 * naming a file that is still in the data folder (start refuses, nothing lost), never a moved
 * file that no manifest names. 1 upgraded, 0 nothing to upgrade, -1 error. */
static int upgrade_old_aof(struct aof_manifest *m, const char *dir, const char *name, char *err,
                           size_t errlen)
{
    struct stat st;
    if (lstat(name, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the AOF folder %s: %s", dir, strerror(errno));
        return -1;
    }
    m->base = xcalloc(1, sizeof *m->base);
    *m->base = (struct aof_file_info){xstrdup(name), 1, AOF_FILE_BASE};
    m->base_seq = 1;
    if (aof_manifest_save(m, dir, name, err, errlen) != 0) return -1;
    char *to = xasprintf("%s/%s", dir, name);
    int rc = rename(name, to);
    if (rc != 0) snprintf(err, errlen, "Can't move %s into %s: %s", name, to, strerror(errno));
    free(to);
    if (rc != 0) return -1;
    if (sync_dir(dir) != 0 || sync_dir(".") != 0)
        log_warning("fsync of the folders after moving %s into %s: %s", name, dir, strerror(errno));
    log_notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).",
               name, dir);
    return 1;
}

static void add_file(struct aof_load_files *f, const char *name)
{
    f->names = xrealloc(f->names, (f->n + 1) * sizeof *f->names);
    f->names[f->n++] = xstrdup(name);
}

/* Every named file must be there and readable before anything loads. */
static int measure_files(struct aof_load_files *f, char *err, size_t errlen)
{
    f->done_bytes = xcalloc(f->n ? f->n : 1, sizeof *f->done_bytes);
    for (size_t i = 0; i < f->n; i++) {
        char *path = xasprintf("%s/%s", f->dir, f->names[i]);
        int fd = atomic_file_open_read(path);
        struct stat st;
        int rc = fd >= 0 ? fstat(fd, &st) : -1;
        if (rc != 0)
            snprintf(err, errlen, "The AOF file %s named in the manifest %s: %s", path,
                     errno == ENOENT ? "does not exist" : "cannot be read", strerror(errno));
        if (fd >= 0) close(fd);
        free(path);
        if (rc != 0) return -1;
        f->done_bytes[i] = f->total_bytes;
        f->total_bytes += (uint64_t)st.st_size;
    }
    return 0;
}

int aof_load_files_find(struct aof_load_files *f, const struct store_config *cfg, char *err,
                        size_t errlen)
{
    memset(f, 0, sizeof *f);
    struct aof_manifest m;
    aof_manifest_init(&m);
    int rc = aof_manifest_load(&m, cfg->appenddirname, cfg->appendfilename, err, errlen);
    if (rc == 0) rc = upgrade_old_aof(&m, cfg->appenddirname, cfg->appendfilename, err, errlen);
    if (rc <= 0) {
        aof_manifest_free(&m);
        return rc;
    }
    f->dir = xstrdup(cfg->appenddirname);
    f->has_base = m.base != NULL;
    if (m.base) add_file(f, m.base->name);
    for (size_t i = 0; i < m.nincr; i++) add_file(f, m.incr[i].name);
    aof_manifest_free(&m);
    if (measure_files(f, err, errlen) != 0) {
        aof_load_files_free(f);
        return -1;
    }
    return 1;
}

int aof_load_files_map(const struct aof_load_files *f, size_t i, const char **data, size_t *len,
                       char *err, size_t errlen)
{
    char *path = xasprintf("%s/%s", f->dir, f->names[i]);
    int fd = atomic_file_open_read(path);
    struct stat st;
    int rc = fd >= 0 ? fstat(fd, &st) : -1;
    void *map = NULL;
    if (rc == 0 && st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) rc = -1;
    }
    if (rc != 0) snprintf(err, errlen, "Can't read the AOF file %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    free(path);
    if (rc != 0) return -1;
    *data = map;
    *len = map ? (size_t)st.st_size : 0;
    if (map) madvise(map, *len, MADV_SEQUENTIAL);
    return 0;
}

int aof_load_files_truncate(const struct aof_load_files *f, size_t i, size_t len, char *err,
                            size_t errlen)
{
    char *path = xasprintf("%s/%s", f->dir, f->names[i]);
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd >= 0 && ftruncate(fd, (off_t)len) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "Error truncating the AOF file %s at offset %zu: %s", path, len,
                 strerror(errno));
    if (fd >= 0) close(fd);
    free(path);
    return rc;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

size_t aof_load_rdb_len(const char *data, size_t len)
{
    const unsigned char *d = (const unsigned char *)data;
    uint64_t crc = CRC64_INIT;
    size_t done = 0; /* crc covers d[0..done) */
    for (const unsigned char *p = d; (p = memchr(p, 0xff, len - (size_t)(p - d))) != NULL; p++) {
        size_t at = (size_t)(p - d);
        if (len - at < 9) break;
        crc = crc64_update(crc, d + done, at + 1 - done);
        done = at + 1;
        uint64_t trailer = le64(p + 1);
        size_t end = at + 9;
        bool is_followed = end == len || d[end] == '*' || d[end] == '#';
        if (is_followed && (trailer == crc || trailer == 0)) return end;
    }
    return len;
}
