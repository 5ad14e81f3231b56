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


/* ---- summary, names, weights ------------------------------------------------------ */

TEST(test_summary_table)
{
    nn_model *m = nn_sequential("summary_model");
    int64_t in[1] = {784};
    nn_layer *a = nn_input(in, 1), *b = nn_dense(64, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS),
             *c = nn_dropout(0.2), *d = nn_dense(10, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    CHECK(nn_model_add(m, a) == RT_OK && nn_model_add(m, b) == RT_OK && nn_model_add(m, c) == RT_OK &&
          nn_model_add(m, d) == RT_OK);
    CHECK(nn_model_num_layers(m) == 3);   /* the Input is not a layer (Keras 3) */
    nn_summary s;
    CHECK(nn_model_summary(m, &s) == RT_OK);
    CHECK(s.nrows == 3 && s.total == 50890);
    CHECK(strstr(s.rows[0].name, " (Dense)") != NULL);
    CHECK_STR(s.rows[0].shape, "(None, 64)");
    CHECK(s.rows[0].params == 50240 && s.rows[1].params == 0 && s.rows[2].params == 650);
    CHECK_STR(s.total_str, "50,890 (198.79 KB)");
    CHECK_STR(s.non_trainable_str, "0 (0.00 B)");
    char *t = nn_summary_text(&s);
    CHECK(t && strstr(t, "Model: \"summary_model\"\n┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n") == t);
    CHECK(t && strstr(t, "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"));
    CHECK(t && strstr(t, "│ (None, 64)             │        50,240 │\n"));
    CHECK(t && strstr(t, " Total params: 50,890 (198.79 KB)\n Trainable params: 50,890 (198.79 KB)\n Non-trainable params: 0 (0.00 B)\n"));
    if (getenv("TEST_VERBOSE") && t) fputs(t, stdout);
    free(t);
    nn_summary_free(&s);
    nn_layer_release(a); nn_layer_release(b); nn_layer_release(c); nn_layer_release(d);
    nn_model_release(m);

    /* the celsius model: 2 params, 8 bytes */
    m = celsius_model();
    CHECK(nn_model_summary(m, &s) == RT_OK);
    CHECK_STR(s.total_str, "2 (8.00 B)");
    CHECK_STR(s.rows[0].shape, "(None, 1)");
    nn_summary_free(&s);
    int64_t np;
    CHECK(nn_model_count_params(m, &np) == RT_OK && np == 2);
    nn_model_release(m);
    char buf[32];
    nn_format_bytes(1024 * 1024 * 3.5, buf, sizeof buf);
    CHECK_STR(buf, "3.50 MB");
}

TEST(test_unbuilt_model)
{
    nn_model *m = nn_sequential(NULL);
    nn_layer *d = nn_dense(3, NN_ACT_LINEAR, 1, NN_INIT_ONES, NN_INIT_ZEROS);
    CHECK(nn_model_add(m, d) == RT_OK);
    int64_t np;
    CHECK(nn_model_count_params(m, &np) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "has not been built") != NULL);
    nn_summary s;
    CHECK(nn_model_summary(m, &s) == RT_OK && s.nrows == 1);
    CHECK_STR(s.rows[0].shape, "?");
    char *t = nn_summary_text(&s);
    CHECK(t && strstr(t, "0 (unbuilt)"));
    free(t);
    nn_summary_free(&s);
    rt_array **w;
    int n;
    CHECK(nn_model_get_weights(m, &w, &n) == RT_OK && n == 0);
    /* built by the first predict, from x's shape */
    double xv[4] = {1, 2, 3, 4};
    rt_array *x = arr2(xv, 2, 2);
    rt_array *p = nn_model_predict(m, x, 32);
    CHECK(p && p->shape[0] == 2 && p->shape[1] == 3);
    double v;
    CHECK(p && rt_item(p, 0, &v) == RT_OK && v == 3.0 && rt_item(p, 5, &v) == RT_OK && v == 7.0);
    CHECK(nn_model_is_built(m));
    CHECK(nn_model_count_params(m, &np) == RT_OK && np == 9);
    rt_array_release(p);
    rt_array_release(x);
    nn_layer_release(d);
    nn_model_release(m);
}

