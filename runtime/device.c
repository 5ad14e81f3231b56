/* device.c — the device registry: discovery, logical/virtual devices,
 * placement scopes, placement logging, memory info, matmul precision.
 *
 * Discovery runs on the first call of any device function, never at process
 * start, so a CPU-only session never touches the CUDA driver. CPU:0 always
 * exists. Virtual devices split physical device 0 of a kind into n logical
 * ones; they can be configured until an array has been placed on a device
 * of that kind. Device structs are never freed: pointers handed out stay
 * valid for the life of the process, even across reconfiguration.
 */
#include "rt_core.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_PHYSICAL 16
#define MAX_LOGICAL 64

/* The registry: one per process, owned by this file. */
static struct {
    int gpu_physical;
    rt_device_props gpu_props[MAX_PHYSICAL];
    char gpu_reason[512];
    /* current logical devices, index = logical index */
    rt_device *logical[2][MAX_LOGICAL];
    int nlogical[2];
    /* pools that keep every struct ever made: virtual devices of physical 0,
     * and the single device of each other physical device */
    rt_device *virt_pool[2][MAX_LOGICAL];
    rt_device *phys_dev[2][MAX_PHYSICAL];
    char unusable_why[2][MAX_LOGICAL][256];
    int tf32;
    int log_on;
    rt_log_fn log_fn;
    void *log_ctx;
} reg;

static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

static int physical_count(rt_device_kind kind) { return kind == RT_CPU ? 1 : reg.gpu_physical; }

static const rt_backend *backend_for(rt_device_kind kind) {
    return kind == RT_CPU ? rt_cpu_backend() : rt_cuda_backend();
}

/* Makes a device struct; only fails on host OOM, which we treat as fatal to
 * discovery of that one device (it is simply not listed). */
static rt_device *device_make(rt_device_kind kind, int physical) {
    rt_device *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->kind = kind;
    d->physical = physical;
    d->backend = backend_for(kind);
    d->alloc = rt_allocator_new(d);
    if (!d->alloc) { free(d); return NULL; }
    return d;
}

static void device_name_set(rt_device *d, int index) {
    d->index = index;
    snprintf(d->name, sizeof d->name, "%s:%d", d->kind == RT_CPU ? "CPU" : "GPU", index);
}

/* Rebuilds the logical list of `kind`: n virtual devices on physical 0, then
 * one device per remaining physical device. Returns the count made. */
static int layout(rt_device_kind kind, int n) {
    int np = physical_count(kind), k = 0;
    if (np == 0) { reg.nlogical[kind] = 0; return 0; }
    for (int i = 0; i < n && k < MAX_LOGICAL; i++) {
        if (!reg.virt_pool[kind][i]) reg.virt_pool[kind][i] = device_make(kind, 0);
        if (!reg.virt_pool[kind][i]) break;
        device_name_set(reg.virt_pool[kind][i], k);
        reg.logical[kind][k++] = reg.virt_pool[kind][i];
    }
    for (int p = 1; p < np && k < MAX_LOGICAL; p++) {
        if (!reg.phys_dev[kind][p]) reg.phys_dev[kind][p] = device_make(kind, p);
        if (!reg.phys_dev[kind][p]) continue;
        device_name_set(reg.phys_dev[kind][p], k);
        reg.logical[kind][k++] = reg.phys_dev[kind][p];
    }
    reg.nlogical[kind] = k;
    return k;
}

/* Runs just before discovery: the language copies its os.environ into the
 * process environment then, so CUDA_VISIBLE_DEVICES set in a cell counts. */
static void (*discovery_hook)(void *ctx);
static void *discovery_ctx;

void rt_set_discovery_hook(void (*fn)(void *ctx), void *ctx) {
    discovery_hook = fn;
    discovery_ctx = ctx;
}

/* CUDA_VISIBLE_DEVICES that lists no device ("" or "-1", as TensorFlow's
 * users write to hide GPUs): no CUDA library needs loading. */
static int all_gpus_hidden(char *reason, size_t cap) {
#ifdef CGPU_HAVE_CUDA
    const char *v = getenv("CUDA_VISIBLE_DEVICES");
    if (!v || (*v && strncmp(v, "-1", 2) != 0)) return 0;
    snprintf(reason, cap, "CUDA_VISIBLE_DEVICES='%s' hides every GPU", v);
    return 1;
#else
    (void)reason; (void)cap;
    return 0;
#endif
}

