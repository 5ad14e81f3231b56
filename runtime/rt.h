/* rt.h — the C-GPU runtime: n-dimensional arrays on CPU and CUDA devices.
 *
 * This is the only header the language includes. It has no CUDA, ZeroMQ or
 * jansson types, so the runtime builds and tests on machines with none of them.
 *
 * Ownership (the one rule, stated once):
 *   - every function that returns an rt_array * returns a NEW reference that
 *     the caller owns and must drop with rt_array_release();
 *   - array arguments are BORROWED: functions never consume them;
 *   - rt_array_retain() adds a reference.
 *   Views (reshape of a contiguous array, transpose, slices) share storage
 *   with their base; the storage is freed when the last view dies.
 *
 * Errors: no function exits or aborts. A failing function returns NULL (or a
 * non-zero rt_status) and records a code and a message readable with
 * rt_error_code() / rt_error_message() (thread-local; overwritten by the next
 * failure, cleared by rt_clear_error()). Messages are complete sentences
 * such as "cannot broadcast shapes (2,) and (3,)" without the kind prefix.
 */
#ifndef CGPU_RT_H
#define CGPU_RT_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

typedef enum {
    RT_OK = 0,
    RT_EVALUE,     /* ValueError */
    RT_ETYPE,      /* TypeError */
    RT_ESHAPE,     /* ShapeError */
    RT_EINDEX,     /* IndexError */
    RT_EDEVICE,    /* DeviceError: CUDA/cuBLAS/NCCL failure, cross-device op */
    RT_EOOM,       /* OutOfMemoryError */
    RT_EINTERRUPT, /* KeyboardInterrupt seen at a safe point */
    RT_EZERODIV,   /* ZeroDivisionError (integer division by zero) */
    RT_EHOSTMEM    /* MemoryError: host memory, or the kernel's host limit */
} rt_status;

rt_status   rt_error_code(void);
const char *rt_error_message(void);
void        rt_clear_error(void);
/* Records an error (printf-style) and returns `code`. Used by the runtime and
 * by layers built on it (nn, strategy). */
