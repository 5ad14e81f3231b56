/* rt_nn_strategy.c — MirroredStrategy on 4 virtual CPU devices (configured
 * before any device is used, hence its own binary): mirrored training with
 * 1..4 replicas equals single-device training, replicas stay bit-identical,
 * uneven global batches and empty shards, run/reduce, the all-reduce, the
 * scope rules and error reporting. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(int i) { return rt_device_get(RT_CPU, i); }

enum { N = 203, D = 6, K = 4 };
static double xs[N * D], ys[N];

static void make_data(void)
{
    rt_seed(77);
    int64_t s[2] = {N, D};
    rt_array *x = rt_rand_normal(s, 2, 0, 1, RT_FLOAT64, cpu(0));
    rt_to_host(x, RT_FLOAT64, xs);
    rt_array_release(x);
    for (int i = 0; i < N; i++) {
        double t = xs[i * D] + 0.5 * xs[i * D + 1] - xs[i * D + 2];
        ys[i] = t < -0.7 ? 0 : t < 0 ? 1 : t < 0.7 ? 2 : 3;
    }
}

/* Dense(16 relu) -> Dropout(0.2) -> Dense(4 softmax), sparse xent, Adam,
 * created in `s`'s scope (NULL: no strategy) from seed 5. */
static nn_model *make_model(nn_strategy *s, int dropout)
{
    if (s && nn_strategy_enter(s)) return NULL;
    rt_seed(5);
    nn_model *m = nn_sequential(NULL);
    int64_t in[1] = {D};
    nn_layer *ls[4] = {nn_input(in, 1), nn_dense(16, NN_ACT_RELU, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS),
                       dropout ? nn_dropout(0.2) : nn_activation_layer(NN_ACT_LINEAR),
                       nn_dense(K, NN_ACT_SOFTMAX, 1, NN_INIT_HE_NORMAL, NN_INIT_ZEROS)};
    for (int i = 0; i < 4; i++) { nn_model_add(m, ls[i]); nn_layer_release(ls[i]); }
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    o.learning_rate = 0.01;
    nn_metric acc = NN_METRIC_ACCURACY;
    nn_model_compile(m, NN_LOSS_SCCE, &o, &acc, 1);
    if (s) nn_strategy_exit(s);
    return m;
}

static rt_status fit(nn_model *m, int64_t batch, int epochs, nn_history *h)
{
    int64_t xs2[2] = {N, D}, ys1[1] = {N};
    rt_array *x = rt_from_host(xs, RT_FLOAT64, xs2, 2, RT_FLOAT32, cpu(0));
    rt_array *y = rt_from_host(ys, RT_FLOAT64, ys1, 1, RT_FLOAT32, cpu(0));
    nn_fit_options o;
    nn_fit_options_init(&o);
    o.epochs = epochs;
    o.batch_size = batch;
    o.validation_split = 0.1;
    rt_seed(1000);   /* the shuffles */
    rt_status st = nn_model_fit(m, x, y, &o, h);
    rt_array_release(x);
    rt_array_release(y);
    return st;
}

static nn_strategy *strategy_of(int n)
{
    rt_device *devs[4] = {cpu(0), cpu(1), cpu(2), cpu(3)};
    return nn_strategy_new(devs, n, NN_XDEV_AUTO);
}

/* mirrored == single device, replicas bit-identical, for batches that
 * split evenly, unevenly, and leave empty shards (last batch of 183 % b) */
