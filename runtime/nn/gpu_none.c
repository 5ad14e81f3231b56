/* gpu_none.c — the CUDA entry points of runtime/nn for builds without
 * CUDA: no GPU kernels, every call fails cleanly (no GPU device can exist
 * in such a build, so these are reached only by mistake). */
#include "nn_internal.h"

#ifndef CGPU_HAVE_CUDA

const nn_ops *nn_gpu_ops(void) { return NULL; }

size_t nn_gpu_fused_smem(const nn_fused_desc *desc, int64_t rows) { (void)desc; (void)rows; return 0; }

rt_status nn_gpu_fused_step(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a)
{
    (void)desc; (void)a;
    return rt_set_error(RT_EDEVICE, "this build has no CUDA support (%s)", d ? rt_device_name(d) : "GPU");
}

rt_status nn_gpu_sum_shared(rt_device *const *devs, void *const *bufs, int n, int64_t count, rt_dtype t)
{
    (void)devs; (void)bufs; (void)n; (void)count; (void)t;
    return rt_set_error(RT_EDEVICE, "this build has no CUDA support for the GPU all-reduce");
}

void *nn_nccl_new(rt_device *const *devs, int n)
{
    (void)devs; (void)n;
    rt_set_error(RT_EDEVICE, "this build has no NCCL");
    return NULL;
}

rt_status nn_nccl_allreduce(void *comms, rt_device *const *devs, void *const *bufs, int n, int64_t count, rt_dtype t)
{
    (void)comms; (void)devs; (void)bufs; (void)n; (void)count; (void)t;
    return rt_set_error(RT_EDEVICE, "this build has no NCCL");
}

void nn_nccl_free(void *comms, int n) { (void)comms; (void)n; }

int nn_nccl_available(void) { return 0; }

#else
/* CUDA builds take these from kernels.cu, fused.cu and collective.cu. An
 * empty translation unit is not allowed in ISO C. */
typedef int nn_gpu_none_unused;
#endif
