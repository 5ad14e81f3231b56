/* rt_nn_gpu.c — training on a GPU against the CPU reference: gradients of
 * every layer/loss (generic kernels), whole fits through the fused
 * tiny-model step and through the generic path, the celsius tutorial, an
 * MLP classifier, predict/evaluate, and MirroredStrategy with NCCL on one
 * real GPU (one rank). Every test skips without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(void) { return rt_device_get(RT_CPU, 0); }
static rt_device *gpu(void) { return rt_logical_device_count(RT_GPU) > 0 ? rt_device_get(RT_GPU, 0) : NULL; }
#define NEED_GPU() do { if (!gpu()) SKIP("no GPU"); } while (0)

typedef struct {
    const char   *what;
    int64_t       in;
    int           nlayers;
    struct { char kind; int64_t units; nn_activation act; double rate; } l[4];
    nn_loss       loss;
    nn_metric     metric;
} net;

static const net nets[] = {
    {"celsius-like linear mse", 1, 1, {{'D', 1, NN_ACT_LINEAR, 0}}, NN_LOSS_MSE, NN_METRIC_MAE},
    {"relu/softmax scce", 12, 2, {{'D', 32, NN_ACT_RELU, 0}, {'D', 5, NN_ACT_SOFTMAX, 0}}, NN_LOSS_SCCE, NN_METRIC_ACCURACY},
    {"tanh/sigmoid bce", 7, 2, {{'D', 9, NN_ACT_TANH, 0}, {'D', 3, NN_ACT_SIGMOID, 0}}, NN_LOSS_BCE, NN_METRIC_ACCURACY},
    {"sigmoid/softmax cce", 6, 2, {{'D', 40, NN_ACT_SIGMOID, 0}, {'D', 4, NN_ACT_SOFTMAX, 0}}, NN_LOSS_CCE, NN_METRIC_ACCURACY},
    {"relu/dropout/linear mae", 5, 3, {{'D', 16, NN_ACT_RELU, 0}, {'R', 0, 0, 0.3}, {'D', 2, NN_ACT_LINEAR, 0}}, NN_LOSS_MAE, NN_METRIC_MSE},
    {"linear/Activation softmax + mse", 4, 3, {{'D', 6, NN_ACT_LINEAR, 0}, {'A', 0, NN_ACT_SOFTMAX, 0}, {'A', 0, NN_ACT_TANH, 0}}, NN_LOSS_MSE, NN_METRIC_MAE},
    {"wide relu/softmax", 64, 2, {{'D', 300, NN_ACT_RELU, 0}, {'D', 10, NN_ACT_SOFTMAX, 0}}, NN_LOSS_SCCE, NN_METRIC_ACCURACY},
};

/* the same model (seeded) on device d */
static nn_model *make(const net *n, rt_device *d)
{
    rt_push_device(d);
    rt_seed(31);
    nn_model *m = nn_sequential(NULL);
    int64_t s[1] = {n->in};
    nn_layer *in = nn_input(s, 1);
    nn_model_add(m, in);
    nn_layer_release(in);
    for (int i = 0; i < n->nlayers; i++) {
        nn_layer *l = n->l[i].kind == 'D' ? nn_dense(n->l[i].units, n->l[i].act, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS)
                    : n->l[i].kind == 'A' ? nn_activation_layer(n->l[i].act) : nn_dropout(n->l[i].rate);
        nn_model_add(m, l);
        nn_layer_release(l);
    }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.01;
    nn_model_compile(m, n->loss, &o, &n->metric, 1);
    rt_pop_device();
    return m;
}

