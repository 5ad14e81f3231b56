/* nn.h — Keras-style layers, Sequential models, training, and a
 * TensorFlow-style MirroredStrategy, over the runtime (rt.h).
 *
 * Ownership (follows rt.h's rule):
 *   - nn_layer, nn_model and nn_strategy are refcounted; every function that
 *     returns one returns a NEW reference (drop it with the matching
 *     *_release). Arguments are BORROWED; containers retain what they keep
 *     (a model retains its layers and its strategy).
 *   - rt_array results are new references (rt_array_release).
 *   - structs filled by nn_* functions (nn_history, nn_summary) own their
 *     memory; free them with nn_history_free / nn_summary_free.
 *
 * Errors: nothing exits. Failing functions return NULL or a non-zero
 * rt_status and record a message with rt_set_error() (read it with
 * rt_error_message()). Messages follow Keras's wording where one exists.
 *
 * Layout of a built model (the llm.c way): ALL parameters of a model live in
 * ONE flat buffer per replica; each layer's kernel and bias are offsets into
 * it. Gradients and optimizer slots (Adam m and v, momentum, RMSprop
 * velocity) are flat buffers of the same layout, so one optimizer pass (one
 * kernel) updates everything and the cross-replica all-reduce is one call.
 */
#ifndef CGPU_NN_H
#define CGPU_NN_H

#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- names ---------------------------------------------------------------- */

/* ORDER nn_activation: keep the name table in layers.c in step. */
typedef enum {
    NN_ACT_LINEAR = 0, NN_ACT_RELU, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_SOFTMAX, NN_ACT_COUNT
} nn_activation;
/* ORDER nn_initializer: keep the name table in layers.c in step. */
typedef enum {
    NN_INIT_GLOROT_UNIFORM = 0, NN_INIT_ZEROS, NN_INIT_ONES, NN_INIT_HE_NORMAL, NN_INIT_COUNT
} nn_initializer;
/* ORDER nn_loss: keep the name table in layers.c in step. */
typedef enum {
    NN_LOSS_MSE = 0, NN_LOSS_MAE, NN_LOSS_BCE, NN_LOSS_CCE, NN_LOSS_SCCE, NN_LOSS_COUNT
} nn_loss;
/* ORDER nn_metric: keep the name table in layers.c in step. */
typedef enum { NN_METRIC_ACCURACY = 0, NN_METRIC_MAE, NN_METRIC_MSE, NN_METRIC_COUNT } nn_metric;
typedef enum { NN_OPT_ADAM = 0, NN_OPT_SGD, NN_OPT_RMSPROP, NN_OPT_COUNT } nn_optimizer_kind;

/* Parsers return 0, or -1 with RT_EVALUE recorded ("Unknown activation: 'x'").
 * Activations: NULL, "None", "linear", "relu", "sigmoid", "tanh", "softmax".
 * Losses: "mean_squared_error"/"mse", "mean_absolute_error"/"mae",
 * "binary_crossentropy", "categorical_crossentropy",
 * "sparse_categorical_crossentropy". Metrics: "accuracy"/"acc", "mae",
 * "mse" (and their long names). */
int nn_activation_parse(const char *name, nn_activation *out);
int nn_initializer_parse(const char *name, nn_initializer *out);
int nn_loss_parse(const char *name, nn_loss *out);
int nn_metric_parse(const char *name, nn_metric *out);
const char *nn_activation_name(nn_activation a);  /* "relu" */
const char *nn_initializer_name(nn_initializer i);/* "glorot_uniform" */
const char *nn_loss_name(nn_loss l);              /* "mean_squared_error" */
const char *nn_metric_name(nn_metric m);          /* "accuracy" */

/* An optimizer's configuration: a plain value (no state; the state lives in
 * the model that was compiled with it). */