static void mirrored_case(int64_t batch, int dropout)
{
    nn_model *ref = make_model(NULL, dropout);
    nn_history hr;
    CHECK(fit(ref, batch, 3, &hr) == RT_OK);
    int64_t np = 0;
    nn_model_count_params(ref, &np);
    double *pr = malloc(sizeof(double) * np), *p0 = malloc(sizeof(double) * np), *pi = malloc(sizeof(double) * np);
    CHECK(nn_model_get_params(ref, 0, pr) == RT_OK);
    for (int n = 1; n <= 4; n++) {
        nn_strategy *s = strategy_of(n);
        nn_model *m = make_model(s, dropout);
        CHECK(m && nn_model_num_replicas(m) == n);
        nn_history h;
        rt_status st = fit(m, batch, 3, &h);
        if (st) fprintf(stderr, "  fit with %d replicas: %s\n", n, rt_error_message());
        CHECK(st == RT_OK);
        CHECK(nn_model_get_params(m, 0, p0) == RT_OK);
        double worst = 0;
        for (int64_t i = 0; i < np; i++) {
            double e = fabs(p0[i] - pr[i]) / (1e-3 + fabs(pr[i]));
            if (e > worst) worst = e;
        }
        if (!(worst <= 1e-4)) fprintf(stderr, "  batch %lld, %d replicas: worst relative difference %.3e\n",
                                      (long long)batch, n, worst);
        CHECK(worst <= 1e-4);
        for (int r = 1; r < n; r++) {
            CHECK(nn_model_get_params(m, r, pi) == RT_OK);
            CHECK(memcmp(pi, p0, sizeof(double) * np) == 0);   /* bit-identical replicas */
        }
        CHECK(h.epochs == 3 && h.nkeys == 4);
        for (int k = 0; k < 4; k++) CHECK_NEAR(h.values[k][2], hr.values[k][2], 1e-5, 1e-4);
        nn_history_free(&h);
        nn_model_release(m);
        nn_strategy_release(s);
    }
    nn_history_free(&hr);
    free(pr); free(p0); free(pi);
    nn_model_release(ref);
}

TEST(test_mirrored_even_batches)   { mirrored_case(32, 0); }
TEST(test_mirrored_uneven_batches) { mirrored_case(7, 0); }
TEST(test_mirrored_tiny_batches)   { mirrored_case(2, 0); }    /* shards of 1, 1, 0, 0 */
TEST(test_mirrored_with_dropout)   { mirrored_case(10, 1); }  /* same masks on any split */

TEST(test_mirrored_predict_evaluate)
{
    nn_strategy *s = strategy_of(3);
    nn_model *m = make_model(s, 0), *ref = make_model(NULL, 0);
    int64_t xs2[2] = {N, D}, ys1[1] = {N};
    rt_array *x = rt_from_host(xs, RT_FLOAT64, xs2, 2, RT_FLOAT32, cpu(0));
    rt_array *y = rt_from_host(ys, RT_FLOAT64, ys1, 1, RT_FLOAT32, cpu(0));
    rt_array *p = nn_model_predict(m, x, 10), *q = nn_model_predict(ref, x, 10);
    CHECK(p && q && p->shape[0] == N && p->shape[1] == K);
    if (p && q) {
        float *a = malloc(sizeof(float) * N * K), *b = malloc(sizeof(float) * N * K);
        rt_to_host(p, RT_FLOAT32, a);
        rt_to_host(q, RT_FLOAT32, b);
        double worst = 0;
        for (int i = 0; i < N * K; i++) if (fabs(a[i] - b[i]) > worst) worst = fabs(a[i] - b[i]);
        CHECK(worst < 1e-6);
        free(a); free(b);
    }
    double v1[2], v2[2];
    int n1, n2;
    CHECK(nn_model_evaluate(m, x, y, 17, v1, &n1) == RT_OK);
    CHECK(nn_model_evaluate(ref, x, y, 17, v2, &n2) == RT_OK);
    CHECK(n1 == 2 && n2 == 2);
    CHECK_NEAR(v1[0], v2[0], 1e-6, 1e-6);
    CHECK_NEAR(v1[1], v2[1], 1e-9, 0);
    rt_array_release(p); rt_array_release(q);
    rt_array_release(x); rt_array_release(y);
    nn_model_release(m); nn_model_release(ref);
    nn_strategy_release(s);
}

TEST(test_strategy_description)
{
    nn_strategy *s = nn_strategy_new(NULL, 0, NN_XDEV_AUTO);
    CHECK(s != NULL);
    if (rt_logical_device_count(RT_GPU) == 0) {
        CHECK(nn_strategy_num_replicas(s) == 1);
        CHECK_STR(nn_strategy_describe(s), "MirroredStrategy: 1 replica on CPU:0 (all-reduce: runtime reduction on the host)");
    }
    nn_strategy_release(s);
    s = strategy_of(4);
    CHECK_STR(nn_strategy_describe(s),
              "MirroredStrategy: 4 replicas on CPU:0, CPU:1, CPU:2, CPU:3 (all-reduce: runtime reduction on the host)");
    CHECK(nn_strategy_device(s, 2) == cpu(2));
    nn_strategy_release(s);
    rt_device *dup[2] = {cpu(1), cpu(1)};
    CHECK(nn_strategy_new(dup, 2, NN_XDEV_AUTO) == NULL);
    CHECK(strstr(rt_error_message(), "twice") != NULL);
    rt_device *two[2] = {cpu(0), cpu(1)};
    CHECK(nn_strategy_new(two, 2, NN_XDEV_NCCL) == NULL);
    CHECK(strstr(rt_error_message(), "NCCL") != NULL);
}

