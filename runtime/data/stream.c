/* stream.c — the data module's error slot and its byte streams: plain and
 * gzip files through zlib (gzread reads both), archive members through
 * libarchive. libarchive is loaded on first use (dlopen, as the CUDA
 * backend is): linked, its sixteen libraries would be mapped at every
 * kernel start.
 */
#include "data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef CGPU_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef CGPU_HAVE_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#endif

/* ---- errors (thread-local, overwritten by the next failure) ---------------- */

static _Thread_local data_status err_code;
static _Thread_local int err_errno;
static _Thread_local char err_msg[2048];

data_status data_error_code(void) { return err_code; }
const char *data_error_message(void) { return err_msg; }
int data_error_errno(void) { return err_errno; }

static void vset(data_status code, int e, const char *fmt, va_list ap)
{
    char tmp[sizeof err_msg];
    vsnprintf(tmp, sizeof tmp, fmt, ap); /* fmt's arguments may point into err_msg */
    memcpy(err_msg, tmp, sizeof tmp);
    err_code = code;
    err_errno = e;
}

int data_fail(data_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int data_fail_os(int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(DATA_EOS, e, fmt, ap);
    va_end(ap);
    return -1;
}

int data_have_gzip(void)
{
#ifdef CGPU_HAVE_ZLIB
    return 1;
#else
    return 0;
#endif
}

#ifdef CGPU_HAVE_LIBARCHIVE
/* The libarchive functions used here, bound at first use. */
#define ARCHIVE_FUNCTIONS(X) \
    X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_gzip) \
    X(archive_read_support_format_zip) X(archive_read_support_format_tar) X(archive_read_open_filename) \
    X(archive_read_next_header) X(archive_read_data) X(archive_error_string) X(archive_errno) \
    X(archive_entry_filetype) X(archive_entry_pathname)
static struct {
#define X(f) __typeof__(f) *f;
    ARCHIVE_FUNCTIONS(X)
#undef X
} la;
static char la_error[256];
static pthread_once_t la_once = PTHREAD_ONCE_INIT;

static void la_load(void)
{
    void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(la_error, sizeof la_error, "%s", dlerror());
        return;
    }
#define X(f) la.f = (__typeof__(f) *)dlsym(h, #f); \
    if (!la.f) { snprintf(la_error, sizeof la_error, "libarchive.so.13 has no %s", #f); la.archive_read_new = NULL; return; }
    ARCHIVE_FUNCTIONS(X)
#undef X
}

static int la_ready(void)
{
    pthread_once(&la_once, la_load);
    return la.archive_read_new != NULL;
}
#endif

int data_have_archive(void)
{
#ifdef CGPU_HAVE_LIBARCHIVE
    return la_ready();
#else
    return 0;
#endif
}

/* ---- streams ---------------------------------------------------------------- */

struct data_stream {
    char *name;            /* owned: path, or "archive:member" */
#ifdef CGPU_HAVE_ZLIB
    gzFile gz;             /* file streams */
#else
    int fd;
#endif
    struct data_archive *ar; /* member streams: borrowed */
};

const char *data_stream_name(const data_stream *s) { return s->name; }

/* Python's wording of an open() failure: "[Errno 2] No such file or directory: 'x'". */
static int fail_open(int e, const char *path)
{
    return data_fail_os(e, "[Errno %d] %s: '%s'", e, strerror(e), path);
}

data_stream *data_open_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fail_open(errno, path); return NULL; }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        fail_open(EISDIR, path);
        return NULL;
    }
    data_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(path))) {
        free(s);
        close(fd);
        data_fail(DATA_ENOMEM, "out of host memory");
        return NULL;
    }
#ifdef CGPU_HAVE_ZLIB
    s->gz = gzdopen(fd, "rb");
    if (!s->gz) {
        close(fd);
        free(s->name);
        free(s);
        data_fail(DATA_ENOMEM, "out of host memory");
        return NULL;
    }
    gzbuffer(s->gz, 1 << 17); /* fewer, larger reads of the compressed file */
#else
    s->fd = fd;
#endif
    return s;
}

#ifdef CGPU_HAVE_LIBARCHIVE
struct data_archive {
    struct archive *a;
    char *path;            /* owned */
    char *member;          /* owned: path of the current member */
};
#endif