rt_status   rt_set_error(rt_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Interrupts: the host (kernel) registers a flag that SIGINT or an
 * interrupt_request sets. Long-running runtime loops (fit, big host copies)
 * poll it between steps and fail with RT_EINTERRUPT. The runtime never
 * clears it; the caller does. */
void rt_set_interrupt_flag(volatile sig_atomic_t *flag);
int  rt_interrupted(void);

/* ---- dtypes ------------------------------------------------------------ */

typedef enum { RT_FLOAT32 = 0, RT_FLOAT64, RT_INT32, RT_BOOL, RT_UINT8, RT_INT64, RT_DTYPE_COUNT } rt_dtype;

size_t      rt_dtype_size(rt_dtype t);          /* bytes per element */
const char *rt_dtype_name(rt_dtype t);          /* "float32" ... */
int         rt_dtype_parse(const char *name, rt_dtype *out); /* 0 ok, -1 unknown */
int         rt_dtype_is_integer(rt_dtype t);    /* uint8, int32, int64 (not bool) */

/* The promotion rule (kernel/lang/REFERENCE.md, "Dtype promotion"): numpy
 * 2's (NEP 50) with the default float float32. Two arrays: the higher of
 * bool < uint8 < int32 < int64 < float32 < float64. An array with a Python
 * number (a weak scalar): the array's dtype, unless the number's kind is
 * higher (bool < int < float), then that kind's default (int32, float32).
 * Every operation that combines dtypes uses these two functions. */
typedef enum { RT_WEAK_BOOL = 0, RT_WEAK_INT, RT_WEAK_FLOAT } rt_scalar_kind;
rt_dtype    rt_dtype_promote(rt_dtype a, rt_dtype b);
rt_dtype    rt_dtype_promote_weak(rt_dtype a, rt_scalar_kind k);
/* The dtype of a lone Python number: bool, int32, float32. */
rt_dtype    rt_dtype_of_kind(rt_scalar_kind k);

/* A host number with its Python kind; ints keep all 64 bits. */
typedef struct {
    rt_scalar_kind kind;
    int64_t i;   /* RT_WEAK_BOOL / RT_WEAK_INT */
    double  f;   /* RT_WEAK_FLOAT (also set, rounded, for the others) */
} rt_scalar;
rt_scalar rt_scalar_int(int64_t v);
rt_scalar rt_scalar_float(double v);
rt_scalar rt_scalar_bool(int v);

/* ---- devices ------------------------------------------------------------ */

typedef enum { RT_CPU = 0, RT_GPU = 1 } rt_device_kind;
typedef struct rt_device rt_device; /* owned by the registry; never freed by callers */

/* Device discovery happens on the first call of any function in this block
 * (never at process start). With no CUDA build, no driver, no GPU or any
 * CUDA error, there are 0 GPUs and rt_gpu_unavailable_reason() says why. */
int         rt_physical_device_count(rt_device_kind kind);
int         rt_logical_device_count(rt_device_kind kind);
rt_device  *rt_device_get(rt_device_kind kind, int logical_index); /* NULL if none */
/* Parses "CPU:0", "GPU:1", "/GPU:0", "/device:GPU:0", "gpu", "cpu" (index 0).
 * NULL and RT_EDEVICE/RT_EVALUE when it does not name an existing device. */
rt_device  *rt_device_parse(const char *name);
const char *rt_device_name(const rt_device *d);        /* "GPU:0" */
rt_device_kind rt_device_kind_of(const rt_device *d);
int         rt_device_index(const rt_device *d);       /* logical index */
int         rt_device_physical_index(const rt_device *d);
const char *rt_gpu_unavailable_reason(void);           /* NULL when GPUs exist */
/* fn(ctx) runs once, just before discovery (set it before any device use;
 * NULL removes it): the language copies its os.environ into the process
 * environment there, so CUDA_VISIBLE_DEVICES set in a cell is honoured. */
void        rt_set_discovery_hook(void (*fn)(void *ctx), void *ctx);

typedef struct {
    char   name[256];          /* "NVIDIA H100 80GB HBM3" or the CPU model */
    size_t total_memory;       /* bytes */
    int    cc_major, cc_minor; /* compute capability; 0 for CPU */
    int    multiprocessors;    /* SMs, or CPU cores */
} rt_device_props;
int rt_device_properties(rt_device_kind kind, int physical_index, rt_device_props *out);

/* Splits physical device 0 of `kind` into n logical devices (TensorFlow's
 * set_logical_device_configuration). Fails with RT_EVALUE once any device of
 * that kind has been used (an array placed on it). */
rt_status rt_set_virtual_devices(rt_device_kind kind, int n);

/* Placement: default is GPU:0 when a GPU exists, else CPU:0; a `with
 * device(...)` scope pushes/pops. */
rt_device *rt_default_device(void);
void       rt_push_device(rt_device *d);
void       rt_pop_device(void);

/* set_log_device_placement: when on, every array operation writes one line
 * "<op> on <device>" (e.g. "AddV2 on GPU:0") through the sink. */
typedef void (*rt_log_fn)(void *ctx, const char *line);
void rt_set_log_device_placement(int on);
int  rt_log_device_placement(void);
void rt_set_log_sink(rt_log_fn fn, void *ctx);
void rt_log_op(const char *op, const rt_device *d); /* no-op when logging is off */

rt_status rt_synchronize(rt_device *d);            /* NULL: all devices */
/* limit: this kernel's cap on the device (0: none), see memlimit.c. */
typedef struct { size_t used, cached, total, limit; } rt_memory_info;
rt_status rt_get_memory_info(rt_device *d, rt_memory_info *out);

/* Memory limits (memlimit.c). The host limit: CGPU_MEMORY_LIMIT, else the
 * cgroup's memory.max less a margin, else the machine's memory; `source`
 * (static text) says which. rt_host_memory_reserve checks a request of
 * `bytes` against it (RT_EHOSTMEM with the sizes, else RT_OK); the poll
 * checks the resident set alone (the interpreter calls it at loop
 * back-edges). Per device: a cap on the raw bytes held on each physical
 * device, from CGPU_GPU_MEMORY_LIMIT for GPUs (bytes or a fraction of
 * total_memory), or set by rt_set_device_memory_limit (0 removes it);
 * past it, RT_EOOM naming the limit. */
size_t    rt_host_memory_limit(const char **source);
size_t    rt_host_resident(void);
rt_status rt_host_memory_reserve(size_t bytes);
rt_status rt_host_memory_poll(void);
size_t    rt_gpu_memory_limit_for(size_t total_memory, const char **source);
rt_status rt_set_device_memory_limit(rt_device *d, size_t bytes);
size_t    rt_device_memory_limit(rt_device *d);
/* "4G", "512M", "1.5GiB", bytes; with is_fraction non-NULL a plain number
 * <= 1 is a fraction (*is_fraction = 1). 0, or -1 when malformed. */
int       rt_parse_memory_size(const char *s, double *value, int *is_fraction);

/* "highest" (default, full FP32) or "tf32". */
rt_status rt_set_matmul_precision(const char *precision);
/* GPU time spent since the last call, in seconds (CUDA events around queued
 * work); 0 when no GPU did work. For %time. */
double rt_take_gpu_seconds(void);

/* ---- arrays -------------------------------------------------------------- */

#define RT_MAX_DIMS 8
#define RT_ALL_AXES (-1000) /* axis argument meaning "reduce over everything" */

typedef struct rt_storage rt_storage; /* refcounted device buffer (runtime-internal) */

typedef struct rt_array {
    int        refcount;
    rt_dtype   dtype;
    int        ndim;
    int64_t    shape[RT_MAX_DIMS];
    int64_t    strides[RT_MAX_DIMS]; /* in elements, may be 0 or negative */
    int64_t    offset;               /* in elements from storage base */
    int64_t    size;                 /* product of shape */
    rt_storage *storage;
    rt_device  *device;
} rt_array;

rt_array *rt_array_retain(rt_array *a);
void      rt_array_release(rt_array *a); /* NULL is fine */
int       rt_array_is_contiguous(const rt_array *a);

/* Creation. `device` NULL means rt_default_device(). */
rt_array *rt_empty(const int64_t *shape, int ndim, rt_dtype t, rt_device *d);
rt_array *rt_zeros(const int64_t *shape, int ndim, rt_dtype t, rt_device *d);
rt_array *rt_full(const int64_t *shape, int ndim, double value, rt_dtype t, rt_device *d);
rt_array *rt_arange(double start, double stop, double step, rt_dtype t, rt_device *d);
rt_array *rt_linspace(double start, double stop, int64_t num, rt_dtype t, rt_device *d);
rt_array *rt_eye(int64_t n, rt_dtype t, rt_device *d);
/* Copies `data` (row-major, contiguous, of dtype `src`) into a new array of
 * dtype `t` on `d`. */
rt_array *rt_from_host(const void *data, rt_dtype src, const int64_t *shape, int ndim,
                       rt_dtype t, rt_device *d);
/* Wraps a malloc'd host buffer of `bytes` bytes (row-major, contiguous, of
 * dtype t, at least size * rt_dtype_size(t) bytes) as a CPU:0 array without
 * copying. The array takes ownership: the buffer is freed with free() when
 * the last view dies. On failure the buffer is freed too. For data loaders
 * that decode straight into their own buffer. */
rt_array *rt_adopt_host(void *data, size_t bytes, rt_dtype t, const int64_t *shape, int ndim);
/* A 0-d array holding `s` converted to dtype t (ints exactly). */
rt_array *rt_scalar_array(rt_scalar s, rt_dtype t, rt_device *d);
/* The 0-d array a weak scalar becomes beside `other` (where, maximum, ...):
 * dtype rt_dtype_promote_weak(other's dtype, kind), on other's device. An
 * int that does not fit that dtype is an error, as in rt_binary_weak. */
rt_array *rt_weak_operand(rt_scalar s, const rt_array *other);

/* Random numbers: counter-based (Philox-4x32-10) so that, after rt_seed(n),
 * the same call sequence gives the same numbers on every device. */
void      rt_seed(uint64_t seed);
rt_array *rt_rand_uniform(const int64_t *shape, int ndim, double lo, double hi, rt_dtype t, rt_device *d);
rt_array *rt_rand_normal(const int64_t *shape, int ndim, double mean, double std, rt_dtype t, rt_device *d);
/* Draws `n` uint32 words from the global generator onto the host (for
 * shuffles and initialisers that need host-side randomness). */
void      rt_rand_host_u32(uint32_t *out, size_t n);

/* Element-wise with numpy broadcasting and dtype promotion. Comparisons give
 * RT_BOOL. Arrays on different devices: RT_EDEVICE naming both. */
typedef enum {
    RT_ADD, RT_SUB, RT_MUL, RT_DIV, RT_FLOORDIV, RT_MOD, RT_POW,
    RT_MAXIMUM, RT_MINIMUM,
    RT_EQ, RT_NE, RT_LT, RT_LE, RT_GT, RT_GE,
    RT_LOGICAL_AND, RT_LOGICAL_OR,
    RT_BINARY_OP_COUNT
} rt_binary_op; /* ORDER rt_binary_op: keep rt_binary_op_name() in step */

typedef enum {
    RT_NEG, RT_ABS, RT_EXP, RT_LOG, RT_SQRT, RT_SIN, RT_COS, RT_TANH,
    RT_SIGMOID, RT_RELU, RT_FLOOR, RT_CEIL, RT_LOGICAL_NOT,
    RT_UNARY_OP_COUNT
} rt_unary_op; /* ORDER rt_unary_op: keep rt_unary_op_name() in step */

const char *rt_binary_op_name(rt_binary_op op); /* TensorFlow-style: "AddV2" */
const char *rt_unary_op_name(rt_unary_op op);

rt_array *rt_binary(rt_binary_op op, const rt_array *a, const rt_array *b);
/* Array with a host number (a weak scalar, rt_dtype_promote_weak);
 * `scalar_left` puts the number on the left (2 - a). An int that does not
 * fit the result's integer dtype is an error (numpy 2's OverflowError),
 * except in comparisons, which compare the exact values. */
rt_array *rt_binary_weak(rt_binary_op op, const rt_array *a, rt_scalar s, int scalar_left);
/* rt_binary_weak with a number that is a float when it is not integral. */
rt_array *rt_binary_scalar(rt_binary_op op, const rt_array *a, double s, int scalar_left);
/* The same, for callers that know whether the number was written as a float
 * (`a + 2.0` with an int32 array gives float32, `a + 2` gives int32). */
rt_array *rt_binary_scalar_ex(rt_binary_op op, const rt_array *a, double s, int scalar_left,
                              int scalar_is_float);
rt_array *rt_unary(rt_unary_op op, const rt_array *a);
rt_array *rt_where(const rt_array *cond, const rt_array *a, const rt_array *b);
/* Values limited to [lo, hi]; a NULL bound is no limit. Bounds are weak
 * scalars: clip of an int32 array with int bounds stays int32. */
rt_array *rt_clip_weak(const rt_array *a, const rt_scalar *lo, const rt_scalar *hi);
/* Bounds read as rt_binary_scalar reads numbers; +-inf: no limit. */
rt_array *rt_clip(const rt_array *a, double lo, double hi);

/* Reductions over all axes (axis == RT_ALL_AXES) or one (negative counts
 * from the end). ARGMAX/ARGMIN give RT_INT32. VAR/STD are population
 * (ddof 0), as numpy. Integer and bool arrays: SUM accumulates and returns
 * int64; MEAN/VAR/STD accumulate in float64 and return float32; MAX/MIN
 * keep the dtype (bool too); ANY/ALL give bool, with False/True over an
 * empty axis. */
typedef enum { RT_SUM, RT_MEAN, RT_MAX, RT_MIN, RT_ARGMAX, RT_ARGMIN, RT_VAR, RT_STD,
               RT_ANY, RT_ALL } rt_reduce_op;
rt_array *rt_reduce(rt_reduce_op op, const rt_array *a, int axis, int keepdims);

/* Matrix product with numpy matmul semantics: 1-D operands promoted,
 * batched over leading dims with broadcasting. float32 uses SGEMM. */
rt_array *rt_matmul(const rt_array *a, const rt_array *b);

/* Shapes. reshape accepts one -1. Views when possible. */
rt_array *rt_reshape(const rt_array *a, const int64_t *shape, int ndim);
rt_array *rt_transpose(const rt_array *a, const int *perm /* NULL: reverse */);
rt_array *rt_flatten(const rt_array *a);   /* always a new contiguous copy */
rt_array *rt_contiguous(const rt_array *a); /* a itself (retained) when already contiguous */
rt_array *rt_concatenate(rt_array *const *arrays, int n, int axis);
rt_array *rt_stack(rt_array *const *arrays, int n, int axis);

/* Indexing. One entry per leading axis; missing trailing entries mean ":". */
typedef struct {
    enum { RT_IDX_INT, RT_IDX_SLICE, RT_IDX_NEWAXIS } kind;
    int64_t index;                  /* RT_IDX_INT (negative allowed) */
    int64_t start, stop, step;      /* RT_IDX_SLICE */
    int     has_start, has_stop;    /* absent bounds as in Python */
} rt_index;
rt_array *rt_index_view(const rt_array *a, const rt_index *idx, int n); /* a view */
/* Rows of `a` along `axis` picked by the int32 array `indices`. */
rt_array *rt_gather(const rt_array *a, const rt_array *indices, int axis);
/* Writes `value` (broadcast) into the view `dst` (from rt_index_view). */
rt_status rt_assign(rt_array *dst, const rt_array *value);
rt_status rt_assign_scalar(rt_array *dst, double value);
/* a[...] = number: the number converted to dst's dtype (ints exactly); an
 * int that does not fit an integer dtype is an error (numpy 2). */
rt_status rt_assign_weak(rt_array *dst, rt_scalar s);

rt_array *rt_cast(const rt_array *a, rt_dtype t);
rt_array *rt_to_device(const rt_array *a, rt_device *d); /* a copy, even if same device */
rt_array *rt_copy(const rt_array *a);

/* Host access. rt_to_host writes all elements, row-major, converted to
 * dtype `t`, into `out` (caller-allocated, size * rt_dtype_size(t) bytes).
 * It synchronises the array's device. */
rt_status rt_to_host(const rt_array *a, rt_dtype t, void *out);
/* Element at a flat row-major position, as a double. */
rt_status rt_item(const rt_array *a, int64_t flat_index, double *out);
/* The same as an int64 (exact for int64 arrays; floats truncate). */
rt_status rt_item_int64(const rt_array *a, int64_t flat_index, int64_t *out);

/* Shape helpers used by the language for messages: "(2, 3)" / "(3,)". */
void rt_format_shape(const int64_t *shape, int ndim, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
