/* rt_nn_conv.c — the image layers (Conv2D, the pools, BatchNormalization,
 * Reshape) on the CPU: backward passes against finite differences (float64),
 * BatchNormalization's outputs and moving statistics against the formulas,
 * uint8 images, the summaries of the class's three CNNs against Keras's numbers, a small
 * CNN that learns, save/load, error messages, and MirroredStrategy on 4
 * virtual CPU devices against single-device training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(int i) { return rt_device_get(RT_CPU, i); }

static const int64_t K11[2] = {1, 1}, K22[2] = {2, 2}, K33[2] = {3, 3}, K32[2] = {3, 2}, S21[2] = {2, 1};

static nn_layer *conv(int64_t f, const int64_t *k, const int64_t *s, nn_padding p, nn_activation a, const int64_t *dil)
{
    return nn_conv2d(f, k, s, p, a, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, dil);
}
static nn_layer *dense(int64_t u, nn_activation a) { return nn_dense(u, a, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS); }

/* adds and releases */
static void add_all(nn_model *m, nn_layer **ls, int n)
{
    for (int i = 0; i < n; i++) {
        if (nn_model_add(m, ls[i])) fprintf(stderr, "  add %d: %s\n", i, rt_error_message());
        nn_layer_release(ls[i]);
    }
}

/* 1 for parameters the loss depends on (not the moving statistics) */
static void trainable_mask(const nn_model *m, char *mask)
{
    int64_t o = 0;
    for (int i = 0; i < nn_model_num_layers(m); i++) {
        nn_layer_info info;
        nn_layer_get_info(nn_model_layer(m, i), &info);
        int64_t nt = info.kind == NN_LAYER_BATCHNORM ? 2 * info.shape[info.ndim - 1] : 0;
        for (int64_t j = 0; j < info.params; j++) mask[o + j] = j < info.params - nt;
        o += info.params;
    }
}

/* the worst relative error of the gradients of `m` (float64, built for
 * feature shape fs) against central differences; bias-free random inputs */
static double grad_check(nn_model *m, const int64_t *fs, int nd, nn_loss loss, int training)
{
    enum { N = 5 };
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_SGD);
    nn_model_compile(m, loss, &opt, NULL, 0);
    if (nn_model_build(m, fs, nd)) { fprintf(stderr, "  build: %s\n", rt_error_message()); return 1e9; }
    int64_t xs[5] = {N};
    memcpy(xs + 1, fs, (size_t)nd * sizeof *fs);
    rt_array *x = rt_rand_normal(xs, 1 + nd, 0, 1, RT_FLOAT64, cpu(0));
    int64_t os[4];
    int ond;
    nn_model_output_shape(m, os, &ond);
    double y[N * 16];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < os[0]; j++) y[i * os[0] + j] = loss == NN_LOSS_SCCE ? (j == 0 ? i % os[0] : 0) : sin(i + 3.0 * j);
    int64_t ys[2] = {N, loss == NN_LOSS_SCCE ? 1 : os[0]};
    rt_array *ya = rt_from_host(y, RT_FLOAT64, ys, 2, RT_FLOAT64, cpu(0));
    int64_t np = 0;
    nn_model_count_params(m, &np);
    double *p = malloc(sizeof(double) * np), *g = malloc(sizeof(double) * np), loss_v, worst = 0;
    char *mask = malloc((size_t)np);
    trainable_mask(m, mask);
    if (nn_model_get_params(m, 0, p) || nn_model_gradients(m, x, ya, training, 7, &loss_v, g)) {
        fprintf(stderr, "  gradients: %s\n", rt_error_message());
        worst = 1e9;
    }
    for (int64_t i = 0; i < np && worst < 1e9; i++) {
        if (!mask[i]) continue;
        double h = 1e-6, lp, lm, keep = p[i];
        p[i] = keep + h; nn_model_set_params(m, p); nn_model_gradients(m, x, ya, training, 7, &lp, NULL);
        p[i] = keep - h; nn_model_set_params(m, p); nn_model_gradients(m, x, ya, training, 7, &lm, NULL);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h), err = fabs(g[i] - fd) / (1e-6 + fabs(fd));
        if (err > worst) worst = err;
    }
    free(p); free(g); free(mask);
    rt_array_release(x);
    rt_array_release(ya);
    return worst;
}

static nn_model *f64_model(nn_layer **ls, int n)
{
    rt_seed(4321);
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    add_all(m, ls, n);
    return m;
}

#define GRAD_CASE(what, fs, nd, loss, training, ...) do { \
    nn_layer *ls_[] = {__VA_ARGS__}; \
    nn_model *m_ = f64_model(ls_, (int)(sizeof ls_ / sizeof ls_[0])); \
    double w_ = grad_check(m_, fs, nd, loss, training); \
    if (!(w_ < 1e-5)) fprintf(stderr, "  %s: worst relative error %.3e\n", what, w_); \
    CHECK(w_ < 1e-5); \
    nn_model_release(m_); } while (0)

