/* nn_internal.h — types shared by the files of runtime/nn (layers, model,
 * training loop, kernels, strategy, collective). Not for the language: it
 * uses nn.h.
 *
 * Execution model. A model has one replica per device it lives on (one
 * without a strategy). A replica owns its flat buffers (params, grads,
 * optimizer slots) and a workspace, all allocated from its device's caching
 * allocator. The training loop (train.c) is written once, above two kernel
 * tables with the same functions: the CPU reference (kernels_cpu.c, float
 * and double) and CUDA (kernels.cu, float; work queued on the device's
 * stream, like every other runtime op, so no extra synchronisation is
 * needed). Matrix products go through the device backend's matmul (cuBLAS
 * on GPUs).
 */
#ifndef CGPU_NN_INTERNAL_H
#define CGPU_NN_INTERNAL_H

#include "nn.h"
#include "rt_internal.h"
#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NN_NAME_MAX   64
#define NN_MAX_METRICS 4
#define NN_ALIGN      32          /* each weight tensor starts at a multiple of 32 elements */
#define NN_EPS        1e-7        /* Keras's backend epsilon (probability clipping) */

/* Resolved metric: which accuracy (Keras picks by loss / shapes) or error. */
typedef enum {
    NN_MK_BINARY_ACC = 0, NN_MK_CAT_ACC, NN_MK_SPARSE_ACC, NN_MK_MAE, NN_MK_MSE
} nn_metric_kind;

struct nn_model;

/* The geometry of one 2-D window operation (Conv2D, the pools) on
 * channels-last images: input (h, w, c), output (oh, ow, oc), window
 * (kh, kw) with strides (sh, sw), dilation (dh, dw) and the padding above
 * and left of the image (pt, pl; "same" puts the odd extra below/right). */
typedef struct {
    int64_t h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl;
} nn_conv_geom;

/* One weight tensor of a built layer: where it lives in the flat buffer
 * and its Keras shape. */
typedef struct {
    int64_t off, n;                  /* element offset in the flat buffer, element count */
    int     ndim;
    int64_t shape[4];
    int     trainable;
    nn_initializer init;
    const char *name;                /* "kernel", "gamma", ... */
} nn_weight;

/* A layer. Owned by its references (see nn.h). Fields below "build" are
 * written by nn_model_build. */
struct nn_layer {
    int            refcount;
    nn_layer_kind  kind;
    char           name[NN_NAME_MAX];
    int64_t        units;               /* Dense */
    nn_activation  act;                 /* Dense, Activation */
    int            use_bias;
    nn_initializer kinit, binit;
    double         rate;                /* Dropout */
    int            in_ndim;             /* Input; other layers: input_shape= (0: none) */
    int64_t        in_shape[RT_MAX_DIMS];
    int64_t        filters;             /* Conv2D */
    int64_t        ksize[2], strides[2], dilation[2];  /* Conv2D; pools: ksize = pool size */
    nn_padding     padding;
    int            bn_axis;             /* BatchNormalization (as given) */
    double         momentum, epsilon;
    int            center, scale;
    int            target_ndim;         /* Reshape */
    int64_t        target[RT_MAX_DIMS];
    /* build */
    int            built;
    int64_t        in_features;         /* product of the input feature shape */
    int64_t        out_features;
    int            out_ndim;
    int64_t        out_shape[RT_MAX_DIMS];
    int64_t        w_off, b_off;        /* element offsets in the flat buffer; -1: none */
    int64_t        nparams;
    int            nw;                  /* weight tensors, Keras order */
    nn_weight      w[NN_MAX_LAYER_WEIGHTS];
    int            in_nd;               /* the input's feature shape */
    int64_t        in_dims[RT_MAX_DIMS];
    nn_conv_geom   geom;                /* Conv2D, pools */
    int64_t        scratch;             /* Conv2D: im2col elements per row */
    int64_t        stats_off;           /* BatchNormalization: element offset of its saved mean/invstd in the workspace's stats area */
    struct nn_model *model;             /* borrowed back-pointer; NULL when not in a model */
};