typedef struct {
    nn_optimizer_kind kind;
    double learning_rate;
    double beta_1, beta_2;   /* Adam */
    double epsilon;          /* Adam, RMSprop */
    double momentum;         /* SGD */
    double rho;              /* RMSprop */
} nn_optimizer;
/* Keras defaults: Adam(0.001, 0.9, 0.999, 1e-7), SGD(0.01, momentum 0),
 * RMSprop(0.001, rho 0.9, epsilon 1e-7). This function can't fail. */
void nn_optimizer_init(nn_optimizer *o, nn_optimizer_kind kind);
/* "adam", "sgd", "rmsprop" (any case) with defaults. 0 or -1 (RT_EVALUE). */
int  nn_optimizer_parse(const char *name, nn_optimizer *o);
const char *nn_optimizer_class(nn_optimizer_kind k);   /* "Adam" */

/* Keras's clear_session(): the next layers and models are named "dense",
 * "sequential" ... again. Existing objects keep their names. */
void nn_reset_names(void);

/* ---- layers ------------------------------------------------------------------- */

typedef enum {
    NN_LAYER_INPUT = 0, NN_LAYER_DENSE, NN_LAYER_FLATTEN, NN_LAYER_DROPOUT, NN_LAYER_ACTIVATION,
    NN_LAYER_CONV2D, NN_LAYER_MAXPOOL2D, NN_LAYER_AVGPOOL2D, NN_LAYER_GLOBAL_AVGPOOL2D,
    NN_LAYER_GLOBAL_MAXPOOL2D, NN_LAYER_BATCHNORM, NN_LAYER_RESHAPE
} nn_layer_kind;

/* Keras's padding: "valid" (no padding) or "same" (output = ceil(input /
 * stride); odd padding puts the extra row/column at the bottom/right). */
typedef enum { NN_PAD_VALID = 0, NN_PAD_SAME } nn_padding;
int         nn_padding_parse(const char *name, nn_padding *out);  /* 0, or -1 (RT_EVALUE) */
const char *nn_padding_name(nn_padding p);                         /* "valid" */

/* A layer. Refcounted; owned by its references (a model that holds it is
 * one). Once added to a model it belongs to that model (adding it to a
 * second model is an error) and its weights live in the model's flat
 * buffer. Names are unique per process as in Keras: "dense", "dense_1"... */
typedef struct nn_layer nn_layer;

/* Constructors return NULL with RT_EVALUE on bad arguments. */
nn_layer *nn_input(const int64_t *shape, int ndim);        /* shape without the batch axis */
nn_layer *nn_dense(int64_t units, nn_activation act, int use_bias,
                   nn_initializer kernel_init, nn_initializer bias_init);
nn_layer *nn_flatten(void);
nn_layer *nn_dropout(double rate);                         /* 0 <= rate < 1 */
nn_layer *nn_activation_layer(nn_activation act);
/* Channels-last (N, H, W, C) image layers. kernel/strides/dilation are
 * (rows, cols); the kernel weights are (kh, kw, in, filters) as Keras's. */
nn_layer *nn_conv2d(int64_t filters, const int64_t kernel[2], const int64_t strides[2], nn_padding padding,
                    nn_activation act, int use_bias, nn_initializer kernel_init, nn_initializer bias_init,
                    const int64_t dilation[2]);
/* MaxPooling2D / AveragePooling2D (kind NN_LAYER_MAXPOOL2D or
 * NN_LAYER_AVGPOOL2D); strides NULL: the pool size, as Keras. Average
 * pooling with "same" padding divides by the elements inside the image. */
nn_layer *nn_pool2d(nn_layer_kind kind, const int64_t pool[2], const int64_t strides[2], nn_padding padding);
/* GlobalAveragePooling2D / GlobalMaxPooling2D: (N, H, W, C) -> (N, C). */
nn_layer *nn_global_pool2d(nn_layer_kind kind);
/* BatchNormalization over the last axis (axis -1 or the last index).
 * Weights [gamma (scale), beta (center), moving_mean, moving_variance]; the
 * moving statistics are non-trainable. */
