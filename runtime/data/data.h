/* data.h — data-set files: IDX (MNIST, Fashion-MNIST), .npy/.npz (Keras's
 * mnist.npz), the CIFAR-10 binary batches, where they are found, and their
 * download into Keras's cache.
 *
 * No language types and no array types: readers decode into byte buffers
 * that the caller provides through an allocation callback, so a loader can
 * decompress straight into an array's storage (one copy of the data in
 * memory). The libraries are optional at build time: zlib (gzip),
 * libarchive (zip, tar.gz), libcurl with OpenSSL's SHA-256 (downloads);
 * without one, the formats that need it fail with a message naming it.
 *
 * Errors: functions return 0 / a pointer on success; -1 / NULL on failure
 * with a code and a message recorded (thread-local) for data_error_code()
 * and data_error_message(). DATA_EOS carries the errno of the failed system
 * call (data_error_errno()) so a caller can name it as Python does
 * (FileNotFoundError, PermissionError, IsADirectoryError).
 */
#ifndef CGPU_DATA_H
#define CGPU_DATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------- */

typedef enum {
    DATA_OK = 0,
    DATA_EOS,          /* a system call failed: data_error_errno() */
    DATA_EFORMAT,      /* bad, corrupt or truncated file */
    DATA_EUNSUPPORTED, /* a format this build or reader does not handle */
    DATA_ECHECKSUM,    /* a download's SHA-256 does not match */
    DATA_ENETWORK,     /* a download failed (no network, HTTP error) */
    DATA_ENOTFOUND,    /* a data set is in none of the places looked at */
    DATA_ENOMEM,
    DATA_EINTERRUPT    /* the runtime's interrupt flag was seen */
} data_status;