/* Kernels for the loss, metrics and their gradient over one batch. */
typedef struct {
    nn_loss        loss;
    int            fused;       /* pred = sigmoid/softmax outputs; grad is w.r.t. the logits */
    const void    *pred;        /* (rows, cols) */
    const void    *y;           /* (rows, ycols) */
    int64_t        rows, cols, ycols;
    double         grad_scale;  /* d(total)/d(sample loss): 1 / global batch */
    void          *grad;        /* (rows, cols) out, or NULL (no gradient) */
    double        *acc;         /* device: acc[0] += sum of sample losses, acc[1+i] += metric i sums */
    int            nmetrics;
    nn_metric_kind mk[NN_MAX_METRICS];
} nn_loss_args;

/* Optimizer step parameters (t is the 1-based iteration). */
typedef struct {
    nn_optimizer opt;
    int64_t      t;
} nn_step_args;

/* The per-device kernel table. Every function queues work on the device
 * (asynchronously on GPUs), returns RT_OK or records an error. Buffers are
 * device memory of the table's dtype; `acc` is double. */
typedef struct nn_ops {
    rt_dtype dtype;
    /* C (m, n) = op(A) @ op(B), row-major; A stored (m, k) or, with ta,
     * (k, m); B stored (k, n) or, with tb, (n, k). (The device backend's
     * matmul: cuBLAS on GPUs; small products inline on the CPU.) */
    rt_status (*gemm)(rt_device *d, int ta, int tb, int64_t m, int64_t n, int64_t k,
                      const void *A, const void *B, void *C);
    /* dst[r] = src[idx[r]] (rows of `cols` elements). */
    rt_status (*gather_rows)(rt_device *d, void *dst, const void *src, int64_t cols,
                             const int32_t *idx, int64_t rows);
    /* z = act(z + bias) in place; bias may be NULL. */
    rt_status (*bias_act)(rt_device *d, void *z, const void *bias, int64_t rows, int64_t cols,
                          nn_activation act);
    /* dz = da * act'(.) given the activation's output a; dz may alias da. */
    rt_status (*act_backward)(rt_device *d, void *dz, const void *da, const void *a,
                              int64_t rows, int64_t cols, nn_activation act);
    /* out[c] = sum over rows of dz[r][c]. */
    rt_status (*col_sum)(rt_device *d, void *out, const void *dz, int64_t rows, int64_t cols);
    /* out = in * keep / (1 - rate) (forward), or the same on gradients
     * (backward: identical mask). The mask of element (row, c) depends on
     * (seed, salt, row0 + row, c) only: replicas that hold different rows of
     * one global batch draw exactly the single-device mask. */
    rt_status (*dropout)(rt_device *d, void *out, const void *in, int64_t rows, int64_t cols,
                         int64_t row0, double rate, uint64_t seed, uint64_t salt);
    rt_status (*loss)(rt_device *d, const nn_loss_args *a);
    /* One optimizer step over `count` flat elements: p -= update(g); s1/s2
     * are the slots (Adam m, v; SGD momentum; RMSprop velocity). */
    rt_status (*optimizer)(rt_device *d, const nn_step_args *s, void *p, const void *g,
                           void *s1, void *s2, int64_t count);
    /* dst[i] = a[i] + b[i] (the collective's building block) */
    rt_status (*add)(rt_device *d, void *dst, const void *a, const void *b, int64_t count);
    /* Conv2D as a matrix product: im2col writes, for each of the rows *
     * oh * ow output pixels, its window (kh, kw, c) (zeros outside the
     * image); col2im is its adjoint (dx overwritten with the sums). */
    rt_status (*im2col)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, void *cols);
    rt_status (*col2im)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *cols, void *dx);
    /* Max (max != 0) or average pooling (average over the elements inside
     * the image) and its backward (dx overwritten; the max routes each
     * gradient to the first maximum of its window). */
    rt_status (*pool)(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x, void *y);
    rt_status (*pool_backward)(rt_device *d, const nn_conv_geom *g, int64_t rows, int max, const void *x,
                               const void *y, const void *dy, void *dx);
    /* Batch normalisation over n positions of c channels (x is (n, c)).
     * training: batch mean and biased variance, stats = (mean, 1/sqrt(var
     * + eps)), and dmean/dvar get f * (batch stat - moving stat) (the
     * moving statistics' update, summed across replicas); otherwise the
     * moving statistics normalise and stats get (moving mean, invstd).
     * gamma/beta may be NULL (scale/center off). */
    rt_status (*bn_forward)(rt_device *d, int64_t n, int64_t c, const void *x, void *y, const void *gamma,
                            const void *beta, const void *mmean, const void *mvar, double eps, int training,
                            void *stats, void *dmean, void *dvar, double f);
    /* dx (may be NULL), dgamma/dbeta (may be NULL) from dy; training: the
     * gradient through the batch statistics too. */
    rt_status (*bn_backward)(rt_device *d, int64_t n, int64_t c, const void *x, const void *dy, void *dx,
                             const void *gamma, const void *stats, void *dgamma, void *dbeta, int training);
    /* dst (cols, rows) = src (rows, cols) transposed */
    rt_status (*transpose)(rt_device *d, void *dst, const void *src, int64_t rows, int64_t cols);
    /* Conv2D by a convolution library (cuDNN on GPUs; NULL on the CPU):
     * y = conv(x, w) without bias; backward: dw and, when dx is not NULL,
     * dx. kt: scratch of kh*kw*c*filters elements. 1 done, 0 not handled
     * (the geometry or the library is missing: im2col instead), -1 error. */
    int (*conv_forward)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *w, void *y,
                        void *kt);
    int (*conv_backward)(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *dy,
                         const void *w, void *dw, void *dx, void *kt);
} nn_ops;