static void data_for(const net *n, int rows, rt_array **x, rt_array **y)
{
    rt_seed(55);
    int64_t xs[2] = {rows, n->in};
    *x = rt_rand_normal(xs, 2, 0, 1, RT_FLOAT32, cpu());
    int64_t units = n->l[n->nlayers - 1].units ? n->l[n->nlayers - 1].units : 6;
    for (int i = n->nlayers - 1; i >= 0; i--) if (n->l[i].kind == 'D') { units = n->l[i].units; break; }
    uint32_t *u = malloc(sizeof(uint32_t) * rows * units);
    rt_rand_host_u32(u, (size_t)(rows * units));
    double *yv = malloc(sizeof(double) * rows * units);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < units; j++) {
            double r = (u[i * units + j] % 1000) / 1000.0;
            switch (n->loss) {
            case NN_LOSS_SCCE: yv[i] = u[i * units] % units; break;
            case NN_LOSS_CCE: yv[i * units + j] = (int)(u[i * units] % units) == j; break;
            case NN_LOSS_BCE: yv[i * units + j] = r > 0.5; break;
            default: yv[i * units + j] = 2 * r - 1; break;
            }
        }
    int64_t ys[2] = {rows, units};
    *y = rt_from_host(yv, RT_FLOAT64, ys, n->loss == NN_LOSS_SCCE ? 1 : 2, RT_FLOAT32, cpu());
    free(u);
    free(yv);
}

static double rel_diff(const double *a, const double *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
    return sqrt(num) / (sqrt(den) + 1e-30);
}

TEST(test_gradients_cpu_vs_gpu)
{
    NEED_GPU();
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        nn_model *mc = make(&nets[k], cpu()), *mg = make(&nets[k], gpu());
        rt_array *x, *y;
        data_for(&nets[k], 37, &x, &y);
        int64_t np = 0;
        CHECK(nn_model_build(mc, &nets[k].in, 1) == RT_OK && nn_model_build(mg, &nets[k].in, 1) == RT_OK);
        nn_model_count_params(mc, &np);
        double *gc = malloc(sizeof(double) * np), *gg = malloc(sizeof(double) * np), lc, lg;
        CHECK(nn_model_gradients(mc, x, y, 1, 4, &lc, gc) == RT_OK);
        rt_status st = nn_model_gradients(mg, x, y, 1, 4, &lg, gg);
        if (st) fprintf(stderr, "  %s: %s\n", nets[k].what, rt_error_message());
        CHECK(st == RT_OK);
        CHECK_NEAR(lg, lc, 1e-6, 1e-5);
        double e = rel_diff(gg, gc, np);
        if (!(e < 1e-4)) fprintf(stderr, "  %s: gradient relative difference %.3e\n", nets[k].what, e);
        CHECK(e < 1e-4);
        free(gc); free(gg);
        rt_array_release(x); rt_array_release(y);
        nn_model_release(mc); nn_model_release(mg);
    }
}

/* whole fits, fused (default) and generic: same weights and history as the CPU */
static void fit_cpu_vs_gpu(int fused)
{
    if (!fused) setenv("CGPU_NN_NO_FUSED", "1", 1);
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        nn_model *mc = make(&nets[k], cpu()), *mg = make(&nets[k], gpu());
        rt_array *x, *y;
        data_for(&nets[k], 100, &x, &y);
        nn_fit_options o;
        nn_fit_options_init(&o);
        o.epochs = 4;
        o.batch_size = 16;
        o.validation_split = 0.2;
        nn_history hc, hg;
        rt_seed(3);
        CHECK(nn_model_fit(mc, x, y, &o, &hc) == RT_OK);
        rt_seed(3);
        rt_status st = nn_model_fit(mg, x, y, &o, &hg);
        if (st) fprintf(stderr, "  %s: %s\n", nets[k].what, rt_error_message());
        CHECK(st == RT_OK);
        int64_t np = 0;
        nn_model_count_params(mc, &np);
        double *pc = malloc(sizeof(double) * np), *pg = malloc(sizeof(double) * np);
        CHECK(nn_model_get_params(mc, 0, pc) == RT_OK && nn_model_get_params(mg, 0, pg) == RT_OK);
        double e = rel_diff(pg, pc, np);
        if (!(e < 1e-4)) fprintf(stderr, "  %s (%s): weights differ by %.3e\n", nets[k].what, fused ? "fused" : "generic", e);
        CHECK(e < 1e-4);
        CHECK(hc.epochs == 4 && hg.epochs == 4 && hc.nkeys == hg.nkeys);
        for (int q = 0; q < hc.nkeys && q < hg.nkeys; q++) CHECK_NEAR(hg.values[q][3], hc.values[q][3], 1e-5, 1e-3);
        nn_history_free(&hc); nn_history_free(&hg);
        free(pc); free(pg);
        rt_array_release(x); rt_array_release(y);
        nn_model_release(mc); nn_model_release(mg);
    }
    unsetenv("CGPU_NN_NO_FUSED");
}
TEST(test_fit_cpu_vs_gpu_fused)   { NEED_GPU(); fit_cpu_vs_gpu(1); }
TEST(test_fit_cpu_vs_gpu_generic) { NEED_GPU(); fit_cpu_vs_gpu(0); }

