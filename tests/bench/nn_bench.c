/* nn_bench.c — training benchmarks (tests/bench/nn_bench.sh runs it next to
 * PyTorch, nn_peers.py).
 *
 *   nn_bench [what...]      what: celsius, strategy, mlp, mlp-cpu, allreduce
 *                           (default: celsius strategy mlp allreduce)
 *   nn_bench virtual N      all-reduce over N virtual GPUs (splits GPU 0
 *                           first, so it runs alone)
 *
 * celsius   the tutorial's fit (8 pairs, Dense(1), Adam(0.1), 500 epochs,
 *           batch 32 -> one step per epoch): wall time of fit(), median of
 *           7 runs after a warm-up, on CPU:0 and GPU:0.
 * strategy  the same fit inside a one-replica MirroredStrategy on the same
 *           device: the overhead over the plain fit.
 * mlp       one epoch over 60000 x 784 random float32 inputs (on the GPU),
 *           Dense(64 relu) -> Dense(10 softmax), sparse categorical
 *           crossentropy, Adam, batch 128 (469 steps): median of 3 epochs
 *           after a warm-up epoch. mlp-cpu: the same on CPU:0 (1 epoch).
 * allreduce the strategy's all-reduce (SUM, in place) over every GPU, 1 KB
 *           to 256 MB: time per call (average of a batch of calls, then one
 *           synchronisation), algbw = bytes / time, busbw = algbw * 2(n-1)/n
 *           (nccl-tests' formula; with one rank busbw is 0 and algbw is the
 *           cost of the call itself).
 *
 * Prints "key=value" lines, e.g. "celsius device=GPU:0 ms=3.21".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu_stats.h"
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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what)
{
    fprintf(stderr, "nn_bench: %s: %s\n", what, rt_error_message());
    exit(1);
}

/* ---- celsius --------------------------------------------------------------------- */

static const double celsius[8] = {-40, -10, 0, 8, 15, 22, 38, 45};
static const double fahrenheit[8] = {-40, 14, 32, 46, 59, 72, 100, 113};

static nn_model *celsius_model(void)
{
    nn_model *m = nn_sequential(NULL);
    int64_t one[1] = {1};
    nn_layer *in = nn_input(one, 1), *d = nn_dense(1, NN_ACT_LINEAR, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    if (!m || nn_model_add(m, in) || nn_model_add(m, d)) die("celsius model");
    nn_layer_release(in);
    nn_layer_release(d);
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.1;
    if (nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0)) die("compile");
    return m;
}

/* One fit() of the celsius model on `dev` (s: inside that one-replica
 * MirroredStrategy), in seconds; *pred gets predict(100) when not NULL. */
static double celsius_fit_once(rt_device *dev, nn_strategy *s, uint64_t seed, const rt_array *x, const rt_array *y,
                               double *pred)
{
    rt_seed(seed);
    if (s) nn_strategy_enter(s);
    else rt_push_device(dev);
    nn_model *m = celsius_model();
    if (s) nn_strategy_exit(s);
    else rt_pop_device();
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = 500;
    double t0 = now();
    if (nn_model_fit(m, x, y, &o, NULL)) die("celsius fit");
    double t = now() - t0;
    if (pred) {
        double h = 100;
        int64_t one[1] = {1};
        rt_array *q = rt_from_host(&h, RT_FLOAT64, one, 1, RT_FLOAT32, rt_device_get(RT_CPU, 0));
        rt_array *p = nn_model_predict(m, q, 32);
        if (!p || rt_item(p, 0, pred)) die("predict");
        rt_array_release(p);
        rt_array_release(q);
    }
    nn_model_release(m);
    return t;
}

/* Plain and one-replica-mirrored fits alternate (so that drift in the
 * machine's load hits both alike); medians of 15 each after a warm-up. */