const nn_ops *nn_cpu_ops(rt_dtype t);   /* float32 or float64 */

#ifdef __CUDACC__
#define NN_HD __host__ __device__
#else
#define NN_HD
#endif

/* The dropout mask, shared by the CPU and CUDA kernels so that they agree:
 * splitmix64 of (seed, salt, row, col). 1 when the element is kept. */
static inline NN_HD uint64_t nn_mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline NN_HD int nn_dropout_keep(uint64_t seed, uint64_t salt, int64_t row, int64_t col, double rate) {
    uint64_t h = nn_mix64(seed ^ nn_mix64(salt + 0x632BE59BD9B4E019ull * (uint64_t)row)
                          ^ ((uint64_t)col * 0xD6E8FEB86659FD93ull));
    return (double)(h >> 11) * (1.0 / 9007199254740992.0) >= rate;
}

/* Adam's step size at step t (from 1) with both bias corrections folded
 * in, as Keras 3 computes it: lr * sqrt(1 - beta_2^t) / (1 - beta_1^t).
 * The CPU kernels and the CUDA ones (per step and fused) all use it. */
static inline NN_HD double nn_adam_step_size(double lr, double beta_1, double beta_2, int64_t t) {
    return lr * sqrt(1.0 - pow(beta_2, (double)t)) / (1.0 - pow(beta_1, (double)t));
}

/* One replica of a model: device, kernels, flat buffers, workspace. Owned
 * by the model; buffers are freed to the device's caching allocator. */
typedef struct {
    rt_device    *dev;
    const nn_ops *ops;
    void         *params, *grads, *s1, *s2;  /* flat: model->flat elements each (s1/s2 may be NULL) */
    void         *ws;                         /* workspace (layout: nn_model.ws_off) */
    void         *cols;                       /* im2col windows, ws_rows * max_scratch elements; made on first use */
    double       *acc;                        /* accumulators (device), acc_count doubles */
    int64_t       acc_count;
    int32_t      *idx;                        /* row indices (device), idx_count */
    int64_t       idx_count;
} nn_replica;

