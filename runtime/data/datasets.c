/* datasets.c — MNIST, Fashion-MNIST and CIFAR-10: where their files are
 * found, in order, and how each form is read.
 *
 *   1. path= (a file or a folder; a bare name not found is looked up in
 *      Keras's cache, as Keras's own path= is);
 *   2. $CGPU_DATASETS;
 *   3. Debian's package (dataset-fashion-mnist: /usr/share/datasets/fashion-mnist/);
 *   4. Keras's cache ($KERAS_HOME or ~/.keras, then datasets/), with Keras's
 *      own file names;
 *   5. a download from $CGPU_DATASETS_URL (a mirror) or Keras's origin into
 *      that cache, checked against the published SHA-256.
 * Nothing found: one error naming every place and the files to put there.
 */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEBIAN_DIR "/usr/share/datasets"

/* Keras's files and their SHA-256 (keras/src/datasets/ in keras-team/keras). */
static const char *const IDX_NAMES[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
};
static const char *const FASHION_SHA256[4] = {
    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
};
#define KERAS_ORIGIN "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#define MNIST_NPZ "mnist.npz"
#define MNIST_SHA256 "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
#define CIFAR_TGZ "cifar-10-binary.tar.gz"
#define CIFAR_DIR "cifar-10-batches-bin"
#define CIFAR_ORIGIN "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
/* The binary archive's digest, as published beside its MD5 on the CIFAR page's mirrors. */
#define CIFAR_SHA256 "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
static const char *const CIFAR_BATCHES[6] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin",
};

const char *data_set_name(data_set which)
{
    static const char *const names[DATA_SET_COUNT] = {"mnist", "fashion_mnist", "cifar10"};
    return which < DATA_SET_COUNT ? names[which] : "?";
}

/* ---- small path helpers ---------------------------------------------------- */

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a);
    char *p = malloc(la + strlen(b) + 2);
    if (!p) return NULL;
    sprintf(p, "%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b);
    return p;
}

static int is_dir(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISDIR(st.st_mode); }
static int is_file(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

/* Keras's cache folder: $KERAS_HOME/datasets or ~/.keras/datasets (malloc'd). */
static char *keras_cache(void)
{
    const char *kh = getenv("KERAS_HOME");
    if (kh && *kh) return join(kh, "datasets");
    const char *home = getenv("HOME");
    char *k = join(home && *home ? home : "/tmp", ".keras");
    char *d = k ? join(k, "datasets") : NULL;
    free(k);
    return d;
}

/* The "looked in" list of the final error. */
typedef struct {
    char text[4096];
    size_t n;
} looked;

static void look(looked *l, const char *fmt, const char *a, const char *b)
{
    if (l->n >= sizeof l->text - 1) return;
    int w = snprintf(l->text + l->n, sizeof l->text - l->n, "\n  ");
    if (w > 0) l->n += (size_t)w;
    if (l->n >= sizeof l->text) { l->n = sizeof l->text - 1; return; }
    w = snprintf(l->text + l->n, sizeof l->text - l->n, fmt, a, b);
    if (w > 0) l->n += (size_t)w;
    if (l->n >= sizeof l->text) l->n = sizeof l->text - 1;
}

/* ---- IDX sets (four files, gzipped or not) ----------------------------------- */

/* The file of IDX_NAMES[i] in dir (".gz" first), or NULL (malloc'd). */
static char *idx_file(const char *dir, int i)
{
    char name[64];
    snprintf(name, sizeof name, "%s.gz", IDX_NAMES[i]);
    char *p = join(dir, name);
    if (p && is_file(p)) return p;
    free(p);
    p = join(dir, IDX_NAMES[i]);
    if (p && is_file(p)) return p;
    free(p);
    return NULL;
}

static int idx_count(const char *dir)
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        char *p = idx_file(dir, i);
        n += p != NULL;
        free(p);
    }
    return n;
}