TEST(test_get_set_weights)
{
    nn_model *m = celsius_model();
    rt_array **w;
    int n;
    CHECK(nn_model_get_weights(m, &w, &n) == RT_OK && n == 2);
    CHECK(w[0]->ndim == 2 && w[0]->shape[0] == 1 && w[0]->shape[1] == 1);
    CHECK(w[1]->ndim == 1 && w[1]->shape[0] == 1);
    double k;
    CHECK(rt_item(w[0], 0, &k) == RT_OK && fabs(k) <= sqrt(3.0));
    for (int i = 0; i < n; i++) rt_array_release(w[i]);
    free(w);
    double kv = 1.8, bv = 32;
    int64_t ks[2] = {1, 1}, bs[1] = {1};
    rt_array *nw[2] = {rt_from_host(&kv, RT_FLOAT64, ks, 2, RT_FLOAT32, cpu()),
                       rt_from_host(&bv, RT_FLOAT64, bs, 1, RT_FLOAT32, cpu())};
    CHECK(nn_model_set_weights(m, nw, 2) == RT_OK);
    double hundred = 100;
    rt_array *q = arr1(&hundred, 1), *p = nn_model_predict(m, q, 32);
    double v;
    CHECK(p && rt_item(p, 0, &v) == RT_OK && v == 212.0);
    rt_array_release(p);
    /* layer weights */
    nn_layer *l = nn_model_layer(m, 0);
    rt_array *lw[2];
    CHECK(nn_layer_get_weights(l, lw, &n) == RT_OK && n == 2);
    CHECK(rt_item(lw[1], 0, &v) == RT_OK && v == 32.0);
    rt_array_release(lw[0]); rt_array_release(lw[1]);
    /* wrong count / shape */
    CHECK(nn_model_set_weights(m, nw, 1) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "expecting 2 weights") != NULL);
    rt_array *swapped[2] = {nw[1], nw[0]};
    CHECK(nn_model_set_weights(m, swapped, 2) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "weight shape (1, 1) is not compatible with provided weight shape (1,)") != NULL);
    rt_array_release(nw[0]); rt_array_release(nw[1]); rt_array_release(q);
    nn_layer_info info;
    nn_layer_get_info(l, &info);
    CHECK_STR(info.class_name, "Dense");
    CHECK(info.units == 1 && info.params == 2 && info.built);
    nn_model_release(m);
}

TEST(test_layer_names)
{
    nn_layer *a = nn_dense(1, NN_ACT_LINEAR, 1, 0, 0), *b = nn_dense(1, NN_ACT_LINEAR, 1, 0, 0), *c = nn_flatten();
    nn_layer_info ia, ib, ic;
    nn_layer_get_info(a, &ia); nn_layer_get_info(b, &ib); nn_layer_get_info(c, &ic);
    CHECK(strncmp(ia.name, "dense", 5) == 0 && strncmp(ib.name, "dense_", 6) == 0 && strcmp(ia.name, ib.name) != 0);
    CHECK(strncmp(ic.name, "flatten", 7) == 0);
    /* a layer belongs to one model */
    nn_model *m1 = nn_sequential(NULL), *m2 = nn_sequential(NULL);
    CHECK(nn_model_add(m1, a) == RT_OK);
    CHECK(nn_model_add(m2, a) == RT_EVALUE);
    CHECK(strncmp(nn_model_name(m1), "sequential", 10) == 0 && strcmp(nn_model_name(m1), nn_model_name(m2)) != 0);
    nn_model_release(m1); nn_model_release(m2);
    nn_layer_release(a); nn_layer_release(b); nn_layer_release(c);
}

/* ---- fit semantics ------------------------------------------------------------------ */

