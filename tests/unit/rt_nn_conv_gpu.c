/* rt_nn_conv_gpu.c — CNNs on a GPU against the CPU reference: one batch's
 * gradients (every image layer, BatchNormalization in training), whole fits
 * of a small CNN (weights, moving statistics, history), predict of the
 * class's tutorial CNN, and a mirrored CNN on two virtual GPUs against one
 * GPU. Every test skips without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(void) { return rt_device_get(RT_CPU, 0); }
static rt_device *gpu(int i) { return rt_logical_device_count(RT_GPU) > i ? rt_device_get(RT_GPU, i) : NULL; }
#define NEED_GPU() do { if (!gpu(0)) SKIP("no GPU"); } while (0)

static const int64_t K22[2] = {2, 2}, K33[2] = {3, 3}, S21[2] = {2, 1};

/* conv same (strided) -> BN -> max pool same -> conv dilated -> avg pool ->
 * global average -> dense softmax, on device d (NULL: strategy scope) */
static nn_model *make_cnn(rt_device *d, nn_strategy *s)
{
    if (d) rt_push_device(d);
    if (s) nn_strategy_enter(s);
    rt_seed(17);
    nn_model *m = nn_sequential(NULL);
    int64_t in[3] = {12, 11, 3};
    nn_layer *ls[] = {
        nn_input(in, 3),
        nn_conv2d(8, K33, S21, NN_PAD_SAME, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, NULL),
        nn_batch_norm(-1, 0.9, 1e-3, 1, 1),
        nn_pool2d(NN_LAYER_MAXPOOL2D, K33, K22, NN_PAD_SAME),
        nn_conv2d(6, K22, NULL, NN_PAD_SAME, NN_ACT_TANH, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS, K22),
        nn_pool2d(NN_LAYER_AVGPOOL2D, K22, NULL, NN_PAD_SAME),
        nn_global_pool2d(NN_LAYER_GLOBAL_AVGPOOL2D),
        nn_dense(4, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS)};
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) { nn_model_add(m, ls[i]); nn_layer_release(ls[i]); }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.01;
    nn_metric acc = NN_METRIC_ACCURACY;
    nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1);
    if (s) nn_strategy_exit(s);
    if (d) rt_pop_device();
    return m;
}

enum { N = 96 };
static void data(rt_array **x, rt_array **y)
{
    rt_seed(55);
    int64_t xs[4] = {N, 12, 11, 3};
    *x = rt_rand_normal(xs, 4, 0, 1, RT_FLOAT32, cpu());
    float xv[N * 12 * 11 * 3], yv[N];
    rt_to_host(*x, RT_FLOAT32, xv);
    for (int i = 0; i < N; i++) yv[i] = (float)((xv[i * 396] > 0) + 2 * (xv[i * 396 + 200] > 0));
    int64_t ys[1] = {N};
    *y = rt_from_host(yv, RT_FLOAT32, ys, 1, RT_FLOAT32, cpu());
}

static double worst_diff(const double *a, const double *b, int64_t n)
{
    double w = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(a[i] - b[i]) / (1e-3 + fabs(b[i]));
        if (e > w) w = e;
    }
    return w;
}

TEST(test_cnn_gradients_cpu_vs_gpu)
{
    NEED_GPU();
    rt_array *x, *y;
    data(&x, &y);
    nn_model *mc = make_cnn(cpu(), NULL), *mg = make_cnn(gpu(0), NULL);
    int64_t np = 0;
    nn_model_build(mc, (int64_t[]){12, 11, 3}, 3);
    nn_model_build(mg, (int64_t[]){12, 11, 3}, 3);
    nn_model_count_params(mc, &np);
    double *gc = malloc(sizeof(double) * np), *gg = malloc(sizeof(double) * np), lc = 0, lg = 0;
    CHECK(nn_model_gradients(mc, x, y, 1, 3, &lc, gc) == RT_OK);
    rt_status st = nn_model_gradients(mg, x, y, 1, 3, &lg, gg);
    if (st) fprintf(stderr, "  GPU gradients: %s\n", rt_error_message());
    CHECK(st == RT_OK);
    CHECK_NEAR(lg, lc, 1e-5, 1e-4);
    double w = worst_diff(gg, gc, np);
    if (!(w < 1e-3)) fprintf(stderr, "  worst relative gradient difference %.3e\n", w);
    CHECK(w < 1e-3);
    free(gc); free(gg);
    nn_model_release(mc); nn_model_release(mg);
    rt_array_release(x); rt_array_release(y);
}