data_status data_error_code(void);
const char *data_error_message(void);  /* never NULL */
int         data_error_errno(void);    /* for DATA_EOS, else 0 */
int         data_fail(data_status code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int         data_fail_os(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What this build can read and fetch (1/0). */
int data_have_gzip(void);
int data_have_archive(void);
int data_have_download(void);

/* ---- byte streams ------------------------------------------------------------
 * A stream reads a plain file, a gzip file (detected by its content), or one
 * member of a zip or tar(.gz) archive. Owned by the caller: data_close. */
typedef struct data_stream data_stream;

data_stream *data_open_file(const char *path);
/* Reads exactly n bytes: 0, or -1 (DATA_EFORMAT "truncated" when the stream
 * ends first, naming `what`). */
int     data_read_exact(data_stream *s, void *buf, size_t n, const char *what);
/* Up to n bytes: the count (0 at the end), or -1. */
int64_t data_read(data_stream *s, void *buf, size_t n);
void    data_close(data_stream *s);
const char *data_stream_name(const data_stream *s); /* for messages */

/* Archives: iterate the regular-file members of a zip/tar/tar.gz. */
typedef struct data_archive data_archive;
data_archive *data_archive_open(const char *path);
/* The next member: its path inside the archive (borrowed until the next
 * call), NULL at the end or on error (then data_error_code() != DATA_OK). */
const char   *data_archive_next(data_archive *ar);
/* A stream over the current member (borrows the archive; close it before
 * data_archive_next). */
data_stream  *data_archive_member(data_archive *ar);
void          data_archive_close(data_archive *ar);

/* ---- decoded arrays --------------------------------------------------------- */

/* A uint8 array being loaded. The loader sets shape/ndim and calls the
 * caller's alloc, which sets data (size = product of shape bytes, row-major)
 * and may keep what it needs in handle. */
typedef struct data_array {
    int64_t  shape[4];
    int      ndim;
    uint8_t *data;
    void    *handle;   /* the caller's (e.g. the array object owning data) */
} data_array;
typedef int (*data_alloc_fn)(void *ctx, data_array *a); /* 0, or -1 with data_fail */
/* Optional: takes a malloc'd buffer holding the array's data (a->shape set)
 * instead of allocating one, so a loader that must decode into its own
 * buffer (libdeflate) needs no copy. Owns `buf` from the call on (frees it
 * on failure). 0, or -1 with data_fail. */
typedef int (*data_adopt_fn)(void *ctx, data_array *a, void *buf, size_t bytes);

int64_t data_array_size(const data_array *a);

/* ---- IDX (http://yann.lecun.com/exdb/mnist/: magic 0 0 type ndim, then
 *      ndim big-endian uint32 sizes, then the data) ----------------------- */
typedef struct {
    int     type;        /* 0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double */
    int     ndim;
    int64_t shape[4];
} data_idx_header;
/* Parses the header at the start of buf (len bytes); *header_len receives
 * its size (4 + 4 * ndim). 0, or -1 (DATA_EFORMAT naming `name`). */
int data_idx_parse(const uint8_t *buf, size_t len, const char *name, data_idx_header *h, size_t *header_len);
/* Reads an unsigned-byte IDX file (gzipped or not) into an array made by
 * alloc (or, for a gzip file when the build has libdeflate and adopt is not
 * NULL, decoded at once into a buffer given to adopt); expect_ndim > 0
 * checks the number of dimensions. */
int data_idx_load(const char *path, int expect_ndim, data_alloc_fn alloc, data_adopt_fn adopt, void *ctx,
                  data_array *out);

/* ---- .npy (numpy's format: "\x93NUMPY", version, header length, a
 *      Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': ...}) */
typedef struct {
    char    descr[16];   /* "|u1", "<f4" ... */
    int     fortran_order;
    int     ndim;
    int64_t shape[4];
    size_t  header_len;  /* bytes before the data */
} data_npy_header;
/* Parses the header at the start of buf (len bytes). 0, or -1 with
 * DATA_EFORMAT naming `name` (bad magic, truncated, malformed dict). */
int data_npy_parse(const uint8_t *buf, size_t len, const char *name, data_npy_header *h);
/* Reads one .npy of dtype uint8 from a stream into an array made by alloc. */
int data_npy_load(data_stream *s, const char *name, data_alloc_fn alloc, void *ctx, data_array *out);

/* ---- data sets ----------------------------------------------------------------- */

typedef enum { DATA_MNIST, DATA_FASHION_MNIST, DATA_CIFAR10, DATA_SET_COUNT } data_set;

/* Progress of a download: bytes so far and total (0 when unknown). */
typedef void (*data_progress_fn)(void *ctx, const char *url, int64_t done, int64_t total, int finished);

typedef struct {
    const char      *path;      /* path= argument: a file or folder, or NULL */
    data_alloc_fn    alloc;
    void            *alloc_ctx;    /* for alloc and adopt */
    data_adopt_fn    adopt;        /* may be NULL */
    data_progress_fn progress;  /* may be NULL */
    void            *progress_ctx;
} data_load_options;

/* Finds (or downloads) and reads a data set: out[0..3] = x_train, y_train,
 * x_test, y_test with Keras's shapes, all uint8. On failure the arrays
 * already allocated keep their handles in out[] for the caller to free
 * (those not reached have handle NULL). */
int data_load(data_set which, const data_load_options *o, data_array out[4]);
const char *data_set_name(data_set which); /* "mnist", "fashion_mnist", "cifar10" */

/* CIFAR-10's binary batches hold records of 1 label byte + 3072 pixel
 * bytes (red, green, blue planes of 32x32); x comes out channels last. */
#define DATA_CIFAR_RECORD 3073

/* ---- downloads ------------------------------------------------------------------ */

/* Downloads url into dest (a temporary file beside it, renamed when the
 * whole file arrived and its SHA-256 equals sha256_hex; NULL skips the
 * check). The temporary file is removed on every failure. */
int data_download(const char *url, const char *dest, const char *sha256_hex,
                  data_progress_fn progress, void *ctx);
/* SHA-256 of a file as 64 hex digits into out[65]. */
int data_sha256_file(const char *path, char out[65]);
/* mkdir -p. */
int data_mkdirs(const char *path);

#ifdef __cplusplus
}
#endif
#endif
