/* rt_internal.h — runtime-internal types shared by the registry, the
 * dispatcher, the allocator, the backends and the layers above them (nn,
 * strategy). Not for the language: it includes only rt.h.
 */
#ifndef CGPU_RT_INTERNAL_H
#define CGPU_RT_INTERNAL_H

#include "rt.h"
#include "rt_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_allocator rt_allocator; /* alloc.c */

/* A logical device. Owned by the registry (device.c) for the life of the
 * process. Virtual devices split one physical device: they share its
 * backend and physical index, each has its own stream and allocator. */
struct rt_device {
    rt_device_kind     kind;
    int                index;     /* logical index within kind */
    int                physical;  /* physical index within kind */
    char               name[16];  /* "GPU:0" */
    const rt_backend  *backend;
    void              *backend_state; /* CUDA: stream, cuBLAS handle, events */
    rt_allocator      *alloc;
    int                used;      /* an array has been placed here */
    int                unusable;  /* sticky CUDA error: refuse new work */
};

/* A refcounted buffer on one device. Freed (returned to the caching
 * allocator) when the last array referring to it is released. */
struct rt_storage {
    int        refcount;
    rt_device *device;
    void      *data;
    size_t     bytes;
    int        adopted;  /* data is a malloc'd host buffer (rt_adopt_host): free() it */
};

/* Caching allocator (alloc.c): blocks are reused by size class; raw memory
 * comes from the backend. On failure it flushes the device's cache, retries
 * once, then records RT_EOOM with requested, free and cached bytes. */
rt_storage *rt_storage_new(rt_device *d, size_t bytes);
void        rt_storage_release(rt_storage *s);
void       *rt_device_alloc(rt_device *d, size_t bytes);   /* cached block */
void        rt_device_free(rt_device *d, void *p);
void        rt_allocator_flush(rt_device *d);
void        rt_allocator_stats(rt_device *d, size_t *used, size_t *cached);
/* Counts since process start: raw backend allocations, and requests served
 * from the cache (tests check that blocks are reused). */
void        rt_allocator_counters(rt_device *d, uint64_t *raw_allocs, uint64_t *reuses);

/* A view describing the array's elements (data points at element 0). */
rt_view rt_view_of(const rt_array *a);
/* New array object over existing storage (retains it). */
rt_array *rt_array_wrap(rt_storage *s, rt_dtype t, const int64_t *shape,
                        const int64_t *strides, int ndim, int64_t offset);
/* Checks `d` is usable and marks it used; RT_EDEVICE otherwise. */
rt_status rt_device_begin(rt_device *d);

/* CUDA backend entry points. The .cu files in runtime/cuda/ define them in
 * libcgpucuda.so (reached through its table, cuda_plugin.h);
 * runtime/cuda_loader.c defines the host's versions, which
 * load that library on discovery and find no GPU when it (or the NVIDIA
 * driver, or CUDA in this build) is missing. */
int  rt_cuda_discover(rt_device_props *props, int max, char *reason, size_t reason_cap);
const rt_backend *rt_cuda_backend(void);
/* Creates per-logical-device state (stream, cuBLAS handle) on physical GPU
 * `physical`. NULL with an error recorded on failure. */
void *rt_cuda_device_state_new(int physical);
/* The rest of the library's entries (training kernels, collectives):
 * rt_cuda_plugin() in cuda_plugin.h. */

const rt_backend *rt_cpu_backend(void);

/* Set by rt_set_matmul_precision(): 1 when "tf32" was chosen. Read by the
 * CUDA backend before each SGEMM. */
int rt_matmul_tf32_enabled(void);
/* Marks a device unusable after a sticky CUDA error; later work placed on
 * it fails with RT_EDEVICE and the default device falls back to CPU:0. */
void rt_device_mark_unusable(rt_device *d, const char *why);

#ifdef __cplusplus
}
#endif
#endif