int64_t data_read(data_stream *s, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
        int64_t r;
#ifdef CGPU_HAVE_LIBARCHIVE
        if (s->ar) {
            la_ssize_t k = la.archive_read_data(s->ar->a, (char *)buf + got, want);
            if (k < 0) {
                data_fail(DATA_EFORMAT, "%s: %s", s->name, la.archive_error_string(s->ar->a));
                return -1;
            }
            r = k;
        } else
#endif
        {
#ifdef CGPU_HAVE_ZLIB
            int k = gzread(s->gz, (char *)buf + got, (unsigned)want);
            if (k < 0) {
                int zerr;
                const char *m = gzerror(s->gz, &zerr);
                if (zerr == Z_ERRNO) return data_fail_os(errno, "[Errno %d] %s: '%s'", errno, strerror(errno), s->name);
                /* zlib names the stream "<fd:N>: "; the path says more */
                const char *why = m && strncmp(m, "<fd:", 4) == 0 && strstr(m, ": ") ? strstr(m, ": ") + 2 : m;
                data_fail(DATA_EFORMAT, "%s is not a valid gzip file (%s)", s->name, why);
                return -1;
            }
            r = k;
#else
            ssize_t k = read(s->fd, (char *)buf + got, want);
            if (k < 0) {
                if (errno == EINTR) continue;
                return data_fail_os(errno, "[Errno %d] %s: '%s'", errno, strerror(errno), s->name);
            }
            r = k;
#endif
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (int64_t)got;
}

int data_read_exact(data_stream *s, void *buf, size_t n, const char *what)
{
    int64_t r = data_read(s, buf, n);
    if (r < 0) return -1;
    if ((size_t)r < n)
        return data_fail(DATA_EFORMAT, "%s is truncated: %s needs %zu bytes, only %lld remain",
                         s->name, what, n, (long long)r);
    return 0;
}

void data_close(data_stream *s)
{
    if (!s) return;
    if (!s->ar) {
#ifdef CGPU_HAVE_ZLIB
        gzclose(s->gz);
#else
        close(s->fd);
#endif
    }
    free(s->name);
    free(s);
}

/* ---- archives ------------------------------------------------------------------ */

#ifdef CGPU_HAVE_LIBARCHIVE
data_archive *data_archive_open(const char *path)
{
    if (!la_ready()) {
        data_fail(DATA_EUNSUPPORTED, "%s: reading zip and tar archives needs libarchive (libarchive.so.13: %s; "
                  "Debian: apt install libarchive13)", path, la_error);
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) != 0) { fail_open(errno, path); return NULL; }
    if (S_ISDIR(st.st_mode)) { fail_open(EISDIR, path); return NULL; }
    data_archive *ar = calloc(1, sizeof *ar);
    if (!ar || !(ar->path = strdup(path)) || !(ar->a = la.archive_read_new())) {
        if (ar) free(ar->path);
        free(ar);
        data_fail(DATA_ENOMEM, "out of host memory");
        return NULL;
    }
    la.archive_read_support_filter_gzip(ar->a);
    la.archive_read_support_format_zip(ar->a);
    la.archive_read_support_format_tar(ar->a);
    if (la.archive_read_open_filename(ar->a, path, 1 << 17) != ARCHIVE_OK) {
        int e = la.archive_errno(ar->a);
        if (e == ENOENT || e == EACCES) fail_open(e, path);
        else data_fail(DATA_EFORMAT, "%s is not a zip or tar archive (%s)", path, la.archive_error_string(ar->a));
        data_archive_close(ar);
        return NULL;
    }
    return ar;
}

const char *data_archive_next(data_archive *ar)
{
    struct archive_entry *e;
    err_code = DATA_OK;
    for (;;) {
        int r = la.archive_read_next_header(ar->a, &e);
        if (r == ARCHIVE_EOF) return NULL;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            data_fail(DATA_EFORMAT, "%s: %s", ar->path, la.archive_error_string(ar->a));
            return NULL;
        }
        if (la.archive_entry_filetype(e) != AE_IFREG) continue;
        const char *name = la.archive_entry_pathname(e);
        free(ar->member);
        ar->member = strdup(name ? name : "");
        if (!ar->member) { data_fail(DATA_ENOMEM, "out of host memory"); return NULL; }
        return ar->member;
    }
}

data_stream *data_archive_member(data_archive *ar)
{
    data_stream *s = calloc(1, sizeof *s);
    size_t n = strlen(ar->path) + strlen(ar->member) + 2;
    if (!s || !(s->name = malloc(n))) {
        free(s);
        data_fail(DATA_ENOMEM, "out of host memory");
        return NULL;
    }
    snprintf(s->name, n, "%s:%s", ar->path, ar->member);
    s->ar = ar;
    return s;
}

void data_archive_close(data_archive *ar)
{
    if (!ar) return;
    if (ar->a) la.archive_read_free(ar->a);
    free(ar->path);
    free(ar->member);
    free(ar);
}
#else
data_archive *data_archive_open(const char *path)
{
    data_fail(DATA_EUNSUPPORTED, "%s: reading zip and tar archives needs libarchive, which this build lacks "
              "(Debian: libarchive-dev, then rebuild)", path);
    return NULL;
}
const char *data_archive_next(data_archive *ar) { return NULL; }
data_stream *data_archive_member(data_archive *ar) { return NULL; }
void data_archive_close(data_archive *ar) {}
#endif

int64_t data_array_size(const data_array *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}