/* progress reports: in-epoch (interval 0: every step) and epoch ends */
typedef struct { int steps, ends, last_epoch; int64_t last_step, nsteps; double last_loss; int stop_at; } prog_log;
static int on_progress(void *ctx, const nn_progress *p)
{
    prog_log *l = ctx;
    if (p->epoch_end) {
        l->ends++;
        l->last_epoch = p->epoch;
        l->last_loss = p->values[0];
        return l->stop_at >= 0 && p->epoch == l->stop_at;
    }
    l->steps++;
    l->last_step = p->step;
    l->nsteps = p->steps;
    return 0;
}

TEST(test_partial_batches_and_progress)
{
    enum { N = 50 };
    double xv[N], yv[N];
    for (int i = 0; i < N; i++) { xv[i] = i / 10.0; yv[i] = 2 * xv[i] + 1; }
    rt_array *x = arr1(xv, N), *y = arr1(yv, N);
    nn_model *m = celsius_model();
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 3;
    o.batch_size = 16;      /* 16, 16, 16, 2 */
    o.progress = on_progress;
    prog_log pl = {0};
    pl.stop_at = -1;
    o.progress_ctx = &pl;
    o.progress_interval = 0;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    CHECK(nn_model_iterations(m) == 12);
    CHECK(pl.ends == 3 && pl.last_epoch == 2);
    CHECK(pl.steps == 9 && pl.nsteps == 4 && pl.last_step == 3);   /* the last step reports as the epoch end */
    CHECK(pl.last_loss == h.values[0][2]);
    nn_history_free(&h);
    /* a callback asking to stop: RT_EINTERRUPT, the completed epochs kept */
    pl.stop_at = 1;
    pl.ends = 0;
    o.epochs = 10;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_EINTERRUPT);
    CHECK(h.epochs == 2 && pl.ends == 2);
    CHECK(nn_model_iterations(m) == 12 + 8);
    nn_history_free(&h);
    CHECK(nn_model_history(m)->epochs == 2);
    nn_model_release(m);
    rt_array_release(x); rt_array_release(y);
}

static volatile sig_atomic_t stop_flag;
static int raise_flag(void *ctx, const nn_progress *p)
{
    (void)ctx;
    if (p->epoch_end && p->epoch == 3) stop_flag = 1;
    return 0;
}

TEST(test_interrupt_between_steps)
{
    rt_set_interrupt_flag(&stop_flag);
    nn_model *m = celsius_model();
    rt_array *x = arr1(celsius, 8), *y = arr1(fahrenheit, 8);
    double before[2], after[2];
    CHECK(nn_model_build(m, (int64_t[]){1}, 1) == RT_OK && nn_model_get_params(m, 0, before) == RT_OK);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 100;
    o.batch_size = 4;
    o.progress = raise_flag;
    o.progress_interval = -1;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_EINTERRUPT);
    CHECK(strstr(rt_error_message(), "4 completed epoch") != NULL);
    CHECK(h.epochs == 4);
    CHECK(nn_model_iterations(m) == 8);
    CHECK(nn_model_get_params(m, 0, after) == RT_OK && after[0] != before[0]);
    nn_history_free(&h);
    /* without a callback: the flag set before fit stops it at once, history
     * empty, and the pending device values are not lost on later fits */
    o.progress = NULL;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_EINTERRUPT);
    CHECK(h.epochs == 0 && nn_model_iterations(m) == 8);
    nn_history_free(&h);
    stop_flag = 0;
    o.epochs = 5;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK && h.epochs == 5);
    nn_history_free(&h);
    rt_set_interrupt_flag(NULL);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m);
}

/* validation_split takes the LAST fraction before shuffling: with a model
 * that predicts 0 and MAE, val_loss is the mean |y| of the last rows */
