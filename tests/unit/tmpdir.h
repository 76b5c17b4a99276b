/* tmpdir: the unit tests' scratch folders: remove one with its files, count its entries.
 * Header-only (static) because each test binary links its own copy and none links the others. */
#ifndef VIGIL_TEST_TMPDIR_H
#define VIGIL_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Entries of `dir` other than "." and "..", or -1 when it cannot be opened. */
static inline int tmpdir_count(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Remove `dir`, its files and its empty subfolders (one level: what the tests create). */
static inline void tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) return;
    char p[512];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}

#endif
