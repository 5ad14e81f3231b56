/* rt_nn_fit.c — Keras-style training on the CPU: the celsius tutorial, a
 * regression that converges, an MLP classifier, fit semantics (history,
 * validation, partial batches, shuffling), predict/evaluate, weights,
 * save/load, the summary table and error messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(void) { return rt_device_get(RT_CPU, 0); }

static rt_array *arr1(const double *v, int64_t n)
{
    int64_t s[1] = {n};
    return rt_from_host(v, RT_FLOAT64, s, 1, RT_FLOAT32, cpu());
}

static rt_array *arr2(const double *v, int64_t r, int64_t c)
{
    int64_t s[2] = {r, c};
    return rt_from_host(v, RT_FLOAT64, s, 2, RT_FLOAT32, cpu());
}

static const double celsius[8] = {-40, -10, 0, 8, 15, 22, 38, 45};
static const double fahrenheit[8] = {-40, 14, 32, 46, 59, 72, 100, 113};

/* The tutorial's model: Sequential([Input(shape=[1]), Dense(units=1)]),
 * mean_squared_error, Adam(0.1). */
static nn_model *celsius_model(void)
{
    nn_model *m = nn_sequential(NULL);
    int64_t shp[1] = {1};
    nn_layer *in = nn_input(shp, 1);
    nn_layer *d = nn_dense(1, NN_ACT_LINEAR, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    if (!m || !in || !d || nn_model_add(m, in) || nn_model_add(m, d)) {
        fprintf(stderr, "celsius_model: %s\n", rt_error_message());
        nn_layer_release(in); nn_layer_release(d); nn_model_release(m);
        return NULL;
    }
    nn_layer_release(in);
    nn_layer_release(d);
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_ADAM);
    opt.learning_rate = 0.1;
    if (nn_model_compile(m, NN_LOSS_MSE, &opt, NULL, 0)) { nn_model_release(m); return NULL; }
    return m;
}

/* fits the celsius model 500 epochs; returns predict(100), weight, bias, last loss */
static int celsius_run(uint64_t seed, double *pred, double *w, double *b, double *last_loss, nn_history *h)
{
    rt_seed(seed);
    nn_model *m = celsius_model();
    rt_array *x = arr1(celsius, 8), *y = arr1(fahrenheit, 8);
    double hundred = 100.0;
    rt_array *q = arr1(&hundred, 1);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 500;
    int rc = -1;
    if (m && x && y && q && nn_model_fit(m, x, y, &o, h) == RT_OK) {
        rt_array *p = nn_model_predict(m, q, 32);
        double params[2];
        if (p && p->ndim == 2 && p->shape[0] == 1 && p->shape[1] == 1 && rt_item(p, 0, pred) == RT_OK &&
            nn_model_get_params(m, 0, params) == RT_OK) {
            *w = params[0];
            *b = params[1];
            *last_loss = h->values[0][h->epochs - 1];
            rc = 0;
        }
        rt_array_release(p);
    } else {
        fprintf(stderr, "celsius fit: %s\n", rt_error_message());
    }
    rt_array_release(x); rt_array_release(y); rt_array_release(q);
    nn_model_release(m);
    return rc;
}

TEST(test_celsius_fit)
{
    double pred, w, b, loss;
    nn_history h;
    CHECK(celsius_run(1, &pred, &w, &b, &loss, &h) == 0);
    CHECK(h.epochs == 500);
    CHECK(h.nkeys == 1);
    CHECK_STR(h.keys[0], "loss");
    CHECK_NEAR(pred, 212.0, 2.0, 0);
    CHECK_NEAR(w, 1.8, 0.1, 0);
    CHECK(h.values[0][0] > h.values[0][499]);      /* the loss went down */
    CHECK(loss < 20.0);
    printf("  celsius: predict(100) = %.4f, w = %.4f, b = %.4f, final loss %.4f\n", pred, w, b, loss);
    nn_history_free(&h);
    /* other seeds land in the same place (glorot start in [-1.73, 1.73]) */
    for (uint64_t s = 2; s < 6; s++) {
        CHECK(celsius_run(s, &pred, &w, &b, &loss, &h) == 0);
        CHECK_NEAR(pred, 212.0, 2.0, 0);
        CHECK_NEAR(w, 1.8, 0.1, 0);
        nn_history_free(&h);
    }
}