TEST(test_conv_gradients)
{
    const int64_t f562[3] = {5, 6, 2}, f553[3] = {5, 5, 3}, f771[3] = {7, 7, 1};
    GRAD_CASE("conv valid tanh", f562, 3, NN_LOSS_MSE, 0,
              conv(3, K33, NULL, NN_PAD_VALID, NN_ACT_TANH, NULL), nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("conv same strides (2,1), kernel (3,2)", f553, 3, NN_LOSS_MSE, 0,
              conv(2, K32, S21, NN_PAD_SAME, NN_ACT_LINEAR, NULL), nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("conv dilation 2 same, conv stride 2, global average", f771, 3, NN_LOSS_SCCE, 0,
              conv(2, K33, NULL, NN_PAD_SAME, NN_ACT_SIGMOID, K22), conv(3, K22, K22, NN_PAD_VALID, NN_ACT_TANH, NULL),
              nn_global_pool2d(NN_LAYER_GLOBAL_AVGPOOL2D), dense(3, NN_ACT_SOFTMAX));
    GRAD_CASE("1x1 conv, no bias", f553, 3, NN_LOSS_MSE, 0,
              nn_conv2d(2, K11, NULL, NN_PAD_VALID, NN_ACT_LINEAR, 0, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, NULL),
              nn_flatten(), dense(1, NN_ACT_LINEAR));
}

TEST(test_pool_gradients)
{
    const int64_t f553[3] = {5, 5, 3}, f672[3] = {6, 7, 2};
    GRAD_CASE("max pool valid on odd sizes", f553, 3, NN_LOSS_MSE, 0,
              conv(2, K22, NULL, NN_PAD_VALID, NN_ACT_TANH, NULL), nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID),
              nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("max pool same 3x3 stride 2", f672, 3, NN_LOSS_MSE, 0,
              conv(2, K22, NULL, NN_PAD_SAME, NN_ACT_LINEAR, NULL), nn_pool2d(NN_LAYER_MAXPOOL2D, K33, K22, NN_PAD_SAME),
              nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("average pool same 3x3 stride 2", f672, 3, NN_LOSS_MSE, 0,
              conv(2, K22, NULL, NN_PAD_VALID, NN_ACT_LINEAR, NULL), nn_pool2d(NN_LAYER_AVGPOOL2D, K33, K22, NN_PAD_SAME),
              nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("global max pool", f553, 3, NN_LOSS_MSE, 0,
              conv(3, K22, NULL, NN_PAD_VALID, NN_ACT_LINEAR, NULL), nn_global_pool2d(NN_LAYER_GLOBAL_MAXPOOL2D),
              dense(2, NN_ACT_LINEAR));
}

TEST(test_batchnorm_and_reshape_gradients)
{
    const int64_t f553[3] = {5, 5, 3}, f4[1] = {4}, t223[3] = {2, 2, 3};
    GRAD_CASE("batch norm (training) after conv", f553, 3, NN_LOSS_MSE, 1,
              conv(2, K22, NULL, NN_PAD_VALID, NN_ACT_TANH, NULL), nn_batch_norm(-1, 0.99, 1e-3, 1, 1),
              nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("batch norm (inference) after conv", f553, 3, NN_LOSS_MSE, 0,
              conv(2, K22, NULL, NN_PAD_VALID, NN_ACT_TANH, NULL), nn_batch_norm(-1, 0.99, 1e-3, 1, 1),
              nn_flatten(), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("batch norm on features, no center/scale, then dense", f4, 1, NN_LOSS_MSE, 1,
              dense(3, NN_ACT_TANH), nn_batch_norm(-1, 0.9, 1e-3, 0, 0), dense(2, NN_ACT_LINEAR));
    GRAD_CASE("batch norm first (no dx), reshape to an image", f4, 1, NN_LOSS_MSE, 1,
              nn_batch_norm(-1, 0.9, 1e-3, 1, 1), dense(12, NN_ACT_LINEAR), nn_reshape(t223, 3),
              conv(2, K22, NULL, NN_PAD_SAME, NN_ACT_TANH, NULL), nn_flatten(), dense(2, NN_ACT_LINEAR));
}

/* BatchNormalization alone: training output (through the loss), moving
 * statistics after one step, inference output, against the formulas */
TEST(test_batchnorm_formulas)
{
    enum { N = 8, C = 3 };
    rt_seed(11);
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    int64_t in[1] = {C};
    nn_layer *ls[2] = {nn_input(in, 1), nn_batch_norm(-1, 0.9, 1e-3, 1, 1)};
    add_all(m, ls, 2);
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_SGD);
    opt.learning_rate = 0.0;   /* gamma and beta stay: only the moving statistics move */
    nn_model_compile(m, NN_LOSS_MSE, &opt, NULL, 0);
    double gamma[C] = {1.5, 0.5, 2.0}, beta[C] = {0.1, -0.2, 0.3}, mm[C] = {0.2, -0.1, 0.0}, mv[C] = {1.2, 0.8, 2.0};
    double params[4 * C];
    for (int c = 0; c < C; c++) { params[c] = gamma[c]; params[C + c] = beta[c]; params[2 * C + c] = mm[c]; params[3 * C + c] = mv[c]; }
    CHECK(nn_model_set_params(m, params) == RT_OK);
    double x[N * C], y0[N * C];
    for (int i = 0; i < N * C; i++) { x[i] = sin(1.7 * i) * 2 + (i % C); y0[i] = 0; }
    int64_t xs[2] = {N, C};
    rt_array *xa = rt_from_host(x, RT_FLOAT64, xs, 2, RT_FLOAT64, cpu(0));
    rt_array *ya = rt_from_host(y0, RT_FLOAT64, xs, 2, RT_FLOAT64, cpu(0));
    double mean[C] = {0}, var[C] = {0};
    for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) mean[c] += x[i * C + c] / N;
    for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) var[c] += pow(x[i * C + c] - mean[c], 2) / N;
    /* training: loss = mean of the squared batch-normalised outputs */
    double want = 0, loss = 0;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++) want += pow(gamma[c] * (x[i * C + c] - mean[c]) / sqrt(var[c] + 1e-3) + beta[c], 2);
    want /= N * C;
    CHECK(nn_model_gradients(m, xa, ya, 1, 0, &loss, NULL) == RT_OK);
    CHECK_NEAR(loss, want, 1e-12, 1e-10);
    /* one step of fit over the whole batch: Keras's update */
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.batch_size = N;
    o.shuffle = 0;
    CHECK(nn_model_fit(m, xa, ya, &o, NULL) == RT_OK);
    double after[4 * C];
    CHECK(nn_model_get_params(m, 0, after) == RT_OK);
    for (int c = 0; c < C; c++) {
        CHECK_NEAR(after[c], gamma[c], 0, 0);
        CHECK_NEAR(after[2 * C + c], mm[c] * 0.9 + mean[c] * 0.1, 1e-12, 1e-12);
        CHECK_NEAR(after[3 * C + c], mv[c] * 0.9 + var[c] * 0.1, 1e-12, 1e-12);
    }
    /* inference: the moving statistics */
    rt_array *p = nn_model_predict(m, xa, 32);
    double out[N * C];
    CHECK(p && rt_to_host(p, RT_FLOAT64, out) == RT_OK);
    for (int i = 0; i < N * C; i++) {
        int c = i % C;
        CHECK_NEAR(out[i], gamma[c] * (x[i] - after[2 * C + c]) / sqrt(after[3 * C + c] + 1e-3) + beta[c], 1e-12, 1e-10);
    }
    rt_array_release(p);
    rt_array_release(xa);
    rt_array_release(ya);
    nn_model_release(m);
}

/* ---- the class's three models ------------------------------------------------------ */

/* TensorFlow's CNN tutorial (with the class's Dropout) */
static nn_model *tutorial_cnn(nn_strategy *s, const int64_t *in)
{
    if (s) nn_strategy_enter(s);
    nn_model *m = nn_sequential(NULL);
    nn_layer *ls[] = {nn_input(in, 3), conv(32, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, NULL),
                      nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), conv(64, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, NULL),
                      nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), conv(64, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, NULL),
                      nn_flatten(), dense(64, NN_ACT_RELU), nn_dropout(0.5), dense(10, NN_ACT_SOFTMAX)};
    add_all(m, ls, (int)(sizeof ls / sizeof ls[0]));
    if (s) nn_strategy_exit(s);
    return m;
}