static const double celsius[8] = {-40, -10, 0, 8, 15, 22, 38, 45};
static const double fahrenheit[8] = {-40, 14, 32, 46, 59, 72, 100, 113};

static double celsius_on_gpu(double *w)
{
    const net n = {"celsius", 1, 1, {{'D', 1, NN_ACT_LINEAR, 0}}, NN_LOSS_MSE, NN_METRIC_MAE};
    nn_model *m = make(&n, gpu());
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.1;
    nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0);
    int64_t s[1] = {8};
    rt_array *x = rt_from_host(celsius, RT_FLOAT64, s, 1, RT_FLOAT32, cpu());
    rt_array *y = rt_from_host(fahrenheit, RT_FLOAT64, s, 1, RT_FLOAT32, cpu());
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 500;
    rt_seed(1);
    double v = NAN, hundred = 100, p[2];
    if (nn_model_fit(m, x, y, &fo, NULL) == RT_OK) {
        int64_t one[1] = {1};
        rt_array *q = rt_from_host(&hundred, RT_FLOAT64, one, 1, RT_FLOAT32, gpu());
        rt_array *r = nn_model_predict(m, q, 32);
        if (r) rt_item(r, 0, &v);
        rt_array_release(q);
        rt_array_release(r);
        nn_model_get_params(m, 0, p);
        *w = p[0];
    } else {
        fprintf(stderr, "  celsius on GPU: %s\n", rt_error_message());
    }
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m);
    return v;
}

TEST(test_celsius_on_gpu)
{
    NEED_GPU();
    double w1, w2;
    double p1 = celsius_on_gpu(&w1), p2 = celsius_on_gpu(&w2);
    printf("  celsius on %s: predict(100) = %.4f, w = %.4f\n", rt_device_name(gpu()), p1, w1);
    CHECK_NEAR(p1, 212.0, 2.0, 0);
    CHECK_NEAR(w1, 1.8, 0.1, 0);
    CHECK(p1 == p2 && w1 == w2);   /* repeatable: fixed reduction orders */
}

/* data already on the GPU is used in place */
TEST(test_mlp_with_device_data)
{
    NEED_GPU();
    enum { N = 4096, D = 32, K = 10 };
    rt_seed(12);
    int64_t cs[2] = {K, D}, xs[2] = {N, D};
    rt_array *centres = rt_rand_normal(cs, 2, 0, 1, RT_FLOAT32, cpu());
    float c[K * D], *xv = malloc(sizeof(float) * N * D), yv[N];
    rt_to_host(centres, RT_FLOAT32, c);
    rt_array *noise = rt_rand_normal(xs, 2, 0, 0.35, RT_FLOAT32, cpu());
    rt_to_host(noise, RT_FLOAT32, xv);
    uint32_t lab[N];
    rt_rand_host_u32(lab, N);
    for (int i = 0; i < N; i++) { yv[i] = lab[i] % K; for (int j = 0; j < D; j++) xv[i * D + j] += c[(lab[i] % K) * D + j]; }
    int64_t ys[1] = {N};
    rt_array *x = rt_from_host(xv, RT_FLOAT32, xs, 2, RT_FLOAT32, gpu());
    rt_array *y = rt_from_host(yv, RT_FLOAT32, ys, 1, RT_FLOAT32, gpu());
    const net n = {"mlp", D, 2, {{'D', 64, NN_ACT_RELU, 0}, {'D', K, NN_ACT_SOFTMAX, 0}}, NN_LOSS_SCCE, NN_METRIC_ACCURACY};
    nn_model *m = make(&n, gpu());
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    nn_model_compile(m, NN_LOSS_SCCE, &o, &n.metric, 1);
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 4;
    fo.batch_size = 128;
    nn_history h;
    CHECK(nn_model_fit(m, x, y, &fo, &h) == RT_OK);
    CHECK(h.epochs == 4 && h.values[1][3] >= 0.95);
    double ev[2];
    int ne;
    CHECK(nn_model_evaluate(m, x, y, 256, ev, &ne) == RT_OK && ne == 2 && ev[1] >= 0.95);
    rt_array *p = nn_model_predict(m, x, 1000);
    CHECK(p && p->shape[0] == N && p->shape[1] == K && p->device == cpu());
    nn_history_free(&h);
    rt_array_release(p);
    rt_array_release(x); rt_array_release(y); rt_array_release(centres); rt_array_release(noise);
    nn_model_release(m);
    free(xv);
}

