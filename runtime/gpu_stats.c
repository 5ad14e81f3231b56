/* gpu_stats.c — GPU figures through NVML, host figures through /proc
 * (see gpu_stats.h).
 *
 * Why NVML is loaded here and not behind the CUDA plugin's table: NVML is
 * the driver's library, needs neither cudart nor cuBLAS, and is small.
 * Loading it from the plain-C runtime lets a CPU-only build, or a machine
 * whose CUDA backend failed to load, still report the GPUs, and a sampling
 * thread never maps the CUDA libraries. Like the CUDA backend it is
 * dlopen'd on first use, so nothing of it is mapped at exec.
 *
 * The few NVML entry points used are declared below with the types of
 * NVIDIA's nvml.h (the NVML ABI is versioned per function: the _v2/_v3
 * names are the stable ones), since nvml.h is not part of every toolkit
 * install.
 */
#include "gpu_stats.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the NVML ABI subset (nvml.h) ------------------------------------------------- */

typedef int nvml_return;             /* nvmlReturn_t; 0 is NVML_SUCCESS */
typedef struct nvml_device *nvml_device;
#define NVML_OK 0
#define NVML_TEMPERATURE_GPU 0       /* nvmlTemperatureSensors_t */
#define NVML_CLOCK_SM 1              /* nvmlClockType_t */
typedef struct { unsigned gpu, memory; } nvml_utilization;                 /* nvmlUtilization_t */
typedef struct { unsigned long long total, free, used; } nvml_memory;      /* nvmlMemory_t */
typedef struct {                                                           /* nvmlProcessInfo_t */
    unsigned pid;
    unsigned long long used_gpu_memory;
    unsigned gpu_instance_id, compute_instance_id;
} nvml_process;
#define NVML_VALUE_NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFull

/* The loaded library: bound once under `once`, read-only afterwards. */
static struct {
    int count;                       /* GPUs; 0 when unavailable */
    char reason[256];
    nvml_return (*get_handle)(unsigned index, nvml_device *dev);
    const char *(*error_string)(nvml_return r);
    nvml_return (*get_name)(nvml_device dev, char *name, unsigned len);
    nvml_return (*get_utilization)(nvml_device dev, nvml_utilization *u);
    nvml_return (*get_memory)(nvml_device dev, nvml_memory *m);
    nvml_return (*get_temperature)(nvml_device dev, int sensor, unsigned *celsius);
    nvml_return (*get_power)(nvml_device dev, unsigned *milliwatts);
    nvml_return (*get_power_limit)(nvml_device dev, unsigned *milliwatts);
    nvml_return (*get_clock)(nvml_device dev, int clock, unsigned *mhz);
    nvml_return (*get_processes)(nvml_device dev, unsigned *count, nvml_process *infos);
} nvml;
static pthread_once_t nvml_once = PTHREAD_ONCE_INIT;

#define NVML_BIND(h, field, name) (*(void **)&nvml.field = dlsym((h), (name)))

static void nvml_load(void) {
    const char *env = getenv("CGPU_NVML_LIB");
    const char *path = env && *env ? env : "libnvidia-ml.so.1";
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (env && *env)
            snprintf(nvml.reason, sizeof nvml.reason, "cannot load %.200s (CGPU_NVML_LIB)", path);
        else
            snprintf(nvml.reason, sizeof nvml.reason, "no NVIDIA driver on this machine (%s not found)", path);
        return;
    }
    nvml_return (*init)(void) = NULL;
    nvml_return (*get_count)(unsigned *count) = NULL;
    *(void **)&init = dlsym(h, "nvmlInit_v2");
    *(void **)&get_count = dlsym(h, "nvmlDeviceGetCount_v2");
    NVML_BIND(h, get_handle, "nvmlDeviceGetHandleByIndex_v2");
    NVML_BIND(h, error_string, "nvmlErrorString");
    NVML_BIND(h, get_name, "nvmlDeviceGetName");
    NVML_BIND(h, get_utilization, "nvmlDeviceGetUtilizationRates");
    NVML_BIND(h, get_memory, "nvmlDeviceGetMemoryInfo");
    NVML_BIND(h, get_temperature, "nvmlDeviceGetTemperature");
    NVML_BIND(h, get_power, "nvmlDeviceGetPowerUsage");
    NVML_BIND(h, get_power_limit, "nvmlDeviceGetEnforcedPowerLimit");
    NVML_BIND(h, get_clock, "nvmlDeviceGetClockInfo");
    if (!NVML_BIND(h, get_processes, "nvmlDeviceGetComputeRunningProcesses_v3"))
        NVML_BIND(h, get_processes, "nvmlDeviceGetComputeRunningProcesses_v2");
    if (!init || !get_count || !nvml.get_handle || !nvml.error_string || !nvml.get_memory) {
        snprintf(nvml.reason, sizeof nvml.reason, "%.200s is too old or not NVML (entry points missing)", path);
        dlclose(h);
        return;
    }
    nvml_return r = init();
    unsigned count = 0;
    if (r == NVML_OK) r = get_count(&count);
    if (r != NVML_OK) {
        snprintf(nvml.reason, sizeof nvml.reason, "NVML failed to start: %s (error %d)",
                 nvml.error_string(r), r);
        return; /* kept loaded: NVML may hold state after a failed init */
    }
    if (count == 0) snprintf(nvml.reason, sizeof nvml.reason, "the NVIDIA driver reports no GPU");
    nvml.count = (int)count;
}