static nn_model *deeper_bn_cnn(void)
{
    nn_model *m = nn_sequential(NULL);
    int64_t in[3] = {32, 32, 3};
    nn_layer *first = nn_input(in, 3);
    add_all(m, &first, 1);
    static const int64_t f[3] = {32, 64, 128};
    static const double drop[3] = {0.2, 0.3, 0.4};
    for (int b = 0; b < 3; b++) {
        nn_layer *ls[] = {conv(f[b], K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL), nn_batch_norm(-1, 0.99, 1e-3, 1, 1),
                          conv(f[b], K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL), nn_batch_norm(-1, 0.99, 1e-3, 1, 1),
                          nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), nn_dropout(drop[b])};
        add_all(m, ls, 6);
    }
    nn_layer *tail[] = {nn_flatten(), dense(128, NN_ACT_RELU), nn_batch_norm(-1, 0.99, 1e-3, 1, 1), nn_dropout(0.5),
                        dense(10, NN_ACT_SOFTMAX)};
    add_all(m, tail, 5);
    return m;
}

static nn_model *keras_cifar10_cnn(void)
{
    nn_model *m = nn_sequential(NULL);
    int64_t in[3] = {32, 32, 3};
    nn_layer *ls[] = {nn_input(in, 3),
        conv(32, K33, NULL, NN_PAD_SAME, NN_ACT_LINEAR, NULL), nn_activation_layer(NN_ACT_RELU),
        conv(32, K33, NULL, NN_PAD_VALID, NN_ACT_LINEAR, NULL), nn_activation_layer(NN_ACT_RELU),
        nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), nn_dropout(0.25),
        conv(64, K33, NULL, NN_PAD_SAME, NN_ACT_LINEAR, NULL), nn_activation_layer(NN_ACT_RELU),
        conv(64, K33, NULL, NN_PAD_VALID, NN_ACT_LINEAR, NULL), nn_activation_layer(NN_ACT_RELU),
        nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), nn_dropout(0.25),
        nn_flatten(), dense(512, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_RELU), nn_dropout(0.5),
        dense(10, NN_ACT_LINEAR), nn_activation_layer(NN_ACT_SOFTMAX)};
    add_all(m, ls, (int)(sizeof ls / sizeof ls[0]));
    return m;
}

