/* cuda_loader.c — the CUDA backend lives in its own shared library,
 * libcgpucuda.so (the .cu files of runtime/cuda and runtime/nn, linked against
 * cudart, cuBLAS and NCCL), loaded by the first device discovery.
 *
 * Why: mapping cuBLAS and NCCL costs about 0.4 s and 200 MB at exec. A
 * kernel answering kernel_info, a CPU-only session, `cgpu-kernel --version`
 * must not pay that, and on a machine with no NVIDIA driver (no
 * libcuda.so.1) the library is not loaded at all.
 *
 * The boundary is runtime/cuda_plugin.h: the library exports one entry
 * point, which this file calls with the table of host functions the library
 * calls back (errors, dtypes, devices, the allocator) and which returns the
 * library's versioned table. This file gives the three entry points
 * rt_internal.h declares for the CUDA backend from that table;
 * runtime/nn/gpu_entry.c gives the training layer's through
 * rt_cuda_plugin().
 *
 * Where the library is looked for, first found wins:
 *   $CGPU_CUDA_LIB                      an explicit path
 *   <dir of the executable>/            the build tree (build/cgpu-kernel)
 *   <dir of the executable>/../         test and benchmark programs in build/tests, build/bench
 *   <dir of the executable>/../lib/cgpu/  an installed kernel (PREFIX/bin)
 *
 * Builds without CUDA (no nvcc, NO_CUDA=1) compile this file without
 * CGPU_HAVE_CUDA: nothing is loaded and no GPU is ever found.
 */
#include "cuda_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CGPU_HAVE_CUDA
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#define CUDA_LIBRARY_NAME "libcgpucuda.so"

/* The loaded library's table: set once, under device discovery's
 * pthread_once; NULL until then and when nothing could be loaded. */
static const cgpu_cuda_plugin *lib;

static rt_status host_set_error(rt_status code, const char *message) {
    return rt_set_error(code, "%s", message);
}

/* What the library may call back: one line per entry of cgpu_cuda_host. */
static const cgpu_cuda_host host_table = {
    .version               = CGPU_CUDA_PLUGIN_VERSION,
    .size                  = sizeof(cgpu_cuda_host),
    .set_error             = host_set_error,
    .clear_error           = rt_clear_error,
    .error_code            = rt_error_code,
    .dtype_size            = rt_dtype_size,
    .dtype_name            = rt_dtype_name,
    .unary_op_name         = rt_unary_op_name,
    .device_index          = rt_device_index,
    .device_physical_index = rt_device_physical_index,
    .device_mark_unusable  = rt_device_mark_unusable,
    .matmul_tf32_enabled   = rt_matmul_tf32_enabled,
    .device_alloc          = rt_device_alloc,
    .device_free           = rt_device_free,
};

/* The NVIDIA driver is libcuda.so.1; without it cudart can only report
 * error 35, so the big library is not worth loading. */
static int driver_present(char *reason, size_t cap) {
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (h) return 1; /* kept open: cudart opens it again at once */
    snprintf(reason, cap, "no GPU: no NVIDIA driver on this machine (%s)", dlerror());
    return 0;
}

/* Tries dir/rel; 1 when a file is there (loaded or not: the first found is
 * the one meant, and a failure to load it is reported, not skipped). */
static int try_path(const char *dir, const char *rel, char *path, size_t cap) {
    int n = snprintf(path, cap, "%s%s%s", dir, rel, CUDA_LIBRARY_NAME);
    return n > 0 && (size_t)n < cap && access(path, F_OK) == 0;
}

static int find_library(char *path, size_t cap) {
    const char *env = getenv("CGPU_CUDA_LIB");
    if (env && *env) { snprintf(path, cap, "%s", env); return 1; }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    slash[1] = '\0';
    return try_path(exe, "", path, cap) || try_path(exe, "../", path, cap) ||
           try_path(exe, "../lib/cgpu/", path, cap);
}

static int load_library(char *reason, size_t cap) {
    char path[PATH_MAX + 64];
    if (!find_library(path, sizeof path)) {
        snprintf(reason, cap, "no GPU: the CUDA backend %s is not installed next to this program "
                 "(nor in ../lib/cgpu/; CGPU_CUDA_LIB names another path)", CUDA_LIBRARY_NAME);
        return 0;
    }
    /* RTLD_NOW: a missing CUDA library (cuBLAS, NCCL) is reported here,
     * with its name, not as a crash in the middle of a cell. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(reason, cap, "no GPU: cannot load the CUDA backend: %s", dlerror());
        return 0;
    }
    cgpu_cuda_plugin_open_fn open = (cgpu_cuda_plugin_open_fn)dlsym(h, CGPU_CUDA_PLUGIN_ENTRY);
    if (!open) {
        snprintf(reason, cap, "no GPU: %.300s is not a C-GPU CUDA backend (no %s)", path,
                 CGPU_CUDA_PLUGIN_ENTRY);
        dlclose(h);
        return 0;
    }
    const cgpu_cuda_plugin *table = open(&host_table);
    if (!table || table->version != CGPU_CUDA_PLUGIN_VERSION || table->size != sizeof(cgpu_cuda_plugin)) {
        snprintf(reason, cap, "no GPU: %.300s was built for another version of C-GPU "
                 "(plugin interface %d, this program's is %d); rebuild it", path,
                 table ? table->version : -1, CGPU_CUDA_PLUGIN_VERSION);
        dlclose(h);
        return 0;
    }
    lib = table;
    return 1;
}

int rt_cuda_discover(rt_device_props *props, int max, char *reason, size_t reason_cap) {
    char why[512];
    if (!driver_present(why, sizeof why) || !load_library(why, sizeof why)) {
        if (reason && reason_cap) snprintf(reason, reason_cap, "%s", why);
        return 0;
    }
    return lib->discover(props, max, reason, reason_cap);
}

const rt_backend *rt_cuda_backend(void) { return lib ? lib->backend() : NULL; }

void *rt_cuda_device_state_new(int physical) {
    if (lib) return lib->device_state_new(physical);
    rt_set_error(RT_EDEVICE, "GPU:%d: the CUDA backend is not loaded", physical);
    return NULL;
}

const cgpu_cuda_plugin *rt_cuda_plugin(void) {
    (void)rt_physical_device_count(RT_GPU); /* discovery loads the library */
    return lib;
}

#else /* no CUDA in this build */

int rt_cuda_discover(rt_device_props *props, int max, char *reason, size_t reason_cap) {
    (void)props; (void)max;
    if (reason && reason_cap) snprintf(reason, reason_cap, "this build has no CUDA support");
    return 0;
}

const rt_backend *rt_cuda_backend(void) { return NULL; }

void *rt_cuda_device_state_new(int physical) {
    rt_set_error(RT_EDEVICE, "GPU:%d: this build has no CUDA support", physical);
    return NULL;
}

const cgpu_cuda_plugin *rt_cuda_plugin(void) { return NULL; }

#endif