static void discover(void) {
    if (discovery_hook) discovery_hook(discovery_ctx);
    int n = all_gpus_hidden(reg.gpu_reason, sizeof reg.gpu_reason) ? 0
          : rt_cuda_discover(reg.gpu_props, MAX_PHYSICAL, reg.gpu_reason, sizeof reg.gpu_reason);
    /* the reason says why; callers say "no GPU" themselves ("No GPU: ...") */
    if (strncmp(reg.gpu_reason, "no GPU: ", 8) == 0)
        memmove(reg.gpu_reason, reg.gpu_reason + 8, strlen(reg.gpu_reason + 8) + 1);
    if (n > 0 && !rt_cuda_backend()) {
        snprintf(reg.gpu_reason, sizeof reg.gpu_reason, "the CUDA backend is missing from this build");
        n = 0;
    }
    if (n < 0) n = 0;
    if (n > MAX_PHYSICAL) n = MAX_PHYSICAL;
    if (n == 0 && !reg.gpu_reason[0]) snprintf(reg.gpu_reason, sizeof reg.gpu_reason, "no GPU found");
    if (n > 0) reg.gpu_reason[0] = '\0';
    reg.gpu_physical = n;
    layout(RT_CPU, 1);
    layout(RT_GPU, 1);
    /* Discovery may have recorded CUDA errors while probing; they are
     * explained by gpu_reason and must not leak into the caller's state. */
    rt_clear_error();
}

static void ensure_init(void) { pthread_once(&reg_once, discover); }

int rt_physical_device_count(rt_device_kind kind) {
    ensure_init();
    return (kind == RT_CPU || kind == RT_GPU) ? physical_count(kind) : 0;
}

int rt_logical_device_count(rt_device_kind kind) {
    ensure_init();
    return (kind == RT_CPU || kind == RT_GPU) ? reg.nlogical[kind] : 0;
}

rt_device *rt_device_get(rt_device_kind kind, int logical_index) {
    ensure_init();
    if (kind != RT_CPU && kind != RT_GPU) return NULL;
    pthread_mutex_lock(&reg_lock);
    rt_device *d = (logical_index >= 0 && logical_index < reg.nlogical[kind])
                       ? reg.logical[kind][logical_index] : NULL;
    pthread_mutex_unlock(&reg_lock);
    return d;
}

const char *rt_gpu_unavailable_reason(void) {
    ensure_init();
    return reg.gpu_physical > 0 ? NULL : reg.gpu_reason;
}

/* Accepts "CPU:0", "gpu:1", "/GPU:0", "/device:GPU:0", the full TensorFlow
 * form "/job:localhost/replica:0/task:0/device:GPU:0", and "cpu"/"gpu". */
rt_device *rt_device_parse(const char *name) {
    ensure_init();
    if (!name) { rt_set_error(RT_EVALUE, "device name is missing"); return NULL; }
    const char *s = name;
    const char *dev = strcasestr(s, "device:");
    if (dev) s = dev + 7;
    else while (*s == '/') s++;
    rt_device_kind kind;
    if (strncasecmp(s, "cpu", 3) == 0) kind = RT_CPU;
    else if (strncasecmp(s, "gpu", 3) == 0) kind = RT_GPU;
    else { rt_set_error(RT_EVALUE, "invalid device name '%s' (expected e.g. 'CPU:0' or 'GPU:0')", name); return NULL; }
    s += 3;
    long idx = 0;
    if (*s == ':') {
        s++;
        if (!isdigit((unsigned char)*s)) {
            rt_set_error(RT_EVALUE, "invalid device name '%s' (expected e.g. 'CPU:0' or 'GPU:0')", name);
            return NULL;
        }
        char *end;
        idx = strtol(s, &end, 10);
        s = end;
    }
    if (*s != '\0') {
        rt_set_error(RT_EVALUE, "invalid device name '%s' (expected e.g. 'CPU:0' or 'GPU:0')", name);
        return NULL;
    }
    rt_device *d = (idx <= MAX_LOGICAL) ? rt_device_get(kind, (int)idx) : NULL;
    if (!d) {
        int n = rt_logical_device_count(kind);
        if (kind == RT_GPU && n == 0)
            rt_set_error(RT_EDEVICE, "device GPU:%ld does not exist: no GPU is available (%s)", idx, reg.gpu_reason);
        else
            rt_set_error(RT_EDEVICE, "device %s:%ld does not exist (%d logical %s device%s)",
                         kind == RT_CPU ? "CPU" : "GPU", idx, n, kind == RT_CPU ? "CPU" : "GPU", n == 1 ? "" : "s");
    }
    return d;
}

