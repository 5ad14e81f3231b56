/* collective.cu — the GPU all-reduces behind collective.c:
 *   - NCCL for replicas on distinct physical GPUs: communicators made once
 *     per strategy (ncclCommInitAll), one grouped ncclAllReduce per call,
 *     in place, counts in elements, each rank on its device's stream;
 *   - virtual GPUs sharing one physical GPU (NCCL refuses two ranks on one
 *     device): replica 0's stream waits for every replica's work (events),
 *     one kernel sums the buffers in replica order and writes the sum into
 *     every buffer, and every replica's stream waits for that kernel. */
#include "nn_cuda.cuh"
#if CGPU_HAVE_NCCL
#include <nccl.h>
#endif

#define NN_MAX_REP 64

template <typename T> struct rep_ptrs { T *p[NN_MAX_REP]; };

template <typename T>
__global__ void k_sum_shared(rep_ptrs<T> b, int n, int64_t count)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x) {
        T s = b.p[0][i];
        for (int r = 1; r < n; r++) s += b.p[r][i];
        for (int r = 0; r < n; r++) b.p[r][i] = s;
    }
}

/* one ordering event per logical GPU, made on first use */
static cudaEvent_t order_ev[NN_MAX_REP];

static rt_status event_for(rt_device *d, int i, cudaEvent_t *out)
{
    if (i < 0 || i >= NN_MAX_REP) return rt_set_error(RT_EVALUE, "too many GPUs for the shared all-reduce");
    if (!order_ev[i]) CU_CHECK(d, cudaEventCreateWithFlags(&order_ev[i], cudaEventDisableTiming));
    *out = order_ev[i];
    return RT_OK;
}

extern "C" rt_status nn_gpu_sum_shared(rt_device *const *devs, void *const *bufs, int n, int64_t count, rt_dtype t)
{
    if (n > NN_MAX_REP) return rt_set_error(RT_EVALUE, "at most %d replicas", NN_MAX_REP);
    if (count == 0 || n < 2) return RT_OK;
    cuda_state *s0 = cuda_enter(devs[0]);
    if (!s0) return rt_error_code();
    rt_status st;
    cudaEvent_t ev;
    for (int r = 1; r < n; r++) {
        cuda_state *sr = cuda_enter(devs[r]);
        if (!sr) return rt_error_code();
        if ((st = event_for(devs[r], rt_device_index(devs[r]), &ev))) return st;
        CU_CHECK(devs[r], cudaEventRecord(ev, sr->stream));
        CU_CHECK(devs[0], cudaStreamWaitEvent(s0->stream, ev, 0));
    }
    if (t == RT_FLOAT32) {
        rep_ptrs<float> p;
        for (int r = 0; r < n; r++) p.p[r] = (float *)bufs[r];
        k_sum_shared<float><<<ew_blocks(s0, count), EW_THREADS, 0, s0->stream>>>(p, n, count);
    } else {
        rep_ptrs<double> p;
        for (int r = 0; r < n; r++) p.p[r] = (double *)bufs[r];
        k_sum_shared<double><<<ew_blocks(s0, count), EW_THREADS, 0, s0->stream>>>(p, n, count);
    }
    LAUNCH_CHECK(devs[0], "k_sum_shared");
    if ((st = event_for(devs[0], rt_device_index(devs[0]), &ev))) return st;
    CU_CHECK(devs[0], cudaEventRecord(ev, s0->stream));
    for (int r = 1; r < n; r++) {
        cuda_state *sr = cuda_enter(devs[r]);
        if (!sr) return rt_error_code();
        CU_CHECK(devs[r], cudaStreamWaitEvent(sr->stream, ev, 0));
    }
    return RT_OK;
}

#if CGPU_HAVE_NCCL

typedef struct {
    int         n;
    ncclComm_t *comm;
} nccl_comms;

#define NCCL_FAIL(what, r) rt_set_error(RT_EDEVICE, "%s failed: %s", what, ncclGetErrorString(r))

extern "C" void *nn_nccl_new(rt_device *const *devs, int n)
{
    nccl_comms *c = (nccl_comms *)calloc(1, sizeof *c);
    int *ord = (int *)calloc((size_t)n, sizeof *ord);
    if (c) c->comm = (ncclComm_t *)calloc((size_t)n, sizeof *c->comm);
    if (!c || !ord || !c->comm) {
        if (c) free(c->comm);
        free(c);
        free(ord);
        rt_set_error(RT_EOOM, "out of host memory creating NCCL communicators");
        return NULL;
    }
    c->n = n;
    for (int i = 0; i < n; i++) ord[i] = rt_device_physical_index(devs[i]);
    ncclResult_t r = ncclCommInitAll(c->comm, n, ord);
    free(ord);
    if (r != ncclSuccess) {
        NCCL_FAIL("ncclCommInitAll", r);
        free(c->comm);
        free(c);
        return NULL;
    }
    return c;
}

extern "C" rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n, int64_t count,
                                       rt_dtype t)
{
    nccl_comms *c = (nccl_comms *)comms;
    if (!c || c->n != n) return rt_set_error(RT_EDEVICE, "NCCL communicators do not match the replicas");
    ncclDataType_t dt = t == RT_FLOAT64 ? ncclDouble : ncclFloat;
    ncclResult_t r = ncclGroupStart();
    if (r != ncclSuccess) return NCCL_FAIL("ncclGroupStart", r);
    rt_status st = RT_OK;
    for (int i = 0; i < n; i++) {
        cuda_state *s = cuda_enter(devs[i]);
        if (!s) { st = rt_error_code(); break; }
        r = ncclAllReduce(bufs[i], bufs[i], (size_t)count, dt, ncclSum, c->comm[i], s->stream);
        if (r != ncclSuccess) { st = NCCL_FAIL("ncclAllReduce", r); break; }
    }
    /* the group is always closed, also after a failure inside it */
    r = ncclGroupEnd();
    if (st == RT_OK && r != ncclSuccess) st = NCCL_FAIL("ncclGroupEnd", r);
    return st;
}

extern "C" void nn_nccl_free(void *comms, int n)
{
    nccl_comms *c = (nccl_comms *)comms;
    if (!c) return;
    for (int i = 0; i < c->n; i++) if (c->comm[i]) ncclCommDestroy(c->comm[i]);
    free(c->comm);
    free(c);
    (void)n;
}

extern "C" int nn_nccl_available(void) { return 1; }

#else /* no NCCL in this build */

extern "C" void *nn_nccl_new(rt_device *const *devs, int n)
{
    (void)devs; (void)n;
    rt_set_error(RT_EDEVICE, "this build has no NCCL");
    return NULL;
}
extern "C" rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n, int64_t count,
                                       rt_dtype t)
{
    (void)comms; (void)devs; (void)bufs; (void)n; (void)count; (void)t;
    return rt_set_error(RT_EDEVICE, "this build has no NCCL");
}
extern "C" void nn_nccl_free(void *comms, int n) { (void)comms; (void)n; }
extern "C" int nn_nccl_available(void) { return 0; }

#endif