TEST(test_validation_split_is_last_fraction)
{
    enum { N = 10 };
    double xv[N], yv[N];
    for (int i = 0; i < N; i++) { xv[i] = 0; yv[i] = i; }
    nn_model *m = nn_sequential(NULL);
    nn_layer *d = nn_dense(1, NN_ACT_LINEAR, 0, NN_INIT_ZEROS, NN_INIT_ZEROS);
    nn_model_add(m, d);
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_SGD);
    nn_metric mm[2] = {NN_METRIC_MSE, NN_METRIC_MAE};
    CHECK(nn_model_compile(m, NN_LOSS_MAE, &o, mm, 2) == RT_OK);
    rt_array *x = arr1(xv, N), *y = arr1(yv, N);
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 2;
    fo.batch_size = 3;
    fo.validation_split = 0.3;  /* floor(10 * 0.7) = 7 training rows: 0..6 */
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &fo, &h) == RT_OK);
    CHECK(h.nkeys == 6);
    CHECK_STR(h.keys[1], "mse");
    CHECK_STR(h.keys[5], "val_mae");
    CHECK_NEAR(h.values[0][1], 3.0, 1e-6, 0);              /* mean of 0..6 */
    CHECK_NEAR(h.values[1][1], (0 + 1 + 4 + 9 + 16 + 25 + 36) / 7.0, 1e-5, 0);
    CHECK_NEAR(h.values[3][1], 8.0, 1e-6, 0);              /* mean of 7, 8, 9 */
    CHECK_NEAR(h.values[4][1], (49 + 64 + 81) / 3.0, 1e-4, 0);
    nn_history_free(&h);
    /* validation_data */
    double vx[2] = {0, 0}, vy[2] = {-1, -3};
    rt_array *xv2 = arr1(vx, 2), *yv2 = arr1(vy, 2);
    fo.validation_split = 0;
    fo.val_x = xv2;
    fo.val_y = yv2;
    CHECK(nn_model_fit(m, x, y, &fo, &h) == RT_OK);
    CHECK(h.nkeys == 6);
    CHECK_NEAR(h.values[0][0], 4.5, 1e-6, 0);
    CHECK_NEAR(h.values[3][0], 2.0, 1e-6, 0);
    nn_history_free(&h);
    rt_array_release(xv2); rt_array_release(yv2);
    rt_array_release(x); rt_array_release(y);
    nn_layer_release(d);
    nn_model_release(m);
}

TEST(test_errors)
{
    nn_model *m = nn_sequential(NULL);
    nn_layer *d = nn_dense(2, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    nn_model_add(m, d);
    double xv[6] = {1, 2, 3, 4, 5, 6}, yv[3] = {0, 1, 1};
    rt_array *x = arr2(xv, 3, 2), *y = arr1(yv, 3), *y2 = arr1(yv, 2);
    CHECK(nn_model_fit(m, x, y, NULL, NULL) == RT_EVALUE);
    CHECK_STR(rt_error_message(), "You must call `compile()` before using the model.");
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    CHECK(nn_model_compile(m, NN_LOSS_SCCE, &o, NULL, 0) == RT_OK);
    CHECK(nn_model_fit(m, x, y2, NULL, NULL) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "Data cardinality is ambiguous") != NULL);
    double bad[3] = {0, 2, 1};
    rt_array *yb = arr1(bad, 3);
    CHECK(nn_model_fit(m, x, yb, NULL, NULL) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "label value of 2 which is outside the valid range of [0, 2)") != NULL);
    CHECK(nn_model_fit(m, x, y, NULL, NULL) == RT_OK);
    rt_array *x3 = arr2(xv, 2, 3);
    CHECK(nn_model_predict(m, x3, 32) == NULL);
    CHECK(strstr(rt_error_message(), "incompatible") != NULL);
    CHECK(nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0) == RT_OK);
    CHECK(nn_model_fit(m, x, y, NULL, NULL) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "must have the same shape") != NULL);
    nn_activation a;
    CHECK(nn_activation_parse("gelu", &a) == -1 && strstr(rt_error_message(), "gelu"));
    nn_loss l;
    CHECK(nn_loss_parse("mse", &l) == 0 && l == NN_LOSS_MSE);
    CHECK(nn_loss_parse("hinge", &l) == -1);
    CHECK(nn_dense(0, NN_ACT_LINEAR, 1, 0, 0) == NULL);
    CHECK(nn_dropout(1.0) == NULL);
    /* Dense after a 2-D feature shape needs a Flatten */
    nn_model *m2 = nn_sequential(NULL);
    int64_t s2[2] = {2, 3};
    nn_layer *in = nn_input(s2, 2), *d2 = nn_dense(2, NN_ACT_LINEAR, 1, 0, 0);
    CHECK(nn_model_add(m2, in) == RT_OK);
    CHECK(nn_model_add(m2, d2) == RT_EVALUE && strstr(rt_error_message(), "Flatten"));
    CHECK(nn_model_num_layers(m2) == 0);
    nn_layer_release(in); nn_layer_release(d2); nn_model_release(m2);
    rt_array_release(x); rt_array_release(x3); rt_array_release(y); rt_array_release(y2); rt_array_release(yb);
    nn_layer_release(d);
    nn_model_release(m);
}

