/* gpu_entry.c — the training layer's CUDA entry points on the host side:
 * each calls the function of the same name inside libcgpucuda.so
 * (kernels.cu, fused.cu, collective.cu), bound once after device discovery
 * by runtime/cuda_loader.c. Without a loaded library (no CUDA in this
 * build, no driver, no GPU) no GPU device exists, so these are reached only
 * by mistake: they fail cleanly. */
#include "nn_internal.h"

#include <pthread.h>

static struct {
    __typeof__(nn_gpu_ops) *ops;
    __typeof__(nn_gpu_fused_smem) *fused_smem;
    __typeof__(nn_gpu_fused_step) *fused_step;
    __typeof__(nn_gpu_sum_shared) *sum_shared;
    __typeof__(nn_nccl_new) *nccl_new;
    __typeof__(nn_nccl_allreduce) *nccl_allreduce;
    __typeof__(nn_nccl_free) *nccl_free;
    __typeof__(nn_nccl_available) *nccl_available;
} gpu;

static pthread_once_t gpu_once = PTHREAD_ONCE_INIT;

static void bind_all(void) {
    (void)rt_physical_device_count(RT_GPU); /* discovery loads the library */
    gpu.ops = (__typeof__(gpu.ops))rt_cuda_symbol("nn_gpu_ops");
    gpu.fused_smem = (__typeof__(gpu.fused_smem))rt_cuda_symbol("nn_gpu_fused_smem");
    gpu.fused_step = (__typeof__(gpu.fused_step))rt_cuda_symbol("nn_gpu_fused_step");
    gpu.sum_shared = (__typeof__(gpu.sum_shared))rt_cuda_symbol("nn_gpu_sum_shared");
    gpu.nccl_new = (__typeof__(gpu.nccl_new))rt_cuda_symbol("nn_nccl_new");
    gpu.nccl_allreduce = (__typeof__(gpu.nccl_allreduce))rt_cuda_symbol("nn_nccl_allreduce");
    gpu.nccl_free = (__typeof__(gpu.nccl_free))rt_cuda_symbol("nn_nccl_free");
    gpu.nccl_available = (__typeof__(gpu.nccl_available))rt_cuda_symbol("nn_nccl_available");
}

static void bind(void) { pthread_once(&gpu_once, bind_all); }

const nn_ops *nn_gpu_ops(void) {
    bind();
    return gpu.ops ? gpu.ops() : NULL;
}

size_t nn_gpu_fused_smem(const nn_fused_desc *desc, int64_t rows) {
    bind();
    return gpu.fused_smem ? gpu.fused_smem(desc, rows) : 0;
}

rt_status nn_gpu_fused_step(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a) {
    bind();
    if (gpu.fused_step) return gpu.fused_step(d, desc, a);
    return rt_set_error(RT_EDEVICE, "no CUDA backend is loaded (%s)", d ? rt_device_name(d) : "GPU");
}

rt_status nn_gpu_sum_shared(rt_device *const *devs, void *const *bufs, int n, int64_t count, rt_dtype t) {
    bind();
    if (gpu.sum_shared) return gpu.sum_shared(devs, bufs, n, count, t);
    return rt_set_error(RT_EDEVICE, "no CUDA backend is loaded for the GPU all-reduce");
}

void *nn_nccl_new(rt_device *const *devs, int n) {
    bind();
    if (gpu.nccl_new) return gpu.nccl_new(devs, n);
    rt_set_error(RT_EDEVICE, "no CUDA backend with NCCL is loaded");
    return NULL;
}

rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n, int64_t count,
                            rt_dtype t) {
    bind();
    if (gpu.nccl_allreduce) return gpu.nccl_allreduce(comms, devs, bufs, n, count, t);
    return rt_set_error(RT_EDEVICE, "no CUDA backend with NCCL is loaded");
}

void nn_nccl_free(void *comms, int n) {
    bind();
    if (gpu.nccl_free) gpu.nccl_free(comms, n);
}

int nn_nccl_available(void) {
    bind();
    return gpu.nccl_available ? gpu.nccl_available() : 0;
}
