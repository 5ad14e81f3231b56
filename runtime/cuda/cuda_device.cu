/* cuda_device.cu — discovery, per-device state, memory, copies, waiting and
 * busy time for the CUDA backend, and the backend table itself.
 *
 * The operations (element-wise, reduce, matmul, random, gather) live in
 * their own files; this one holds what touches the device as a whole.
 */
#include <stdio.h>
#include <string.h>

#include "cuda_common.cuh"

/* ---- errors ------------------------------------------------------------------------ */

/* Errors after which the CUDA context is corrupt: every later call on it
 * fails too, so the device is taken out of service. */
static int cuda_error_is_sticky(cudaError_t e) {
    switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
    case cudaErrorDevicesUnavailable:
    case cudaErrorUnknown:
        return 1;
    default:
        return 0;
    }
}

/* "cudaMalloc(&p, bytes)" -> "cudaMalloc"; other text is kept whole. */
static void call_name(char *buf, size_t cap, const char *what) {
    size_t n = strcspn(what, "(");
    if (n >= cap) n = cap - 1;
    memcpy(buf, what, n);
    buf[n] = 0;
}

rt_status cuda_fail(rt_device *d, cudaError_t e, const char *what, const char *file, int line) {
    char name[96];
    call_name(name, sizeof name, what);
    (void)cudaGetLastError(); /* clear a non-sticky error so the next call starts clean */
    if (e == cudaErrorMemoryAllocation)
        return rt_set_error(RT_EOOM, "%s failed: %s (%s:%d)", name, cudaGetErrorString(e), file, line);
    rt_set_error(RT_EDEVICE, "%s failed: %s (%s:%d)", name, cudaGetErrorString(e), file, line);
    if (d && cuda_error_is_sticky(e)) {
        char why[512];
        snprintf(why, sizeof why, "%s failed: %s (%s:%d)", name, cudaGetErrorString(e), file, line);
        rt_device_mark_unusable(d, why);
        /* marking may have recorded its own message; keep ours, which names the cause */
        rt_set_error(RT_EDEVICE, "%s", why);
    }
    return RT_EDEVICE;
}

rt_status cublas_fail(rt_device *d, cublasStatus_t s, const char *what, const char *file, int line) {
    char name[96];
    call_name(name, sizeof name, what);
    /* cuBLAS reports a kernel fault of its own as EXECUTION_FAILED; the CUDA
     * error behind it tells whether the context is gone. */
    cudaError_t e = cudaGetLastError();
    if (s == CUBLAS_STATUS_ALLOC_FAILED)
        return rt_set_error(RT_EOOM, "%s failed: %s (%s:%d)", name, cublasGetStatusString(s), file, line);
    rt_set_error(RT_EDEVICE, "%s failed: %s (%s:%d)", name, cublasGetStatusString(s), file, line);
    if (d && cuda_error_is_sticky(e)) {
        char why[512];
        snprintf(why, sizeof why, "%s failed: %s; %s (%s:%d)", name, cublasGetStatusString(s),
                 cudaGetErrorString(e), file, line);
        rt_device_mark_unusable(d, why);
        rt_set_error(RT_EDEVICE, "%s", why);
    }
    return RT_EDEVICE;
}

/* ---- entering a device ------------------------------------------------------------ */

/* GPUs this process sees (set by rt_cuda_discover). With exactly one, every
 * thread's current device is always 0, so the per-op device check is
 * skipped (it is on the path of every tiny op). */
static int visible_gpus;

cuda_state *cuda_enter_quiet(rt_device *d) {
    if (!d || !d->backend_state) {
        rt_set_error(RT_EDEVICE, "CUDA backend called without device state");
        return NULL;
    }
    if (d->unusable) {
        rt_set_error(RT_EDEVICE, "%s is unusable after an earlier CUDA error", d->name);
        return NULL;
    }
    cuda_state *st = (cuda_state *)d->backend_state;
    int cur = -1;
    /* cudaGetDevice only reads thread state; switch only when needed */
    if (visible_gpus != 1 && (cudaGetDevice(&cur) != cudaSuccess || cur != st->physical)) {
        cudaError_t e = cudaSetDevice(st->physical);
        if (e != cudaSuccess) {
            cuda_fail(d, e, "cudaSetDevice", __FILE__, __LINE__);
            return NULL;
        }
    }
    return st;
}

cuda_state *cuda_enter(rt_device *d) {
    cuda_state *st = cuda_enter_quiet(d);
    if (st && !st->burst_open) {
        cudaError_t e = cudaEventRecord(st->ev_start, st->stream);
        if (e != cudaSuccess) {
            cuda_fail(d, e, "cudaEventRecord", __FILE__, __LINE__);
            return NULL;
        }
        st->burst_open = 1;
    }
    return st;
}

