/* download.c — fetching a data-set file into Keras's cache with libcurl,
 * checking its SHA-256 (OpenSSL) before it takes its name: the bytes go to
 * a temporary file beside the destination, which is renamed only when the
 * transfer completed and the digest matched, and removed otherwise, so a
 * partial or wrong file never sits in the cache.
 *
 * libcurl is loaded on the first download (dlopen): linked, its thirty-odd
 * libraries would be mapped at every kernel start.
 */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rt.h"
#if defined(CGPU_HAVE_CURL) && defined(CGPU_HAVE_OPENSSL)
#define DATA_DOWNLOAD 1
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>
#endif

int data_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return data_fail(DATA_ENOMEM, "out of host memory");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            data_fail_os(e, "[Errno %d] %s: '%s'", e, strerror(e), p);
            free(p);
            return -1;
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return 0;
}

#ifdef DATA_DOWNLOAD
/* The libcurl functions used here, bound at the first download. */
static struct {
    __typeof__(curl_global_init)   *global_init;
    __typeof__(curl_easy_init)     *init;
    __typeof__(curl_easy_setopt)   *setopt;
    __typeof__(curl_easy_perform)  *perform;
    __typeof__(curl_easy_getinfo)  *getinfo;
    __typeof__(curl_easy_cleanup)  *cleanup;
    __typeof__(curl_easy_strerror) *strerror;
} cu;
static char cu_error[256];
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;

static void cu_load(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(cu_error, sizeof cu_error, "%s", dlerror()); return; }
    cu.init = dlsym(h, "curl_easy_init");
    cu.setopt = dlsym(h, "curl_easy_setopt");
    cu.perform = dlsym(h, "curl_easy_perform");
    cu.getinfo = dlsym(h, "curl_easy_getinfo");
    cu.cleanup = dlsym(h, "curl_easy_cleanup");
    cu.strerror = dlsym(h, "curl_easy_strerror");
    __typeof__(curl_global_init) *gi = dlsym(h, "curl_global_init");
    if (!gi || !cu.init || !cu.setopt || !cu.perform || !cu.getinfo || !cu.cleanup || !cu.strerror) {
        snprintf(cu_error, sizeof cu_error, "libcurl.so.4 lacks the easy interface");
        return;
    }
    if (gi(CURL_GLOBAL_DEFAULT) != 0) { snprintf(cu_error, sizeof cu_error, "curl_global_init failed"); return; }
    cu.global_init = gi; /* set last: the mark of a usable library */
}

static int cu_ready(void)
{
    pthread_once(&cu_once, cu_load);
    return cu.global_init != NULL;
}

int data_have_download(void) { return cu_ready(); }

static void hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = 0;
}

int data_sha256_file(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    if (!f) return data_fail_os(errno, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        fclose(f);
        EVP_MD_CTX_free(md);
        return data_fail(DATA_ENOMEM, "SHA-256 is not available");
    }
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(md, buf, n);
    int bad = ferror(f);
    fclose(f);
    unsigned char d[32];
    unsigned dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    if (bad) return data_fail_os(EIO, "[Errno %d] %s: '%s'", EIO, strerror(EIO), path);
    hex(d, dl, out);
    return 0;
}

typedef struct {
    FILE       *f;
    EVP_MD_CTX *md;
    const char *url;
    data_progress_fn progress;
    void       *ctx;
    int         write_failed;  /* errno of a failed write */
} transfer;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    transfer *t = ud;
    size_t bytes = size * n;
    if (fwrite(p, 1, bytes, t->f) != bytes) {
        t->write_failed = errno ? errno : EIO;
        return 0;
    }
    EVP_DigestUpdate(t->md, p, bytes);
    return bytes;
}

static int on_progress(void *ud, curl_off_t total, curl_off_t done, curl_off_t ut, curl_off_t un)
{
    transfer *t = ud;
    if (rt_interrupted()) return 1;
    if (t->progress) t->progress(t->ctx, t->url, (int64_t)done, (int64_t)total, 0);
    return 0;
}