/* ---- save / load ----------------------------------------------------------------------- */

TEST(test_save_load_roundtrip)
{
    char path[] = "/tmp/cgpu_nn_testXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    rt_seed(21);
    nn_model *m = nn_sequential("saved");
    int64_t in[1] = {3};
    nn_layer *ls[4] = {nn_input(in, 1), nn_dense(5, NN_ACT_TANH, 1, NN_INIT_HE_NORMAL, NN_INIT_ZEROS), nn_dropout(0.25),
                       nn_dense(2, NN_ACT_SIGMOID, 0, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS)};
    for (int i = 0; i < 4; i++) { nn_model_add(m, ls[i]); nn_layer_release(ls[i]); }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_RMSPROP);
    o.learning_rate = 0.01;
    nn_metric mt = NN_METRIC_ACCURACY;
    CHECK(nn_model_compile(m, NN_LOSS_BCE, &o, &mt, 1) == RT_OK);
    double xv[24], yv[16];
    for (int i = 0; i < 24; i++) xv[i] = sin(i);
    for (int i = 0; i < 16; i++) yv[i] = (i * 7) % 3 == 0;
    rt_array *x = arr2(xv, 8, 3), *y = arr2(yv, 8, 2);
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 3;
    CHECK(nn_model_fit(m, x, y, &fo, NULL) == RT_OK);
    CHECK(nn_model_save(m, path) == RT_OK);
    nn_model *l = nn_model_load(path);
    CHECK(l != NULL);
    if (!l) { fprintf(stderr, "load: %s\n", rt_error_message()); return; }
    CHECK_STR(nn_model_name(l), "saved");
    CHECK(nn_model_num_layers(l) == 3 && nn_model_is_compiled(l) && nn_model_iterations(l) == 3);
    nn_layer_info i1, i2;
    nn_layer_get_info(nn_model_layer(l, 0), &i1);
    nn_layer_get_info(nn_model_layer(m, 0), &i2);
    CHECK_STR(i1.name, i2.name);
    double p1[32], p2[32];
    int64_t np;
    CHECK(nn_model_count_params(l, &np) == RT_OK && np == 30);
    CHECK(nn_model_get_params(m, 0, p1) == RT_OK && nn_model_get_params(l, 0, p2) == RT_OK);
    CHECK(memcmp(p1, p2, sizeof(double) * 30) == 0);
    /* same optimizer state: further training gives identical weights */
    rt_seed(8);
    CHECK(nn_model_fit(m, x, y, &fo, NULL) == RT_OK);
    rt_seed(8);
    CHECK(nn_model_fit(l, x, y, &fo, NULL) == RT_OK);
    CHECK(nn_model_get_params(m, 0, p1) == RT_OK && nn_model_get_params(l, 0, p2) == RT_OK);
    CHECK(memcmp(p1, p2, sizeof(double) * 30) == 0);
    nn_model_release(l);
    /* damaged files are refused with a message */
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    CHECK(ftruncate(fileno(f), len - 5) == 0);
    fclose(f);
    CHECK(nn_model_load(path) == NULL && strstr(rt_error_message(), "truncated"));
    f = fopen(path, "wb");
    fputs("not a model", f);
    fclose(f);
    CHECK(nn_model_load(path) == NULL && strstr(rt_error_message(), "not a C-GPU model file"));
    CHECK(nn_model_load("/nonexistent/dir/model.cgnn") == NULL && strstr(rt_error_message(), "cannot open"));
    unlink(path);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m);
}