nn_layer *nn_batch_norm(int axis, double momentum, double epsilon, int center, int scale);
/* Reshape(target_shape): one entry may be -1 (inferred). */
nn_layer *nn_reshape(const int64_t *shape, int ndim);
/* Keras's `input_shape=` on a first layer: the model gets an Input of this
 * shape when the layer is added first. */
rt_status nn_layer_set_input_shape(nn_layer *l, const int64_t *shape, int ndim);
nn_layer *nn_layer_retain(nn_layer *l);
void      nn_layer_release(nn_layer *l);                   /* NULL is fine */

/* Read-only description of a layer. Pointers are borrowed from the layer. */
typedef struct {
    nn_layer_kind  kind;
    const char    *name;        /* "dense_1" */
    const char    *class_name;  /* "Dense" */
    int64_t        units;       /* Dense */
    nn_activation  activation;  /* Dense, Activation */
    int            use_bias;    /* Dense */
    nn_initializer kernel_initializer, bias_initializer; /* Dense */
    double         rate;        /* Dropout */
    int64_t        filters;     /* Conv2D */
    int64_t        kernel[2], strides[2], dilation[2];  /* Conv2D; pools: kernel = pool size */
    nn_padding     padding;     /* Conv2D, pools */
    double         momentum, epsilon;  /* BatchNormalization */
    int            center, scale;      /* BatchNormalization */
    int            nweights;    /* weight tensors (0 until built) */
    int            built;       /* output shape known */
    int            ndim;        /* Input: its shape; built layers: output shape */
    int64_t        shape[RT_MAX_DIMS];   /* without the batch axis */
    int64_t        params;      /* count (0 until built) */
} nn_layer_info;
void nn_layer_get_info(const nn_layer *l, nn_layer_info *out); /* can't fail */

/* Weights in Keras order (Dense: kernel (in, units), bias (units,); Conv2D:
 * kernel (kh, kw, in, filters), bias; BatchNormalization: gamma, beta,
 * moving_mean, moving_variance), as new float arrays on CPU:0 (read from
 * replica 0). *n gets the count (0 for layers without weights, or not
 * built). `out` needs room for NN_MAX_LAYER_WEIGHTS. */
#define NN_MAX_LAYER_WEIGHTS 4
rt_status nn_layer_get_weights(const nn_layer *l, rt_array **out, int *n);
/* Copies the arrays into every replica; shapes must match exactly. */
rt_status nn_layer_set_weights(nn_layer *l, rt_array *const *w, int n);

/* ---- models ----------------------------------------------------------------- */

/* A Sequential model. Refcounted. Created on the default device (or, inside
 * a strategy scope, mirrored on the strategy's replicas). */
typedef struct nn_model nn_model;
typedef struct nn_strategy nn_strategy;

nn_model *nn_sequential(const char *name /* NULL: "sequential", "sequential_1"... */);
nn_model *nn_model_retain(nn_model *m);
void      nn_model_release(nn_model *m);
/* Appends a layer (retained). An Input layer is accepted only first and
 * sets the input shape (it is not listed in the model's layers, as Keras 3).
 * Adding to a built model rebuilds it (weights re-initialised). */
rt_status nn_model_add(nn_model *m, nn_layer *l);
int        nn_model_num_layers(const nn_model *m);
nn_layer  *nn_model_layer(const nn_model *m, int i);   /* borrowed */
const char *nn_model_name(const nn_model *m);
nn_strategy *nn_model_strategy(const nn_model *m);     /* borrowed; NULL if none */
rt_device   *nn_model_device(const nn_model *m, int replica); /* replica's device */
int          nn_model_num_replicas(const nn_model *m);
/* float32 (default) or float64 (CPU only; the float64 reference used by the
 * gradient checks). Set before the model is built. */
rt_status nn_model_set_dtype(nn_model *m, rt_dtype t);