int data_download(const char *url, const char *dest, const char *sha256_hex, data_progress_fn progress, void *ctx)
{
    if (!cu_ready())
        return data_fail(DATA_ENETWORK, "downloads need libcurl (libcurl.so.4: %s; Debian: apt install libcurl4)", cu_error);
    size_t tl = strlen(dest) + 16;
    char *tmp = malloc(tl);
    if (!tmp) return data_fail(DATA_ENOMEM, "out of host memory");
    snprintf(tmp, tl, "%s.partXXXXXX", dest);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return data_fail_os(e, "[Errno %d] %s: '%s'", e, strerror(e), dest);
    }
    fchmod(fd, 0644);
    transfer t = {fdopen(fd, "wb"), EVP_MD_CTX_new(), url, progress, ctx, 0};
    CURL *c = cu.init();
    int rc = -1;
    if (!t.f || !t.md || !c || EVP_DigestInit_ex(t.md, EVP_sha256(), NULL) != 1) {
        if (!t.f) close(fd);
        data_fail(DATA_ENOMEM, "out of host memory");
        goto out;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    cu.setopt(c, CURLOPT_URL, url);
    cu.setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    cu.setopt(c, CURLOPT_FAILONERROR, 1L);
    cu.setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    cu.setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    cu.setopt(c, CURLOPT_WRITEDATA, &t);
    cu.setopt(c, CURLOPT_NOPROGRESS, 0L);
    cu.setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    cu.setopt(c, CURLOPT_XFERINFODATA, &t);
    cu.setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    /* a stalled transfer (under 1 KB/s for 60 s) fails rather than hangs */
    cu.setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    cu.setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    cu.setopt(c, CURLOPT_USERAGENT, "cgpu-kernel");
    CURLcode r = cu.perform(c);
    if (r == CURLE_ABORTED_BY_CALLBACK) {
        data_fail(DATA_EINTERRUPT, "download of %s interrupted", url);
        goto out;
    }
    if (t.write_failed) {
        data_fail_os(t.write_failed, "[Errno %d] %s: '%s'", t.write_failed, strerror(t.write_failed), tmp);
        goto out;
    }
    if (r != CURLE_OK) {
        data_fail(DATA_ENETWORK, "URL fetch failure on %s: %s", url, curl_err[0] ? curl_err : cu.strerror(r));
        goto out;
    }
    if (fflush(t.f) != 0 || fsync(fileno(t.f)) != 0) {
        data_fail_os(errno, "[Errno %d] %s: '%s'", errno, strerror(errno), tmp);
        goto out;
    }
    unsigned char d[32];
    unsigned dl = 0;
    char got[65];
    EVP_DigestFinal_ex(t.md, d, &dl);
    hex(d, dl, got);
    if (sha256_hex && strcasecmp(got, sha256_hex) != 0) {
        data_fail(DATA_ECHECKSUM,
                  "Incomplete or corrupted file detected: the sha256 of %s is %s, expected %s; the file was not kept",
                  url, got, sha256_hex);
        goto out;
    }
    if (progress) {
        curl_off_t total = 0;
        cu.getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &total);
        progress(ctx, url, (int64_t)total, (int64_t)total, 1);
    }
    if (rename(tmp, dest) != 0) {
        data_fail_os(errno, "[Errno %d] %s: '%s'", errno, strerror(errno), dest);
        goto out;
    }
    rc = 0;
out:
    if (t.f) fclose(t.f);
    if (rc != 0) unlink(tmp);
    EVP_MD_CTX_free(t.md);
    if (c) cu.cleanup(c);
    free(tmp);
    return rc;
}
#else
int data_have_download(void) { return 0; }
int data_sha256_file(const char *path, char out[65])
{
    return data_fail(DATA_EUNSUPPORTED, "SHA-256 needs OpenSSL, which this build lacks");
}
int data_download(const char *url, const char *dest, const char *sha256_hex, data_progress_fn progress, void *ctx)
{
    return data_fail(DATA_EUNSUPPORTED, "downloads need libcurl and OpenSSL, which this build lacks "
                     "(Debian: libcurl4-openssl-dev libssl-dev, then rebuild)");
}
#endif
