/*
 * replay_main.c - a main() for the fuzz targets without a fuzzing engine, so any C
 * compiler (gcc in `make test`) can run a corpus through every target: each argument
 * is a file, or a directory whose regular files are each one input.
 *
 *   build/fuzz-replay/frame_fuzzer corpus/frame/          # the whole corpus
 *   build/fuzz-replay/frame_fuzzer crash-1234             # one input
 *
 * Each input is read into a buffer of exactly its size, as libFuzzer does, so a
 * sanitized build reports any read past the end. If an input crashes the target, the
 * file's name is printed first (from the sanitizers' death callback or a SIGABRT
 * handler), so CI logs say which corpus file to look at. Exit status: 0 when every
 * input ran, 1 when a file could not be read, whatever the sanitizer or abort() gives
 * when an input crashes.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being run, for the crash message (a fixed buffer: the message is written
 * from a signal handler, where only write() is safe). */
static char current[4096];
static size_t current_len;

static void say_current(void)
{
    static const char pre[] = "replay: crashed on ";
    if (!current_len)
        return;
    ssize_t r = write(2, pre, sizeof pre - 1);
    r = write(2, current, current_len);
    r = write(2, "\n", 1);
    (void)r;
}

static void on_abort(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Present when linked with ASan/UBSan (gcc and clang both provide it); weak so the
 * plain build links without it. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        free(buf);
        return 1;
    }
    /* Exactly len bytes, so a read past the input is past the allocation. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return 1;
    }
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    current_len = strlen(path) < sizeof current ? strlen(path) : sizeof current;
    memcpy(current, path, current_len);
    LLVMFuzzerTestOneInput(exact, len);
    current_len = 0;
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGABRT, on_abort);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(say_current);
    size_t inputs = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            rc |= run_file(argv[i]);
            inputs++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            int k = snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (k < 0 || (size_t)k >= sizeof path)
                continue;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            rc |= run_file(path);
            inputs++;
        }
        closedir(d);
    }
    printf("replay: %zu inputs, %s\n", inputs, rc ? "some unreadable" : "all ran");
    return rc;
}
