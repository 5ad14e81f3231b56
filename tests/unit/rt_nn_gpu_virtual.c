/* rt_nn_gpu_virtual.c — MirroredStrategy on virtual GPUs (one physical GPU
 * split into 4 logical ones before first use, hence its own binary): 2, 3
 * and 4 replicas train like one GPU, replicas stay bit-identical, uneven
 * and empty shards, fused and generic steps, and the shared-GPU all-reduce.
 * Skips without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static int have_gpus;
static rt_device *cpu(void) { return rt_device_get(RT_CPU, 0); }
static rt_device *gpu(int i) { return rt_device_get(RT_GPU, i); }

enum { N = 301, D = 10, K = 5 };
static double xs[N * D], ys[N];

static nn_model *make(nn_strategy *s, rt_device *home, int dropout)
{
    if (s) nn_strategy_enter(s);
    else rt_push_device(home);
    rt_seed(5);
    nn_model *m = nn_sequential(NULL);
    int64_t in[1] = {D};
    nn_layer *ls[4] = {nn_input(in, 1), nn_dense(24, NN_ACT_TANH, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS),
                       dropout ? nn_dropout(0.25) : nn_activation_layer(NN_ACT_RELU),
                       nn_dense(K, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS)};
    for (int i = 0; i < 4; i++) { nn_model_add(m, ls[i]); nn_layer_release(ls[i]); }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.01;
    nn_metric acc = NN_METRIC_ACCURACY;
    nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1);
    if (s) nn_strategy_exit(s);
    else rt_pop_device();
    return m;
}

static rt_status fit(nn_model *m, int64_t batch, nn_history *h)
{
    int64_t s2[2] = {N, D}, s1[1] = {N};
    rt_array *x = rt_from_host(xs, RT_FLOAT64, s2, 2, RT_FLOAT32, cpu());
    rt_array *y = rt_from_host(ys, RT_FLOAT64, s1, 1, RT_FLOAT32, cpu());
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 3;
    o.batch_size = batch;
    rt_seed(99);
    rt_status st = nn_model_fit(m, x, y, &o, h);
    rt_array_release(x);
    rt_array_release(y);
    return st;
}

static void mirrored_case(int64_t batch, int dropout, int fused)
{
    if (!fused) setenv("CGPU_NN_NO_FUSED", "1", 1);
    nn_model *ref = make(NULL, gpu(0), dropout);
    nn_history hr;
    CHECK(fit(ref, batch, &hr) == RT_OK);
    int64_t np = 0;
    nn_model_count_params(ref, &np);
    double *pr = malloc(sizeof(double) * np), *p0 = malloc(sizeof(double) * np), *pi = malloc(sizeof(double) * np);
    CHECK(nn_model_get_params(ref, 0, pr) == RT_OK);
    for (int n = 2; n <= 4; n++) {
        rt_device *devs[4] = {gpu(0), gpu(1), gpu(2), gpu(3)};
        nn_strategy *s = nn_strategy_new(devs, n, NN_XDEV_AUTO);
        CHECK(s && strstr(nn_strategy_describe(s), "shared GPU"));
        nn_model *m = make(s, NULL, dropout);
        nn_history h;
        rt_status st = fit(m, batch, &h);
        if (st) fprintf(stderr, "  %d virtual GPUs: %s\n", n, rt_error_message());
        CHECK(st == RT_OK);
        CHECK(nn_model_get_params(m, 0, p0) == RT_OK);
        double worst = 0;
        for (int64_t i = 0; i < np; i++) {
            double e = fabs(p0[i] - pr[i]) / (1e-3 + fabs(pr[i]));
            if (e > worst) worst = e;
        }
        if (!(worst <= 1e-4)) fprintf(stderr, "  batch %lld, %d replicas (%s): worst difference %.3e\n",
                                      (long long)batch, n, fused ? "fused" : "generic", worst);
        CHECK(worst <= 1e-4);
        for (int r = 1; r < n; r++) {
            CHECK(nn_model_get_params(m, r, pi) == RT_OK);
            CHECK(memcmp(pi, p0, sizeof(double) * np) == 0);
        }
        CHECK(h.epochs == 3);
        CHECK_NEAR(h.values[0][2], hr.values[0][2], 1e-5, 1e-4);
        nn_history_free(&h);
        nn_model_release(m);
        nn_strategy_release(s);
    }
    nn_history_free(&hr);
    free(pr); free(p0); free(pi);
    nn_model_release(ref);
    unsetenv("CGPU_NN_NO_FUSED");
}

TEST(test_virtual_even_fused)      { if (!have_gpus) SKIP("no GPU"); mirrored_case(40, 0, 1); }
TEST(test_virtual_uneven_fused)    { if (!have_gpus) SKIP("no GPU"); mirrored_case(7, 1, 1); }
TEST(test_virtual_tiny_generic)    { if (!have_gpus) SKIP("no GPU"); mirrored_case(2, 0, 0); }
TEST(test_virtual_uneven_generic)  { if (!have_gpus) SKIP("no GPU"); mirrored_case(33, 1, 0); }

TEST(test_virtual_allreduce)
{
    if (!have_gpus) SKIP("no GPU");
    for (int n = 2; n <= 4; n++) {
        rt_device *devs[4] = {gpu(0), gpu(1), gpu(2), gpu(3)};
        nn_strategy *s = nn_strategy_new(devs, n, NN_XDEV_AUTO);
        rt_array *a[4];
        int64_t sh[1] = {100000};
        for (int r = 0; r < n; r++) a[r] = rt_full(sh, 1, r + 0.5, RT_FLOAT32, devs[r]);
        CHECK(nn_strategy_allreduce(s, a) == RT_OK);
        for (int r = 0; r < n; r++) {
            double v;
            CHECK(rt_item(a[r], 99999, &v) == RT_OK);
            CHECK_NEAR(v, n * n / 2.0, 1e-6, 0);
            rt_array_release(a[r]);
        }
        nn_strategy_release(s);
    }
    rt_device *two[2] = {gpu(0), gpu(1)};
    CHECK(nn_strategy_new(two, 2, NN_XDEV_NCCL) == NULL);
    CHECK(strstr(rt_error_message(), "one replica per physical GPU") != NULL);
}

int main(void)
{
    if (rt_physical_device_count(RT_GPU) > 0 && rt_set_virtual_devices(RT_GPU, 4) == RT_OK &&
        rt_logical_device_count(RT_GPU) == 4)
        have_gpus = 1;
    else
        printf("  (no GPU to split: %s)\n", rt_gpu_unavailable_reason() ? rt_gpu_unavailable_reason() : rt_error_message());
    rt_seed(77);
    int64_t s[2] = {N, D};
    rt_array *x = rt_rand_normal(s, 2, 0, 1, RT_FLOAT64, cpu());
    rt_to_host(x, RT_FLOAT64, xs);
    rt_array_release(x);
    for (int i = 0; i < N; i++) {
        double t = xs[i * D] - xs[i * D + 3] + 0.3 * xs[i * D + 5];
        ys[i] = t < -1 ? 0 : t < -0.3 ? 1 : t < 0.3 ? 2 : t < 1 ? 3 : 4;
    }
    RUN(test_virtual_even_fused);
    RUN(test_virtual_uneven_fused);
    RUN(test_virtual_tiny_generic);
    RUN(test_virtual_uneven_generic);
    RUN(test_virtual_allreduce);
    return test_summary();
}
