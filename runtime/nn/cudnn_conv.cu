/* cudnn_conv.cu — Conv2D through cuDNN, NVIDIA's convolution library,
 * loaded at run time (dlopen) the first time a GPU convolution runs:
 * libcudnn.so.9 from the library path, else from a PyTorch-style
 * installation (python's site-packages nvidia/cudnn/lib), or the directory
 * named by CGPU_CUDNN_DIR. Without it, or for geometries cuDNN's
 * convolution descriptor cannot express (asymmetric "same" padding, which
 * Keras uses for even kernels and some strides), the entries answer "not
 * handled" and the training loop uses im2col + cuBLAS. CGPU_NO_CUDNN=1
 * turns cuDNN off.
 *
 * Activations stay channels last (NHWC descriptors). cuDNN's NHWC filter
 * layout is (out, kh, kw, in) while Keras's kernel is (kh, kw, in, out):
 * the kernel is transposed into a scratch buffer on the stream before use
 * and the weight gradient transposed back (both a few KB to a few MB).
 * Math: FP32 (CUDNN_FMA_MATH), TF32 tensor cores only when the runtime's
 * matmul precision is "tf32", as for cuBLAS. */
#include <dlfcn.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cudnn.h>

#include "nn_cuda.cuh"

#define DNN_FUNCS(X) \
    X(cudnnGetVersion) X(cudnnCreate) X(cudnnSetStream) X(cudnnGetErrorString) \
    X(cudnnCreateTensorDescriptor) X(cudnnSetTensor4dDescriptor) X(cudnnDestroyTensorDescriptor) \
    X(cudnnCreateFilterDescriptor) X(cudnnSetFilter4dDescriptor) X(cudnnDestroyFilterDescriptor) \
    X(cudnnCreateConvolutionDescriptor) X(cudnnSetConvolution2dDescriptor) X(cudnnSetConvolutionMathType) \
    X(cudnnDestroyConvolutionDescriptor) \
    X(cudnnGetConvolutionForwardAlgorithm_v7) X(cudnnGetConvolutionForwardWorkspaceSize) X(cudnnConvolutionForward) \
    X(cudnnGetConvolutionBackwardDataAlgorithm_v7) X(cudnnGetConvolutionBackwardDataWorkspaceSize) \
    X(cudnnConvolutionBackwardData) \
    X(cudnnGetConvolutionBackwardFilterAlgorithm_v7) X(cudnnGetConvolutionBackwardFilterWorkspaceSize) \
    X(cudnnConvolutionBackwardFilter)

static struct {
#define DNN_FIELD(name) decltype(&::name) name;
    DNN_FUNCS(DNN_FIELD)
#undef DNN_FIELD
    int ok;
} dnn;

static pthread_once_t dnn_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t dnn_lock = PTHREAD_MUTEX_INITIALIZER;

/* cuDNN 9's sub-libraries are opened by libcudnn.so.9 by name: open them
 * first from the same directory so that a copy outside the library path
 * (PyTorch's wheel) resolves. */
static void *open_in(const char *dir)
{
    static const char *const parts[] = {"libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
                                        "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9",
                                        "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9"};
    char path[1024];
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, parts[i]);
        dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    }
    snprintf(path, sizeof path, "%s/libcudnn.so.9", dir);
    return dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}

static void *open_cudnn(void)
{
    const char *dir = getenv("CGPU_CUDNN_DIR");
    if (dir && *dir) return open_in(dir);
    void *h = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_GLOBAL);
    if (h) return h;
    static const char *const patterns[] = {
        "/usr/local/lib/python3*/dist-packages/nvidia/cudnn/lib", "/usr/local/lib/python3*/site-packages/nvidia/cudnn/lib",
        "/usr/lib/python3*/dist-packages/nvidia/cudnn/lib", "/usr/lib/python3*/site-packages/nvidia/cudnn/lib",
        "/opt/conda/lib/python3*/site-packages/nvidia/cudnn/lib", "/opt/*/lib/python3*/site-packages/nvidia/cudnn/lib",
        "/root/.local/lib/python3*/site-packages/nvidia/cudnn/lib", "/home/*/.local/lib/python3*/site-packages/nvidia/cudnn/lib"};
    for (size_t p = 0; !h && p < sizeof patterns / sizeof patterns[0]; p++) {
        glob_t g;
        if (glob(patterns[p], 0, NULL, &g) == 0)
            for (size_t i = 0; !h && i < g.gl_pathc; i++) h = open_in(g.gl_pathv[i]);
        globfree(&g);
    }
    return h;
}