TEST(test_celsius_repeatable)
{
    double p1, w1, b1, l1, p2, w2, b2, l2;
    nn_history h1, h2;
    CHECK(celsius_run(42, &p1, &w1, &b1, &l1, &h1) == 0);
    CHECK(celsius_run(42, &p2, &w2, &b2, &l2, &h2) == 0);
    CHECK(p1 == p2 && w1 == w2 && b1 == b2);
    int same = h1.epochs == h2.epochs;
    for (int e = 0; same && e < h1.epochs; e++) same = h1.values[0][e] == h2.values[0][e];
    CHECK(same);
    nn_history_free(&h1);
    nn_history_free(&h2);
}

/* Keras's epoch loss is the sample-weighted mean of the batch losses,
 * measured during the epoch: with one batch per epoch it is the loss before
 * that epoch's update. Replaying the updates by hand checks both. */
TEST(test_epoch_loss_is_pre_update_batch_loss)
{
    rt_seed(7);
    nn_model *m = celsius_model();
    double params[2];
    CHECK(m && nn_model_build(m, (int64_t[]){1}, 1) == RT_OK);
    CHECK(nn_model_get_params(m, 0, params) == RT_OK);
    rt_array *x = arr1(celsius, 8), *y = arr1(fahrenheit, 8);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 3;
    o.shuffle = 0;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    /* float64 replay of Keras's Adam on the full batch */
    double w = params[0], b = params[1], mw = 0, vw = 0, mb = 0, vb = 0;
    for (int t = 1; t <= 3; t++) {
        double loss = 0, gw = 0, gb = 0;
        for (int i = 0; i < 8; i++) {
            double e = w * celsius[i] + b - fahrenheit[i];
            loss += e * e / 8;
            gw += 2 * e * celsius[i] / 8;
            gb += 2 * e / 8;
        }
        CHECK_NEAR(h.values[0][t - 1], loss, 0, 1e-5);
        double lr = 0.1 * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
        mw += (gw - mw) * 0.1; vw += (gw * gw - vw) * 0.001;
        mb += (gb - mb) * 0.1; vb += (gb * gb - vb) * 0.001;
        w -= lr * mw / (sqrt(vw) + 1e-7);
        b -= lr * mb / (sqrt(vb) + 1e-7);
    }
    CHECK(nn_model_get_params(m, 0, params) == RT_OK);
    CHECK_NEAR(params[0], w, 1e-5, 1e-5);
    CHECK_NEAR(params[1], b, 1e-5, 1e-5);
    CHECK(nn_model_iterations(m) == 3);
    nn_history_free(&h);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m);
}

/* y = 3x - 7 on 8 points converges to 3 and -7 (KERAS.md) */
TEST(test_regression_converges)
{
    rt_seed(3);
    nn_model *m = celsius_model();
    double xs[8], ys[8];
    for (int i = 0; i < 8; i++) { xs[i] = i - 3.5; ys[i] = 3 * xs[i] - 7; }
    rt_array *x = arr1(xs, 8), *y = arr1(ys, 8);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 1000;
    CHECK(nn_model_fit(m, x, y, &o, NULL) == RT_OK);
    double p[2];
    CHECK(nn_model_get_params(m, 0, p) == RT_OK);
    CHECK_NEAR(p[0], 3.0, 1e-3, 0);
    CHECK_NEAR(p[1], -7.0, 1e-3, 0);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m);
}

/* a small synthetic 10-class problem: class c's samples cluster around a
 * random centre; Dense(64 relu) -> Dense(10 softmax), sparse xent, Adam */
