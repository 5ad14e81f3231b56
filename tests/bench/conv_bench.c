/* conv_bench.c — convolutional networks (tests/bench/conv_bench.sh runs it
 * next to numpy, conv_peers.py, and tests/bench/cnn_gpu.sh next to
 * PyTorch, cnn_peers.py).
 *
 *   conv_bench layers            Conv2D forward and backward on CPU:0, GFLOP/s,
 *                                next to the runtime's SGEMM on the same product
 *   conv_bench epoch [n]         one epoch of TensorFlow's tutorial CNN on n
 *                                Fashion-MNIST-shaped random images (28x28x1,
 *                                default 60000), batch 32, Adam, on CPU:0
 *   conv_bench models [batch...] one epoch of the class's three CIFAR-10 CNNs
 *                                on 50000 random 32x32x3 images on GPU:0
 *                                (default batches 64 256): seconds, and the
 *                                device memory the caching allocator holds
 *
 * layers: each shape is a batch of 64 images through one Conv2D as the
 * training loop runs it (the CPU kernel table: im2col + SGEMM forward;
 * im2col, dW as (dYᵀ·windows)ᵀ, d(windows) = dY·Wᵀ and col2im backward); FLOPs count the products only
 * (2 * N*OH*OW * kh*kw*C * filters forward, twice that backward). "sgemm"
 * times the runtime's matmul on the forward product's exact shape. Median
 * of 5 after a warm-up.
 *
 * Prints "key=value" lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn.h"
#include "nn/nn_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what)
{
    fprintf(stderr, "conv_bench: %s: %s\n", what, rt_error_message());
    exit(1);
}

/* ---- layers -------------------------------------------------------------------------- */

typedef struct { const char *name; int64_t h, w, c, k, f; nn_padding pad; } conv_shape;

static const conv_shape shapes[] = {
    {"fashion_conv1_28x28x1_k3_f32", 28, 28, 1, 3, 32, NN_PAD_VALID},
    {"tutorial_conv2_15x15x32_k3_f64", 15, 15, 32, 3, 64, NN_PAD_VALID},
    {"cifar_same_32x32x32_k3_f32", 32, 32, 32, 3, 32, NN_PAD_SAME},
    {"cifar_same_16x16x64_k3_f64", 16, 16, 64, 3, 64, NN_PAD_SAME},
};