const char *rt_device_name(const rt_device *d) { return d ? d->name : "(no device)"; }
rt_device_kind rt_device_kind_of(const rt_device *d) { return d ? d->kind : RT_CPU; }
int rt_device_index(const rt_device *d) { return d ? d->index : -1; }
int rt_device_physical_index(const rt_device *d) { return d ? d->physical : -1; }

static void cpu_props(rt_device_props *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t') c++;
                    c[strcspn(c, "\n")] = '\0';
                    snprintf(out->name, sizeof out->name, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    out->total_memory = (pages > 0 && psize > 0) ? (size_t)pages * (size_t)psize : 0;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    out->multiprocessors = n > 0 ? (int)n : 1;
}

int rt_device_properties(rt_device_kind kind, int physical_index, rt_device_props *out) {
    ensure_init();
    if (!out) return rt_set_error(RT_EVALUE, "rt_device_properties: output is NULL");
    if (physical_index < 0 || physical_index >= rt_physical_device_count(kind))
        return rt_set_error(RT_EDEVICE, "no physical %s device %d", kind == RT_CPU ? "CPU" : "GPU", physical_index);
    if (kind == RT_CPU) cpu_props(out);
    else *out = reg.gpu_props[physical_index];
    return RT_OK;
}

rt_status rt_set_virtual_devices(rt_device_kind kind, int n) {
    ensure_init();
    const char *kn = kind == RT_CPU ? "CPU" : "GPU";
    if (kind != RT_CPU && kind != RT_GPU) return rt_set_error(RT_EVALUE, "unknown device kind");
    if (n < 1 || n > MAX_LOGICAL)
        return rt_set_error(RT_EVALUE, "number of virtual %s devices must be between 1 and %d, got %d", kn, MAX_LOGICAL, n);
    if (physical_count(kind) == 0)
        return rt_set_error(RT_EDEVICE, "cannot configure virtual GPUs: no GPU is available (%s)", reg.gpu_reason);
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < reg.nlogical[kind]; i++) {
        if (reg.logical[kind][i]->used) {
            pthread_mutex_unlock(&reg_lock);
            return rt_set_error(RT_EVALUE, "virtual devices cannot be modified after %s devices have been initialized", kn);
        }
    }
    int made = layout(kind, n);
    pthread_mutex_unlock(&reg_lock);
    if (made < n) return rt_set_error(RT_EOOM, "out of host memory while creating virtual %s devices", kn);
    return RT_OK;
}

rt_status rt_device_begin(rt_device *d) {
    if (!d) return rt_set_error(RT_EDEVICE, "no device");
    if (d->unusable) {
        const char *why = (d->index >= 0 && d->index < MAX_LOGICAL) ? reg.unusable_why[d->kind][d->index] : "";
        return rt_set_error(RT_EDEVICE, "%s is unusable after an earlier CUDA error%s%s; restart the kernel to use it again",
                            d->name, why[0] ? ": " : "", why);
    }
    if (d->kind == RT_GPU && !d->backend_state) {
        pthread_mutex_lock(&reg_lock);
        if (!d->backend_state) d->backend_state = rt_cuda_device_state_new(d->physical);
        void *st = d->backend_state;
        pthread_mutex_unlock(&reg_lock);
        if (!st) {
            if (rt_error_code() == RT_OK) rt_set_error(RT_EDEVICE, "%s: could not initialise the CUDA device", d->name);
            return rt_error_code();
        }
    }
    d->used = 1;
    return RT_OK;
}

void rt_device_mark_unusable(rt_device *d, const char *why) {
    if (!d) return;
    d->unusable = 1;
    if (d->index >= 0 && d->index < MAX_LOGICAL)
        snprintf(reg.unusable_why[d->kind][d->index], sizeof reg.unusable_why[0][0], "%s", why ? why : "");
}

/* ---- placement ------------------------------------------------------------ */

/* Per thread: each replica thread of a strategy has its own scope. */
#define PLACEMENT_DEPTH 64
static _Thread_local rt_device *placement[PLACEMENT_DEPTH];
static _Thread_local int placement_depth;