static void make_blobs(int n, int d, double *x, double *y, uint64_t seed)
{
    rt_seed(seed);
    int64_t cs[2] = {10, d};
    rt_array *centres = rt_rand_normal(cs, 2, 0, 1, RT_FLOAT64, cpu());
    double *c = malloc(sizeof(double) * 10 * d);
    rt_to_host(centres, RT_FLOAT64, c);
    int64_t ns[2] = {n, d};
    rt_array *noise = rt_rand_normal(ns, 2, 0, 0.35, RT_FLOAT64, cpu());
    rt_to_host(noise, RT_FLOAT64, x);
    uint32_t *lab = malloc(sizeof(uint32_t) * n);
    rt_rand_host_u32(lab, (size_t)n);
    for (int i = 0; i < n; i++) {
        int k = (int)(lab[i] % 10);
        y[i] = k;
        for (int j = 0; j < d; j++) x[i * d + j] += c[k * d + j];
    }
    free(lab);
    free(c);
    rt_array_release(centres);
    rt_array_release(noise);
}

TEST(test_mlp_classifier)
{
    enum { N = 2000, D = 20 };
    double *xs = malloc(sizeof(double) * N * D), ys[N];
    make_blobs(N, D, xs, ys, 11);
    rt_array *x = arr2(xs, N, D), *y = arr1(ys, N);
    rt_seed(5);
    nn_model *m = nn_sequential(NULL);
    nn_layer *l1 = nn_dense(64, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    nn_layer *l2 = nn_dense(10, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    CHECK(nn_model_add(m, l1) == RT_OK && nn_model_add(m, l2) == RT_OK);
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_ADAM);
    nn_metric acc = NN_METRIC_ACCURACY;
    CHECK(nn_model_compile(m, NN_LOSS_SCCE, &opt, &acc, 1) == RT_OK);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 5;
    o.batch_size = 32;
    o.validation_split = 0.2;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    CHECK(h.nkeys == 4);
    CHECK_STR(h.keys[1], "accuracy");
    CHECK_STR(h.keys[2], "val_loss");
    CHECK_STR(h.keys[3], "val_accuracy");
    printf("  mlp: loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f\n", h.values[0][4], h.values[1][4],
           h.values[2][4], h.values[3][4]);
    CHECK(h.values[1][4] >= 0.95);
    CHECK(h.values[3][4] >= 0.95);
    /* evaluate agrees with the last validation numbers (same weights) */
    double ev[2];
    int ne;
    int64_t vs[2] = {N / 5, D};
    rt_array *xv = rt_from_host(xs + (N - N / 5) * D, RT_FLOAT64, vs, 2, RT_FLOAT32, cpu());
    rt_array *yv = arr1(ys + (N - N / 5), N / 5);
    CHECK(nn_model_evaluate(m, xv, yv, 32, ev, &ne) == RT_OK && ne == 2);
    CHECK_NEAR(ev[0], h.values[2][4], 1e-6, 1e-5);
    CHECK_NEAR(ev[1], h.values[3][4], 1e-9, 0);
    /* predict: probabilities that sum to one, argmax = accuracy */
    rt_array *p = nn_model_predict(m, xv, 64);
    CHECK(p && p->shape[0] == N / 5 && p->shape[1] == 10);
    if (p) {
        float *pv = malloc(sizeof(float) * (N / 5) * 10);
        CHECK(rt_to_host(p, RT_FLOAT32, pv) == RT_OK);
        int correct = 0;
        double worst = 0;
        for (int i = 0; i < N / 5; i++) {
            int best = 0;
            double s = 0;
            for (int j = 0; j < 10; j++) { s += pv[i * 10 + j]; if (pv[i * 10 + j] > pv[i * 10 + best]) best = j; }
            if (fabs(s - 1) > worst) worst = fabs(s - 1);
            correct += best == (int)ys[N - N / 5 + i];
        }
        CHECK(worst < 1e-5);
        CHECK_NEAR((double)correct / (N / 5), ev[1], 1e-9, 0);
        free(pv);
    }
    rt_array_release(p);
    nn_history_free(&h);
    rt_array_release(xv); rt_array_release(yv);
    rt_array_release(x); rt_array_release(y);
    nn_layer_release(l1); nn_layer_release(l2);
    nn_model_release(m);
    free(xs);
}

int main(void)
{
    RUN(test_celsius_fit);
    RUN(test_celsius_repeatable);
    RUN(test_epoch_loss_is_pre_update_batch_loss);
    RUN(test_regression_converges);
    RUN(test_mlp_classifier);
    return test_summary();
}