static void dnn_load(void)
{
    if (getenv("CGPU_NO_CUDNN") && strcmp(getenv("CGPU_NO_CUDNN"), "0") != 0) return;
    void *h = open_cudnn();
    if (!h) return;
#define DNN_BIND(name) if (!(dnn.name = (decltype(dnn.name))dlsym(h, #name))) return;
    DNN_FUNCS(DNN_BIND)
#undef DNN_BIND
    dnn.ok = dnn.cudnnGetVersion() >= 90000;
}

/* one handle per logical device (its stream is set on every call) */
static cudnnHandle_t handle_for(const cuda_state *st)
{
    static struct { const cuda_state *st; cudnnHandle_t h; } cache[64];
    pthread_mutex_lock(&dnn_lock);
    cudnnHandle_t h = NULL;
    int i;
    for (i = 0; i < 64 && cache[i].st; i++)
        if (cache[i].st == st) { h = cache[i].h; break; }
    if (!h && i < 64 && dnn.cudnnCreate(&h) == CUDNN_STATUS_SUCCESS) { cache[i].st = st; cache[i].h = h; }
    pthread_mutex_unlock(&dnn_lock);
    return h;
}

/* The descriptors of one convolution call. */
typedef struct {
    cudnnHandle_t h;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cuda_state *st;
} dnn_call;

static void call_free(dnn_call *c)
{
    if (c->x) dnn.cudnnDestroyTensorDescriptor(c->x);
    if (c->y) dnn.cudnnDestroyTensorDescriptor(c->y);
    if (c->w) dnn.cudnnDestroyFilterDescriptor(c->w);
    if (c->conv) dnn.cudnnDestroyConvolutionDescriptor(c->conv);
}

/* 1 ready, 0 not handled (no cuDNN, a geometry it cannot express) */
static int call_init(rt_device *d, const nn_conv_geom *g, int64_t rows, dnn_call *c)
{
    memset(c, 0, sizeof *c);
    pthread_once(&dnn_once, dnn_load);
    if (!dnn.ok) return 0;
    /* cuDNN pads symmetrically: "same" must split evenly */
    int64_t th = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1 - g->h, tw = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 - g->w;
    if (th < 0) th = 0;
    if (tw < 0) tw = 0;
    if (2 * g->pt != th || 2 * g->pl != tw) return 0;
    if (rows * g->h * g->w * g->c >= INT32_MAX || rows * g->oh * g->ow * g->oc >= INT32_MAX) return 0;
    if (!(c->st = cuda_enter(d)) || !(c->h = handle_for(c->st))) return 0;
    int ok = dnn.cudnnSetStream(c->h, c->st->stream) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnCreateTensorDescriptor(&c->x) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnCreateTensorDescriptor(&c->y) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnCreateFilterDescriptor(&c->w) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnCreateConvolutionDescriptor(&c->conv) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnSetTensor4dDescriptor(c->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, (int)rows, (int)g->c, (int)g->h,
                                            (int)g->w) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnSetTensor4dDescriptor(c->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, (int)rows, (int)g->oc, (int)g->oh,
                                            (int)g->ow) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnSetFilter4dDescriptor(c->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, (int)g->oc, (int)g->c, (int)g->kh,
                                            (int)g->kw) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnSetConvolution2dDescriptor(c->conv, (int)g->pt, (int)g->pl, (int)g->sh, (int)g->sw, (int)g->dh,
                                                 (int)g->dw, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT) == CUDNN_STATUS_SUCCESS &&
             dnn.cudnnSetConvolutionMathType(c->conv, rt_matmul_tf32_enabled() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH) ==
                 CUDNN_STATUS_SUCCESS;
    if (!ok) { call_free(c); return 0; }
    return 1;
}

static int dnn_fail(rt_device *d, dnn_call *c, const char *what, cudnnStatus_t s)
{
    (void)d;
    rt_set_error(RT_EDEVICE, "cuDNN %s failed: %s", what, dnn.cudnnGetErrorString(s));
    call_free(c);
    return -1;
}

/* workspace from the caching allocator, freed in stream order after the call */
static void *ws_alloc(rt_device *d, size_t bytes) { return bytes ? rt_device_alloc(d, bytes) : NULL; }

extern "C" rt_status gconv_transpose(rt_device *d, void *dst, const void *src, int64_t rows, int64_t cols);

