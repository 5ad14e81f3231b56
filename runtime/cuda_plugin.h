/* cuda_plugin.h — the one boundary between the host (the kernel, tests,
 * benchmarks) and the CUDA backend library, libcgpucuda.so.
 *
 * The library exports a single symbol, CGPU_CUDA_PLUGIN_ENTRY. The host's
 * loader (runtime/cuda_loader.c) dlopens the library on the first device
 * discovery, calls that entry with the table of host functions the library
 * may call back (cgpu_cuda_host), and gets the table of everything the
 * library offers (cgpu_cuda_plugin). Both tables carry the interface
 * version and their size; the loader refuses a library whose version or
 * size differs from the ones it was compiled with, so a stale
 * libcgpucuda.so is reported by name, never called with the wrong layout.
 *
 * Nothing else crosses: the library is linked with -z defs (every symbol it
 * uses is its own or a CUDA/C library's) and hidden visibility, and the
 * executables export nothing to it.
 *
 * Adding an entry the library offers (a cuDNN convolution, a statistic):
 *   1. one field at the end of cgpu_cuda_plugin below;
 *   2. one line in the table of runtime/cuda/cuda_plugin.cu.
 * The host then calls it through rt_cuda_plugin() (NULL without a loaded
 * library). Adding a host function the library needs: one field in
 * cgpu_cuda_host, one line in cuda_loader.c's host table, and its
 * forwarder in cuda_plugin.cu (which keeps the .cu code calling the
 * runtime's ordinary names). Bump CGPU_CUDA_PLUGIN_VERSION when an
 * existing entry changes its meaning or signature.
 *
 * Ownership: both tables are static, owned by their side, and live as long
 * as the process (the library is never unloaded).
 */
#ifndef CGPU_CUDA_PLUGIN_H
#define CGPU_CUDA_PLUGIN_H

#include "rt_internal.h"
#include "nn/nn_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CGPU_CUDA_PLUGIN_VERSION 2   /* 2: nn_ops gained the image-layer kernels */
#define CGPU_CUDA_PLUGIN_ENTRY   "cgpu_cuda_plugin_open"

/* What the host gives the library: the runtime functions the backend and
 * the training kernels call (errors, dtypes, devices, the allocator). */
typedef struct cgpu_cuda_host {
    int    version;   /* CGPU_CUDA_PLUGIN_VERSION */
    size_t size;      /* sizeof(cgpu_cuda_host) */
    /* errors: set_error records an already formatted message */
    rt_status (*set_error)(rt_status code, const char *message);
    void      (*clear_error)(void);
    rt_status (*error_code)(void);
    /* dtypes and op names */
    size_t      (*dtype_size)(rt_dtype t);
    const char *(*dtype_name)(rt_dtype t);
    const char *(*unary_op_name)(rt_unary_op op);
    /* devices */
    int  (*device_index)(const rt_device *d);
    int  (*device_physical_index)(const rt_device *d);
    void (*device_mark_unusable)(rt_device *d, const char *why);
    int  (*matmul_tf32_enabled)(void);
    /* the caching allocator */
    void *(*device_alloc)(rt_device *d, size_t bytes);
    void  (*device_free)(rt_device *d, void *p);
} cgpu_cuda_host;

/* What the library offers. Every entry is non-NULL in a loaded library. */
typedef struct cgpu_cuda_plugin {
    int    version;   /* CGPU_CUDA_PLUGIN_VERSION */
    size_t size;      /* sizeof(cgpu_cuda_plugin) */

    /* discovery and the array backend (runtime/cuda/cuda_device.cu) */
    int               (*discover)(rt_device_props *props, int max, char *reason, size_t reason_cap);
    const rt_backend *(*backend)(void);
    void             *(*device_state_new)(int physical);

    /* training kernels (runtime/nn/kernels.cu) and the fused tiny-model
     * step (runtime/nn/fused.cu) */
    const nn_ops *(*nn_ops)(void);
    size_t        (*fused_smem)(const nn_fused_desc *desc, int64_t rows);
    rt_status     (*fused_step)(rt_device *d, const nn_fused_desc *desc, const nn_fused_args *a);

    /* collectives (runtime/nn/collective.cu): replicas on one GPU, NCCL */
    rt_status (*sum_shared)(rt_device *const *devs, void *const *bufs, int n, int64_t count,
                            rt_dtype t);
    void     *(*nccl_new)(rt_device *const *devs, int n);
    rt_status (*nccl_allreduce)(void *comms, rt_device *const *devs, void *const *bufs, int n,
                                int64_t count, rt_dtype t);
    void      (*nccl_free)(void *comms, int n);
    int       (*nccl_available)(void);
} cgpu_cuda_plugin;

/* The library's one exported function (named CGPU_CUDA_PLUGIN_ENTRY).
 * Keeps `host` (static, never freed) and returns the library's table; NULL
 * when the host's version or size is not the library's. */
typedef const cgpu_cuda_plugin *(*cgpu_cuda_plugin_open_fn)(const cgpu_cuda_host *host);

/* Host side (cuda_loader.c): the loaded library's table, loading it on the
 * first call (device discovery); NULL without CUDA in this build, without a
 * driver, or when the library could not be loaded. */
const cgpu_cuda_plugin *rt_cuda_plugin(void);

#ifdef __cplusplus
}
#endif
#endif
