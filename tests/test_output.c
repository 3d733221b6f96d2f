/* Output files (common/util.c write_file_atomic, the one writer behind -o, --output,
 * --report and st_write): a regular file is replaced atomically; a symbolic link is kept
 * and its target written; a character device and a FIFO are written in place, never
 * replaced by a regular file; a FIFO without a reader is an error, not a hang. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/results.h"
#include "../bench/safetensors.h"
#include "../common/util.h"
#include "check.h"

static char dir[] = "/tmp/sb_output_XXXXXX";

static const char *at(const char *name) {
    static char p[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static int read_all(const char *path, char *buf, size_t len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = 0;
    fclose(f);
    return (int)n;
}

static int mode_of(const char *path, int follow) {
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) return -1;
    return (int)(st.st_mode & S_IFMT);
}

static int no_temporaries(void) {
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    return system(cmd) != 0;
}

static void test_regular_and_links(void) {
    char err[ERRLEN], buf[256];
    CHECK(write_file_atomic(at("a.txt"), "one\n", 4, err, sizeof err) == 0, "new file: %s", err);
    chmod(at("a.txt"), 0640);
    CHECK(write_file_atomic(at("a.txt"), "two\n", 4, err, sizeof err) == 0, "replace: %s", err);
    CHECK(read_all(at("a.txt"), buf, sizeof buf) == 4 && !strcmp(buf, "two\n"), "replaced content '%s'", buf);
    struct stat st;
    CHECK(stat(at("a.txt"), &st) == 0 && (st.st_mode & 07777) == 0640, "a replaced file keeps its mode (%o)",
          st.st_mode & 07777);

    /* a symlink (relative, then a chain with an absolute hop) stays a link; its target changes */
    CHECK(symlink("a.txt", at("link")) == 0, "symlink");
    CHECK(write_file_atomic(at("link"), "three\n", 6, err, sizeof err) == 0, "through a link: %s", err);
    CHECK(mode_of(at("link"), 0) == S_IFLNK, "the link is still a link");
    CHECK(read_all(at("a.txt"), buf, sizeof buf) == 6 && !strcmp(buf, "three\n"), "target written: '%s'", buf);
    CHECK(symlink(at("link"), at("link2")) == 0, "symlink 2");
    CHECK(write_file_atomic(at("link2"), "four\n", 5, err, sizeof err) == 0, "through two links: %s", err);
    CHECK(mode_of(at("link2"), 0) == S_IFLNK && mode_of(at("link"), 0) == S_IFLNK, "both links kept");
    CHECK(read_all(at("a.txt"), buf, sizeof buf) == 5 && !strcmp(buf, "four\n"), "target written: '%s'", buf);
    /* a dangling link: its target is created */
    CHECK(symlink("made.txt", at("dangling")) == 0, "symlink 3");
    CHECK(write_file_atomic(at("dangling"), "five\n", 5, err, sizeof err) == 0, "dangling link: %s", err);
    CHECK(mode_of(at("dangling"), 0) == S_IFLNK && mode_of(at("made.txt"), 0) == S_IFREG, "dangling target created");
    /* a loop is an error, not a hang */
    CHECK(symlink("loop2", at("loop1")) == 0 && symlink("loop1", at("loop2")) == 0, "loop links");
    CHECK(write_file_atomic(at("loop1"), "x", 1, err, sizeof err) != 0 && strstr(err, "symbolic links"),
          "link loop: '%s'", err);
    /* a directory is refused */
    mkdir(at("sub"), 0777);
    CHECK(write_file_atomic(at("sub"), "x", 1, err, sizeof err) != 0 && strstr(err, "directory"), "dir: '%s'", err);
    CHECK(results_check_writable(at("link"), 0, err, sizeof err) == 0, "check through a link: %s", err);
    CHECK(results_check_writable(at("sub"), 0, err, sizeof err) != 0, "check a directory");
    CHECK(no_temporaries(), "no temporary left");
}