rt_device *rt_default_device(void) {
    ensure_init();
    for (int i = (placement_depth < PLACEMENT_DEPTH ? placement_depth : PLACEMENT_DEPTH) - 1; i >= 0; i--)
        if (placement[i]) return placement[i];
    rt_device *g = reg.nlogical[RT_GPU] > 0 ? reg.logical[RT_GPU][0] : NULL;
    if (g && !g->unusable) return g;
    return reg.logical[RT_CPU][0];
}

rt_device *rt_resolve_device(rt_device *d) { return d ? d : rt_default_device(); }

/* Deeper than PLACEMENT_DEPTH scopes still pop in step: the depth counts
 * them, the extra entries are just not recorded. */
void rt_push_device(rt_device *d) {
    if (placement_depth < PLACEMENT_DEPTH) placement[placement_depth] = d;
    placement_depth++;
}

void rt_pop_device(void) {
    if (placement_depth > 0) placement_depth--;
}

/* ---- placement logging ---------------------------------------------------- */

static _Thread_local int log_quiet;

void rt_set_log_device_placement(int on) { reg.log_on = on != 0; }
int rt_log_device_placement(void) { return reg.log_on; }

void rt_set_log_sink(rt_log_fn fn, void *ctx) {
    reg.log_fn = fn;
    reg.log_ctx = ctx;
}

void rt_log_quiet_push(void) { log_quiet++; }
void rt_log_quiet_pop(void) { if (log_quiet > 0) log_quiet--; }

void rt_log_op(const char *op, const rt_device *d) {
    if (!reg.log_on || log_quiet) return;
    char line[160];
    snprintf(line, sizeof line, "%s on %s", op ? op : "?", rt_device_name(d));
    if (reg.log_fn) reg.log_fn(reg.log_ctx, line);
    else fprintf(stderr, "%s\n", line);
}

/* ---- synchronisation, memory, precision, timing ---------------------------- */

static rt_status sync_one(rt_device *d) {
    if (d->kind == RT_GPU && !d->backend_state) return RT_OK; /* never used: nothing queued */
    return d->backend->synchronize ? d->backend->synchronize(d) : RT_OK;
}

rt_status rt_synchronize(rt_device *d) {
    ensure_init();
    if (d) return sync_one(d);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < reg.nlogical[k]; i++) {
            rt_status st = sync_one(reg.logical[k][i]);
            if (st != RT_OK) return st;
        }
    return RT_OK;
}

rt_status rt_get_memory_info(rt_device *d, rt_memory_info *out) {
    ensure_init();
    if (!out) return rt_set_error(RT_EVALUE, "rt_get_memory_info: output is NULL");
    d = rt_resolve_device(d);
    memset(out, 0, sizeof *out);
    rt_allocator_stats(d, &out->used, &out->cached);
    out->limit = d->kind == RT_CPU && !rt_device_memory_limit(d) ? rt_host_memory_limit(NULL) : rt_device_memory_limit(d);
    if (d->kind == RT_GPU && !d->backend_state) {
        out->total = reg.gpu_props[d->physical].total_memory;
        return RT_OK;
    }
    size_t free_b = 0, total_b = 0;
    rt_status st = d->backend->mem_info ? d->backend->mem_info(d, &free_b, &total_b) : RT_OK;
    if (st != RT_OK) return st;
    out->total = total_b;
    return RT_OK;
}

rt_status rt_set_matmul_precision(const char *precision) {
    if (precision && strcmp(precision, "highest") == 0) reg.tf32 = 0;
    else if (precision && (strcmp(precision, "tf32") == 0 || strcmp(precision, "high") == 0)) reg.tf32 = 1;
    else return rt_set_error(RT_EVALUE, "unknown matmul precision '%s' (expected 'highest' or 'tf32')",
                             precision ? precision : "(null)");
    return RT_OK;
}

int rt_matmul_tf32_enabled(void) { return reg.tf32; }

double rt_take_gpu_seconds(void) {
    ensure_init();
    double s = 0;
    for (int i = 0; i < reg.nlogical[RT_GPU]; i++) {
        rt_device *d = reg.logical[RT_GPU][i];
        if (d->backend_state && d->backend->take_busy_seconds) s += d->backend->take_busy_seconds(d);
    }
    return s;
}