static int load_idx_set(const char *dir, const data_load_options *o, data_array out[4])
{
    for (int i = 0; i < 4; i++) {
        char *p = idx_file(dir, i);
        if (!p) return data_fail(DATA_EFORMAT, "%s has no %s.gz (nor %s): the four IDX files belong together",
                                 dir, IDX_NAMES[i], IDX_NAMES[i]);
        int r = data_idx_load(p, i % 2 ? 1 : 3, o->alloc, o->adopt, o->alloc_ctx, &out[i]);
        free(p);
        if (r < 0) return -1;
    }
    for (int i = 0; i < 4; i += 2)
        if (out[i].shape[0] != out[i + 1].shape[0])
            return data_fail(DATA_EFORMAT, "%s: %s has %lld images but %s has %lld labels", dir, IDX_NAMES[i],
                             (long long)out[i].shape[0], IDX_NAMES[i + 1], (long long)out[i + 1].shape[0]);
    return 0;
}

/* ---- mnist.npz ------------------------------------------------------------------ */

static int load_npz(const char *path, const data_load_options *o, data_array out[4])
{
    static const char *const members[4] = {"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"};
    data_archive *ar = data_archive_open(path);
    if (!ar) return -1;
    int seen[4] = {0}, rc = -1;
    const char *m;
    while ((m = data_archive_next(ar))) {
        for (int i = 0; i < 4; i++) {
            if (strcmp(m, members[i]) != 0 || seen[i]) continue;
            data_stream *s = data_archive_member(ar);
            if (!s) goto out;
            int r = data_npy_load(s, data_stream_name(s), o->alloc, o->alloc_ctx, &out[i]);
            data_close(s);
            if (r < 0) goto out;
            seen[i] = 1;
        }
    }
    if (data_error_code() != DATA_OK) goto out;
    for (int i = 0; i < 4; i++)
        if (!seen[i]) { data_fail(DATA_EFORMAT, "%s has no %s (Keras's mnist.npz holds x_train, y_train, x_test, y_test)", path, members[i]); goto out; }
    for (int i = 0; i < 4; i += 2)
        if (out[i].ndim != 3 || out[i + 1].ndim != 1 || out[i].shape[0] != out[i + 1].shape[0]) {
            data_fail(DATA_EFORMAT, "%s: %s and %s do not have the shapes (n, rows, cols) and (n,)", path,
                      members[i], members[i + 1]);
            goto out;
        }
    rc = 0;
out:
    data_archive_close(ar);
    return rc;
}

/* ---- CIFAR-10 binary ----------------------------------------------------------- */

typedef struct {
    uint8_t *raw[6];   /* owned: the batch files' bytes */
    size_t   len[6];
} cifar_raw;

static void cifar_raw_free(cifar_raw *c)
{
    for (int i = 0; i < 6; i++) free(c->raw[i]);
}

/* Reads a whole stream into c->raw[k]. */
static int slurp(data_stream *s, cifar_raw *c, int k)
{
    size_t cap = (size_t)10000 * DATA_CIFAR_RECORD + 1, n = 0;
    uint8_t *b = malloc(cap);
    if (!b) return data_fail(DATA_ENOMEM, "out of host memory");
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) { free(b); return data_fail(DATA_ENOMEM, "out of host memory"); }
            b = nb;
            cap *= 2;
        }
        int64_t r = data_read(s, b + n, cap - n);
        if (r < 0) { free(b); return -1; }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n == 0 || n % DATA_CIFAR_RECORD != 0) {
        free(b);
        return data_fail(DATA_EFORMAT, "%s is not a CIFAR-10 binary batch: %zu bytes is not a whole number of "
                         "%d-byte records (truncated or corrupt)", data_stream_name(s), n, DATA_CIFAR_RECORD);
    }
    free(c->raw[k]);
    c->raw[k] = b;
    c->len[k] = n;
    return 0;
}

static int batch_index(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (int k = 0; k < 6; k++) if (strcmp(base, CIFAR_BATCHES[k]) == 0) return k;
    return -1;
}

