/* rt_nn_grad.c — backward passes against finite differences (float64
 * models on the CPU) for every layer, activation and loss, and one
 * optimizer step of each optimizer against its formula by hand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nn/nn.h"

static rt_device *cpu(void) { return rt_device_get(RT_CPU, 0); }

typedef struct {
    const char   *what;
    int           nd;              /* input feature dims: 1 or 2 (then a Flatten first) */
    int64_t       feat[2];
    int           nlayers;
    struct { char kind; int64_t units; nn_activation act; int bias; double rate; } l[4];
    nn_loss       loss;
    int           training;        /* Dropout active */
} grad_case;

/* y for the loss: class indices, one-hot rows, {0,1} or real targets */
static void make_targets(nn_loss loss, int n, int64_t units, double *y, uint32_t *u)
{
    for (int i = 0; i < n; i++) {
        int k = (int)(u[i] % (uint32_t)units);
        for (int64_t j = 0; j < units; j++) {
            double r = (double)(u[(i * 7 + j * 13) % 97] % 1000) / 1000.0;
            switch (loss) {
            case NN_LOSS_SCCE: if (j == 0) y[i] = k; break;
            case NN_LOSS_CCE: y[i * units + j] = j == k; break;
            case NN_LOSS_BCE: y[i * units + j] = r > 0.5; break;
            default: y[i * units + j] = 2 * r - 1; break;
            }
        }
    }
}

/* max |g - fd| / (1e-7 + |fd|) over all parameters */
static double check_case(const grad_case *gc, int64_t *nparams)
{
    enum { N = 6 };
    rt_seed(1234);
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    nn_layer *ls[5];
    int nl = 0;
    if (gc->nd == 2) ls[nl++] = nn_flatten();
    for (int i = 0; i < gc->nlayers; i++) {
        switch (gc->l[i].kind) {
        case 'D': ls[nl++] = nn_dense(gc->l[i].units, gc->l[i].act, gc->l[i].bias, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS); break;
        case 'A': ls[nl++] = nn_activation_layer(gc->l[i].act); break;
        case 'R': ls[nl++] = nn_dropout(gc->l[i].rate); break;
        }
    }
    for (int i = 0; i < nl; i++) nn_model_add(m, ls[i]);
    nn_optimizer opt;
    nn_optimizer_init(&opt, NN_OPT_ADAM);
    nn_model_compile(m, gc->loss, &opt, NULL, 0);
    int64_t fs = gc->feat[0] * (gc->nd == 2 ? gc->feat[1] : 1);
    int64_t xs[3] = {N, gc->feat[0], gc->feat[1]};
    rt_array *x = rt_rand_normal(xs, 1 + gc->nd, 0, 1, RT_FLOAT64, cpu());
    if (nn_model_build(m, gc->feat, gc->nd) != RT_OK) { fprintf(stderr, "build: %s\n", rt_error_message()); return 1e9; }
    int64_t out_shape[8];
    int ond;
    nn_model_output_shape(m, out_shape, &ond);
    int64_t units = out_shape[0];
    uint32_t u[128];
    rt_rand_host_u32(u, 128);
    double y[N * 16];
    make_targets(gc->loss, N, units, y, u);
    int64_t ys[2] = {N, units};
    rt_array *ya = rt_from_host(y, RT_FLOAT64, ys, gc->loss == NN_LOSS_SCCE ? 1 : 2, RT_FLOAT64, cpu());
    int64_t np = 0;
    nn_model_count_params(m, &np);
    *nparams = np;
    double *p = malloc(sizeof(double) * np), *g = malloc(sizeof(double) * np);
    double loss, worst = 0;
    (void)fs;
    if (nn_model_get_params(m, 0, p) || nn_model_gradients(m, x, ya, gc->training, 99, &loss, g)) {
        fprintf(stderr, "%s: %s\n", gc->what, rt_error_message());
        worst = 1e9;
    }
    for (int64_t i = 0; i < np && worst < 1e9; i++) {
        double h = 1e-6, lp, lm, keep = p[i];
        p[i] = keep + h; nn_model_set_params(m, p); nn_model_gradients(m, x, ya, gc->training, 99, &lp, NULL);
        p[i] = keep - h; nn_model_set_params(m, p); nn_model_gradients(m, x, ya, gc->training, 99, &lm, NULL);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        double err = fabs(g[i] - fd) / (1e-6 + fabs(fd));
        if (err > worst) worst = err;
    }
    free(p);
    free(g);
    for (int i = 0; i < nl; i++) nn_layer_release(ls[i]);
    rt_array_release(x);
    rt_array_release(ya);
    nn_model_release(m);
    return worst;
}