static float *randf(int64_t n)
{
    float *p = malloc((size_t)n * sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int64_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

static void bench_layers(void)
{
    enum { N = 64, REPS = 5 };
    rt_device *d = rt_device_get(RT_CPU, 0);
    const nn_ops *k = nn_cpu_ops(RT_FLOAT32);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const conv_shape *cs = &shapes[s];
        nn_conv_geom g = {0};
        g.h = cs->h; g.w = cs->w; g.c = cs->c; g.kh = g.kw = cs->k; g.sh = g.sw = g.dh = g.dw = 1; g.oc = cs->f;
        if (cs->pad == NN_PAD_SAME) { g.oh = g.h; g.ow = g.w; g.pt = g.pl = (cs->k - 1) / 2; }
        else { g.oh = g.h - cs->k + 1; g.ow = g.w - cs->k + 1; }
        int64_t pix = N * g.oh * g.ow, K = g.kh * g.kw * g.c;
        float *x = randf(N * g.h * g.w * g.c), *w = randf(K * g.oc), *y = randf(pix * g.oc), *dy = randf(pix * g.oc);
        float *cols = randf(pix * K), *dw = randf(K * g.oc), *dwt = randf(K * g.oc), *dx = randf(N * g.h * g.w * g.c);
        double tf[REPS + 1], tb[REPS + 1], tg[REPS + 1];
        for (int r = 0; r <= REPS; r++) {
            double t0 = now();
            if (k->im2col(d, &g, N, x, cols) || k->gemm(d, 0, 0, pix, g.oc, K, cols, w, y)) die("forward");
            double t1 = now();
            if (k->im2col(d, &g, N, x, cols) || k->gemm(d, 1, 0, g.oc, K, pix, dy, cols, dwt) ||
                k->transpose(d, dw, dwt, g.oc, K) ||
                k->gemm(d, 0, 1, pix, K, g.oc, dy, w, cols) || k->col2im(d, &g, N, cols, dx))
                die("backward");
            double t2 = now();
            if (d->backend->matmul(d, RT_FLOAT32, 1, pix, g.oc, K, cols, 0, 0, w, 0, 0, y, 0)) die("sgemm");
            double t3 = now();
            tf[r] = t1 - t0; tb[r] = t2 - t1; tg[r] = t3 - t2;
        }
        qsort(tf + 1, REPS, sizeof(double), cmp);
        qsort(tb + 1, REPS, sizeof(double), cmp);
        qsort(tg + 1, REPS, sizeof(double), cmp);
        double fl = 2.0 * (double)pix * (double)K * (double)g.oc;
        printf("conv shape=%s batch=%d fwd_gflops=%.2f bwd_gflops=%.2f sgemm_gflops=%.2f fwd_ms=%.2f bwd_ms=%.2f\n",
               cs->name, N, fl / tf[1 + REPS / 2] * 1e-9, 2 * fl / tb[1 + REPS / 2] * 1e-9,
               fl / tg[1 + REPS / 2] * 1e-9, tf[1 + REPS / 2] * 1e3, tb[1 + REPS / 2] * 1e3);
        free(x); free(w); free(y); free(dy); free(cols); free(dw); free(dwt); free(dx);
    }
}

/* ---- whole models ---------------------------------------------------------------------- */

static const int64_t K22[2] = {2, 2}, K33[2] = {3, 3};

static nn_layer *conv(int64_t f, nn_padding p, nn_activation a)
{
    return nn_conv2d(f, K33, NULL, p, a, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, NULL);
}
static nn_layer *pool(void) { return nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID); }
static nn_layer *dense(int64_t u, nn_activation a) { return nn_dense(u, a, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS); }

static nn_model *build(nn_layer **ls, int n)
{
    nn_model *m = nn_sequential(NULL);
    for (int i = 0; i < n; i++) {
        if (nn_model_add(m, ls[i])) die("add");
        nn_layer_release(ls[i]);
    }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    nn_metric acc = NN_METRIC_ACCURACY;
    if (nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1)) die("compile");
    return m;
}

/* 0: TensorFlow's tutorial (with the class's Dropout), 1: the deeper
 * BatchNormalization model, 2: the Keras CIFAR-10 example */
static nn_model *class_model(int which, const int64_t *in)
{
    if (which == 0) {
        nn_layer *ls[] = {nn_input(in, 3), conv(32, NN_PAD_VALID, NN_ACT_RELU), pool(), conv(64, NN_PAD_VALID, NN_ACT_RELU),
                          pool(), conv(64, NN_PAD_VALID, NN_ACT_RELU), nn_flatten(), dense(64, NN_ACT_RELU), nn_dropout(0.5),
                          dense(10, NN_ACT_SOFTMAX)};
        return build(ls, (int)(sizeof ls / sizeof ls[0]));
    }
    if (which == 1) {
        nn_layer *ls[32];
        int n = 0;
        ls[n++] = nn_input(in, 3);
        static const int64_t f[3] = {32, 64, 128};
        static const double drop[3] = {0.2, 0.3, 0.4};
        for (int b = 0; b < 3; b++) {
            ls[n++] = conv(f[b], NN_PAD_SAME, NN_ACT_RELU);
            ls[n++] = nn_batch_norm(-1, 0.99, 1e-3, 1, 1);
            ls[n++] = conv(f[b], NN_PAD_SAME, NN_ACT_RELU);
            ls[n++] = nn_batch_norm(-1, 0.99, 1e-3, 1, 1);
            ls[n++] = pool();
            ls[n++] = nn_dropout(drop[b]);
        }
        ls[n++] = nn_flatten();
        ls[n++] = dense(128, NN_ACT_RELU);
        ls[n++] = nn_batch_norm(-1, 0.99, 1e-3, 1, 1);
        ls[n++] = nn_dropout(0.5);
        ls[n++] = dense(10, NN_ACT_SOFTMAX);
        return build(ls, n);
    }
    nn_layer *ls[] = {nn_input(in, 3), conv(32, NN_PAD_SAME, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU),
                      conv(32, NN_PAD_VALID, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU), pool(), nn_dropout(0.25),
                      conv(64, NN_PAD_SAME, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU),
                      conv(64, NN_PAD_VALID, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU), pool(), nn_dropout(0.25),
                      nn_flatten(), dense(512, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU), nn_dropout(0.5),
                      dense(10, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_SOFTMAX)};
    return build(ls, (int)(sizeof ls / sizeof ls[0]));
}