int rt_gpu_stats_count(char *reason, size_t reason_cap) {
    pthread_once(&nvml_once, nvml_load);
    if (reason && reason_cap) snprintf(reason, reason_cap, "%s", nvml.count > 0 ? "" : nvml.reason);
    return nvml.count;
}

/* An optional figure: -1 unless the call exists and succeeds. */
#define NVML_OPTIONAL(fn, ...) (nvml.fn && nvml.fn(__VA_ARGS__) == NVML_OK)

rt_status rt_gpu_stats_sample(int index, rt_gpu_stats *out) {
    int count = rt_gpu_stats_count(NULL, 0);
    if (index < 0 || index >= count)
        return rt_set_error(RT_EINDEX, "GPU %d does not exist (NVML sees %d GPU%s)", index, count,
                            count == 1 ? "" : "s");
    nvml_device dev;
    nvml_return r = nvml.get_handle((unsigned)index, &dev);
    nvml_memory mem;
    if (r == NVML_OK) r = nvml.get_memory(dev, &mem);
    if (r != NVML_OK)
        return rt_set_error(RT_EDEVICE, "NVML cannot read GPU %d: %s (error %d)", index,
                            nvml.error_string(r), r);
    memset(out, 0, sizeof *out);
    out->index = index;
    out->memory_used_bytes = (int64_t)mem.used;
    out->memory_total_bytes = (int64_t)mem.total;
    if (!NVML_OPTIONAL(get_name, dev, out->name, (unsigned)sizeof out->name)) snprintf(out->name, sizeof out->name, "GPU %d", index);
    out->name[sizeof out->name - 1] = '\0';
    nvml_utilization u;
    out->utilization = NVML_OPTIONAL(get_utilization, dev, &u) ? (int)u.gpu : -1;
    unsigned v;
    out->temperature_c = NVML_OPTIONAL(get_temperature, dev, NVML_TEMPERATURE_GPU, &v) ? (int)v : -1;
    out->power_watts = NVML_OPTIONAL(get_power, dev, &v) ? v / 1000.0 : -1;
    out->power_limit_watts = NVML_OPTIONAL(get_power_limit, dev, &v) ? v / 1000.0 : -1;
    out->sm_clock_mhz = NVML_OPTIONAL(get_clock, dev, NVML_CLOCK_SM, &v) ? (int)v : -1;
    nvml_process procs[RT_GPU_STATS_MAX_PROCESSES];
    unsigned n = RT_GPU_STATS_MAX_PROCESSES;
    out->process_count = -1;
    if (nvml.get_processes) {
        r = nvml.get_processes(dev, &n, procs);
        /* NVML_ERROR_INSUFFICIENT_SIZE (7): n is the real count, none listed */
        if (r == NVML_OK || r == 7) out->process_count = (int)n;
        int listed = r == NVML_OK ? (int)n : 0;
        if (listed > RT_GPU_STATS_MAX_PROCESSES) listed = RT_GPU_STATS_MAX_PROCESSES;
        for (int i = 0; i < listed; i++) {
            out->processes[i].pid = procs[i].pid;
            out->processes[i].memory_bytes = procs[i].used_gpu_memory == NVML_VALUE_NOT_AVAILABLE
                                                 ? -1 : (int64_t)procs[i].used_gpu_memory;
        }
    }
    return RT_OK;
}

/* ---- the host --------------------------------------------------------------------- */

/* "Key:   123 kB" from a /proc file; -1 when absent. */
static int64_t proc_kb(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    size_t klen = strlen(key);
    int64_t kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') { kb = strtoll(line + klen + 1, NULL, 10); break; }
    fclose(f);
    return kb;
}

rt_status rt_host_stats_sample(rt_cpu_mark *mark, rt_host_stats *out) {
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long t[10] = {0};
    int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &t[0], &t[1], &t[2],
                         &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9]) : 0;
    if (f) fclose(f);
    if (got < 4) return rt_set_error(RT_EDEVICE, "cannot read the CPU counters in /proc/stat");
    /* user nice system idle iowait irq softirq steal (guest time is already in user) */
    uint64_t idle = t[3] + t[4], total = 0;
    for (int i = 0; i < 8 && i < got; i++) total += t[i];
    uint64_t busy = total - idle;
    memset(out, 0, sizeof *out);
    uint64_t dt = total - mark->total_ticks, db = busy - mark->busy_ticks;
    out->cpu_utilization = dt > 0 && total >= mark->total_ticks && busy >= mark->busy_ticks ? 100.0 * (double)db / (double)dt : 0.0;
    mark->busy_ticks = busy;
    mark->total_ticks = total;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    out->cpu_count = cpus > 0 ? (int)cpus : 1;
    int64_t kb;
    out->resident_bytes = (kb = proc_kb("/proc/self/status", "VmRSS")) >= 0 ? kb * 1024 : -1;
    out->peak_resident_bytes = (kb = proc_kb("/proc/self/status", "VmHWM")) >= 0 ? kb * 1024 : -1;
    out->host_memory_total_bytes = (kb = proc_kb("/proc/meminfo", "MemTotal")) >= 0 ? kb * 1024 : -1;
    out->host_memory_available_bytes = (kb = proc_kb("/proc/meminfo", "MemAvailable")) >= 0 ? kb * 1024 : -1;
    return RT_OK;
}