/* Closes the open burst: records ev_end, waits for the stream and adds the
 * burst's GPU time. This is where the host waits for the device. */
rt_status cuda_wait_stream(rt_device *d, cuda_state *st) {
    if (st->burst_open) {
        CU_CHECK(d, cudaEventRecord(st->ev_end, st->stream));
        st->burst_open = 0;
        CU_CHECK(d, cudaEventSynchronize(st->ev_end));
        float ms = 0;
        CU_CHECK(d, cudaEventElapsedTime(&ms, st->ev_start, st->ev_end));
        st->busy_seconds += ms / 1000.0;
    }
    CU_CHECK(d, cudaStreamSynchronize(st->stream));
    return RT_OK;
}

/* ---- discovery ------------------------------------------------------------------------ */

/* Fills props for up to `max` GPUs and returns how many there are (at most
 * max). With no driver, no device or any error: 0 and `reason` says why.
 * Never records an error: having no GPU is a normal state. */
extern "C" int rt_cuda_discover(rt_device_props *props, int max, char *reason, size_t reason_cap) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        if (reason && reason_cap)
            snprintf(reason, reason_cap, "no GPU: cudaGetDeviceCount failed: %s (error %d)",
                     cudaGetErrorString(e), (int)e);
        (void)cudaGetLastError();
        return 0;
    }
    if (count <= 0) {
        if (reason && reason_cap) snprintf(reason, reason_cap, "no GPU: no CUDA device found");
        return 0;
    }
    visible_gpus = count;
    if (count > max) count = max;
    for (int i = 0; i < count; i++) {
        cudaDeviceProp p;
        e = cudaGetDeviceProperties(&p, i);
        if (e != cudaSuccess) {
            if (reason && reason_cap)
                snprintf(reason, reason_cap, "no GPU: cudaGetDeviceProperties(%d) failed: %s (error %d)",
                         i, cudaGetErrorString(e), (int)e);
            (void)cudaGetLastError();
            return 0;
        }
        if (props) {
            memset(&props[i], 0, sizeof props[i]);
            snprintf(props[i].name, sizeof props[i].name, "%s", p.name);
            props[i].total_memory = p.totalGlobalMem;
            props[i].cc_major = p.major;
            props[i].cc_minor = p.minor;
            props[i].multiprocessors = p.multiProcessorCount;
        }
    }
    if (reason && reason_cap) reason[0] = 0;
    return count;
}

/* ---- per-device state ---------------------------------------------------------------- */

static void state_free(cuda_state *st) {
    if (!st) return;
    cuda_staging_free(st);
    if (st->scratch) cudaFree(st->scratch);
    if (st->blas_ws) cudaFree(st->blas_ws);
    if (st->blas) cublasDestroy(st->blas);
    if (st->ev_start) cudaEventDestroy(st->ev_start);
    if (st->ev_end) cudaEventDestroy(st->ev_end);
    if (st->stream) cudaStreamDestroy(st->stream);
    (void)cudaGetLastError();
    free(st);
}

/* Creates the stream, cuBLAS handle, timing events and scratch memory of
 * one logical device on GPU `physical`. NULL with an error recorded on
 * failure (nothing is left allocated). */
extern "C" void *rt_cuda_device_state_new(int physical) {
    cuda_state *st = (cuda_state *)calloc(1, sizeof *st);
    if (!st) { rt_set_error(RT_EOOM, "out of host memory for CUDA device state"); return NULL; }
    st->physical = physical;
    cudaError_t e;
    cublasStatus_t s;
    const char *what = "";
#define STEP(call) do { what = #call; e = (call); if (e != cudaSuccess) goto cuda_err; } while (0)
    STEP(cudaSetDevice(physical));
    STEP(cudaDeviceGetAttribute(&st->sms, cudaDevAttrMultiProcessorCount, physical));
    if (st->sms < 1) st->sms = 1;
    STEP(cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking));
    STEP(cudaEventCreate(&st->ev_start));
    STEP(cudaEventCreate(&st->ev_end));
    STEP(cudaMalloc(&st->scratch, CUDA_SCRATCH_BYTES));
    st->scratch_bytes = CUDA_SCRATCH_BYTES;
