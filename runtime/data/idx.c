/* idx.c — IDX files (MNIST, Fashion-MNIST): a 4-byte magic (0, 0, element
 * type, number of dimensions), one big-endian uint32 per dimension, then the
 * elements row-major. Only unsigned bytes are loaded (what both data sets
 * use); the header of the other types parses so the message can name them.
 */
#include "data.h"

#include <stdio.h>
#include <string.h>

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

int data_idx_load(const char *path, int expect_ndim, data_alloc_fn alloc, void *ctx, data_array *out)
{
    memset(out, 0, sizeof *out);
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