TEST(test_three_summaries)
{
    nn_reset_names();
    int64_t in[3] = {32, 32, 3};
    nn_model *ms[3] = {tutorial_cnn(NULL, in), deeper_bn_cnn(), keras_cifar10_cnn()};
    const int64_t want[3][3] = {{122570, 122570, 0}, {552874, 551722, 1152}, {1250858, 1250858, 0}};
    for (int k = 0; k < 3; k++) {
        nn_summary s;
        CHECK(nn_model_summary(ms[k], &s) == RT_OK);
        CHECK(s.total == want[k][0] && s.trainable == want[k][1] && s.non_trainable == want[k][2]);
        if (k == 1) {
            CHECK_STR(s.total_str, "552,874 (2.11 MB)");
            CHECK_STR(s.trainable_str, "551,722 (2.10 MB)");
            CHECK_STR(s.non_trainable_str, "1,152 (4.50 KB)");
            CHECK_STR(s.rows[1].name, "batch_normalization (BatchNormalization)");
            CHECK_STR(s.rows[1].shape, "(None, 32, 32, 32)");
            CHECK(s.rows[1].params == 128);
        }
        if (k == 0) {
            char *text = nn_summary_text(&s);
            /* Keras 3's table, row for row */
            const char *rows[] = {
                "│ conv2d (Conv2D)                 │ (None, 30, 30, 32)     │           896 │",
                "│ max_pooling2d (MaxPooling2D)    │ (None, 15, 15, 32)     │             0 │",
                "│ conv2d_1 (Conv2D)               │ (None, 13, 13, 64)     │        18,496 │",
                "│ max_pooling2d_1 (MaxPooling2D)  │ (None, 6, 6, 64)       │             0 │",
                "│ conv2d_2 (Conv2D)               │ (None, 4, 4, 64)       │        36,928 │",
                "│ flatten (Flatten)               │ (None, 1024)           │             0 │",
                "│ dense (Dense)                   │ (None, 64)             │        65,600 │",
                " Total params: 122,570 (478.79 KB)",
                " Non-trainable params: 0 (0.00 B)"};
            for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                int found = text && strstr(text, rows[i]) != NULL;
                if (!found) fprintf(stderr, "  missing summary line: %s\n", rows[i]);
                CHECK(found);
            }
            free(text);
        }
        nn_summary_free(&s);
        nn_model_release(ms[k]);
    }
}

/* ---- learning, save/load, errors ------------------------------------------------------ */

/* 8x8 images: a horizontal bar, a vertical bar, or a 3x3 square, on noise */
static void bars(int n, float *x, float *y, uint32_t seed)
{
    uint32_t s = seed;
    for (int i = 0; i < n; i++) {
        int k = i % 3;
        for (int p = 0; p < 64; p++) { s = s * 1664525u + 1013904223u; x[i * 64 + p] = (float)((s >> 8) % 1000) / 4000.0f; }
        s = s * 1664525u + 1013904223u;
        int a = (int)((s >> 8) % 6), b = (int)((s >> 16) % 6);
        for (int t = 0; t < 3; t++)
            for (int u = 0; u < 3; u++) {
                int r = k == 0 ? a + 1 : k == 1 ? a + t : a + t, c = k == 0 ? b + t : k == 1 ? b + 1 : b + u;
                if (k != 2 && u) continue;
                x[i * 64 + r * 8 + c] += 1.0f;
            }
        y[i] = (float)k;
    }
}