#undef STEP
    what = "cublasCreate";
    s = cublasCreate(&st->blas);
    if (s != CUBLAS_STATUS_SUCCESS) { st->blas = NULL; goto blas_err; }
    what = "cublasSetStream";
    s = cublasSetStream(st->blas, st->stream);
    if (s != CUBLAS_STATUS_SUCCESS) goto blas_err;
    /* Full FP32 unless rt_set_matmul_precision("tf32") asks otherwise. */
    what = "cublasSetMathMode";
    s = cublasSetMathMode(st->blas, CUBLAS_DEFAULT_MATH);
    if (s != CUBLAS_STATUS_SUCCESS) goto blas_err;
    st->blas_tf32 = 0;
    /* A workspace of our own (32 MiB, what Hopper's kernels like); without
     * one cuBLAS falls back to its default, so failing here is harmless. */
    st->blas_ws_bytes = (size_t)32 << 20;
    if (cudaMalloc(&st->blas_ws, st->blas_ws_bytes) == cudaSuccess) {
        if (cublasSetWorkspace(st->blas, st->blas_ws, st->blas_ws_bytes) != CUBLAS_STATUS_SUCCESS) {
            cudaFree(st->blas_ws);
            st->blas_ws = NULL;
        }
    } else {
        (void)cudaGetLastError();
        st->blas_ws = NULL;
    }
    e = cudaStreamSynchronize(st->stream);
    if (e != cudaSuccess) { what = "cudaStreamSynchronize"; goto cuda_err; }
    return st;

cuda_err: {
        char name[96];
        call_name(name, sizeof name, what);
        rt_set_error(e == cudaErrorMemoryAllocation ? RT_EOOM : RT_EDEVICE,
                     "creating state for GPU %d: %s failed: %s (%s:%d)", physical, name,
                     cudaGetErrorString(e), __FILE__, __LINE__);
        state_free(st);
        return NULL;
    }
blas_err:
    rt_set_error(RT_EDEVICE, "creating state for GPU %d: %s failed: %s (%s:%d)", physical, what,
                 cublasGetStatusString(s), __FILE__, __LINE__);
    state_free(st);
    return NULL;
}

/* ---- memory and copies ---------------------------------------------------------------- */

/* Plain cudaMalloc (never managed memory). NULL on failure with the CUDA
 * error cleared and nothing recorded: the caching allocator flushes its
 * cache, retries and reports. */
static void *cuda_raw_alloc(rt_device *d, size_t bytes) {
    cuda_state *st = cuda_enter_quiet(d);
    if (!st) { rt_clear_error(); return NULL; }
    void *p = NULL;
    if (bytes == 0) bytes = 1;
    if (cudaMalloc(&p, bytes) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return p;
}

/* cudaFree waits for the device; the allocator frees raw blocks only when
 * flushing, never per op. */
static void cuda_raw_free(rt_device *d, void *p) {
    if (!p || !d || !d->backend_state) return;
    cuda_state *st = (cuda_state *)d->backend_state;
    int cur = -1;
    if (cudaGetDevice(&cur) != cudaSuccess || cur != st->physical) cudaSetDevice(st->physical);
    if (cudaFree(p) != cudaSuccess) (void)cudaGetLastError();
}

static rt_status cuda_mem_info(rt_device *d, size_t *free_bytes, size_t *total_bytes) {
    cuda_state *st = cuda_enter_quiet(d);
    if (!st) return rt_error_code();
    size_t f = 0, t = 0;
    CU_CHECK(d, cudaMemGetInfo(&f, &t));
    if (free_bytes) *free_bytes = f;
    if (total_bytes) *total_bytes = t;
    return RT_OK;
}

/* Host<->device copies: cuda_transfer.cu. */

static rt_status cuda_synchronize(rt_device *d) {
    cuda_state *st = cuda_enter_quiet(d);
    if (!st) return rt_error_code();
    return cuda_wait_stream(d, st);
}

/* GPU seconds of the bursts closed since the last call, plus the open one
 * (which this closes, waiting for it). */
static double cuda_take_busy_seconds(rt_device *d) {
    if (!d || !d->backend_state || d->unusable) return 0;
    cuda_state *st = cuda_enter_quiet(d);
    if (!st) { rt_clear_error(); return 0; }
    if (st->burst_open && cuda_wait_stream(d, st) != RT_OK) return 0;
    double s = st->busy_seconds;
    st->busy_seconds = 0;
    return s;
}

/* ---- the table ----------------------------------------------------------------------- */

static const rt_backend cuda_backend_table = {
    "cuda",
    cuda_raw_alloc,
    cuda_raw_free,
    cuda_mem_info,
    cuda_copy_from_host,
    cuda_copy_to_host,
    cuda_synchronize,
    cuda_binary,
    cuda_unary,
    cuda_copy,
    cuda_fill,
    cuda_where,
    cuda_reduce,
    cuda_matmul,
    cuda_random,
    cuda_gather,
    cuda_take_busy_seconds,
};

extern "C" const rt_backend *rt_cuda_backend(void) { return &cuda_backend_table; }