#define D(u, a, b) {'D', u, a, b, 0}
#define ACT(a) {'A', 0, a, 0, 0}
#define DROP(r) {'R', 0, NN_ACT_LINEAR, 0, r}

TEST(test_gradients_vs_finite_differences)
{
    static const grad_case cases[] = {
        {"dense linear + mse", 1, {3, 0}, 1, {D(2, NN_ACT_LINEAR, 1)}, NN_LOSS_MSE, 0},
        {"dense no bias + mse", 1, {3, 0}, 1, {D(2, NN_ACT_LINEAR, 0)}, NN_LOSS_MSE, 0},
        {"relu -> linear + mae", 1, {4, 0}, 2, {D(5, NN_ACT_RELU, 1), D(2, NN_ACT_LINEAR, 1)}, NN_LOSS_MAE, 0},
        {"tanh -> sigmoid + bce (logits)", 1, {3, 0}, 2, {D(4, NN_ACT_TANH, 1), D(3, NN_ACT_SIGMOID, 1)}, NN_LOSS_BCE, 0},
        {"relu -> softmax + cce (logits)", 1, {3, 0}, 2, {D(5, NN_ACT_RELU, 1), D(4, NN_ACT_SOFTMAX, 1)}, NN_LOSS_CCE, 0},
        {"sigmoid -> softmax + scce (logits)", 1, {3, 0}, 2, {D(5, NN_ACT_SIGMOID, 1), D(4, NN_ACT_SOFTMAX, 1)}, NN_LOSS_SCCE, 0},
        {"linear -> Activation(softmax) + scce", 1, {3, 0}, 3, {D(5, NN_ACT_RELU, 1), D(4, NN_ACT_LINEAR, 1), ACT(NN_ACT_SOFTMAX)}, NN_LOSS_SCCE, 0},
        {"Activation(sigmoid) + mse", 1, {3, 0}, 2, {D(3, NN_ACT_LINEAR, 1), ACT(NN_ACT_SIGMOID)}, NN_LOSS_MSE, 0},
        {"Activation(tanh), Activation(relu) + mse", 1, {3, 0}, 3, {D(4, NN_ACT_LINEAR, 1), ACT(NN_ACT_TANH), ACT(NN_ACT_RELU)}, NN_LOSS_MSE, 0},
        {"softmax + mse (softmax backward)", 1, {3, 0}, 1, {D(4, NN_ACT_SOFTMAX, 1)}, NN_LOSS_MSE, 0},
        {"softmax + mae", 1, {3, 0}, 1, {D(4, NN_ACT_SOFTMAX, 1)}, NN_LOSS_MAE, 0},
        {"sigmoid + cce (probabilities, normalised)", 1, {3, 0}, 1, {D(4, NN_ACT_SIGMOID, 1)}, NN_LOSS_CCE, 0},
        {"sigmoid + scce (probabilities, normalised)", 1, {3, 0}, 1, {D(4, NN_ACT_SIGMOID, 1)}, NN_LOSS_SCCE, 0},
        {"sigmoid, Activation(linear) + bce (probabilities)", 1, {3, 0}, 2, {D(2, NN_ACT_SIGMOID, 1), ACT(NN_ACT_LINEAR)}, NN_LOSS_BCE, 0},
        {"softmax -> Activation(linear) + cce (probabilities)", 1, {3, 0}, 2, {D(4, NN_ACT_SOFTMAX, 1), ACT(NN_ACT_LINEAR)}, NN_LOSS_CCE, 0},
        {"Flatten -> tanh -> linear + mse", 2, {2, 3}, 2, {D(4, NN_ACT_TANH, 1), D(1, NN_ACT_LINEAR, 1)}, NN_LOSS_MSE, 0},
        {"relu -> Dropout(0.4) -> linear + mse (training)", 1, {4, 0}, 3, {D(6, NN_ACT_RELU, 1), DROP(0.4), D(2, NN_ACT_LINEAR, 1)}, NN_LOSS_MSE, 1},
        {"relu -> Dropout(0.4) -> linear + mse (inference)", 1, {4, 0}, 3, {D(6, NN_ACT_RELU, 1), DROP(0.4), D(2, NN_ACT_LINEAR, 1)}, NN_LOSS_MSE, 0},
        {"three layers relu/tanh/softmax + scce", 1, {5, 0}, 3, {D(6, NN_ACT_RELU, 1), D(5, NN_ACT_TANH, 1), D(3, NN_ACT_SOFTMAX, 1)}, NN_LOSS_SCCE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t np = 0;
        double worst = check_case(&cases[i], &np);
        if (getenv("TEST_VERBOSE")) printf("    %-50s %3lld params, worst rel err %.2e\n", cases[i].what, (long long)np, worst);
        if (!(worst < 1e-5)) fprintf(stderr, "  %s: worst relative error %.3e\n", cases[i].what, worst);
        CHECK(worst < 1e-5);
    }
}

/* Dropout in training changes the loss (mask active) and uses rate/(1-rate) scaling */
TEST(test_dropout_scaling)
{
    rt_seed(5);
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    nn_layer *dr = nn_dropout(0.5);
    nn_layer *d = nn_dense(1, NN_ACT_LINEAR, 0, NN_INIT_ONES, NN_INIT_ZEROS);
    nn_model_add(m, dr);
    nn_model_add(m, d);
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_SGD);
    CHECK(nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0) == RT_OK);
    enum { N = 64, F = 32 };
    double *xv = malloc(sizeof(double) * N * F), yv[N];
    for (int i = 0; i < N * F; i++) xv[i] = 1;
    for (int i = 0; i < N; i++) yv[i] = 0;
    int64_t xs[2] = {N, F}, ys[1] = {N};
    rt_array *x = rt_from_host(xv, RT_FLOAT64, xs, 2, RT_FLOAT64, cpu());
    rt_array *y = rt_from_host(yv, RT_FLOAT64, ys, 1, RT_FLOAT64, cpu());
    double l0, l1;
    CHECK(nn_model_gradients(m, x, y, 0, 1, &l0, NULL) == RT_OK);
    CHECK_NEAR(l0, (double)F * F, 1e-9, 0);   /* no dropout: output F */
    CHECK(nn_model_gradients(m, x, y, 1, 1, &l1, NULL) == RT_OK);
    /* each output = 2 * (kept count) with kept ~ Binomial(F, 0.5): mean
     * square = 4 (F/4 + F^2/4) = F + F^2 */
    CHECK_NEAR(l1, (double)F + F * F, 0.15 * F * F, 0);
    CHECK(l1 != l0);
    free(xv);
    rt_array_release(x); rt_array_release(y);
    nn_layer_release(dr); nn_layer_release(d);
    nn_model_release(m);
}