struct nn_model {
    int            refcount;
    char           name[NN_NAME_MAX];
    rt_dtype       dtype;
    nn_layer     **layers;                    /* owned references */
    int            nlayers, cap;
    int            has_input;
    int            in_ndim;
    int64_t        in_shape[RT_MAX_DIMS];
    /* build */
    int            built;
    int64_t        in_features, out_features, max_features;
    int64_t        flat;                      /* flat buffer elements (with alignment padding) */
    int64_t        flat_trainable;            /* [0, flat_trainable): trainable; the rest: moving statistics */
    int64_t        count;                     /* real parameters */
    int64_t        trainable_count;
    int64_t        max_scratch;               /* im2col elements per row (largest Conv2D) */
    int64_t        stats_count;               /* BatchNormalization saved statistics (elements, not per row) */
    int64_t        max_kernel;                /* largest Conv2D kernel (elements): its transposed gradient */
    int            plain;                     /* only Dense/Flatten/Dropout/Activation (the fused GPU step) */
    /* placement */
    nn_strategy   *strategy;                  /* retained; NULL: one replica on `home` */
    rt_device     *home;
    int            nrep;
    nn_replica    *rep;
    /* compile */
    int            compiled;
    nn_loss        loss;
    nn_optimizer   opt;
    int            nmetrics;
    nn_metric      metrics[NN_MAX_METRICS];
    int64_t        t;                         /* optimizer iterations */
    int            slots_ready;               /* optimizer slots allocated and zeroed */
    nn_history     history;                   /* of the last fit */
    /* workspace layout (same on every replica): byte offsets for
     * ws_rows rows; index 0 the input batch, 1+i layer i's output,
     * nlayers+1 the targets, nlayers+2/+3 the two gradient buffers,
     * nlayers+4 (unused: the im2col scratch is nn_replica.cols),
     * nlayers+5 the saved statistics, nlayers+6 a Conv2D kernel's
     * transposed gradient. */
    int64_t        ws_rows;
    size_t        *ws_off;                    /* nlayers + 8 entries (last: total bytes) */
};

/* ---- model.c ----------------------------------------------------------------- */
/* Workspace for `rows` rows on every replica (grows, never shrinks). */
rt_status nn_model_reserve(nn_model *m, int64_t rows);
/* Byte offsets in the workspace (rows = ws_rows): the activations of layer
 * i (i = -1: the input batch), the batch targets, two gradient buffers. */
void     *nn_ws_act(const nn_model *m, const nn_replica *r, int layer);
void     *nn_ws_y(const nn_model *m, const nn_replica *r);
void     *nn_ws_grad(const nn_model *m, const nn_replica *r, int which);
/* The im2col scratch, allocated on first use (a GPU whose convolutions
 * all go to cuDNN never needs it); NULL with the error recorded. */
void     *nn_ws_scratch(const nn_model *m, nn_replica *r);
void     *nn_ws_stats(const nn_model *m, const nn_replica *r);
void     *nn_ws_kernel_t(const nn_model *m, const nn_replica *r);
/* 1 for the layers that keep their input's memory (Flatten, Reshape). */
int       nn_layer_is_view(const nn_layer *l);
/* Optimizer slots allocated (and zeroed) on every replica. */
rt_status nn_model_prepare_slots(nn_model *m);
/* 1 when the last layer's activation (Dense or Activation) is the one the
 * loss consumes in logit form: sigmoid + binary_crossentropy, softmax +
 * (sparse_)categorical_crossentropy. */
int       nn_model_fused_tail(const nn_model *m);
/* Resolves the metrics for the loss and the output width. */
void      nn_model_metric_kinds(const nn_model *m, nn_metric_kind *mk);
/* A new name "<base>" / "<base>_<k>" (Keras's per-class counters). */
void      nn_unique_name(const char *base, char *out, size_t cap);
/* Checks that the model may be used now: no other strategy's scope is active. */
rt_status nn_model_check_scope(const nn_model *m);
/* Helpers on device memory through the backend. */
rt_status nn_dev_zero(rt_device *d, void *p, rt_dtype t, int64_t count);
rt_status nn_dev_copy(rt_device *d, void *dst, const void *src, rt_dtype t, int64_t count);
/* Copies between host doubles (get_params order) and flat device buffers:
 * one replica's buffer to the host; the host to buffer `which` (0 params,
 * 1/2 optimizer slots) of every replica. */