/* strategy.run + reduce by hand */
typedef struct { rt_array *v[4]; } per_replica;
static rt_status make_value(void *ctx, int r, rt_device *d)
{
    per_replica *pr = ctx;
    double v[3] = {r + 1.0, 10.0 * (r + 1), -1.0};
    int64_t s[1] = {3};
    /* placed on the default device, which run() set to the replica's */
    pr->v[r] = rt_from_host(v, RT_FLOAT64, s, 1, RT_FLOAT32, NULL);
    if (!pr->v[r]) return rt_error_code();
    return pr->v[r]->device == d ? RT_OK : rt_set_error(RT_EDEVICE, "value not on the replica's device");
}
static rt_status fail_on_two(void *ctx, int r, rt_device *d)
{
    (void)ctx; (void)d;
    return r == 2 ? rt_set_error(RT_EVALUE, "something went wrong") : RT_OK;
}

TEST(test_run_and_reduce)
{
    nn_strategy *s = strategy_of(4);
    per_replica pr = {{0}};
    CHECK(nn_strategy_run(s, make_value, &pr) == RT_OK);
    for (int r = 0; r < 4; r++) CHECK(pr.v[r] && pr.v[r]->device == cpu(r));
    rt_array *sum = nn_strategy_reduce(s, NN_REDUCE_SUM, pr.v, 4, 0, 0);
    rt_array *mean = nn_strategy_reduce(s, NN_REDUCE_MEAN, pr.v, 4, 0, 0);
    rt_array *sum0 = nn_strategy_reduce(s, NN_REDUCE_SUM, pr.v, 4, 1, 0);
    rt_array *mean0 = nn_strategy_reduce(s, NN_REDUCE_MEAN, pr.v, 4, 1, 0);
    double v[3], w;
    CHECK(sum && rt_to_host(sum, RT_FLOAT64, v) == RT_OK);
    CHECK(v[0] == 10 && v[1] == 100 && v[2] == -4);
    CHECK(mean && rt_to_host(mean, RT_FLOAT64, v) == RT_OK);
    CHECK(v[0] == 2.5 && v[1] == 25 && v[2] == -1);
    CHECK(sum0 && sum0->ndim == 0 && rt_item(sum0, 0, &w) == RT_OK && w == 106);
    CHECK(mean0 && rt_item(mean0, 0, &w) == RT_OK);
    CHECK_NEAR(w, 106.0 / 12, 1e-6, 0);
    CHECK(nn_strategy_reduce(s, NN_REDUCE_SUM, pr.v, 3, 0, 0) == NULL);
    rt_array_release(sum); rt_array_release(mean); rt_array_release(sum0); rt_array_release(mean0);
    for (int r = 0; r < 4; r++) rt_array_release(pr.v[r]);
    CHECK(nn_strategy_run(s, fail_on_two, NULL) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "replica 2 (CPU:2): something went wrong") != NULL);
    nn_reduce_op op;
    CHECK(nn_reduce_op_parse("mean", &op) == 0 && op == NN_REDUCE_MEAN);
    CHECK(nn_reduce_op_parse("MAX", &op) == -1);
    nn_strategy_release(s);
}

TEST(test_allreduce_arrays)
{
    for (int n = 1; n <= 4; n++) {
        nn_strategy *s = strategy_of(n);
        rt_array *a[4];
        for (int r = 0; r < n; r++) a[r] = rt_full((int64_t[]){1000}, 1, r + 1.0, RT_FLOAT32, cpu(r));
        CHECK(nn_strategy_allreduce(s, a) == RT_OK);
        for (int r = 0; r < n; r++) {
            double v;
            CHECK(rt_item(a[r], 999, &v) == RT_OK && v == n * (n + 1) / 2.0);
            rt_array_release(a[r]);
        }
        nn_strategy_release(s);
    }
}