TEST(test_small_cnn_learns)
{
    enum { N = 600, T = 300 };
    static float x[N * 64], y[N], xt[T * 64], yt[T];
    bars(N, x, y, 1);
    bars(T, xt, yt, 2);
    int64_t xs[4] = {N, 8, 8, 1}, ys[1] = {N}, xts[4] = {T, 8, 8, 1}, yts[1] = {T};
    rt_array *xa = rt_from_host(x, RT_FLOAT32, xs, 4, RT_FLOAT32, cpu(0)), *ya = rt_from_host(y, RT_FLOAT32, ys, 1, RT_FLOAT32, cpu(0));
    rt_array *xta = rt_from_host(xt, RT_FLOAT32, xts, 4, RT_FLOAT32, cpu(0)), *yta = rt_from_host(yt, RT_FLOAT32, yts, 1, RT_FLOAT32, cpu(0));
    rt_seed(3);
    nn_model *m = nn_sequential(NULL);
    int64_t in[3] = {8, 8, 1};
    nn_layer *ls[] = {nn_input(in, 3), conv(8, K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL), nn_batch_norm(-1, 0.9, 1e-3, 1, 1),
                      nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), conv(8, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, NULL),
                      nn_global_pool2d(NN_LAYER_GLOBAL_MAXPOOL2D), dense(3, NN_ACT_SOFTMAX)};
    add_all(m, ls, (int)(sizeof ls / sizeof ls[0]));
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_ADAM);
    opt.learning_rate = 0.01;
    nn_metric acc = NN_METRIC_ACCURACY;
    CHECK(nn_model_compile(m, NN_LOSS_SCCE, &opt, &acc, 1) == RT_OK);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 8;
    o.val_x = xta;
    o.val_y = yta;
    nn_history h;
    rt_status st = nn_model_fit(m, xa, ya, &o, &h);
    if (st) fprintf(stderr, "  fit: %s\n", rt_error_message());
    CHECK(st == RT_OK);
    double v[2];
    int nv = 0;
    CHECK(nn_model_evaluate(m, xta, yta, 32, v, &nv) == RT_OK && nv == 2);
    if (!(v[1] >= 0.95)) fprintf(stderr, "  test accuracy %.3f (loss %.3f)\n", v[1], v[0]);
    CHECK(v[1] >= 0.95);
    CHECK(h.nkeys == 4 && h.epochs == 8);
    CHECK_NEAR(h.values[3][7], v[1], 1e-6, 0);   /* val_accuracy of the last epoch is evaluate's */

    /* save / load: the same predictions, moving statistics included */
    const char *path = "/tmp/cgpu_rt_nn_conv.cgnn";
    CHECK(nn_model_save(m, path) == RT_OK);
    nn_model *l = nn_model_load(path);
    CHECK(l != NULL);
    if (l) {
        int64_t n1 = 0, n2 = 0;
        nn_model_count_params(m, &n1);
        nn_model_count_params(l, &n2);
        CHECK(n1 == n2);
        double *p1 = malloc(sizeof(double) * n1), *p2 = malloc(sizeof(double) * n1);
        nn_model_get_params(m, 0, p1);
        nn_model_get_params(l, 0, p2);
        CHECK(memcmp(p1, p2, sizeof(double) * n1) == 0);
        rt_array *a = nn_model_predict(m, xta, 64), *b = nn_model_predict(l, xta, 64);
        float pa[T * 3], pb[T * 3];
        CHECK(a && b && rt_to_host(a, RT_FLOAT32, pa) == RT_OK && rt_to_host(b, RT_FLOAT32, pb) == RT_OK);
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        nn_summary s1, s2;
        nn_model_summary(m, &s1);
        nn_model_summary(l, &s2);
        CHECK(s2.non_trainable == 16 && s1.non_trainable == 16 && !strcmp(s1.rows[0].shape, s2.rows[0].shape));
        nn_summary_free(&s1);
        nn_summary_free(&s2);
        rt_array_release(a);
        rt_array_release(b);
        free(p1);
        free(p2);
        nn_model_release(l);
    }
    remove(path);
    nn_history_free(&h);
    nn_model_release(m);
    rt_array_release(xa); rt_array_release(ya); rt_array_release(xta); rt_array_release(yta);
}