/* Records -> x (n, 32, 32, 3) channels last and y (n, 1). */
static int cifar_assemble(cifar_raw *c, const char *where, const data_load_options *o, data_array out[4])
{
    for (int k = 0; k < 6; k++)
        if (!c->raw[k]) return data_fail(DATA_EFORMAT, "%s has no %s", where, CIFAR_BATCHES[k]);
    int64_t n[2] = {0, 0};
    for (int k = 0; k < 6; k++) n[k == 5] += (int64_t)(c->len[k] / DATA_CIFAR_RECORD);
    for (int part = 0; part < 2; part++) {
        data_array *x = &out[2 * part], *y = &out[2 * part + 1];
        memset(x, 0, sizeof *x);
        memset(y, 0, sizeof *y);
        x->ndim = 4;
        x->shape[0] = n[part]; x->shape[1] = 32; x->shape[2] = 32; x->shape[3] = 3;
        y->ndim = 2;
        y->shape[0] = n[part]; y->shape[1] = 1;
        if (o->alloc(o->alloc_ctx, x) < 0 || o->alloc(o->alloc_ctx, y) < 0) return -1;
        int64_t at = 0;
        for (int k = part ? 5 : 0; k < (part ? 6 : 5); k++) {
            int64_t recs = (int64_t)(c->len[k] / DATA_CIFAR_RECORD);
            for (int64_t r = 0; r < recs; r++, at++) {
                const uint8_t *rec = c->raw[k] + r * DATA_CIFAR_RECORD;
                uint8_t *px = x->data + at * 3072;
                y->data[at] = rec[0];
                for (int p = 0; p < 1024; p++) {
                    px[3 * p] = rec[1 + p];
                    px[3 * p + 1] = rec[1 + 1024 + p];
                    px[3 * p + 2] = rec[1 + 2048 + p];
                }
            }
            free(c->raw[k]);
            c->raw[k] = NULL;
        }
    }
    return 0;
}

static int load_cifar_dir(const char *dir, const data_load_options *o, data_array out[4])
{
    cifar_raw c;
    memset(&c, 0, sizeof c);
    int rc = -1;
    for (int k = 0; k < 6; k++) {
        char *p = join(dir, CIFAR_BATCHES[k]);
        if (!p) { data_fail(DATA_ENOMEM, "out of host memory"); goto out; }
        data_stream *s = data_open_file(p);
        free(p);
        if (!s) goto out;
        int r = slurp(s, &c, k);
        data_close(s);
        if (r < 0) goto out;
    }
    rc = cifar_assemble(&c, dir, o, out);
out:
    cifar_raw_free(&c);
    return rc;
}

static int load_cifar_archive(const char *path, const data_load_options *o, data_array out[4])
{
    data_archive *ar = data_archive_open(path);
    if (!ar) return -1;
    cifar_raw c;
    memset(&c, 0, sizeof c);
    int rc = -1;
    const char *m;
    while ((m = data_archive_next(ar))) {
        int k = batch_index(m);
        if (k < 0) continue;
        data_stream *s = data_archive_member(ar);
        if (!s) goto out;
        int r = slurp(s, &c, k);
        data_close(s);
        if (r < 0) goto out;
    }
    if (data_error_code() != DATA_OK) goto out;
    rc = cifar_assemble(&c, path, o, out);
out:
    cifar_raw_free(&c);
    data_archive_close(ar);
    return rc;
}

static int cifar_pickled_error(const char *where)
{
    return data_fail(DATA_EUNSUPPORTED,
                     "%s is Keras's pickled CIFAR-10 (cifar-10-batches-py), which C-GPU does not read: use the binary "
                     "version, " CIFAR_TGZ " (" CIFAR_ORIGIN ") or its extracted " CIFAR_DIR "/, in the same place",
                     where);
}

/* ---- one place ------------------------------------------------------------------ */

/* Tries the forms of `which` in folder `dir`. `direct`: the folder itself may
 * hold the files (path=); else only Keras's names inside it are tried.
 * Returns 1 loaded, 0 nothing there, -1 error (a form was there but bad). */