rt_status nn_flat_to_host(const nn_model *m, const void *flat_dev, rt_device *d, double *out);
rt_status nn_model_upload(nn_model *m, int which, const double *in);

/* ---- strategy.c / collective.c ------------------------------------------------ */
struct nn_strategy {
    int                 refcount;
    int                 n;
    rt_device         **dev;
    nn_cross_device_ops ops;      /* resolved: NCCL or REDUCE (never AUTO) */
    int                 kind;     /* NN_COLL_* below */
    char                describe[512];
    void               *nccl;     /* NCCL communicators (collective.cu), created lazily */
};

enum { NN_COLL_HOST = 0, NN_COLL_SHARED_GPU, NN_COLL_NCCL };

/* In-place SUM across replicas of one buffer per replica (bufs[i] on
 * s->dev[i]); every replica ends with bit-identical values. */
rt_status nn_collective_sum(nn_strategy *s, void **bufs, int64_t count, rt_dtype t);
void      nn_collective_free(nn_strategy *s);

/* ---- CUDA entry points (kernels.cu, fused.cu, collective.cu, inside
 *      libcgpucuda.so); gpu_entry.c gives the host's versions, which call
 *      into the library and fail cleanly when no CUDA library is loaded. --- */
const nn_ops *nn_gpu_ops(void);              /* float32; NULL without CUDA */

/* The fused tiny-model step: one kernel, one thread block, doing
 * gather + forward + loss + backward (+ the optimizer step) of a small stack
 * of Dense/Activation/Flatten/Dropout layers with the batch kept in shared
 * memory. */
#define NN_FUSED_MAX_LAYERS 8
typedef struct {
    int     kind;        /* nn_layer_kind */
    int     act;
    int64_t in, out;     /* features */
    int64_t w_off, b_off;
    double  rate;
} nn_fused_layer;
typedef struct {
    int            nlayers;
    nn_fused_layer l[NN_FUSED_MAX_LAYERS];
    int64_t        in_features, out_features, ycols, flat;
    nn_loss        loss;
    int            fused_tail;
    int            nmetrics;
    nn_metric_kind mk[NN_MAX_METRICS];
} nn_fused_desc;
typedef struct {
    float         *params, *grads, *s1, *s2;
    const float   *x, *y;          /* the dataset on this device */
    const int32_t *idx;            /* rows' indices into the dataset */
    int64_t        rows, row0;     /* rows in this shard; position of row 0 in the epoch */
    double         grad_scale;
    double        *acc;
    int            update;         /* apply the optimizer in the same kernel */
    nn_step_args   step;
    uint64_t       seed, salt;     /* dropout */
} nn_fused_args;
/* Shared-memory bytes the fused step needs for `rows` (0: not possible). */
size_t    nn_gpu_fused_smem(const nn_fused_desc *desc, int64_t rows);
rt_status nn_gpu_fused_step(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a);

/* Replicas on one physical GPU (virtual devices): sums bufs[0..n) in
 * replica order into every buffer, ordering the replicas' streams with
 * events. */
rt_status nn_gpu_sum_shared(rt_device *const *devs, void *const *bufs, int n, int64_t count,
                            rt_dtype t);
/* NCCL: communicators for distinct physical GPUs (ncclCommInitAll), one
 * grouped all-reduce SUM (counts in elements), and their release. */
void     *nn_nccl_new(rt_device *const *devs, int n);
rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n,
                            int64_t count, rt_dtype t);
void      nn_nccl_free(void *comms, int n);
int       nn_nccl_available(void);

#ifdef __cplusplus
}
#endif
#endif