/* uint8 images (and int64 labels) train exactly as the same values in float32 */
TEST(test_uint8_images)
{
    enum { N = 40 };
    static uint8_t x8[N * 6 * 6 * 2];
    static float xf[N * 6 * 6 * 2], yf[N];
    static int64_t y64[N];
    for (int i = 0; i < N * 72; i++) { x8[i] = (uint8_t)((i * 37 + i / 7) % 256); xf[i] = x8[i]; }
    for (int i = 0; i < N; i++) { y64[i] = (x8[i * 72] > 127) + (x8[i * 72 + 40] > 127); yf[i] = (float)y64[i]; }
    int64_t xs[4] = {N, 6, 6, 2}, ys[1] = {N};
    rt_array *xa[2] = {rt_from_host(x8, RT_UINT8, xs, 4, RT_UINT8, cpu(0)), rt_from_host(xf, RT_FLOAT32, xs, 4, RT_FLOAT32, cpu(0))};
    rt_array *ya[2] = {rt_from_host(y64, RT_INT64, ys, 1, RT_INT64, cpu(0)), rt_from_host(yf, RT_FLOAT32, ys, 1, RT_FLOAT32, cpu(0))};
    CHECK(xa[0] && xa[0]->dtype == RT_UINT8 && ya[0] && ya[0]->dtype == RT_INT64);
    double *p[2] = {NULL, NULL};
    float out[2][N * 3];
    int64_t np = 0;
    for (int k = 0; k < 2; k++) {
        rt_seed(8);
        nn_model *m = nn_sequential(NULL);
        int64_t in[3] = {6, 6, 2};
        nn_layer *ls[] = {nn_input(in, 3), conv(3, K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL), nn_batch_norm(-1, 0.99, 1e-3, 1, 1),
                          nn_global_pool2d(NN_LAYER_GLOBAL_AVGPOOL2D), dense(3, NN_ACT_SOFTMAX)};
        add_all(m, ls, 5);
        nn_optimizer o;
        nn_optimizer_init(&o, NN_OPT_ADAM);
        nn_model_compile(m, NN_LOSS_SCCE, &o, NULL, 0);
        nn_fit_options fo;
        nn_fit_options_init(&fo);
        fo.epochs = 2;
        fo.batch_size = 8;
        fo.val_x = xa[k];
        fo.val_y = ya[k];
        rt_seed(9);
        rt_status st = nn_model_fit(m, xa[k], ya[k], &fo, NULL);
        if (st) fprintf(stderr, "  fit (%s): %s\n", k ? "float32" : "uint8", rt_error_message());
        CHECK(st == RT_OK);
        nn_model_count_params(m, &np);
        p[k] = malloc(sizeof(double) * np);
        nn_model_get_params(m, 0, p[k]);
        rt_array *pr = nn_model_predict(m, xa[k], 16);
        CHECK(pr && rt_to_host(pr, RT_FLOAT32, out[k]) == RT_OK);
        rt_array_release(pr);
        nn_model_release(m);
    }
    CHECK(memcmp(p[0], p[1], sizeof(double) * np) == 0);
    CHECK(memcmp(out[0], out[1], sizeof out[0]) == 0);
    for (int k = 0; k < 2; k++) { free(p[k]); rt_array_release(xa[k]); rt_array_release(ya[k]); }
}

static int error_has(const char *a, const char *b)
{
    const char *msg = rt_error_message();
    int ok = strstr(msg, a) && (!b || strstr(msg, b));
    if (!ok) fprintf(stderr, "  unexpected message: %s\n", msg);
    return ok;
}

/* adding `l` (released) after Input(shape) fails with a message containing a and b */
static int add_fails(const int64_t *shape, int nd, nn_layer *l, const char *a, const char *b)
{
    nn_model *m = nn_sequential(NULL);
    nn_layer *in = nn_input(shape, nd);
    nn_model_add(m, in);
    int ok = nn_model_add(m, l) != RT_OK && error_has(a, b);
    nn_layer_release(in);
    nn_layer_release(l);
    nn_model_release(m);
    return ok;
}

TEST(test_shape_errors)
{
    nn_reset_names();
    const int64_t small[3] = {2, 2, 3}, in[3] = {6, 6, 3}, flat[1] = {10};
    CHECK(add_fails(small, 3, conv(4, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, NULL), "conv2d", "negative"));

    /* a channel mismatch: the data, and weights for another input */
    nn_model *m = nn_sequential(NULL);
    nn_layer *c = conv(2, K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL);
    nn_layer *ls2[] = {nn_input(in, 3), nn_layer_retain(c), nn_flatten(), dense(2, NN_ACT_SOFTMAX)};
    add_all(m, ls2, 4);
    int64_t xs[4] = {2, 6, 6, 1};
    rt_array *x = rt_zeros(xs, 4, RT_FLOAT32, cpu(0));
    CHECK(nn_model_predict(m, x, 32) == NULL && error_has("conv2d", "expected axis -1 of input shape to have value 3"));
    int64_t ws[4] = {3, 3, 1, 2};
    rt_array *w[2] = {rt_zeros(ws, 4, RT_FLOAT32, cpu(0)), rt_zeros(ws + 3, 1, RT_FLOAT32, cpu(0))};
    CHECK(nn_layer_set_weights(c, w, 2) != RT_OK && error_has("(3, 3, 3, 2)", "(3, 3, 1, 2)"));
    rt_array_release(w[0]);
    rt_array_release(w[1]);
    rt_array_release(x);
    nn_layer_release(c);
    nn_model_release(m);

    /* Conv2D on flat features; Dense on images keeps its Flatten() advice */
    CHECK(add_fails(flat, 1, conv(2, K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL), "conv2d_", "expected ndim=4, found ndim=2"));
    CHECK(add_fails(in, 3, dense(2, NN_ACT_RELU), "Flatten()", NULL));
    CHECK(nn_conv2d(0, K33, NULL, NN_PAD_VALID, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, NULL) == NULL &&
          error_has("filters", NULL));
    nn_padding p;
    CHECK(nn_padding_parse("full", &p) != 0 && error_has("\"valid\" and \"same\"", NULL));
}