static int try_dir(data_set which, const char *dir, int direct, const data_load_options *o, data_array out[4])
{
    if (!is_dir(dir)) return 0;
    int r = 0;
    char *p = NULL;
    switch (which) {
    case DATA_FASHION_MNIST:
    case DATA_MNIST: {
        if (which == DATA_MNIST) {
            p = join(dir, MNIST_NPZ);
            if (!p) return data_fail(DATA_ENOMEM, "out of host memory");
            if (is_file(p)) { r = load_npz(p, o, out) < 0 ? -1 : 1; break; }
            free(p);
            p = NULL;
        }
        if (direct && idx_count(dir) > 0) { r = load_idx_set(dir, o, out) < 0 ? -1 : 1; break; }
        p = join(dir, which == DATA_MNIST ? "mnist" : "fashion-mnist");
        if (!p) return data_fail(DATA_ENOMEM, "out of host memory");
        if (is_dir(p) && idx_count(p) > 0) r = load_idx_set(p, o, out) < 0 ? -1 : 1;
        break;
    }
    case DATA_CIFAR10: {
        if (direct && is_file((p = join(dir, CIFAR_BATCHES[0])))) { r = load_cifar_dir(dir, o, out) < 0 ? -1 : 1; break; }
        free(p);
        if (is_file((p = join(dir, CIFAR_TGZ)))) { r = load_cifar_archive(p, o, out) < 0 ? -1 : 1; break; }
        free(p);
        if (is_dir((p = join(dir, CIFAR_DIR)))) { r = load_cifar_dir(p, o, out) < 0 ? -1 : 1; break; }
        free(p);
        if (is_dir((p = join(dir, "cifar-10-batches-py")))) { r = cifar_pickled_error(p); break; }
        if (direct && is_file((free(p), p = join(dir, "data_batch_1")))) { r = cifar_pickled_error(dir); break; }
        break;
    }
    default:
        break;
    }
    free(p);
    return r;
}

/* path=: a file (npz, tar.gz or an extracted folder) or a folder. */
static int try_path(data_set which, const char *path, const data_load_options *o, data_array out[4])
{
    if (is_dir(path)) return try_dir(which, path, 1, o, out);
    if (!is_file(path)) return 0;
    if (which == DATA_MNIST) return load_npz(path, o, out) < 0 ? -1 : 1;
    if (which == DATA_CIFAR10) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (strstr(base, "python")) return cifar_pickled_error(path);
        return load_cifar_archive(path, o, out) < 0 ? -1 : 1;
    }
    return data_fail(DATA_EFORMAT, "%s is a file; Fashion-MNIST's path= names the folder of its four IDX files", path);
}

/* ---- downloads ----------------------------------------------------------------- */

static char *url_of(const char *file, const char *origin)
{
    const char *mirror = getenv("CGPU_DATASETS_URL");
    if (mirror && *mirror) return join(mirror, file);
    return strdup(origin);
}

/* Downloads the files of `which` into the cache; 0, or -1. */
static int download(data_set which, const char *cache, const data_load_options *o, char *why, size_t whycap)
{
    const char *names[4];
    const char *hashes[4];
    const char *origins[4];
    char origin_buf[4][160];
    int n = 0;
    char *dir = NULL;
    if (which == DATA_FASHION_MNIST) {
        dir = join(cache, "fashion-mnist");
        for (int i = 0; i < 4; i++) {
            static char gz[4][64];
            snprintf(gz[i], sizeof gz[i], "%s.gz", IDX_NAMES[i]);
            snprintf(origin_buf[i], sizeof origin_buf[i], KERAS_ORIGIN "%s", gz[i]);
            names[n] = gz[i];
            hashes[n] = FASHION_SHA256[i];
            origins[n++] = origin_buf[i];
        }
    } else {
        dir = strdup(cache);
        names[0] = which == DATA_MNIST ? MNIST_NPZ : CIFAR_TGZ;
        hashes[0] = which == DATA_MNIST ? MNIST_SHA256 : CIFAR_SHA256;
        origins[0] = which == DATA_MNIST ? KERAS_ORIGIN MNIST_NPZ : CIFAR_ORIGIN;
        n = 1;
    }
    if (!dir) return data_fail(DATA_ENOMEM, "out of host memory");
    int rc = 0;
    if (data_mkdirs(dir) < 0) rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        char *dest = join(dir, names[i]);
        char *url = url_of(names[i], origins[i]);
        if (!dest || !url) rc = data_fail(DATA_ENOMEM, "out of host memory");
        else if (!is_file(dest)) rc = data_download(url, dest, hashes[i], o->progress, o->progress_ctx);
        free(dest);
        free(url);
    }
    free(dir);
    if (rc < 0) snprintf(why, whycap, "%s", data_error_message());
    return rc;
}

