/* gpu_stats.h — what the machine is doing: per-GPU figures from NVML (the
 * driver's management library) and the host's CPU and this process's
 * memory from /proc. Used by the language's device_stats() and by anything
 * that samples while training (a monitor thread): every function here is
 * thread-safe and cheap enough to call a few times a second.
 *
 * NVML (libnvidia-ml.so.1, installed with the NVIDIA driver) is dlopen'd
 * on the first GPU sample, never at exec, and needs no CUDA runtime: a
 * CPU-only build still reports GPUs when a driver is present, and without
 * a driver the host part works and rt_gpu_stats_count() says why there is
 * no GPU part. $CGPU_NVML_LIB names another library (the tests' stub).
 *
 * GPUs are numbered as NVML and nvidia-smi number them (PCI bus order),
 * which is CUDA's order under CUDA_DEVICE_ORDER=PCI_BUS_ID.
 *
 * Errors: the sampling functions return RT_OK or record an error
 * (rt_set_error) and return its code; they never exit. A figure the GPU
 * does not report (power on some boards, processes inside a container) is
 * -1, never a made-up value.
 */
#ifndef CGPU_GPU_STATS_H
#define CGPU_GPU_STATS_H

#include "rt.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RT_GPU_STATS_MAX_PROCESSES 32

/* One process using a GPU. */
typedef struct {
    unsigned pid;
    int64_t  memory_bytes;   /* -1 when the driver does not say */
} rt_gpu_process;

/* One GPU at one moment. Caller-owned, plain data. */
typedef struct {
    int      index;                /* NVML's (nvidia-smi's) number */
    char     name[96];
    int      utilization;          /* % of the last sample period a kernel ran; -1 unknown */
    int64_t  memory_used_bytes;    /* the driver's view: every process, not only C-GPU */
    int64_t  memory_total_bytes;
    int      temperature_c;        /* -1 unknown */
    double   power_watts;          /* -1 unknown */
    double   power_limit_watts;    /* enforced limit; -1 unknown */
    int      sm_clock_mhz;         /* -1 unknown */
    int      process_count;        /* -1 unknown; may exceed the processes listed */
    rt_gpu_process processes[RT_GPU_STATS_MAX_PROCESSES];
} rt_gpu_stats;

/* GPUs NVML sees; 0 when there is none or NVML cannot be loaded or
 * started, and then `reason` (when given) says why in one sentence, e.g.
 * "no NVIDIA driver on this machine (libnvidia-ml.so.1 not found)". Loads
 * NVML on the first call. */
int rt_gpu_stats_count(char *reason, size_t reason_cap);

/* Samples GPU `index` (0 <= index < rt_gpu_stats_count()). RT_EINDEX for
 * a bad index, RT_EDEVICE when NVML fails for the device. */
rt_status rt_gpu_stats_sample(int index, rt_gpu_stats *out);

/* The host CPU's counters at one moment: a caller keeps one of these per
 * sampling stream (a monitor thread, the device_stats() builtin) so that
 * streams do not disturb each other. Zero-initialise before the first call. */
typedef struct {
    uint64_t busy_ticks, total_ticks;
} rt_cpu_mark;

typedef struct {
    double  cpu_utilization;   /* % of all CPUs busy since *mark (since boot on the first call) */
    int     cpu_count;         /* online CPUs */
    int64_t resident_bytes;    /* this process's resident memory (VmRSS) */
    int64_t peak_resident_bytes; /* its peak (VmHWM) */
    int64_t host_memory_total_bytes;
    int64_t host_memory_available_bytes;
} rt_host_stats;

/* Fills `out` and advances `mark` to now. RT_EDEVICE when /proc cannot be
 * read (not Linux). */
rt_status rt_host_stats_sample(rt_cpu_mark *mark, rt_host_stats *out);

#ifdef __cplusplus
}
#endif
#endif
