/* npy.c — numpy's .npy format (numpy/lib/format.py, "NPY format"):
 * "\x93NUMPY", major and minor version bytes, the header length (2 bytes
 * little-endian in version 1, 4 in versions 2 and 3), then a Python dict
 * literal such as {'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }
 * padded with spaces and a newline, then the data.
 */
#include "data.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The value text after 'key': in the dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char pat[32];
    size_t kl = strlen(key);
    for (int q = 0; q < 2; q++) {
        char quote = q ? '"' : '\'';
        pat[0] = quote;
        memcpy(pat + 1, key, kl);
        pat[kl + 1] = quote;
        pat[kl + 2] = 0;
        const char *p = strstr(dict, pat);
        if (!p) continue;
        p += kl + 2;
        while (*p == ' ') p++;
        if (*p != ':') return NULL;
        p++;
        while (*p == ' ') p++;
        return p;
    }
    return NULL;
}

int data_npy_parse(const uint8_t *buf, size_t len, const char *name, data_npy_header *h)
{
    static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
    memset(h, 0, sizeof *h);
    if (len < 10)
        return data_fail(DATA_EFORMAT, "%s is truncated: a .npy header needs at least 10 bytes, it has %zu", name, len);
    if (memcmp(buf, magic, 6) != 0) return data_fail(DATA_EFORMAT, "%s is not a .npy file (no \\x93NUMPY magic)", name);
    int major = buf[6];
    size_t dict_len, start;
    if (major == 1) {
        dict_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return data_fail(DATA_EFORMAT, "%s is truncated: its .npy header is incomplete", name);
        dict_len = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return data_fail(DATA_EUNSUPPORTED, "%s: .npy format version %d.%d is not supported", name, major, buf[7]);
    }
    if (dict_len > 1 << 20) return data_fail(DATA_EFORMAT, "%s: its .npy header length (%zu) is not plausible", name, dict_len);
    if (len < start + dict_len)
        return data_fail(DATA_EFORMAT, "%s is truncated: its .npy header needs %zu bytes, it has %zu", name,
                         start + dict_len, len);
    char *dict = malloc(dict_len + 1);
    if (!dict) return data_fail(DATA_ENOMEM, "out of host memory");
    memcpy(dict, buf + start, dict_len);
    dict[dict_len] = 0;
    int rc = -1;
    const char *d = dict_value(dict, "descr"), *f = dict_value(dict, "fortran_order"), *s = dict_value(dict, "shape");
    if (!d || !f || !s || (*d != '\'' && *d != '"')) {
        data_fail(DATA_EFORMAT, "%s: its .npy header is not a dict with descr, fortran_order and shape", name);
        goto out;
    }
    const char *e = strchr(d + 1, *d);
    if (!e || (size_t)(e - d - 1) >= sizeof h->descr) {
        data_fail(DATA_EFORMAT, "%s: its .npy header has a bad descr", name);
        goto out;
    }
    memcpy(h->descr, d + 1, (size_t)(e - d - 1));
    if (strncmp(f, "True", 4) == 0) h->fortran_order = 1;
    else if (strncmp(f, "False", 5) != 0) {
        data_fail(DATA_EFORMAT, "%s: its .npy header has a bad fortran_order", name);
        goto out;
    }
    if (*s != '(') {
        data_fail(DATA_EFORMAT, "%s: its .npy header has a bad shape", name);
        goto out;
    }
    s++;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        if (!isdigit((unsigned char)*s) || h->ndim == 4) {
            data_fail(DATA_EFORMAT, "%s: its .npy header has a bad shape (at most 4 dimensions)", name);
            goto out;
        }
        char *end;
        long long v = strtoll(s, &end, 10);
        if (v < 0 || v > ((long long)1 << 40)) {
            data_fail(DATA_EFORMAT, "%s: its .npy header has an impossible shape", name);
            goto out;
        }
        h->shape[h->ndim++] = v;
        s = end;
    }
    h->header_len = start + dict_len;
    rc = 0;
out:
    free(dict);
    return rc;
}

int data_npy_load(data_stream *s, const char *name, data_alloc_fn alloc, void *ctx, data_array *out)
{
    memset(out, 0, sizeof *out);
    uint8_t head[12];
    int64_t got = data_read(s, head, sizeof head);
    if (got < 0) return -1;
    data_npy_header h;
    if (got < (int64_t)sizeof head) return data_npy_parse(head, (size_t)got, name, &h);
    size_t dict_len = head[6] == 1 ? ((size_t)head[8] | (size_t)head[9] << 8)
                                   : ((size_t)head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 | (size_t)head[11] << 24);
    if (dict_len > 1 << 20) return data_npy_parse(head, sizeof head, name, &h);
    uint8_t *buf = malloc(12 + dict_len);
    if (!buf) return data_fail(DATA_ENOMEM, "out of host memory");
    memcpy(buf, head, sizeof head);
    int64_t more = data_read(s, buf + 12, dict_len);
    if (more < 0 || data_npy_parse(buf, 12 + (size_t)more, name, &h) < 0) { free(buf); return -1; }
    /* version 1 headers are 2 bytes shorter: give their first 2 data bytes back */
    size_t spare = 12 + (size_t)more - h.header_len;
    uint8_t carry[2];
    memcpy(carry, buf + h.header_len, spare);
    free(buf);
    if (strcmp(h.descr, "|u1") != 0 && strcmp(h.descr, "<u1") != 0 && strcmp(h.descr, "u1") != 0)
        return data_fail(DATA_EUNSUPPORTED, "%s holds dtype '%s'; data sets are read as uint8 ('|u1')", name, h.descr);
    if (h.fortran_order && h.ndim > 1)
        return data_fail(DATA_EUNSUPPORTED, "%s is in Fortran order; data sets are read in C order", name);
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof h.shape);
    int64_t n = data_array_size(out);
    if (alloc(ctx, out) < 0) return -1;
    size_t first = spare < (size_t)n ? spare : (size_t)n;
    memcpy(out->data, carry, first);
    if (data_read_exact(s, out->data + first, (size_t)n - first, "its data") < 0) return -1;
    return 0;
}
