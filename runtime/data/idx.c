/* idx.c — IDX files (MNIST, Fashion-MNIST): a 4-byte magic (0, 0, element
 * type, number of dimensions), one big-endian uint32 per dimension, then the
 * elements row-major. Only unsigned bytes are loaded (what both data sets
 * use); the header of the other types parses so the message can name them.
 */
#include "data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef CGPU_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

static const char *idx_type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return NULL;
    }
}

int data_idx_parse(const uint8_t *buf, size_t len, const char *name, data_idx_header *h, size_t *header_len)
{
    if (len < 4)
        return data_fail(DATA_EFORMAT, "%s is truncated: an IDX header needs 4 bytes, the file has %zu", name, len);
    if (buf[0] != 0 || buf[1] != 0 || !idx_type_name(buf[2]) || buf[3] == 0 || buf[3] > 4)
        return data_fail(DATA_EFORMAT, "%s is not an IDX file (magic bytes %02x %02x %02x %02x)",
                         name, buf[0], buf[1], buf[2], buf[3]);
    h->type = buf[2];
    h->ndim = buf[3];
    size_t need = 4 + 4 * (size_t)h->ndim;
    if (len < need)
        return data_fail(DATA_EFORMAT, "%s is truncated: its IDX header needs %zu bytes, the file has %zu", name, need, len);
    for (int i = 0; i < h->ndim; i++) {
        const uint8_t *p = buf + 4 + 4 * i;
        h->shape[i] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    }
    *header_len = need;
    return 0;
}

#ifdef CGPU_HAVE_LIBDEFLATE
/* The whole file, malloc'd, when it is a gzip file of at most 1 GiB; else
 * NULL (no error recorded: the streaming reader takes over). */
static uint8_t *read_gzip_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 18 || st.st_size > (1 << 30)) goto out;
    buf = malloc((size_t)st.st_size);
    if (!buf) goto out;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (got != (size_t)st.st_size || buf[0] != 0x1f || buf[1] != 0x8b) { free(buf); buf = NULL; }
    *len = got;
out:
    close(fd);
    return buf;
}

/* Fast path: a one-member gzip file decoded at once by libdeflate (twice
 * zlib's speed) into a buffer handed to adopt. 1 loaded, 0 not taken (the
 * streaming reader then runs and reports any problem), -1 failed. */
static int idx_load_deflate(const char *path, int expect_ndim, data_adopt_fn adopt, void *ctx, data_array *out)
{
    size_t zlen;
    uint8_t *z = read_gzip_file(path, &zlen);
    if (!z) return 0;
    /* ISIZE, the trailer's size mod 2^32: IDX data sets are far smaller */
    size_t isize = (size_t)z[zlen - 4] | (size_t)z[zlen - 3] << 8 | (size_t)z[zlen - 2] << 16 | (size_t)z[zlen - 1] << 24;
    uint8_t *raw = isize >= 8 ? malloc(isize) : NULL;
    struct libdeflate_decompressor *d = raw ? libdeflate_alloc_decompressor() : NULL;
    size_t used = 0, got = 0;
    enum libdeflate_result r = d ? libdeflate_gzip_decompress_ex(d, z, zlen, raw, isize, &used, &got) : LIBDEFLATE_BAD_DATA;
    if (d) libdeflate_free_decompressor(d);
    free(z);
    data_idx_header h;
    size_t hl;
    int64_t n = 1;
    if (r != LIBDEFLATE_SUCCESS || used != zlen || got != isize || data_idx_parse(raw, got, path, &h, &hl) < 0 ||
        h.type != 0x08 || (expect_ndim > 0 && h.ndim != expect_ndim)) {
        free(raw);
        return 0;
    }
    for (int i = 0; i < h.ndim; i++) n *= h.shape[i];
    if ((size_t)n != got - hl) { free(raw); return 0; }
    memmove(raw, raw + hl, (size_t)n);
    uint8_t *shrunk = realloc(raw, n ? (size_t)n : 1);
    if (shrunk) raw = shrunk;
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof h.shape);
    return adopt(ctx, out, raw, (size_t)n) < 0 ? -1 : 1;
}
#endif

int data_idx_load(const char *path, int expect_ndim, data_alloc_fn alloc, data_adopt_fn adopt, void *ctx,
                  data_array *out)
{
    memset(out, 0, sizeof *out);
#ifdef CGPU_HAVE_LIBDEFLATE
    if (adopt) {
        int r = idx_load_deflate(path, expect_ndim, adopt, ctx, out);
        if (r != 0) return r < 0 ? -1 : 0;
        memset(out, 0, sizeof *out);
    }
#else
    (void)adopt;
#endif
    data_stream *s = data_open_file(path);
    if (!s) return -1;
    uint8_t head[20];
    int64_t got = data_read(s, head, 4);
    data_idx_header h;
    size_t hl;
    if (got < 0) goto fail;
    if (got >= 4 && head[3] >= 1 && head[3] <= 4) {
        int64_t more = data_read(s, head + 4, 4 * (size_t)head[3]);
        if (more < 0) goto fail;
        got += more;
    }
    if (!data_have_gzip() && got >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        data_fail(DATA_EUNSUPPORTED, "%s is gzipped: reading gzip needs zlib, which this build lacks "
                  "(Debian: zlib1g-dev, then rebuild)", path);
        goto fail;
    }
    if (data_idx_parse(head, (size_t)got, path, &h, &hl) < 0) goto fail;
    if (h.type != 0x08) {
        data_fail(DATA_EUNSUPPORTED, "%s holds %s elements; data sets are read as unsigned bytes", path,
                  idx_type_name(h.type));
        goto fail;
    }
    if (expect_ndim > 0 && h.ndim != expect_ndim) {
        data_fail(DATA_EFORMAT, "%s has %d dimension%s, expected %d (%s)", path, h.ndim, h.ndim == 1 ? "" : "s",
                  expect_ndim, expect_ndim == 1 ? "labels" : "images");
        goto fail;
    }
    int64_t n = 1;
    for (int i = 0; i < h.ndim; i++) {
        if (h.shape[i] > ((int64_t)1 << 32) || n > (((int64_t)1 << 40) / (h.shape[i] ? h.shape[i] : 1))) {
            data_fail(DATA_EFORMAT, "%s: its IDX header gives an impossible size", path);
            goto fail;
        }
        n *= h.shape[i];
    }
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof h.shape);
    if (alloc(ctx, out) < 0) goto fail;
    if (data_read_exact(s, out->data, (size_t)n, "its data") < 0) goto fail;
    uint8_t extra;
    int64_t tail = data_read(s, &extra, 1);
    if (tail != 0) {
        if (tail > 0) data_fail(DATA_EFORMAT, "%s has bytes after the %lld its IDX header announces", path, (long long)n);
        goto fail;
    }
    data_close(s);
    return 0;
fail:
    data_close(s);
    return -1;
}