TEST(test_cnn_fit_cpu_vs_gpu)
{
    NEED_GPU();
    rt_array *x, *y;
    data(&x, &y);
    nn_model *ms[2] = {make_cnn(cpu(), NULL), make_cnn(gpu(0), NULL)};
    nn_history h[2];
    for (int k = 0; k < 2; k++) {
        nn_fit_options o;
        nn_fit_options_init(&o);
        o.epochs = 3;
        o.batch_size = 16;
        o.validation_split = 0.25;
        rt_seed(9);
        rt_status st = nn_model_fit(ms[k], x, y, &o, &h[k]);
        if (st) fprintf(stderr, "  fit on %s: %s\n", k ? "GPU" : "CPU", rt_error_message());
        CHECK(st == RT_OK);
    }
    int64_t np = 0;
    nn_model_count_params(ms[0], &np);
    double *pc = malloc(sizeof(double) * np), *pg = malloc(sizeof(double) * np);
    nn_model_get_params(ms[0], 0, pc);
    nn_model_get_params(ms[1], 0, pg);
    double w = worst_diff(pg, pc, np);
    if (!(w < 2e-3)) fprintf(stderr, "  worst relative weight difference after 3 epochs %.3e\n", w);
    CHECK(w < 2e-3);
    for (int k = 0; k < h[0].nkeys; k++) CHECK_NEAR(h[1].values[k][2], h[0].values[k][2], 2e-3, 2e-3);
    rt_array *pcpu = nn_model_predict(ms[0], x, 32), *pgpu = nn_model_predict(ms[1], x, 32);
    float a[N * 4], b[N * 4];
    CHECK(pcpu && pgpu && rt_to_host(pcpu, RT_FLOAT32, a) == RT_OK && rt_to_host(pgpu, RT_FLOAT32, b) == RT_OK);
    for (int i = 0; i < N * 4; i++) CHECK_NEAR(b[i], a[i], 2e-3, 2e-3);
    rt_array_release(pcpu); rt_array_release(pgpu);
    for (int k = 0; k < 2; k++) { nn_history_free(&h[k]); nn_model_release(ms[k]); }
    free(pc); free(pg);
    rt_array_release(x); rt_array_release(y);
}

TEST(test_mirrored_cnn_on_virtual_gpus)
{
    NEED_GPU();
    if (!gpu(1)) SKIP("needs 2 logical GPUs (the binary splits GPU 0 when it can)");
    rt_array *x, *y;
    data(&x, &y);
    rt_device *devs[2] = {gpu(0), gpu(1)};
    nn_strategy *s = nn_strategy_new(devs, 2, NN_XDEV_AUTO);
    nn_model *m = make_cnn(NULL, s);
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 2;
    o.batch_size = 16;
    CHECK(nn_model_fit(m, x, y, &o, NULL) == RT_OK);
    int64_t np = 0;
    nn_model_count_params(m, &np);
    double *p0 = malloc(sizeof(double) * np), *p1 = malloc(sizeof(double) * np);
    nn_model_get_params(m, 0, p0);
    nn_model_get_params(m, 1, p1);
    CHECK(memcmp(p0, p1, sizeof(double) * np) == 0);   /* moving statistics included */
    free(p0); free(p1);
    nn_model_release(m);
    nn_strategy_release(s);
    rt_array_release(x); rt_array_release(y);
}

int main(void)
{
    if (rt_physical_device_count(RT_GPU) == 1) rt_set_virtual_devices(RT_GPU, 2);
    RUN(test_cnn_gradients_cpu_vs_gpu);
    RUN(test_cnn_fit_cpu_vs_gpu);
    RUN(test_mirrored_cnn_on_virtual_gpus);
    return test_summary();
}
