/* rt_data.c — the data-set readers (runtime/data/) on byte buffers and on
 * small files written here: IDX headers and files (plain and gzip), .npy
 * headers, CIFAR-10 binary batches from a folder, and every bad input
 * failing with its message (bad magic, truncated, corrupt gzip, wrong
 * dimensions, trailing bytes). The real formats as numpy and Python write
 * them (npz, tar.gz) and downloads are tested by tests/datasets/. */
#include "test.h"
#include "data.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef CGPU_HAVE_ZLIB
#include <zlib.h>
#endif

static char tmpdir[256];

static char *tpath(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

/* alloc callback: malloc'd buffers, counted so the tests can free them */
static int n_allocs;
static int alloc_malloc(void *ctx, data_array *a)
{
    a->data = malloc((size_t)data_array_size(a) + 1);
    if (!a->data) return data_fail(DATA_ENOMEM, "out of host memory");
    a->handle = a->data;
    n_allocs++;
    return 0;
}

/* the streaming reader (no adopt) and, where the build has it, libdeflate's
 * one-shot path (adopt given): both must give the same results and errors */
static int use_adopt;
static int adopt_malloc(void *ctx, data_array *a, void *buf, size_t bytes)
{
    a->data = buf;
    a->handle = buf;
    n_allocs++;
    return 0;
}
static int data_idx_load_t(const char *path, int nd, data_alloc_fn alloc, void *ctx, data_array *out)
{
    return data_idx_load(path, nd, alloc, use_adopt ? adopt_malloc : NULL, ctx, out);
}

/* An IDX file of unsigned bytes: header + data (value = i * 7 % 251). */
static size_t make_idx(uint8_t *buf, int ndim, const int64_t *shape)
{
    buf[0] = 0; buf[1] = 0; buf[2] = 0x08; buf[3] = (uint8_t)ndim;
    size_t n = 1, at = 4;
    for (int i = 0; i < ndim; i++) {
        uint32_t s = (uint32_t)shape[i];
        buf[at++] = s >> 24; buf[at++] = s >> 16; buf[at++] = s >> 8; buf[at++] = s;
        n *= (size_t)shape[i];
    }
    for (size_t i = 0; i < n; i++) buf[at + i] = (uint8_t)(i * 7 % 251);
    return at + n;
}

TEST(idx_header_parses)
{
    uint8_t b[64];
    int64_t shape[3] = {2, 3, 4};
    make_idx(b, 3, shape);
    data_idx_header h;
    size_t hl;
    CHECK(data_idx_parse(b, sizeof b, "x", &h, &hl) == 0);
    CHECK(h.type == 0x08 && h.ndim == 3 && h.shape[0] == 2 && h.shape[1] == 3 && h.shape[2] == 4);
    CHECK(hl == 16);
}

TEST(idx_header_errors)
{
    uint8_t b[64];
    int64_t shape[1] = {5};
    make_idx(b, 1, shape);
    data_idx_header h;
    size_t hl;
    CHECK(data_idx_parse(b, 3, "short.idx", &h, &hl) == -1);
    CHECK(data_error_code() == DATA_EFORMAT && strstr(data_error_message(), "short.idx is truncated"));
    CHECK(data_idx_parse(b, 6, "half.idx", &h, &hl) == -1);
    CHECK(strstr(data_error_message(), "needs 8 bytes, the file has 6") != NULL);
    b[0] = 0x1f;
    CHECK(data_idx_parse(b, sizeof b, "gz.idx", &h, &hl) == -1);
    CHECK_STR(data_error_message(), "gz.idx is not an IDX file (magic bytes 1f 00 08 01)");
    b[0] = 0; b[2] = 0x07;
    CHECK(data_idx_parse(b, sizeof b, "t.idx", &h, &hl) == -1);
    b[2] = 0x08; b[3] = 9;
    CHECK(data_idx_parse(b, sizeof b, "d.idx", &h, &hl) == -1);
}

static void check_idx_values(const data_array *a, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= a->data[i] == (uint8_t)(i * 7 % 251);
    CHECK(ok);
}

TEST(idx_plain_file)
{
    static uint8_t b[16 + 5 * 28 * 28];
    int64_t shape[3] = {5, 28, 28};
    size_t n = make_idx(b, 3, shape);
    write_file(tpath("images-idx3-ubyte"), b, n);
    data_array a;
    CHECK(data_idx_load_t(tpath("images-idx3-ubyte"), 3, alloc_malloc, NULL, &a) == 0);
    CHECK(a.ndim == 3 && a.shape[0] == 5 && a.shape[1] == 28 && a.shape[2] == 28);
    check_idx_values(&a, 5 * 28 * 28);
    free(a.handle);
}

TEST(idx_file_errors)
{
    static uint8_t b[16 + 5 * 28 * 28];
    int64_t shape[3] = {5, 28, 28};
    size_t n = make_idx(b, 3, shape);
    data_array a;
    write_file(tpath("trunc"), b, n - 10);
    CHECK(data_idx_load_t(tpath("trunc"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EFORMAT && strstr(data_error_message(), "is truncated: its data needs 3920 bytes"));
    free(a.handle);
    write_file(tpath("long"), b, n);
    FILE *f = fopen(tpath("long"), "ab");
    fputc(1, f);
    fclose(f);
    CHECK(data_idx_load_t(tpath("long"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(strstr(data_error_message(), "has bytes after the 3920 its IDX header announces") != NULL);
    free(a.handle);
    write_file(tpath("ndim"), b, n);
    CHECK(data_idx_load_t(tpath("ndim"), 1, alloc_malloc, NULL, &a) == -1);
    CHECK(strstr(data_error_message(), "has 3 dimensions, expected 1 (labels)") != NULL);
    b[2] = 0x0D;
    write_file(tpath("float"), b, n);
    CHECK(data_idx_load_t(tpath("float"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EUNSUPPORTED && strstr(data_error_message(), "holds float elements"));
    CHECK(data_idx_load_t(tpath("absent"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EOS && data_error_errno() == ENOENT);
    CHECK(strstr(data_error_message(), "[Errno 2] No such file or directory: '") != NULL);
    CHECK(data_idx_load_t(tmpdir, 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EOS && data_error_errno() == EISDIR);
    write_file(tpath("empty"), "", 0);
    CHECK(data_idx_load_t(tpath("empty"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(strstr(data_error_message(), "is truncated") != NULL);
}

TEST(idx_gzip_file)
{
#ifndef CGPU_HAVE_ZLIB
    SKIP("no zlib in this build");
#else
    static uint8_t b[16 + 7 * 28 * 28];
    int64_t shape[3] = {7, 28, 28};
    size_t n = make_idx(b, 3, shape);
    gzFile g = gzopen(tpath("img.gz"), "wb");
    gzwrite(g, b, (unsigned)n);
    gzclose(g);
    data_array a;
    CHECK(data_idx_load_t(tpath("img.gz"), 3, alloc_malloc, NULL, &a) == 0);
    CHECK(a.shape[0] == 7);
    check_idx_values(&a, 7 * 28 * 28);
    free(a.handle);

    /* the same bytes cut short, and with the deflate stream damaged */
    FILE *f = fopen(tpath("img.gz"), "rb");
    static uint8_t z[16384];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    write_file(tpath("cut.gz"), z, zn / 2);
    CHECK(data_idx_load_t(tpath("cut.gz"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EFORMAT);
    free(a.handle);
    for (size_t i = 20; i < zn - 8; i += 3) z[i] ^= 0x5a;
    write_file(tpath("bad.gz"), z, zn);
    CHECK(data_idx_load_t(tpath("bad.gz"), 3, alloc_malloc, NULL, &a) == -1);
    CHECK(data_error_code() == DATA_EFORMAT);
    free(a.handle);
#endif
}

TEST(npy_header_parses)
{
    const char *dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }";
    uint8_t b[128];
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    size_t dl = 118 - 10;
    b[8] = (uint8_t)dl; b[9] = 0;
    memset(b + 10, ' ', dl);
    memcpy(b + 10, dict, strlen(dict));
    b[10 + dl - 1] = '\n';
    data_npy_header h;
    CHECK(data_npy_parse(b, 118, "x.npy", &h) == 0);
    CHECK_STR(h.descr, "|u1");
    CHECK(h.fortran_order == 0 && h.ndim == 3 && h.shape[0] == 60000 && h.shape[2] == 28);
    CHECK(h.header_len == 118);
    /* 1-D shapes are written "(10,)", scalars "()" */
    const char *d1 = "{\"descr\": \"<i8\", \"fortran_order\": True, \"shape\": (10,)}";
    memset(b + 10, ' ', dl);
    memcpy(b + 10, d1, strlen(d1));
    CHECK(data_npy_parse(b, 118, "y.npy", &h) == 0);
    CHECK(h.ndim == 1 && h.shape[0] == 10 && h.fortran_order == 1);
    CHECK_STR(h.descr, "<i8");
}

TEST(npy_header_errors)
{
    uint8_t b[128];
    memset(b, ' ', sizeof b);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = 100; b[9] = 0;
    data_npy_header h;
    CHECK(data_npy_parse(b, 50, "a.npy", &h) == -1);
    CHECK(strstr(data_error_message(), "a.npy is truncated: its .npy header needs 110 bytes") != NULL);
    CHECK(data_npy_parse(b, 110, "b.npy", &h) == -1);
    CHECK(strstr(data_error_message(), "is not a dict with descr") != NULL);
    memcpy(b + 10, "{'descr': '|u1', 'fortran_order': False, 'shape': (3, x), }", 59);
    CHECK(data_npy_parse(b, 110, "c.npy", &h) == -1);
    CHECK(strstr(data_error_message(), "bad shape") != NULL);
    b[1] = 'X';
    CHECK(data_npy_parse(b, 110, "d.npy", &h) == -1);
    CHECK(strstr(data_error_message(), "d.npy is not a .npy file") != NULL);
    b[1] = 'N'; b[6] = 9;
    CHECK(data_npy_parse(b, 110, "e.npy", &h) == -1);
    CHECK(data_error_code() == DATA_EUNSUPPORTED);
    CHECK(data_npy_parse(b, 4, "f.npy", &h) == -1);
}

TEST(npy_stream_loads)
{
    /* a version-1 .npy as numpy writes it: header padded to 128 bytes */
    const char *dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4), }";
    uint8_t b[128 + 12];
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = 118; b[9] = 0;
    memset(b + 10, ' ', 118);
    memcpy(b + 10, dict, strlen(dict));
    b[127] = '\n';
    for (int i = 0; i < 12; i++) b[128 + i] = (uint8_t)(100 + i);
    write_file(tpath("a.npy"), b, sizeof b);
    data_stream *s = data_open_file(tpath("a.npy"));
    data_array a;
    CHECK(s && data_npy_load(s, "a.npy", alloc_malloc, NULL, &a) == 0);
    CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 4 && a.data[0] == 100 && a.data[11] == 111);
    free(a.handle);
    data_close(s);
    write_file(tpath("b.npy"), b, sizeof b - 1);
    s = data_open_file(tpath("b.npy"));
    CHECK(s && data_npy_load(s, "b.npy", alloc_malloc, NULL, &a) == -1);
    CHECK(strstr(data_error_message(), "truncated") != NULL);
    free(a.handle);
    data_close(s);
    memcpy(b + 10 + 11, "<f4", 3);
    write_file(tpath("c.npy"), b, sizeof b);
    s = data_open_file(tpath("c.npy"));
    CHECK(s && data_npy_load(s, "c.npy", alloc_malloc, NULL, &a) == -1);
    CHECK(strstr(data_error_message(), "holds dtype '<f4'") != NULL);
    data_close(s);
}

/* CIFAR-10 from a folder cifar-10-batches-bin/ of small batches. */
static void make_cifar_dir(const char *dir, int records, int cut_test)
{
    static const char *const names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                         "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
    data_mkdirs(dir);
    uint8_t *rec = malloc((size_t)records * DATA_CIFAR_RECORD);
    for (int k = 0; k < 6; k++) {
        for (int r = 0; r < records; r++) {
            uint8_t *p = rec + (size_t)r * DATA_CIFAR_RECORD;
            p[0] = (uint8_t)((k * records + r) % 10);
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 1024; i++) p[1 + c * 1024 + i] = (uint8_t)(k * 50 + r * 3 + c * 11 + i);
        }
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        write_file(path, rec, (size_t)records * DATA_CIFAR_RECORD - (k == 5 ? (size_t)cut_test : 0));
    }
    free(rec);
}

static void free_all(data_array out[4])
{
    for (int i = 0; i < 4; i++) free(out[i].handle);
}

TEST(cifar_folder_channels_last)
{
    char base[300];
    snprintf(base, sizeof base, "%s/c1", tmpdir);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/cifar-10-batches-bin", base);
    make_cifar_dir(dir, 3, 0);
    data_load_options o = {.path = base, .alloc = alloc_malloc};
    data_array out[4];
    CHECK(data_load(DATA_CIFAR10, &o, out) == 0);
    CHECK(out[0].ndim == 4 && out[0].shape[0] == 15 && out[0].shape[1] == 32 && out[0].shape[3] == 3);
    CHECK(out[1].ndim == 2 && out[1].shape[0] == 15 && out[1].shape[1] == 1);
    CHECK(out[2].shape[0] == 3 && out[3].shape[0] == 3);
    /* record 4 is batch 2 (k=1), r=1: pixel (row 2, col 5) channel 1 */
    int i = 2 * 32 + 5;
    CHECK(out[0].data[(size_t)4 * 3072 + (size_t)i * 3 + 1] == (uint8_t)(1 * 50 + 1 * 3 + 11 + i));
    CHECK(out[1].data[4] == 4 % 10);
    CHECK(out[2].data[(size_t)2 * 3072 + 1023 * 3 + 2] == (uint8_t)(5 * 50 + 2 * 3 + 22 + 1023));
    CHECK(out[3].data[2] == (15 + 2) % 10);
    free_all(out);
}

TEST(cifar_folder_errors)
{
    char base[300], dir[400];
    snprintf(base, sizeof base, "%s/c2", tmpdir);
    snprintf(dir, sizeof dir, "%s/cifar-10-batches-bin", base);
    make_cifar_dir(dir, 2, 100);
    data_load_options o = {.path = base, .alloc = alloc_malloc};
    data_array out[4];
    CHECK(data_load(DATA_CIFAR10, &o, out) == -1);
    CHECK(strstr(data_error_message(), "test_batch.bin is not a CIFAR-10 binary batch") != NULL);
    free_all(out);
    char p[500];
    snprintf(p, sizeof p, "%s/data_batch_3.bin", dir);
    unlink(p);
    CHECK(data_load(DATA_CIFAR10, &o, out) == -1);
    CHECK(data_error_code() == DATA_EOS && data_error_errno() == ENOENT);
    free_all(out);
    /* Keras's pickled folder: a message naming the binary version */
    snprintf(base, sizeof base, "%s/c3/cifar-10-batches-py", tmpdir);
    data_mkdirs(base);
    snprintf(base, sizeof base, "%s/c3", tmpdir);
    CHECK(data_load(DATA_CIFAR10, &o, out) == -1);
    o.path = base;
    CHECK(data_load(DATA_CIFAR10, &o, out) == -1);
    CHECK(strstr(data_error_message(), "pickled CIFAR-10 (cifar-10-batches-py)") != NULL);
    CHECK(strstr(data_error_message(), "cifar-10-binary.tar.gz") != NULL);
}

TEST(fashion_folder_and_not_found)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/fm", tmpdir);
    data_mkdirs(dir);
    static uint8_t b[16 + 4 * 28 * 28];
    int64_t shi[3] = {4, 28, 28}, shl[1] = {4}, shl3[1] = {3};
    size_t n = make_idx(b, 3, shi);
    char p[400];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir); write_file(p, b, n);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir); write_file(p, b, n);
    n = make_idx(b, 1, shl);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir); write_file(p, b, n);
    data_load_options o = {.path = dir, .alloc = alloc_malloc};
    data_array out[4];
    CHECK(data_load(DATA_FASHION_MNIST, &o, out) == -1);
    CHECK(strstr(data_error_message(), "has no t10k-labels-idx1-ubyte.gz (nor t10k-labels-idx1-ubyte)") != NULL);
    free_all(out);
    n = make_idx(b, 1, shl3);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir); write_file(p, b, n);
    CHECK(data_load(DATA_FASHION_MNIST, &o, out) == -1);
    CHECK(strstr(data_error_message(), "has 4 images but t10k-labels-idx1-ubyte has 3 labels") != NULL);
    free_all(out);
    n = make_idx(b, 1, shl);
    write_file(p, b, n);
    CHECK(data_load(DATA_FASHION_MNIST, &o, out) == 0);
    CHECK(out[0].shape[0] == 4 && out[3].shape[0] == 4 && out[1].ndim == 1);
    free_all(out);

    snprintf(p, sizeof p, "%s/nothing-here", tmpdir);
    o.path = p;
    CHECK(data_load(DATA_MNIST, &o, out) == -1);
    CHECK(data_error_code() == DATA_ENOTFOUND && strstr(data_error_message(), "MNIST was not found at path="));
}

/* Nothing anywhere, and CGPU_DATASETS_URL a closed port of this machine:
 * the message names each place looked at, the download and the file. */
TEST(not_found_names_every_place)
{
    char home[300], env[300];
    snprintf(home, sizeof home, "%s/home", tmpdir);
    snprintf(env, sizeof env, "%s/empty", tmpdir);
    data_mkdirs(home);
    data_mkdirs(env);
    setenv("HOME", home, 1);
    setenv("CGPU_DATASETS", env, 1);
    setenv("CGPU_DATASETS_URL", "http://127.0.0.1:9/", 1);
    unsetenv("KERAS_HOME");
    data_load_options o = {.alloc = alloc_malloc};
    data_array out[4];
    CHECK(data_load(DATA_CIFAR10, &o, out) == -1);
    CHECK(data_error_code() == DATA_ENOTFOUND);
    char want[2048];
    snprintf(want, sizeof want, "CIFAR-10 was not found. Looked in:\n  %s (from $CGPU_DATASETS)\n  %s/.keras/datasets/ "
             "(Keras's cache)\nand downloading from http://127.0.0.1:9/ failed: ", env, home);
    CHECK(strncmp(data_error_message(), want, strlen(want)) == 0);
    CHECK(strstr(data_error_message(), "\nPut cifar-10-binary.tar.gz (the binary version from "
                 "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz), or its extracted cifar-10-batches-bin/ "
                 "in one of these folders, or pass path=.") != NULL);
    if (!data_have_download()) CHECK(strstr(data_error_message(), "downloads need libcurl") != NULL);
    else CHECK(strstr(data_error_message(), "URL fetch failure on http://127.0.0.1:9/cifar-10-binary.tar.gz") != NULL);
    unsetenv("CGPU_DATASETS");
    if (data_have_gzip()) { /* Debian's files are gzipped */
        CHECK(data_load(DATA_FASHION_MNIST, &o, out) == 0 || strstr(data_error_message(),
              "/usr/share/datasets/fashion-mnist/ (Debian: apt install dataset-fashion-mnist)") != NULL);
        free_all(out);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cgpu-rt-data-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    RUN(idx_header_parses);
    RUN(idx_header_errors);
    RUN(idx_plain_file);
    RUN(idx_file_errors);
    RUN(idx_gzip_file);
    use_adopt = 1;
    RUN(idx_file_errors);
    RUN(idx_gzip_file);
    use_adopt = 0;
    RUN(npy_header_parses);
    RUN(npy_header_errors);
    RUN(npy_stream_loads);
    RUN(cifar_folder_channels_last);
    RUN(cifar_folder_errors);
    RUN(fashion_folder_and_not_found);
    RUN(not_found_names_every_place);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