TEST(test_scope_rules)
{
    nn_strategy *s1 = strategy_of(2), *s2 = strategy_of(3);
    nn_model *m = make_model(s1, 0);
    CHECK(m && nn_model_strategy(m) == s1);
    /* used inside another strategy's scope: a clear error */
    CHECK(nn_strategy_enter(s2) == RT_OK);
    CHECK(fit(m, 32, 1, NULL) == RT_EVALUE);
    CHECK(strstr(rt_error_message(), "Mixing different tf.distribute.Strategy objects") != NULL);
    nn_model *plain = NULL;
    CHECK(nn_strategy_exit(s2) == RT_OK);
    /* a scope inside another strategy's scope is refused */
    CHECK(nn_strategy_enter(s1) == RT_OK);
    CHECK(nn_strategy_enter(s2) != RT_OK);
    CHECK(nn_strategy_exit(s2) != RT_OK);
    CHECK(nn_strategy_exit(s1) == RT_OK);
    CHECK(nn_strategy_current() == NULL);
    /* a mirrored model used outside any scope works */
    CHECK(fit(m, 32, 1, NULL) == RT_OK);
    /* a plain model used inside a scope is refused */
    plain = make_model(NULL, 0);
    CHECK(nn_strategy_enter(s1) == RT_OK);
    CHECK(fit(plain, 32, 1, NULL) == RT_EVALUE);
    CHECK(nn_strategy_exit(s1) == RT_OK);
    nn_model_release(plain);
    nn_model_release(m);
    nn_strategy_release(s1);
    nn_strategy_release(s2);
}

/* The scope stack is per thread: a scope entered on one thread is not the
 * current strategy of another, which has its own stack. */
typedef struct { nn_strategy *own; nn_strategy *seen_first, *seen_inside; int enter_ok, exit_ok; } scope_probe;

static void *scope_thread(void *arg)
{
    scope_probe *p = arg;
    p->seen_first = nn_strategy_current();
    p->enter_ok = nn_strategy_enter(p->own) == RT_OK;
    p->seen_inside = nn_strategy_current();
    p->exit_ok = nn_strategy_exit(p->own) == RT_OK;
    return NULL;
}

TEST(test_scope_per_thread)
{
    nn_strategy *s1 = strategy_of(2), *s2 = strategy_of(3);
    CHECK(nn_strategy_enter(s1) == RT_OK);
    scope_probe p = { .own = s2 };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, scope_thread, &p) == 0);
    pthread_join(th, NULL);
    CHECK(p.seen_first == NULL);          /* s1 is this thread's scope only */
    CHECK(p.enter_ok && p.exit_ok);       /* no "scope inside another strategy's scope" */
    CHECK(p.seen_inside == s2);
    CHECK(nn_strategy_current() == s1);   /* the other thread's scope left ours alone */
    CHECK(nn_strategy_exit(s1) == RT_OK);
    nn_strategy_release(s1);
    nn_strategy_release(s2);
}

/* set_log_device_placement inside a scope names replicas and the all-reduce */
static int n_lines, saw_replica1, saw_allreduce;
static void sink(void *ctx, const char *line)
{
    (void)ctx;
    n_lines++;
    if (strstr(line, "replica_1/") && strstr(line, "on CPU:1")) saw_replica1 = 1;
    if (strstr(line, "CollectiveReduceV2")) saw_allreduce = 1;
}

TEST(test_log_device_placement)
{
    nn_strategy *s = strategy_of(2);
    nn_model *m = make_model(s, 0);
    rt_set_log_sink(sink, NULL);
    rt_set_log_device_placement(1);
    CHECK(fit(m, 64, 1, NULL) == RT_OK);
    rt_set_log_device_placement(0);
    rt_set_log_sink(NULL, NULL);
    CHECK(n_lines > 0 && saw_replica1 && saw_allreduce);
    nn_model_release(m);
    nn_strategy_release(s);
}

int main(void)
{
    if (rt_set_virtual_devices(RT_CPU, 4) != RT_OK) {
        fprintf(stderr, "cannot create virtual CPU devices: %s\n", rt_error_message());
        return 1;
    }
    rt_push_device(cpu(0));   /* the single-device references run on CPU:0 */
    make_data();
    RUN(test_mirrored_even_batches);
    RUN(test_mirrored_uneven_batches);
    RUN(test_mirrored_tiny_batches);
    RUN(test_mirrored_with_dropout);
    RUN(test_mirrored_predict_evaluate);
    RUN(test_strategy_description);
    RUN(test_run_and_reduce);
    RUN(test_allreduce_arrays);
    RUN(test_scope_rules);
    RUN(test_scope_per_thread);
    RUN(test_log_device_placement);
    return test_summary();
}