/* One and two optimizer steps against the update rules written out. */
static void optimizer_case(nn_optimizer_kind kind, double momentum)
{
    static const double xs[4] = {1, 2, -1, 0.5}, ys[4] = {2, 3, -2, 0};
    rt_seed(9);
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    nn_layer *d = nn_dense(1, NN_ACT_LINEAR, 1, NN_INIT_GLOROT_UNIFORM, NN_INIT_ZEROS);
    nn_model_add(m, d);
    nn_optimizer o;
    nn_optimizer_init(&o, kind);
    o.learning_rate = 0.05;
    o.momentum = momentum;
    CHECK(nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0) == RT_OK);
    int64_t s2[2] = {4, 1};
    rt_array *x = rt_from_host(xs, RT_FLOAT64, s2, 2, RT_FLOAT64, cpu());
    rt_array *y = rt_from_host(ys, RT_FLOAT64, s2, 2, RT_FLOAT64, cpu());
    CHECK(nn_model_build(m, (int64_t[]){1}, 1) == RT_OK);
    double p[2] = {0.7, -0.3}, g[2], s1[2] = {0, 0}, sv[2] = {0, 0}, loss;
    CHECK(nn_model_set_params(m, p) == RT_OK);
    nn_fit_options fo;
    nn_fit_options_init(&fo);
    fo.epochs = 1;
    fo.batch_size = 4;
    fo.shuffle = 0;
    for (int t = 1; t <= 2; t++) {
        CHECK(nn_model_gradients(m, x, y, 0, 0, &loss, g) == RT_OK);
        CHECK(nn_model_fit(m, x, y, &fo, NULL) == RT_OK);
        for (int i = 0; i < 2; i++) {
            switch (kind) {
            case NN_OPT_ADAM: {
                double a = o.learning_rate * sqrt(1 - pow(o.beta_2, t)) / (1 - pow(o.beta_1, t));
                s1[i] += (g[i] - s1[i]) * (1 - o.beta_1);
                sv[i] += (g[i] * g[i] - sv[i]) * (1 - o.beta_2);
                p[i] -= a * s1[i] / (sqrt(sv[i]) + o.epsilon);
                break;
            }
            case NN_OPT_SGD:
                if (momentum) { s1[i] = momentum * s1[i] - o.learning_rate * g[i]; p[i] += s1[i]; }
                else p[i] -= o.learning_rate * g[i];
                break;
            case NN_OPT_RMSPROP:
                s1[i] = o.rho * s1[i] + (1 - o.rho) * g[i] * g[i];
                p[i] -= o.learning_rate * g[i] / sqrt(s1[i] + o.epsilon);
                break;
            default: break;
            }
        }
        double q[2];
        CHECK(nn_model_get_params(m, 0, q) == RT_OK);
        CHECK_NEAR(q[0], p[0], 1e-12, 1e-12);
        CHECK_NEAR(q[1], p[1], 1e-12, 1e-12);
    }
    rt_array_release(x); rt_array_release(y);
    nn_layer_release(d);
    nn_model_release(m);
}