/* more than 1024 epochs: the device-side ring of epoch sums wraps; the
 * history must equal the one read epoch by epoch (progress callback) */
static int count_ends(void *ctx, const nn_progress *p) { if (p->epoch_end) (*(int *)ctx)++; return 0; }

TEST(test_long_fit_ring)
{
    nn_history h1, h2;
    rt_array *x = arr1(celsius, 8), *y = arr1(fahrenheit, 8);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 2500;
    o.batch_size = 4;
    rt_seed(4);
    nn_model *a = celsius_model();
    CHECK(nn_model_fit(a, x, y, &o, &h1) == RT_OK);
    rt_seed(4);
    nn_model *b = celsius_model();
    int ends = 0;
    o.progress = count_ends;
    o.progress_ctx = &ends;
    o.progress_interval = -1;
    CHECK(nn_model_fit(b, x, y, &o, &h2) == RT_OK);
    CHECK(ends == 2500 && h1.epochs == 2500 && h2.epochs == 2500);
    int same = 1;
    for (int e = 0; e < 2500; e++) same &= h1.values[0][e] == h2.values[0][e];
    CHECK(same);
    CHECK(h1.values[0][2499] < h1.values[0][0]);
    nn_history_free(&h1); nn_history_free(&h2);
    nn_model_release(a); nn_model_release(b);
    rt_array_release(x); rt_array_release(y);
}

/* Keras: build() on a built model keeps its weights; a new layer rebuilds */
TEST(test_build_twice_keeps_weights)
{
    nn_model *m = celsius_model();
    double a[2], b[2];
    CHECK(nn_model_get_params(m, 0, a) == RT_OK);
    CHECK(nn_model_build(m, (int64_t[]){1}, 1) == RT_OK);
    CHECK(nn_model_get_params(m, 0, b) == RT_OK);
    CHECK(a[0] == b[0] && a[1] == b[1]);
    nn_layer *d = nn_dense(3, NN_ACT_RELU, 1, NN_INIT_ONES, NN_INIT_ZEROS);
    CHECK(nn_model_add(m, d) == RT_OK);
    int64_t np;
    CHECK(nn_model_count_params(m, &np) == RT_OK && np == 2 + 6);
    nn_layer_release(d);
    nn_model_release(m);
}

/* ---- hooks: Keras's call order, stop and fail ------------------------------------------ */

typedef struct {
    char   log[2048];
    int    stop_at_step;   /* batch_end of this global step answers STOP (-1: never) */
    int    fail_at_epoch;  /* epoch_end of this epoch answers FAIL (-1: never) */
    int    steps;
    double first_epoch_loss;
} hook_rec;

static void rec(hook_rec *r, const char *s) { strncat(r->log, s, sizeof r->log - strlen(r->log) - 1); }
static int h_train_begin(void *c) { rec(c, "T"); return NN_HOOK_CONTINUE; }
static int h_epoch_begin(void *c, int e) { char b[16]; snprintf(b, sizeof b, "E%d", e); rec(c, b); return NN_HOOK_CONTINUE; }
static int h_batch_begin(void *c, int e, int64_t s) { (void)e; char b[16]; snprintf(b, sizeof b, "b%lld", (long long)s); rec(c, b); return NN_HOOK_CONTINUE; }
static int h_batch_end(void *c, int e, int64_t s, const nn_logs *lg)
{
    hook_rec *r = c;
    (void)e; (void)s;
    rec(r, lg->n == 1 && !strcmp(lg->names[0], "loss") && lg->values[0] >= 0 ? "." : "?");
    return r->steps++ == r->stop_at_step ? NN_HOOK_STOP : NN_HOOK_CONTINUE;
}
static int h_epoch_end(void *c, int e, const nn_logs *lg)
{
    hook_rec *r = c;
    char b[32];
    snprintf(b, sizeof b, "e%d:%d", e, lg->n);
    rec(r, b);
    if (e == 0) r->first_epoch_loss = lg->values[0];
    return e == r->fail_at_epoch ? NN_HOOK_FAIL : NN_HOOK_CONTINUE;
}
static int h_train_end(void *c, const nn_logs *lg) { char b[16]; snprintf(b, sizeof b, "t%d", lg->n); rec(c, b); return NN_HOOK_CONTINUE; }