/* MirroredStrategy on the real GPU: NCCL with one rank */
TEST(test_nccl_one_rank)
{
    NEED_GPU();
    rt_device *g = gpu();
    nn_strategy *s = nn_strategy_new(&g, 1, NN_XDEV_NCCL);
    if (!s && strstr(rt_error_message(), "no NCCL")) SKIP("no NCCL in this build");
    CHECK(s != NULL);
    if (!s) return;
    printf("  %s\n", nn_strategy_describe(s));
    CHECK(strstr(nn_strategy_describe(s), "(all-reduce: NCCL)") != NULL);
    int64_t sh[1] = {1 << 20};
    rt_array *a = rt_full(sh, 1, 1.5, RT_FLOAT32, g);
    CHECK(nn_strategy_allreduce(s, &a) == RT_OK);
    double v;
    CHECK(rt_item(a, (1 << 20) - 1, &v) == RT_OK && v == 1.5);
    rt_array_release(a);
    /* the default strategy on a one-GPU machine */
    nn_strategy *d = nn_strategy_new(NULL, 0, NN_XDEV_AUTO);
    CHECK(d && nn_strategy_num_replicas(d) == rt_logical_device_count(RT_GPU));
    nn_strategy_release(d);
    /* a mirrored celsius fit equals the plain one */
    const net n = {"celsius", 1, 1, {{'D', 1, NN_ACT_LINEAR, 0}}, NN_LOSS_MSE, NN_METRIC_MAE};
    nn_strategy_enter(s);
    nn_model *mm = make(&n, g);
    nn_strategy_exit(s);
    nn_model *mp = make(&n, g);
    CHECK(nn_model_num_replicas(mm) == 1 && nn_model_strategy(mm) == s);
    int64_t s8[1] = {8};
    rt_array *x = rt_from_host(celsius, RT_FLOAT64, s8, 1, RT_FLOAT32, cpu());
    rt_array *y = rt_from_host(fahrenheit, RT_FLOAT64, s8, 1, RT_FLOAT32, cpu());
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 50;
    rt_seed(2);
    CHECK(nn_model_fit(mm, x, y, &fo, NULL) == RT_OK);
    rt_seed(2);
    CHECK(nn_model_fit(mp, x, y, &fo, NULL) == RT_OK);
    double a2[2], b2[2];
    CHECK(nn_model_get_params(mm, 0, a2) == RT_OK && nn_model_get_params(mp, 0, b2) == RT_OK);
    CHECK(a2[0] == b2[0] && a2[1] == b2[1]);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(mm); nn_model_release(mp);
    nn_strategy_release(s);
}

int main(void)
{
    if (!gpu()) printf("  (no GPU: %s)\n", rt_gpu_unavailable_reason() ? rt_gpu_unavailable_reason() : "none found");
    RUN(test_gradients_cpu_vs_gpu);
    RUN(test_fit_cpu_vs_gpu_fused);
    RUN(test_fit_cpu_vs_gpu_generic);
    RUN(test_celsius_on_gpu);
    RUN(test_mlp_with_device_data);
    RUN(test_nccl_one_rank);
    return test_summary();
}