/* ---- the search ----------------------------------------------------------------- */

static int search(data_set which, const data_load_options *o, data_array out[4])
{
    looked l = {.n = 0};
    const char *what = which == DATA_MNIST ? "mnist.npz, or a folder mnist/ of the four MNIST IDX files"
                     : which == DATA_FASHION_MNIST ? "a folder fashion-mnist/ with train-images-idx3-ubyte.gz, "
                       "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
                     : CIFAR_TGZ " (the binary version from " CIFAR_ORIGIN "), or its extracted " CIFAR_DIR "/";
    const char *title = which == DATA_MNIST ? "MNIST" : which == DATA_FASHION_MNIST ? "Fashion-MNIST" : "CIFAR-10";
    char *cache = keras_cache();
    if (!cache) return data_fail(DATA_ENOMEM, "out of host memory");
    int r = 0;

    if (o->path && *o->path) {
        r = try_path(which, o->path, o, out);
        if (r == 0 && o->path[0] != '/') {
            char *c = join(cache, o->path);
            if (c) r = try_path(which, c, o, out);
            free(c);
        }
        if (r == 0) {
            data_fail(DATA_ENOTFOUND, "%s was not found at path=%s (nor in %s/): put %s there", title, o->path,
                      cache, what);
            r = -1;
        }
        free(cache);
        return r < 0 ? -1 : 0;
    }
    const char *env = getenv("CGPU_DATASETS");
    if (env && *env) {
        if ((r = try_dir(which, env, 0, o, out)) != 0) goto done;
        look(&l, "%s%s (from $CGPU_DATASETS)", env, "");
    } else {
        look(&l, "$CGPU_DATASETS (not set)%s%s", "", "");
    }
    if (which == DATA_FASHION_MNIST) {
        if ((r = try_dir(which, DEBIAN_DIR, 0, o, out)) != 0) goto done;
        look(&l, "%s%s/fashion-mnist/ (Debian: apt install dataset-fashion-mnist)", DEBIAN_DIR, "");
    }
    if ((r = try_dir(which, cache, 0, o, out)) != 0) goto done;
    look(&l, "%s/ (Keras's cache)%s", cache, "");
    char why[1024] = "";
    if (download(which, cache, o, why, sizeof why) == 0) {
        r = try_dir(which, cache, 0, o, out);
        if (r != 0) goto done;
        snprintf(why, sizeof why, "the downloaded files are not where they were saved");
    } else if (data_error_code() == DATA_ECHECKSUM || data_error_code() == DATA_EINTERRUPT ||
               data_error_code() == DATA_ENOMEM) {
        r = -1;
        goto done;
    }
    const char *mirror = getenv("CGPU_DATASETS_URL");
    data_fail(DATA_ENOTFOUND, "%s was not found. Looked in:%s\nand downloading from %s failed: %s\n"
              "Put %s in one of these folders, or pass path=.", title, l.text,
              mirror && *mirror ? mirror : (which == DATA_CIFAR10 ? CIFAR_ORIGIN : KERAS_ORIGIN), why, what);
    r = -1;
done:
    free(cache);
    return r < 0 ? -1 : 0;
}

int data_load(data_set which, const data_load_options *o, data_array out[4])
{
    memset(out, 0, 4 * sizeof *out);
    if (which >= DATA_SET_COUNT) return data_fail(DATA_EFORMAT, "unknown data set");
    return search(which, o, out);
}
