/* nvml_stub.c — a stand-in for libnvidia-ml.so.1 with fixed figures, so the
 * NVML path of runtime/gpu_stats.c runs on machines without a driver
 * (tests/unit/rt_gpu_stats.c loads it through CGPU_NVML_LIB). Two GPUs:
 * GPU 0 reports everything and one process; GPU 1 reports no power and no
 * processes (NVML_ERROR_NOT_SUPPORTED), as some boards do.
 * The types follow NVIDIA's nvml.h. */
#include <stdio.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct stub_gpu { int index; } *nvmlDevice_t;
typedef struct { unsigned gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned pid; unsigned long long usedGpuMemory; unsigned gpuInstanceId, computeInstanceId; } nvmlProcessInfo_t;

enum { OK = 0, NOT_SUPPORTED = 3, INVALID_ARGUMENT = 2, INSUFFICIENT_SIZE = 7 };
static struct stub_gpu gpus[2] = {{0}, {1}};
static int started;

nvmlReturn_t nvmlInit_v2(void) { started = 1; return OK; }
nvmlReturn_t nvmlShutdown(void) { started = 0; return OK; }
const char *nvmlErrorString(nvmlReturn_t r) { return r == NOT_SUPPORTED ? "Not Supported" : "Stub Error"; }
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *n) { *n = 2; return started ? OK : 1; }
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *d) {
    if (i >= 2) return INVALID_ARGUMENT;
    *d = &gpus[i];
    return OK;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned len) {
    snprintf(name, len, "Stub GPU %d", d->index);
    return OK;
}
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
    u->gpu = d->index ? 0 : 42;
    u->memory = 7;
    return OK;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m) {
    m->total = 80ull << 30;
    m->used = d->index ? 0 : (3ull << 30);
    m->free = m->total - m->used;
    return OK;
}
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned *t) {
    *t = sensor == 0 ? 55u + (unsigned)d->index : 0;
    return sensor == 0 ? OK : INVALID_ARGUMENT;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned *mw) {
    if (d->index) return NOT_SUPPORTED;
    *mw = 123456;
    return OK;
}
nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned *mw) {
    if (d->index) return NOT_SUPPORTED;
    *mw = 700000;
    return OK;
}
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int clock, unsigned *mhz) {
    *mhz = clock == 1 ? 1980 : 2619;
    return OK;
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned *n, nvmlProcessInfo_t *p) {
    if (d->index) return NOT_SUPPORTED;
    if (*n < 1) { *n = 1; return INSUFFICIENT_SIZE; }
    memset(p, 0, sizeof *p);
    p->pid = 4242;
    p->usedGpuMemory = 512ull << 20;
    *n = 1;
    return OK;
}