/* Builds the model for inputs of shape (batch, *feature_shape): shapes are
 * inferred, weights allocated on every replica and initialised (host
 * random numbers from rt_rand_host_u32, so rt_seed makes them repeatable).
 * Called automatically by the first fit/predict/evaluate when the model has
 * no Input. Building a built model with the same shape is a no-op (the
 * weights stay, as in Keras); another shape rebuilds it. */
rt_status nn_model_build(nn_model *m, const int64_t *feature_shape, int ndim);
int       nn_model_is_built(const nn_model *m);
/* Output feature shape (without batch). */
rt_status nn_model_output_shape(const nn_model *m, int64_t *shape, int *ndim);
rt_status nn_model_count_params(const nn_model *m, int64_t *out);

/* Summary table data, Keras 3 style. */
typedef struct {
    char    name[160];    /* "dense (Dense)" */
    char    shape[96];    /* "(None, 1)" */
    int64_t params;
} nn_summary_row;
typedef struct {
    char            model_name[96];
    int             nrows;
    nn_summary_row *rows;        /* owned */
    int64_t         total, trainable, non_trainable;   /* non-trainable: BatchNormalization's moving statistics */
    char            total_str[64], trainable_str[64], non_trainable_str[64]; /* "2 (8.00 B)" */
} nn_summary;
rt_status nn_model_summary(const nn_model *m, nn_summary *out);
void      nn_summary_free(nn_summary *s);
/* Keras's box-drawn table as text (malloc'd, NULL if out of memory):
 *   Model: "sequential" / ┏━━┳ ... / Total params: 2 (8.00 B) ... */
char     *nn_summary_text(const nn_summary *s);
/* Keras's readable_memory_size: "8.00 B", "198.79 KB". This function can't fail. */
void      nn_format_bytes(double bytes, char *buf, size_t cap);

/* compile: loss, optimizer (copied), metrics. Resets the optimizer state. */
rt_status nn_model_compile(nn_model *m, nn_loss loss, const nn_optimizer *opt,
                           const nn_metric *metrics, int nmetrics);
int       nn_model_is_compiled(const nn_model *m);
/* The names fit/evaluate report, in order: "loss", then metrics
 * ("accuracy", "mae", "mse"). Returns the count; names borrowed. */
int       nn_model_log_names(const nn_model *m, const char **names, int cap);

/* ---- fit / evaluate / predict ----------------------------------------------- */

/* Progress report for the display. Called at most every
 * progress_interval seconds during an epoch (values are running means
 * over the epoch so far, read from the device then) and always once at the
 * end of each epoch (epoch_end = 1, validation values included). */
typedef struct {
    int          epoch, epochs;   /* epoch is 0-based */
    int64_t      step, steps;     /* steps done in this epoch */
    int          epoch_end;
    double       seconds;         /* since the epoch started */
    int          nlogs;
    const char *const *names;     /* "loss", "accuracy", "val_loss", ... */
    const double *values;
} nn_progress;
/* Returns 0 to continue; non-zero stops training after this step (the model
 * and history keep what was done; fit returns RT_EINTERRUPT). */
typedef int (*nn_progress_fn)(void *ctx, const nn_progress *p);

/* Callbacks' view of fit: the points where Keras calls its callbacks, in
 * Keras's order (train_begin; per epoch: epoch_begin, per step
 * batch_begin / batch_end, then epoch_end with the validation values;
 * train_end). Each hook returns NN_HOOK_CONTINUE, NN_HOOK_STOP (Keras's
 * stop_training: the epoch finishes, validation and epoch_end included,
 * then train_end runs and fit returns RT_OK) or NN_HOOK_FAIL (fit stops at
 * once and returns RT_EINTERRUPT; the hook's owner holds the real error).
 * A NULL hook is not called: batch hooks cost a device read per step (the
 * running means), so leave them NULL unless a callback needs them and the
 * fused step runs undisturbed. Borrowed by fit. */