TEST(test_adam_step_by_hand)     { optimizer_case(NN_OPT_ADAM, 0); }
TEST(test_sgd_step_by_hand)      { optimizer_case(NN_OPT_SGD, 0); }
TEST(test_sgd_momentum_by_hand)  { optimizer_case(NN_OPT_SGD, 0.9); }
TEST(test_rmsprop_step_by_hand)  { optimizer_case(NN_OPT_RMSPROP, 0); }

TEST(test_optimizer_defaults)
{
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_ADAM);
    CHECK(o.learning_rate == 0.001 && o.beta_1 == 0.9 && o.beta_2 == 0.999 && o.epsilon == 1e-7);
    nn_optimizer_init(&o, NN_OPT_SGD);
    CHECK(o.learning_rate == 0.01 && o.momentum == 0.0);
    nn_optimizer_init(&o, NN_OPT_RMSPROP);
    CHECK(o.learning_rate == 0.001 && o.rho == 0.9 && o.epsilon == 1e-7);
    CHECK(nn_optimizer_parse("Adam", &o) == 0 && o.kind == NN_OPT_ADAM);
    CHECK(nn_optimizer_parse("rmsprop", &o) == 0 && o.kind == NN_OPT_RMSPROP);
    CHECK(nn_optimizer_parse("adagrad", &o) == -1);
    CHECK(strstr(rt_error_message(), "adagrad") != NULL);
}

/* clipped probabilities: a confident wrong prediction costs -log(1e-7) */
TEST(test_crossentropy_clipping)
{
    nn_model *m = nn_sequential(NULL);
    nn_model_set_dtype(m, RT_FLOAT64);
    nn_layer *a = nn_activation_layer(NN_ACT_LINEAR);
    nn_model_add(m, a);
    nn_optimizer o;
    nn_optimizer_init(&o, NN_OPT_SGD);
    nn_model_compile(m, NN_LOSS_BCE, &o, NULL, 0);
    double xv[2] = {0.0, 1.0}, yv[2] = {1.0, 0.0};
    int64_t s[2] = {2, 1};
    rt_array *x = rt_from_host(xv, RT_FLOAT64, s, 2, RT_FLOAT64, cpu());
    rt_array *y = rt_from_host(yv, RT_FLOAT64, s, 2, RT_FLOAT64, cpu());
    double v[1];
    int n;
    CHECK(nn_model_evaluate(m, x, y, 32, v, &n) == RT_OK);
    CHECK_NEAR(v[0], -log(1e-7), 1e-9, 1e-12);
    rt_array_release(x); rt_array_release(y);
    nn_layer_release(a);
    nn_model_release(m);
}

int main(void)
{
    /* the CPU reference, also on machines with a GPU (rt_nn_gpu covers GPUs) */
    rt_push_device(cpu());
    RUN(test_gradients_vs_finite_differences);
    RUN(test_dropout_scaling);
    RUN(test_adam_step_by_hand);
    RUN(test_sgd_step_by_hand);
    RUN(test_sgd_momentum_by_hand);
    RUN(test_rmsprop_step_by_hand);
    RUN(test_optimizer_defaults);
    RUN(test_crossentropy_clipping);
    return test_summary();
}