static const char *const model_names[3] = {"tf_tutorial_cnn", "deeper_bn_cnn", "keras_cifar10_cnn"};

/* random images and labels on `d` */
static void dataset(int64_t n, const int64_t *img, rt_device *d, rt_array **x, rt_array **y)
{
    rt_seed(1);
    int64_t xs[4] = {n, img[0], img[1], img[2]}, ys[1] = {n};
    if (!(*x = rt_rand_uniform(xs, 4, 0, 1, RT_FLOAT32, d))) die("x");
    float *l = malloc((size_t)n * sizeof *l);
    for (int64_t i = 0; i < n; i++) l[i] = (float)(i % 10);
    if (!(*y = rt_from_host(l, RT_FLOAT32, ys, 1, RT_FLOAT32, d))) die("y");
    free(l);
}

static double fit_epoch(nn_model *m, rt_array *x, rt_array *y, int64_t batch)
{
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.batch_size = batch;
    double t0 = now();
    if (nn_model_fit(m, x, y, &o, NULL)) die("fit");
    return now() - t0;
}

static void bench_epoch(int64_t n)
{
    rt_device *d = rt_device_get(RT_CPU, 0);
    int64_t img[3] = {28, 28, 1};
    rt_array *x, *y;
    dataset(n, img, d, &x, &y);
    rt_push_device(d);
    nn_model *m = class_model(0, img);
    rt_pop_device();
    double t = fit_epoch(m, x, y, 32);
    printf("epoch model=tf_tutorial_cnn data=fashion_mnist_shaped samples=%lld batch=32 device=CPU:0 s=%.2f "
           "s_per_60000=%.1f\n", (long long)n, t, t * 60000.0 / (double)n);
    nn_model_release(m);
    rt_array_release(x);
    rt_array_release(y);
}

static void bench_models(const int64_t *batches, int nb)
{
    rt_device *d = rt_device_get(RT_GPU, 0);
    if (!d) { printf("models: skipped: no GPU\n"); return; }
    int64_t img[3] = {32, 32, 3};
    rt_array *x, *y;
    dataset(50000, img, d, &x, &y);
    for (int which = 0; which < 3; which++)
        for (int b = 0; b < nb; b++) {
            rt_push_device(d);
            nn_model *m = class_model(which, img);
            rt_pop_device();
            fit_epoch(m, x, y, batches[b]);          /* warm-up: buffers, cuBLAS plans */
            double t = fit_epoch(m, x, y, batches[b]);
            rt_memory_info mi;
            rt_get_memory_info(d, &mi);
            printf("model name=%s batch=%lld device=%s epoch_s=%.3f held_mib=%.1f\n", model_names[which],
                   (long long)batches[b], rt_device_name(d), t, (double)(mi.used + mi.cached) / 1048576.0);
            nn_model_release(m);
        }
    rt_array_release(x);
    rt_array_release(y);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "layers";
    if (!strcmp(what, "layers")) bench_layers();
    else if (!strcmp(what, "epoch")) bench_epoch(argc > 2 ? atoll(argv[2]) : 60000);
    else if (!strcmp(what, "models")) {
        int64_t b[8] = {64, 256};
        int nb = 2;
        if (argc > 2) for (nb = 0; nb < 8 && nb + 2 < argc; nb++) b[nb] = atoll(argv[nb + 2]);
        bench_models(b, nb);
    } else {
        fprintf(stderr, "usage: conv_bench layers | epoch [n] | models [batch...]\n");
        return 2;
    }
    return 0;
}