typedef struct {
    int                n;
    const char *const *names;       /* "loss", metrics, then "val_..." at epoch end */
    const double      *values;
} nn_logs;
enum { NN_HOOK_CONTINUE = 0, NN_HOOK_STOP = 1, NN_HOOK_FAIL = 2 };
typedef struct {
    void *ctx;
    int (*train_begin)(void *ctx);
    int (*epoch_begin)(void *ctx, int epoch);
    int (*batch_begin)(void *ctx, int epoch, int64_t step);
    int (*batch_end)(void *ctx, int epoch, int64_t step, const nn_logs *logs);
    int (*epoch_end)(void *ctx, int epoch, const nn_logs *logs);
    int (*train_end)(void *ctx, const nn_logs *last_epoch_logs);  /* n = 0 when no epoch ran */
} nn_fit_hooks;

typedef struct {
    int            epochs;            /* 1 */
    int64_t        batch_size;        /* 32 */
    int            shuffle;           /* 1 */
    double         validation_split;  /* 0.0: the LAST fraction of x/y, before shuffling */
    const rt_array *val_x, *val_y;    /* validation_data (NULL: none) */
    nn_progress_fn progress;          /* NULL: none */
    void          *progress_ctx;
    double         progress_interval; /* seconds between in-epoch reports; < 0: epoch ends only */
    const nn_fit_hooks *hooks;        /* NULL: none */
} nn_fit_options;
void nn_fit_options_init(nn_fit_options *o);  /* Keras defaults. Can't fail. */

/* History: keys ("loss", metrics, "val_loss", "val_<metric>"), one value per
 * completed epoch each. Owned by the struct: nn_history_free. */
typedef struct {
    int      nkeys;
    char   **keys;
    int      epochs;        /* completed epochs */
    double **values;        /* values[k][e] */
} nn_history;
void nn_history_free(nn_history *h);    /* leaves an empty history; NULL fine */

/* Trains with Keras's semantics (see runtime/nn/README.md). x: (n, *input
 * shape) (a 1-D x is (n, 1) for an input of shape (1,)); y: (n, units), or
 * (n,) / (n, 1) class indices for sparse_categorical_crossentropy. Arrays
 * may be on any device and of any numeric dtype. `hist` (may be NULL)
 * receives the history; on RT_EINTERRUPT (rt_interrupted() between steps, or
 * the progress callback asked to stop) it holds the epochs completed and
 * the weights keep every step taken. */
rt_status nn_model_fit(nn_model *m, const rt_array *x, const rt_array *y,
                       const nn_fit_options *o, nn_history *hist);
/* Loss then metrics (nn_model_log_names order) into values (cap >= 1 +
 * nmetrics); *n gets the count. batch_size <= 0 means 32. */
rt_status nn_model_evaluate(nn_model *m, const rt_array *x, const rt_array *y,
                            int64_t batch_size, double *values, int *n);
/* (n, *output shape) outputs of the model's dtype on CPU:0 (as Keras
 * returns host arrays): (n, units) after a Dense. batch_size <= 0 means 32. */
rt_array *nn_model_predict(nn_model *m, const rt_array *x, int64_t batch_size);

/* History of the last fit (borrowed; empty before any fit). */
const nn_history *nn_model_history(const nn_model *m);
/* Optimizer iterations done so far (Adam's t). */
int64_t nn_model_iterations(const nn_model *m);

/* ---- weights ------------------------------------------------------------------ */

/* All weights in Keras order (per layer: kernel, bias) as new arrays on
 * CPU:0. *out is malloc'd (free() it after releasing the arrays). */
rt_status nn_model_get_weights(const nn_model *m, rt_array ***out, int *n);
rt_status nn_model_set_weights(nn_model *m, rt_array *const *w, int n);

/* The parameters flattened in get_weights order (count_params values) as
 * doubles, from replica `replica`; and writing them to every replica. */