TEST(test_fit_hooks_order_stop_and_fail)
{
    nn_model *m = celsius_model();
    CHECK(m != NULL);
    if (!m) return;
    rt_array *x = arr1(celsius, 8), *y = arr1(fahrenheit, 8);
    nn_fit_hooks hk = {NULL, h_train_begin, h_epoch_begin, h_batch_begin, h_batch_end, h_epoch_end, h_train_end};
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 2;
    o.batch_size = 4;
    o.validation_split = 0.25;   /* 6 training rows: steps of 4 and 2; logs with val_loss */
    o.hooks = &hk;
    hook_rec r = {"", -1, -1, 0, 0};
    hk.ctx = &r;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    CHECK_STR(r.log, "TE0b0.b1.e0:2E1b0.b1.e1:2t2");
    CHECK(h.epochs == 2 && h.nkeys == 2 && h.values[0][0] == r.first_epoch_loss);
    nn_history_free(&h);

    /* no batch hooks: none called (the fused path), epochs still reported */
    hk.batch_begin = NULL;
    hk.batch_end = NULL;
    memset(&r, 0, sizeof r);
    r.stop_at_step = r.fail_at_epoch = -1;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    CHECK_STR(r.log, "TE0e0:2E1e1:2t2");
    nn_history_free(&h);

    /* STOP after the first step of epoch 0: that epoch validates and ends, then train_end; fit succeeds */
    hk.batch_end = h_batch_end;
    memset(&r, 0, sizeof r);
    r.stop_at_step = 0;
    r.fail_at_epoch = -1;
    o.epochs = 5;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_OK);
    CHECK_STR(r.log, "TE0.e0:2t2");
    CHECK(h.epochs == 1);
    nn_history_free(&h);

    /* FAIL in epoch 1's end: fit stops at once, no train_end, the history keeps what was read */
    memset(&r, 0, sizeof r);
    r.stop_at_step = -1;
    r.fail_at_epoch = 1;
    CHECK(nn_model_fit(m, x, y, &o, &h) == RT_EINTERRUPT);
    CHECK_STR(r.log, "TE0..e0:2E1..e1:2");
    CHECK(h.epochs == 2);
    nn_history_free(&h);
    rt_array_release(x);
    rt_array_release(y);
    nn_model_release(m);
}

int main(void)
{
    /* the CPU reference, also on machines with a GPU (rt_nn_gpu covers GPUs) */
    rt_push_device(cpu());
    RUN(test_celsius_fit);
    RUN(test_fit_hooks_order_stop_and_fail);
    RUN(test_celsius_repeatable);
    RUN(test_epoch_loss_is_pre_update_batch_loss);
    RUN(test_regression_converges);
    RUN(test_mlp_classifier);
    RUN(test_summary_table);
    RUN(test_unbuilt_model);
    RUN(test_get_set_weights);
    RUN(test_layer_names);
    RUN(test_partial_batches_and_progress);
    RUN(test_interrupt_between_steps);
    RUN(test_validation_split_is_last_fraction);
    RUN(test_errors);
    RUN(test_save_load_roundtrip);
    RUN(test_long_fit_ring);
    RUN(test_build_twice_keeps_weights);
    return test_summary();
}
