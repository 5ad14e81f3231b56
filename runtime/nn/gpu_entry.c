/* gpu_entry.c — the training layer's CUDA entry points on the host side:
 * each calls the matching entry of the CUDA library's table (kernels.cu,
 * fused.cu, collective.cu behind runtime/cuda_plugin.h). Without a loaded
 * library (no CUDA in this build, no driver, no GPU) no GPU device exists,
 * so these are reached only by mistake: they fail cleanly. */
#include "nn_internal.h"
#include "cuda_plugin.h"

const nn_ops *nn_gpu_ops(void) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    return p ? p->nn_ops() : NULL;
}

size_t nn_gpu_fused_smem(const nn_fused_desc *desc, int64_t rows) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    return p ? p->fused_smem(desc, rows) : 0;
}

rt_status nn_gpu_fused_step(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    if (p) return p->fused_step(d, desc, a);
    return rt_set_error(RT_EDEVICE, "no CUDA backend is loaded (%s)", d ? rt_device_name(d) : "GPU");
}

rt_status nn_gpu_sum_shared(rt_device *const *devs, void *const *bufs, int n, int64_t count, rt_dtype t) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    if (p) return p->sum_shared(devs, bufs, n, count, t);
    return rt_set_error(RT_EDEVICE, "no CUDA backend is loaded for the GPU all-reduce");
}

void *nn_nccl_new(rt_device *const *devs, int n) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    if (p) return p->nccl_new(devs, n);
    rt_set_error(RT_EDEVICE, "no CUDA backend with NCCL is loaded");
    return NULL;
}

rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n, int64_t count,
                            rt_dtype t) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    if (p) return p->nccl_allreduce(comms, devs, bufs, n, count, t);
    return rt_set_error(RT_EDEVICE, "no CUDA backend with NCCL is loaded");
}

void nn_nccl_free(void *comms, int n) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    if (p) p->nccl_free(comms, n);
}

int nn_nccl_available(void) {
    const cgpu_cuda_plugin *p = rt_cuda_plugin();
    return p ? p->nccl_available() : 0;
}