static void test_device(void) {
    char err[ERRLEN];
    if (geteuid() != 0) {
        printf("test_output: device tests skipped (mknod needs root)\n");
        return;
    }
    /* a scratch /dev/null (char 1:3), so that nothing real is at stake */
    const char *dev = at("null");
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        printf("test_output: device tests skipped (mknod: %s)\n", strerror(errno));
        return;
    }
    CHECK(results_check_writable(dev, 0, err, sizeof err) == 0, "check a device: %s", err);
    CHECK(write_file_atomic(dev, "data\n", 5, err, sizeof err) == 0, "write a device: %s", err);
    CHECK(mode_of(dev, 0) == S_IFCHR, "the device is still a character device");
    CHECK(symlink(dev, at("devlink")) == 0, "symlink to the device");
    CHECK(write_file_atomic(at("devlink"), "data\n", 5, err, sizeof err) == 0, "through a link: %s", err);
    CHECK(mode_of(at("devlink"), 0) == S_IFLNK && mode_of(dev, 0) == S_IFCHR, "link and device kept");
    /* the safetensors writer goes the same way */
    float v[2] = { 1, 2 };
    int64_t shape[1] = { 2 };
    st_entry e = { "t", "F32", 1, shape, v };
    CHECK(st_write(dev, &e, 1, NULL, err, sizeof err) == 0, "st_write to a device: %s", err);
    CHECK(mode_of(dev, 0) == S_IFCHR, "st_write kept the device");
    CHECK(no_temporaries(), "no temporary left beside the device");
}

static void test_fifo(void) {
    char err[ERRLEN], buf[256];
    const char *fifo = at("fifo");
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    /* no reader: an error at once, not a hang */
    alarm(20);
    CHECK(write_file_atomic(fifo, "x", 1, err, sizeof err) != 0 && strstr(err, "no reader"), "no reader: '%s'", err);
    /* a reader: the data goes through, the FIFO stays */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_RDONLY);
        char b[64];
        ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b);
        int out = open(at("fifo.got"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (n > 0 && out >= 0 && write(out, b, (size_t)n) != n) n = -1;
        _exit(n > 0 ? 0 : 1);
    }
    int rc = -1;
    for (int i = 0; i < 2000 && rc; i++) {   /* until the reader has opened its end */
        rc = write_file_atomic(fifo, "through\n", 8, err, sizeof err);
        if (rc) usleep(5000);
    }
    CHECK(rc == 0, "write a FIFO with a reader: %s", err);
    int st = 0;
    waitpid(pid, &st, 0);
    alarm(0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the reader read");
    CHECK(read_all(at("fifo.got"), buf, sizeof buf) == 8 && !strcmp(buf, "through\n"), "the reader got '%s'", buf);
    CHECK(mode_of(fifo, 0) == S_IFIFO, "the FIFO is still a FIFO");
    CHECK(results_check_writable(fifo, 0, err, sizeof err) == 0, "check a FIFO: %s", err);

    /* a reader that leaves early: an error (EPIPE), not death by SIGPIPE */
    pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_RDONLY);
        char b;
        _exit(fd >= 0 && read(fd, &b, 1) == 1 ? 0 : 1);
    }
    size_t big = 4u << 20;
    char *data = calloc(big, 1);
    rc = -1;
    alarm(20);
    for (int i = 0; i < 2000 && rc && data; i++) {
        rc = write_file_atomic(fifo, data, big, err, sizeof err);
        if (rc && strstr(err, "no reader")) usleep(5000);
        else break;
    }
    waitpid(pid, &st, 0);
    alarm(0);
    CHECK(rc != 0 && strstr(err, "Broken pipe"), "a reader that left: rc %d, '%s'", rc, err);
    free(data);
}

int main(void) {
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    test_regular_and_links();
    test_device();
    test_fifo();
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
    return check_done("test_output");
}