static void bench_celsius(int with_strategy)
{
    rt_device *devs[2] = {rt_device_get(RT_CPU, 0), rt_device_get(RT_GPU, 0)};
    int64_t s8[1] = {8};
    rt_array *x = rt_from_host(celsius, RT_FLOAT64, s8, 1, RT_FLOAT32, rt_device_get(RT_CPU, 0));
    rt_array *y = rt_from_host(fahrenheit, RT_FLOAT64, s8, 1, RT_FLOAT32, rt_device_get(RT_CPU, 0));
    for (int i = 0; i < 2; i++) {
        if (!devs[i]) continue;
        nn_strategy *s = nn_strategy_new(&devs[i], 1, NN_XDEV_AUTO);
        if (!s) die("strategy");
        double pred = 0, tp[15], tm[15];
        celsius_fit_once(devs[i], NULL, 1, x, y, &pred);   /* warm-up */
        celsius_fit_once(devs[i], s, 1, x, y, NULL);
        for (int k = 0; k < 15; k++) {
            tp[k] = celsius_fit_once(devs[i], NULL, 2 + (uint64_t)k, x, y, NULL);
            if (with_strategy) tm[k] = celsius_fit_once(devs[i], s, 2 + (uint64_t)k, x, y, NULL);
        }
        double plain = median(tp, 15);
        if (!with_strategy) {
            printf("celsius device=%s ms=%.3f us_per_epoch=%.2f predict100=%.4f\n", rt_device_name(devs[i]),
                   plain * 1e3, plain * 1e6 / 500, pred);
        } else {
            double mirrored = median(tm, 15);
            printf("strategy device=%s plain_ms=%.3f mirrored1_ms=%.3f overhead_pct=%.1f (%s)\n",
                   rt_device_name(devs[i]), plain * 1e3, mirrored * 1e3, 100.0 * (mirrored - plain) / plain,
                   nn_strategy_describe(s));
        }
        nn_strategy_release(s);
    }
    rt_array_release(x);
    rt_array_release(y);
    fflush(stdout);
}

/* ---- mlp -------------------------------------------------------------------------- */

/* `name`: mlp (784 -> 64 relu -> 10 softmax) or fmnist (the class's
 * Fashion-MNIST MLP: 784 -> 512 relu -> Dropout(0.2) -> 10 softmax), Adam,
 * batch 128, one epoch over 60000 random rows; median of `epochs` epochs
 * after a warm-up epoch. */
static void bench_mlp(rt_device *dev, int epochs, const char *name, int64_t hidden, double dropout)
{
    enum { N = 60000, D = 784, K = 10 };
    rt_seed(7);
    int64_t xs[2] = {N, D}, ys[1] = {N};
    rt_array *x = rt_rand_uniform(xs, 2, 0, 1, RT_FLOAT32, dev);
    rt_array *yr = rt_rand_uniform(ys, 1, 0, K, RT_FLOAT32, dev);
    rt_array *yf = yr ? rt_unary(RT_FLOOR, yr) : NULL;
    if (!x || !yf) die("mlp data");
    rt_push_device(dev);
    nn_model *m = nn_sequential(NULL);
    int64_t in[1] = {D};
    nn_layer *layers[4] = {nn_input(in, 1), nn_dense(hidden, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS),
                           dropout > 0 ? nn_dropout(dropout) : NULL,
                           nn_dense(K, NN_ACT_SOFTMAX, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS)};
    for (int i = 0; i < 4; i++) {
        if (!layers[i]) continue;
        if (nn_model_add(m, layers[i])) die("mlp model");
        nn_layer_release(layers[i]);
    }
    rt_pop_device();
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    nn_metric acc = NN_METRIC_ACCURACY;
    if (nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1)) die("compile");
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 1;
    fo.batch_size = 128;
    double t[8];
    int runs = epochs + 1;
    for (int k = 0; k < runs; k++) {
        double t0 = now();
        if (nn_model_fit(m, x, yf, &fo, NULL)) die("mlp fit");
        t[k] = now() - t0;
    }
    double med = median(t + 1, runs - 1);
    printf("%s device=%s epoch_ms=%.2f steps=469 us_per_step=%.2f loss=%.4f\n", name, rt_device_name(dev), med * 1e3,
           med * 1e6 / 469, nn_model_history(m)->values[0][0]);
    fflush(stdout);
    nn_model_release(m);
    rt_array_release(x); rt_array_release(yr); rt_array_release(yf);
}

/* ---- monitor: what one DeviceMonitor sample costs ---------------------------------- */

/* One sample is what DeviceMonitor's thread does every `interval` (0.5 s
 * by default): /proc for the host, NVML for each GPU. Its cost over the
 * interval bounds the share of an epoch the sampling can take. */
static void bench_monitor(void)
{
    rt_cpu_mark mark = {0, 0};
    rt_host_stats h;
    int ngpus = rt_gpu_stats_count(NULL, 0);
    enum { SAMPLES = 200 };
    double t[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int k = 0; k < SAMPLES; k++) {
            rt_host_stats_sample(&mark, &h);
            for (int g = 0; g < ngpus; g++) {
                rt_gpu_stats st;
                rt_gpu_stats_sample(g, &st);
            }
        }
        t[r] = (now() - t0) / SAMPLES;
    }
    double us = median(t, 5) * 1e6;
    printf("monitor gpus=%d us_per_sample=%.1f share_at_0.5s_pct=%.4f\n", ngpus, us, us * 1e-6 / 0.5 * 100);
    fflush(stdout);
}

