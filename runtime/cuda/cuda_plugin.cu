/* cuda_plugin.cu — the CUDA backend library's one entry point
 * (CGPU_CUDA_PLUGIN_ENTRY, see runtime/cuda_plugin.h): keeps the host's
 * table of runtime functions and returns the table of what this library
 * offers.
 *
 * The backend and training code call the runtime by its ordinary names
 * (rt_set_error, rt_device_alloc, ...). This file defines those names inside
 * the library as forwarders through the host's table, so no symbol is left
 * for the executable to provide and the .cu files need not know about the
 * boundary. The library is built with hidden visibility: only the entry
 * point below is exported.
 */
#include "cuda_plugin.h"

#include <stdarg.h>
#include <stdio.h>

/* Set once by the entry point, before any other call into the library. */
static const cgpu_cuda_host *host;

/* ---- what this library offers: one line per entry ----------------------------------- */

static const cgpu_cuda_plugin plugin_table = {
    .version          = CGPU_CUDA_PLUGIN_VERSION,
    .size             = sizeof(cgpu_cuda_plugin),
    .discover         = rt_cuda_discover,
    .backend          = rt_cuda_backend,
    .device_state_new = rt_cuda_device_state_new,
    .nn_ops           = nn_gpu_ops,
    .fused_smem       = nn_gpu_fused_smem,
    .fused_step       = nn_gpu_fused_step,
    .sum_shared       = nn_gpu_sum_shared,
    .nccl_new         = nn_nccl_new,
    .nccl_allreduce   = nn_nccl_allreduce,
    .nccl_free        = nn_nccl_free,
    .nccl_available   = nn_nccl_available,
};

extern "C" __attribute__((visibility("default")))
const cgpu_cuda_plugin *cgpu_cuda_plugin_open(const cgpu_cuda_host *h) {
    if (!h || h->version != CGPU_CUDA_PLUGIN_VERSION || h->size != sizeof(cgpu_cuda_host)) return NULL;
    host = h;
    return &plugin_table;
}

/* ---- the runtime functions this library calls, forwarded to the host --------------- */

extern "C" {

rt_status rt_set_error(rt_status code, const char *fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return host->set_error(code, message);
}
void        rt_clear_error(void) { host->clear_error(); }
rt_status   rt_error_code(void) { return host->error_code(); }
size_t      rt_dtype_size(rt_dtype t) { return host->dtype_size(t); }
const char *rt_dtype_name(rt_dtype t) { return host->dtype_name(t); }
const char *rt_unary_op_name(rt_unary_op op) { return host->unary_op_name(op); }
int         rt_device_index(const rt_device *d) { return host->device_index(d); }
int         rt_device_physical_index(const rt_device *d) { return host->device_physical_index(d); }
void        rt_device_mark_unusable(rt_device *d, const char *why) { host->device_mark_unusable(d, why); }
int         rt_matmul_tf32_enabled(void) { return host->matmul_tf32_enabled(); }
void       *rt_device_alloc(rt_device *d, size_t bytes) { return host->device_alloc(d, bytes); }
void        rt_device_free(rt_device *d, void *p) { host->device_free(d, p); }

} /* extern "C" */