rt_status nn_model_get_params(const nn_model *m, int replica, double *out);
rt_status nn_model_set_params(nn_model *m, const double *in);

/* One forward+backward pass over all of x as a single batch, without an
 * update: the mean loss and d loss / d params (get_params order). With
 * `training`, Dropout is active with mask seed `seed` (step 0). For gradient
 * checks and tests. */
rt_status nn_model_gradients(nn_model *m, const rt_array *x, const rt_array *y,
                             int training, uint64_t seed, double *loss, double *grads);

/* ---- save / load (format: runtime/nn/FORMAT.md) --------------------------------- */

rt_status nn_model_save(const nn_model *m, const char *path);
/* A new model on the default device (or mirrored in the current strategy
 * scope), compiled when the file says so, with the optimizer state restored. */
nn_model *nn_model_load(const char *path);

/* ---- MirroredStrategy ---------------------------------------------------------- */

typedef enum {
    NN_XDEV_AUTO = 0,   /* NCCL across distinct physical GPUs, else the runtime's own */
    NN_XDEV_NCCL,       /* NcclAllReduce: one replica per physical GPU required */
    NN_XDEV_REDUCE      /* ReductionToOneDevice: sum on replica 0's device, copy back */
} nn_cross_device_ops;

/* A MirroredStrategy over `devices` (n of them; NULL/0: every GPU, logical
 * ones included, or CPU:0 when there is none). Refcounted. The collective is
 * chosen here; NCCL communicators are created on the first all-reduce. */
nn_strategy *nn_strategy_new(rt_device *const *devices, int n, nn_cross_device_ops ops);
nn_strategy *nn_strategy_retain(nn_strategy *s);
void         nn_strategy_release(nn_strategy *s);
int          nn_strategy_num_replicas(const nn_strategy *s);
rt_device   *nn_strategy_device(const nn_strategy *s, int replica);
/* "MirroredStrategy: 2 replicas on GPU:0, GPU:1 (all-reduce: NCCL)" */
const char  *nn_strategy_describe(const nn_strategy *s);
const char  *nn_strategy_allreduce_name(const nn_strategy *s);  /* "NCCL" ... */

/* scope(): a stack per thread (like the device placement stack); models
 * created inside are mirrored on its replicas.
 * exit must pair with enter (RT_EVALUE otherwise). */
rt_status    nn_strategy_enter(nn_strategy *s);
rt_status    nn_strategy_exit(nn_strategy *s);
nn_strategy *nn_strategy_current(void);        /* borrowed; NULL outside any scope */

/* run(fn): calls fn once per replica, in replica order, with the replica's
 * device pushed as the default device. Stops at the first failure and
 * returns its status (its message names the replica). */
typedef rt_status (*nn_replica_fn)(void *ctx, int replica, rt_device *device);
rt_status nn_strategy_run(nn_strategy *s, nn_replica_fn fn, void *ctx);

/* reduce("SUM" | "MEAN", per_replica, axis): combines n per-replica arrays
 * (n == num_replicas; same shape) element-wise across replicas, then, when
 * has_axis, over `axis` too (MEAN divides by the total count). The result is
 * on replica 0's device. */
typedef enum { NN_REDUCE_SUM = 0, NN_REDUCE_MEAN } nn_reduce_op;
int       nn_reduce_op_parse(const char *name, nn_reduce_op *out);  /* "SUM"/"MEAN", any case */
rt_array *nn_strategy_reduce(nn_strategy *s, nn_reduce_op op, rt_array *const *per_replica,
                             int n, int has_axis, int axis);

/* In-place all-reduce SUM of one contiguous float32/float64 array per
 * replica (arrays[i] on replica i's device, same shape), through the
 * strategy's collective; returns after the result is complete. (For tests
 * and benchmarks; fit calls the same collective on its flat gradients.) */
rt_status nn_strategy_allreduce(nn_strategy *s, rt_array *const *arrays);

#ifdef __cplusplus
}
#endif
#endif