/* ---- all-reduce --------------------------------------------------------------------- */

static void bench_allreduce(nn_strategy *s, const char *tag)
{
    int n = nn_strategy_num_replicas(s);
    printf("allreduce_setup %s replicas=%d collective=\"%s\"\n", tag, n, nn_strategy_allreduce_name(s));
    for (size_t bytes = 1024; bytes <= ((size_t)256 << 20); bytes *= 4) {
        int64_t count = (int64_t)(bytes / 4);
        rt_array *a[64];
        void *bufs[64];
        for (int r = 0; r < n; r++) {
            a[r] = rt_full(&count, 1, 1.0, RT_FLOAT32, nn_strategy_device(s, r));
            if (!a[r]) die("allreduce buffers");
            bufs[r] = rt_view_of(a[r]).data;
            rt_synchronize(nn_strategy_device(s, r));
        }
        int iters = bytes <= (1 << 20) ? 200 : bytes <= (16 << 20) ? 50 : 10;
        /* warm-up (NCCL communicators are made on the first call) */
        if (nn_collective_sum(s, bufs, count, RT_FLOAT32)) die("allreduce");
        for (int r = 0; r < n; r++) rt_synchronize(nn_strategy_device(s, r));
        double reps[5];
        for (int q = 0; q < 5; q++) {
            double t0 = now();
            for (int i = 0; i < iters; i++)
                if (nn_collective_sum(s, bufs, count, RT_FLOAT32)) die("allreduce");
            for (int r = 0; r < n; r++) rt_synchronize(nn_strategy_device(s, r));
            reps[q] = (now() - t0) / iters;
        }
        double t = median(reps, 5), algbw = (double)bytes / t / 1e9;
        double busbw = algbw * 2.0 * (n - 1) / n;
        printf("allreduce %s replicas=%d bytes=%zu us=%.2f algbw_GBs=%.2f busbw_GBs=%.2f\n", tag, n, bytes, t * 1e6,
               algbw, busbw);
        for (int r = 0; r < n; r++) rt_array_release(a[r]);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "virtual") == 0) {
        int n = atoi(argv[2]);
        if (rt_physical_device_count(RT_GPU) == 0) { printf("skipped: no GPU\n"); return 0; }
        if (rt_set_virtual_devices(RT_GPU, n)) die("virtual devices");
        nn_strategy *s = nn_strategy_new(NULL, 0, NN_XDEV_AUTO);
        if (!s) die("strategy");
        bench_allreduce(s, "virtual");
        nn_strategy_release(s);
        return 0;
    }
    const char *defaults[] = {"celsius", "strategy", "mlp", "fmnist", "monitor", "allreduce"};
    const char **what = argc > 1 ? (const char **)argv + 1 : defaults;
    int nwhat = argc > 1 ? argc - 1 : 6;
    rt_device *g = rt_device_get(RT_GPU, 0);
    if (!g) printf("note: no GPU (%s): CPU measurements only\n", rt_gpu_unavailable_reason());
    for (int i = 0; i < nwhat; i++) {
        if (!strcmp(what[i], "celsius")) bench_celsius(0);
        else if (!strcmp(what[i], "strategy")) bench_celsius(1);
        else if (!strcmp(what[i], "mlp")) { if (g) bench_mlp(g, 3, "mlp", 64, 0); else printf("mlp skipped: no GPU\n"); }
        else if (!strcmp(what[i], "mlp-cpu")) bench_mlp(rt_device_get(RT_CPU, 0), 1, "mlp", 64, 0);
        else if (!strcmp(what[i], "fmnist")) {
            if (g) bench_mlp(g, 3, "fmnist", 512, 0.2); else printf("fmnist skipped: no GPU\n");
        } else if (!strcmp(what[i], "fmnist-cpu")) bench_mlp(rt_device_get(RT_CPU, 0), 1, "fmnist", 512, 0.2);
        else if (!strcmp(what[i], "monitor")) bench_monitor();
        else if (!strcmp(what[i], "allreduce")) {
            if (!g) { printf("allreduce skipped: no GPU\n"); continue; }
            nn_strategy *s = nn_strategy_new(NULL, 0, NN_XDEV_AUTO);
            if (!s) die("strategy");
            bench_allreduce(s, "gpus");
            nn_strategy_release(s);
        } else {
            fprintf(stderr, "unknown benchmark '%s'\n", what[i]);
            return 2;
        }
    }
    return 0;
}