/* ---- MirroredStrategy ------------------------------------------------------------------ */

enum { MN = 90 };
static float mx[MN * 10 * 10 * 2], my[MN];

static void mirrored_data(void)
{
    rt_seed(77);
    int64_t s[4] = {MN, 10, 10, 2};
    rt_array *x = rt_rand_normal(s, 4, 0, 1, RT_FLOAT32, cpu(0));
    rt_to_host(x, RT_FLOAT32, mx);
    rt_array_release(x);
    for (int i = 0; i < MN; i++) my[i] = (float)((mx[i * 200] + mx[i * 200 + 57] > 0) + (mx[i * 200 + 130] > 0.5));
}

static nn_model *mirrored_model(nn_strategy *s, int bn)
{
    if (s) nn_strategy_enter(s);
    rt_seed(5);
    nn_model *m = nn_sequential(NULL);
    int64_t in[3] = {10, 10, 2};
    nn_layer *ls[] = {nn_input(in, 3), conv(4, K33, NULL, NN_PAD_SAME, NN_ACT_RELU, NULL),
                      bn ? nn_batch_norm(-1, 0.9, 1e-3, 1, 1) : nn_activation_layer(NN_ACT_LINEAR),
                      nn_pool2d(NN_LAYER_MAXPOOL2D, K22, NULL, NN_PAD_VALID), conv(6, K33, K22, NN_PAD_VALID, NN_ACT_RELU, NULL),
                      nn_flatten(), nn_dropout(0.2), dense(3, NN_ACT_SOFTMAX)};
    add_all(m, ls, (int)(sizeof ls / sizeof ls[0]));
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.01;
    nn_metric acc = NN_METRIC_ACCURACY;
    nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1);
    if (s) nn_strategy_exit(s);
    return m;
}

static rt_status mirrored_fit(nn_model *m, int64_t batch, int epochs)
{
    int64_t xs[4] = {MN, 10, 10, 2}, ys[1] = {MN};
    rt_array *x = rt_from_host(mx, RT_FLOAT32, xs, 4, RT_FLOAT32, cpu(0));
    rt_array *y = rt_from_host(my, RT_FLOAT32, ys, 1, RT_FLOAT32, cpu(0));
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = epochs;
    o.batch_size = batch;
    rt_seed(1000);
    rt_status st = nn_model_fit(m, x, y, &o, NULL);
    rt_array_release(x);
    rt_array_release(y);
    return st;
}

/* a CNN (conv, pool, strided conv, dropout) mirrored on 1-4 replicas
 * equals single-device training; replicas stay bit-identical */
TEST(test_mirrored_cnn_equals_single_device)
{
    mirrored_data();
    nn_model *ref = mirrored_model(NULL, 0);
    CHECK(mirrored_fit(ref, 13, 2) == RT_OK);
    int64_t np = 0;
    nn_model_count_params(ref, &np);
    double *pr = malloc(sizeof(double) * np), *p0 = malloc(sizeof(double) * np), *pi = malloc(sizeof(double) * np);
    nn_model_get_params(ref, 0, pr);
    for (int n = 1; n <= 4; n++) {
        rt_device *devs[4] = {cpu(0), cpu(1), cpu(2), cpu(3)};
        nn_strategy *s = nn_strategy_new(devs, n, NN_XDEV_AUTO);
        nn_model *m = mirrored_model(s, 0);
        rt_status st = mirrored_fit(m, 13, 2);
        if (st) fprintf(stderr, "  %d replicas: %s\n", n, rt_error_message());
        CHECK(st == RT_OK);
        nn_model_get_params(m, 0, p0);
        double worst = 0;
        for (int64_t i = 0; i < np; i++) {
            double e = fabs(p0[i] - pr[i]) / (1e-3 + fabs(pr[i]));
            if (e > worst) worst = e;
        }
        if (!(worst <= 1e-4)) fprintf(stderr, "  %d replicas: worst relative difference %.3e\n", n, worst);
        CHECK(worst <= 1e-4);
        for (int r = 1; r < n; r++) {
            nn_model_get_params(m, r, pi);
            CHECK(memcmp(pi, p0, sizeof(double) * np) == 0);
        }
        nn_model_release(m);
        nn_strategy_release(s);
    }
    free(pr); free(p0); free(pi);
    nn_model_release(ref);
}