/* y = conv(x, w): 1 done, 0 not handled, -1 error. kt: kh*kw*c*oc floats. */
extern "C" int gconv_dnn_forward(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *w,
                                 void *y, void *kt)
{
    dnn_call c;
    if (!call_init(d, g, rows, &c)) return 0;
    int64_t K = g->kh * g->kw * g->c;
    if (gconv_transpose(d, kt, w, K, g->oc)) { call_free(&c); return -1; }   /* (K, oc) -> (oc, K) */
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int n = 0;
    size_t wsb = 0;
    cudnnStatus_t s = dnn.cudnnGetConvolutionForwardAlgorithm_v7(c.h, c.x, c.w, c.conv, c.y, 8, &n, perf);
    if (s || n < 1) return dnn_fail(d, &c, "forward algorithm", s);
    cudnnConvolutionFwdAlgo_t algo = perf[0].algo;
    if ((s = dnn.cudnnGetConvolutionForwardWorkspaceSize(c.h, c.x, c.w, c.conv, c.y, algo, &wsb)))
        return dnn_fail(d, &c, "forward workspace", s);
    void *ws = ws_alloc(d, wsb);
    if (wsb && !ws) { call_free(&c); return -1; }
    const float one = 1.f, zero = 0.f;
    s = dnn.cudnnConvolutionForward(c.h, &one, c.x, x, c.w, kt, c.conv, algo, ws, wsb, &zero, c.y, y);
    if (ws) rt_device_free(d, ws);
    if (s) return dnn_fail(d, &c, "forward", s);
    call_free(&c);
    return 1;
}

/* dw (kh, kw, c, oc) and, when dx is not NULL, dx: 1 done, 0 not handled,
 * -1 error. kt: kh*kw*c*oc floats of scratch. */
extern "C" int gconv_dnn_backward(rt_device *d, const nn_conv_geom *g, int64_t rows, const void *x, const void *dy,
                                  const void *w, void *dw, void *dx, void *kt)
{
    dnn_call c;
    if (!call_init(d, g, rows, &c)) return 0;
    int64_t K = g->kh * g->kw * g->c;
    const float one = 1.f, zero = 0.f;
    cudnnStatus_t s;
    int n = 0;
    size_t wsb = 0;
    void *ws = NULL;
    /* the filter gradient in cuDNN's layout (oc, K), then Keras's (K, oc) */
    cudnnConvolutionBwdFilterAlgoPerf_t pf[8];
    if ((s = dnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(c.h, c.x, c.y, c.conv, c.w, 8, &n, pf)) || n < 1)
        return dnn_fail(d, &c, "filter-gradient algorithm", s);
    if ((s = dnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(c.h, c.x, c.y, c.conv, c.w, pf[0].algo, &wsb)))
        return dnn_fail(d, &c, "filter-gradient workspace", s);
    if (wsb && !(ws = ws_alloc(d, wsb))) { call_free(&c); return -1; }
    s = dnn.cudnnConvolutionBackwardFilter(c.h, &one, c.x, x, c.y, dy, c.conv, pf[0].algo, ws, wsb, &zero, c.w, kt);
    if (ws) rt_device_free(d, ws);
    if (s) return dnn_fail(d, &c, "filter gradient", s);
    if (gconv_transpose(d, dw, kt, g->oc, K)) { call_free(&c); return -1; }
    if (dx) {
        if (gconv_transpose(d, kt, w, K, g->oc)) { call_free(&c); return -1; }
        cudnnConvolutionBwdDataAlgoPerf_t pd[8];
        n = 0;
        ws = NULL;
        if ((s = dnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(c.h, c.w, c.y, c.conv, c.x, 8, &n, pd)) || n < 1)
            return dnn_fail(d, &c, "data-gradient algorithm", s);
        if ((s = dnn.cudnnGetConvolutionBackwardDataWorkspaceSize(c.h, c.w, c.y, c.conv, c.x, pd[0].algo, &wsb)))
            return dnn_fail(d, &c, "data-gradient workspace", s);
        if (wsb && !(ws = ws_alloc(d, wsb))) { call_free(&c); return -1; }
        s = dnn.cudnnConvolutionBackwardData(c.h, &one, c.w, kt, c.y, dy, c.conv, pd[0].algo, ws, wsb, &zero, c.x, dx);
        if (ws) rt_device_free(d, ws);
        if (s) return dnn_fail(d, &c, "data gradient", s);
    }
    call_free(&c);
    return 1;
}
