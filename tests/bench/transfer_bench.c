/* transfer_bench.c — host<->device copy bandwidth of the runtime (the path
 * `.to()`, array creation and training uploads take: pinned staging in
 * runtime/cuda/cuda_transfer.cu) beside cudaMemcpy from and to pinned
 * memory, and from and to ordinary (pageable) memory, in the same run on
 * the same GPU. tests/bench/transfer_bench.sh runs it.
 *
 *   transfer_bench [MiB...]     default 16 64 256
 *
 * Ours: rt_from_host of a float32 host buffer onto GPU:0 + rt_synchronize
 * (host->device), rt_to_host into a host buffer (device->host); host
 * buffers are malloc'd and touched once, as a program's arrays are. The
 * peers call cudart directly (the one the CUDA backend loaded). Median of
 * 7 after a warm-up. Prints one line per size and direction:
 *   h2d MiB=256 ours=24.1 pinned=25.3 pageable=7.8 GB/s ours/pinned=0.95
 * and checks the round trip is exact.
 */
#include "rt.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 7

/* The cudart calls the peers need (cuda_runtime_api.h's signatures). */
static struct {
    int (*malloc_device)(void **p, size_t bytes);
    int (*free_device)(void *p);
    int (*host_alloc)(void **p, size_t bytes, unsigned flags);
    int (*free_host)(void *p);
    int (*memcpy)(void *dst, const void *src, size_t bytes, int kind);
    int (*synchronize)(void);
} cudart;
enum { H2D = 1, D2H = 2 }; /* cudaMemcpyKind */

/* The cudart the backend mapped (so the same context and device are used). */
static int bind_cudart(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[4096], path[4096] = "";
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "/");
        if (p && strstr(p, "libcudart.so")) { snprintf(path, sizeof path, "%s", p); break; }
    }
    fclose(f);
    path[strcspn(path, "\n")] = 0;
    void *h = path[0] ? dlopen(path, RTLD_NOW) : NULL; /* the loaded one: same file */
    if (!h) return 0;
    *(void **)&cudart.malloc_device = dlsym(h, "cudaMalloc");
    *(void **)&cudart.free_device = dlsym(h, "cudaFree");
    *(void **)&cudart.host_alloc = dlsym(h, "cudaHostAlloc");
    *(void **)&cudart.free_host = dlsym(h, "cudaFreeHost");
    *(void **)&cudart.memcpy = dlsym(h, "cudaMemcpy");
    *(void **)&cudart.synchronize = dlsym(h, "cudaDeviceSynchronize");
    return cudart.malloc_device && cudart.free_device && cudart.host_alloc && cudart.free_host &&
           cudart.memcpy && cudart.synchronize;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* GB/s of `bytes` moved in the median of REPS timed calls (one warm-up). */
#define TIMED(bytes, call) ({ double t_[REPS]; (void)(call); \
    for (int r_ = 0; r_ < REPS; r_++) { double s_ = now(); (void)(call); t_[r_] = now() - s_; } \
    (double)(bytes) / median(t_, REPS) / 1e9; })

static int ours_h2d(const float *host, int64_t n, rt_device *gpu) {
    rt_array *a = rt_from_host(host, RT_FLOAT32, &n, 1, RT_FLOAT32, gpu);
    int ok = a && rt_synchronize(gpu) == RT_OK;
    rt_array_release(a);
    return ok;
}

int main(int argc, char **argv) {
    if (rt_physical_device_count(RT_GPU) == 0) {
        printf("skipped: no GPU (%s)\n", rt_gpu_unavailable_reason());
        return 0;
    }
    rt_device *gpu = rt_device_get(RT_GPU, 0);
    if (!bind_cudart()) {
        printf("skipped: the CUDA runtime the backend uses could not be found for the peers\n");
        return 0;
    }
    rt_device_props p;
    rt_device_properties(RT_GPU, 0, &p);
    printf("device: %s\n", p.name);
    int nsizes = argc > 1 ? argc - 1 : 3;
    static const char *defaults[] = { "16", "64", "256" };
    int failed = 0;
    for (int s = 0; s < nsizes; s++) {
        size_t mib = (size_t)atol(argc > 1 ? argv[s + 1] : defaults[s]);
        size_t bytes = mib << 20;
        int64_t n = (int64_t)(bytes / 4);
        float *host = malloc(bytes), *back = malloc(bytes);
        void *pinned = NULL, *dev = NULL;
        if (!host || !back || cudart.host_alloc(&pinned, bytes, 0) || cudart.malloc_device(&dev, bytes)) {
            printf("size %zu MiB: cannot allocate the buffers\n", mib);
            return 1;
        }
        for (int64_t i = 0; i < n; i++) host[i] = (float)(i % 1000003);
        memset(back, 0, bytes);
        memset(pinned, 0, bytes);

        rt_array *a = rt_from_host(host, RT_FLOAT32, &n, 1, RT_FLOAT32, gpu);
        if (!a) { printf("rt_from_host failed: %s\n", rt_error_message()); return 1; }
        double ours_up = TIMED(bytes, ours_h2d(host, n, gpu));
        double ours_down = TIMED(bytes, rt_to_host(a, RT_FLOAT32, back));
        if (memcmp(host, back, bytes) != 0) { printf("size %zu MiB: the round trip differs\n", mib); failed = 1; }
        double pin_up = TIMED(bytes, cudart.memcpy(dev, pinned, bytes, H2D));
        double pin_down = TIMED(bytes, cudart.memcpy(pinned, dev, bytes, D2H));
        double page_up = TIMED(bytes, cudart.memcpy(dev, host, bytes, H2D));
        double page_down = TIMED(bytes, cudart.memcpy(back, dev, bytes, D2H));
        printf("h2d MiB=%zu ours=%.2f pinned=%.2f pageable=%.2f GB/s ours/pinned=%.2f\n", mib, ours_up, pin_up,
               page_up, ours_up / pin_up);
        printf("d2h MiB=%zu ours=%.2f pinned=%.2f pageable=%.2f GB/s ours/pinned=%.2f\n", mib, ours_down, pin_down,
               page_down, ours_down / pin_down);
        rt_array_release(a);
        cudart.free_host(pinned);
        cudart.free_device(dev);
        free(host);
        free(back);
    }
    printf("target: ours/pinned >= 0.80 in both directions\n");
    return failed;
}