/* with BatchNormalization each replica normalises with its own batch
 * statistics (as TensorFlow); the moving statistics are combined across
 * replicas: identical on every replica, and after one step of an even
 * split the moving mean is the single-device one and the moving variance
 * the mean of the replicas' variances */
TEST(test_mirrored_batchnorm_moving_statistics)
{
    mirrored_data();
    nn_model *ref = mirrored_model(NULL, 1);
    CHECK(mirrored_fit(ref, 13, 2) == RT_OK);
    int64_t np = 0;
    nn_model_count_params(ref, &np);
    double *p0 = malloc(sizeof(double) * np), *pi = malloc(sizeof(double) * np), *pr = malloc(sizeof(double) * np);
    for (int n = 2; n <= 4; n++) {
        rt_device *devs[4] = {cpu(0), cpu(1), cpu(2), cpu(3)};
        nn_strategy *s = nn_strategy_new(devs, n, NN_XDEV_AUTO);
        nn_model *m = mirrored_model(s, 1);
        CHECK(mirrored_fit(m, 13, 2) == RT_OK);
        nn_model_get_params(m, 0, p0);
        for (int r = 1; r < n; r++) {
            nn_model_get_params(m, r, pi);
            CHECK(memcmp(pi, p0, sizeof(double) * np) == 0);
        }
        nn_model_release(m);
        nn_strategy_release(s);
    }
    /* one step, batch 8 on 2 replicas (4 rows each), SGD with rate 0 */
    nn_strategy *s2 = NULL;
    {
        rt_device *devs[2] = {cpu(0), cpu(1)};
        s2 = nn_strategy_new(devs, 2, NN_XDEV_AUTO);
    }
    nn_model *a = mirrored_model(NULL, 1), *b = mirrored_model(s2, 1);
    nn_optimizer sgd;
    nn_optimizer_init(&sgd, NN_OPT_SGD);
    sgd.learning_rate = 0;
    nn_model_compile(a, NN_LOSS_SCCE, &sgd, NULL, 0);
    nn_strategy_enter(s2);
    nn_model_compile(b, NN_LOSS_SCCE, &sgd, NULL, 0);
    nn_strategy_exit(s2);
    int64_t xs[4] = {8, 10, 10, 2}, ys[1] = {8};
    rt_array *x = rt_from_host(mx, RT_FLOAT32, xs, 4, RT_FLOAT32, cpu(0)), *y = rt_from_host(my, RT_FLOAT32, ys, 1, RT_FLOAT32, cpu(0));
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.batch_size = 8;
    o.shuffle = 0;
    CHECK(nn_model_fit(a, x, y, &o, NULL) == RT_OK && nn_model_fit(b, x, y, &o, NULL) == RT_OK);
    nn_model_get_params(a, 0, pr);
    nn_model_get_params(b, 0, p0);
    /* layer 1 is the BatchNormalization: 4 channels after the conv's 3*3*2*4+4 = 76 */
    for (int c = 0; c < 4; c++) {
        CHECK_NEAR(p0[76 + 8 + c], pr[76 + 8 + c], 1e-6, 1e-5);                  /* moving mean */
        CHECK(p0[76 + 12 + c] > 0.9 * 0.999 && p0[76 + 12 + c] <= pr[76 + 12 + c] + 1e-6); /* mean of local variances <= the global one */
    }
    rt_array_release(x);
    rt_array_release(y);
    nn_model_release(a);
    nn_model_release(b);
    nn_strategy_release(s2);
    free(p0); free(pi); free(pr);
    nn_model_release(ref);
}

int main(void)
{
    if (rt_set_virtual_devices(RT_CPU, 4) != RT_OK) {
        fprintf(stderr, "cannot create virtual CPU devices: %s\n", rt_error_message());
        return 1;
    }
    RUN(test_conv_gradients);
    RUN(test_pool_gradients);
    RUN(test_batchnorm_and_reshape_gradients);
    RUN(test_batchnorm_formulas);
    RUN(test_three_summaries);
    RUN(test_small_cnn_learns);
    RUN(test_uint8_images);
    RUN(test_shape_errors);
    RUN(test_mirrored_cnn_equals_single_device);
    RUN(test_mirrored_batchnorm_moving_statistics);
    return test_summary();
}
