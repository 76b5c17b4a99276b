/* Interop test of store/rdb/rdb_write.c with a real redis-server 7.0: Redis must load the
 * encoder's model snapshot (rdb_test_util.c) and save back the same keys. Skipped when
 * redis-server is not installed. Processes are our own children, stopped by pid. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/rdb/rdb.h"
#include "tests/unit/store/rdb_test_util.h"

/* ---- interop: a real redis-server loads our snapshot -------------------------------------- */

/* Full path of `name` on PATH, or false. */
static bool find_tool(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path != NULL ? path : "/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, cap, "%s/%s", dir, name);
        found = access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* Start argv with stdout and stderr on out_fd (or /dev/null when -1). */
static pid_t spawn(char *const argv[], int out_fd)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int run_wait(char *const argv[], int out_fd)
{
    int status;
    pid_t pid = spawn(argv, out_fd);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Read the child's output into log until `want` appears (returns true) or EOF / deadline. */
static bool read_until(int fd, struct buf *log, const char *want, int deadline_ms)
{
    while (want == NULL || strstr(log->data ? log->data : "", want) == NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, deadline_ms);
        if (rc == 0) return false;
        if (rc < 0 && errno == EINTR) continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) return want == NULL;
        buf_append(log, chunk, (size_t)n);
    }
    return true;
}

static int sink_fd(void *ctx, const void *p, size_t n)
{
    return write(*(int *)ctx, p, n) == (ssize_t)n ? 0 : -1;
}

/* Our snapshot -> redis-check-rdb -> redis-server loads it -> SHUTDOWN SAVE writes Redis's own
 * snapshot of what it loaded -> our (fixture-validated) decoder reads that back -> compare
 * with the model key by key. Skipped when redis-server is not installed. Runs in ~0.2 s. */
Test(rdb_redis, real_redis_loads_every_key_when_installed, .timeout = 30)
{
    char server[512], cli[512], check[512];
    if (!find_tool("redis-server", server, sizeof server) ||
        !find_tool("redis-cli", cli, sizeof cli))
        cr_skip_test("redis-server or redis-cli not installed");
    char dir[] = "/tmp/vigil-rdb-XXXXXX", rdb[600], sock[600];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(rdb, sizeof rdb, "%s/dump.rdb", dir);
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);

    int fd = open(rdb, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    struct model *m = rdbt_model_write(sink_fd, &fd, 70000);
    close(fd);

    if (find_tool("redis-check-rdb", check, sizeof check)) {
        char *argv[] = {check, rdb, NULL};
        cr_assert_eq(run_wait(argv, -1), 0, "redis-check-rdb refused %s", rdb);
    }

    int out[2];
    cr_assert_eq(pipe(out), 0);
    char *argv[] = {
        server, "--port", "0", "--unixsocket", sock,       "--save",    "", "--appendonly",
        "no",   "--dir",  dir, "--dbfilename", "dump.rdb", "--logfile", "", NULL};
    pid_t pid = spawn(argv, out[1]);
    close(out[1]);
    struct buf log;
    buf_init(&log);
    bool ready = read_until(out[0], &log, "eady to accept connections", 10000);
    if (ready) {
        char *shut[] = {cli, "-s", sock, "shutdown", "save", NULL};
        run_wait(shut, -1);
        ready = read_until(out[0], &log, NULL, 10000); /* EOF: the server has exited */
    }
    if (!ready) kill(pid, SIGKILL); /* our own child, by pid */
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    close(out[0]);
    cr_assert(ready && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "redis-server did not load/save our snapshot:\n%s", log.data ? log.data : "");

    size_t len;
    struct buf saved;
    buf_init(&saved);
    FILE *f = fopen(rdb, "rb");
    cr_assert_not_null(f);
    char chunk[65536];
    while ((len = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&saved, chunk, len);
    fclose(f);
    cr_assert_neq(memcmp(saved.data, "REDIS0009", 9), 0, "Redis did not rewrite the file");
    struct collect c;
    char err[256];
    cr_assert_eq(rdbt_collect_load(saved.data, saved.len, &c, err, sizeof err), 0, "%s", err);
    lines_assert_eq(&c.keys, &m->want);

    rdbt_collect_free(&c);
    rdbt_model_free(m);
    buf_free(&saved);
    buf_free(&log);
    unlink(rdb);
    unlink(sock);
    rmdir(dir);
}
