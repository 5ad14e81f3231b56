/* memlimit.c — the kernel's memory limits: host memory and memory per GPU.
 *
 * A class shares one machine: one student's cell must not take it. The host
 * limit is, in order, CGPU_MEMORY_LIMIT ("4G", "512M", bytes), the cgroup's
 * memory.max (what JupyterHub and Kubernetes set per user) less a margin, so
 * that the kernel raises MemoryError before the kernel's OOM killer ends it,
 * and else the machine's memory less the same margin. Requests are checked against the resident
 * set (/proc/self/statm) plus what they ask for; the interpreter also polls
 * at loop back-edges, which catches growth made of many small allocations.
 *
 * The GPU limit, CGPU_GPU_MEMORY_LIMIT ("8G", or a fraction such as 0.25 of
 * each GPU's memory), caps what this process holds on each physical GPU
 * through the caching allocator (alloc.c), so several kernels share a GPU.
 *
 * A limit given in a wrong format is reported once on stderr and the default
 * applies. Everything here is thread-safe: the limits are resolved once.
 */
#include "rt_core.h"

#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARGIN_MIN ((size_t)64 << 20)
#define MARGIN_MAX ((size_t)512 << 20)

static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static size_t host_limit;        /* bytes; 0 when unknown (no check) */
static char host_source[160];    /* where host_limit came from */

static pthread_once_t gpu_once = PTHREAD_ONCE_INIT;
static double gpu_value;         /* bytes, or a fraction of the GPU's memory */
static int gpu_is_fraction;      /* 0: gpu_value is bytes; -1: no limit */
static char gpu_source[96];

int rt_parse_memory_size(const char *s, double *value, int *is_fraction)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    double mult = 1;
    int suffix = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': mult = 1024.0; suffix = 1; break;
    case 'M': mult = 1024.0 * 1024; suffix = 1; break;
    case 'G': mult = 1024.0 * 1024 * 1024; suffix = 1; break;
    case 'T': mult = 1024.0 * 1024 * 1024 * 1024; suffix = 1; break;
    case 'B': case '\0': break;
    default: return -1;
    }
    if (suffix) {
        end++;
        if (toupper((unsigned char)*end) == 'I') end++;   /* "4GiB" */
        if (toupper((unsigned char)*end) == 'B') end++;   /* "4GB" */
    } else if (toupper((unsigned char)*end) == 'B') {
        end++;
    }
    while (isspace((unsigned char)*end)) end++;
    if (*end) return -1;
    if (!suffix && v <= 1 && is_fraction) {              /* 0.25: a fraction */
        *is_fraction = 1;
        *value = v;
        return 0;
    }
    if (is_fraction) *is_fraction = 0;
    *value = floor(v * mult);
    return *value >= 1 ? 0 : -1;
}


static size_t machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return pages > 0 && psize > 0 ? (size_t)pages * (size_t)psize : 0;
}

/* The cgroup v2 memory.max of this process (0: none or "max"). The root may
 * be moved for tests with CGPU_CGROUP_ROOT. */
static size_t cgroup_memory_max(char *path, size_t cap)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return 0;
    char line[512], rel[512] = "";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) == 0) {     /* the unified hierarchy */
            snprintf(rel, sizeof rel, "%s", line + 3);
            rel[strcspn(rel, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
    const char *root = getenv("CGPU_CGROUP_ROOT");
    if (!root || !*root) root = "/sys/fs/cgroup";
    /* the limit that binds may sit on any ancestor: take the smallest */
    size_t best = 0;
    char dir[600];
    snprintf(dir, sizeof dir, "%s", rel);
    for (;;) {
        char file[800];
        snprintf(file, sizeof file, "%s%s/memory.max", root, strcmp(dir, "/") == 0 ? "" : dir);
        FILE *m = fopen(file, "r");
        if (m) {
            char v[64];
            if (fgets(v, sizeof v, m) && strncmp(v, "max", 3) != 0) {
                unsigned long long b = strtoull(v, NULL, 10);
                if (b > 0 && (best == 0 || b < best)) {
                    best = (size_t)b;
                    snprintf(path, cap, "%s", file);
                }
            }
            fclose(m);
        }
        char *slash = strrchr(dir, '/');
        if (!slash || (slash == dir && dir[1] == '\0')) break;
        if (slash == dir) dir[1] = '\0';
        else *slash = '\0';
    }
    return best;
}

/* What is left below a cgroup's or the machine's memory for everything but
 * the kernel's own values: 1/16 of it, at least 64 MiB, at most 512 MiB. */
static size_t margin_for(size_t total)
{
    size_t margin = total / 16;
    if (margin < MARGIN_MIN) margin = MARGIN_MIN;
    if (margin > MARGIN_MAX) margin = MARGIN_MAX;
    return margin > total / 2 ? total / 2 : margin;
}

static void resolve_host_limit(void)
{
    char a[32];
    const char *env = getenv("CGPU_MEMORY_LIMIT");
    if (env && *env) {
        double v;
        if (rt_parse_memory_size(env, &v, NULL) == 0) {
            host_limit = (size_t)v;
            snprintf(host_source, sizeof host_source, "CGPU_MEMORY_LIMIT=%s", env);
            return;
        }
        fprintf(stderr, "cgpu: ignoring CGPU_MEMORY_LIMIT=%s: expected a size such as 4G, 512M or 1000000 "
                        "(bytes); using the default limit\n", env);
    }
    char path[800] = "";
    size_t cg = cgroup_memory_max(path, sizeof path);
    if (cg) {
        host_limit = cg - margin_for(cg);
        rt_format_bytes(cg, a, sizeof a);
        snprintf(host_source, sizeof host_source, "the cgroup's memory.max of %s less a margin", a);
        return;
    }
    size_t mem = machine_memory();
    host_limit = mem ? mem - margin_for(mem) : 0;
    snprintf(host_source, sizeof host_source, "the machine's memory less a margin");
}

size_t rt_host_memory_limit(const char **source)
{
    pthread_once(&host_once, resolve_host_limit);
    if (source) *source = host_source;
    return host_limit;
}

size_t rt_host_resident(void)
{
    /* one descriptor kept open: a poll costs one pread */
    static int fd = -2;
    if (fd == -2) fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static rt_status over_limit(size_t bytes, size_t resident, size_t limit, const char *source)
{
    char req[32], lim[32], res[32];
    rt_format_bytes(bytes, req, sizeof req);
    rt_format_bytes(limit, lim, sizeof lim);
    rt_format_bytes(resident, res, sizeof res);
    if (bytes)
        return rt_set_error(RT_EHOSTMEM, "cannot allocate %zu bytes (%s): the kernel's memory limit is %s (%s) "
                            "and %s are in use", bytes, req, lim, source, res);
    return rt_set_error(RT_EHOSTMEM, "the kernel's memory limit of %s (%s) is reached: %s in use", lim, source, res);
}

rt_status rt_host_memory_reserve(size_t bytes)
{
    const char *source;
    size_t limit = rt_host_memory_limit(&source);
    if (!limit) return RT_OK;
    if (bytes >= limit) return over_limit(bytes, rt_host_resident(), limit, source);
    /* small requests are covered by the periodic poll */
    if (bytes < ((size_t)1 << 20)) return RT_OK;
    size_t res = rt_host_resident();
    if (res + bytes > limit) return over_limit(bytes, res, limit, source);
    return RT_OK;
}

rt_status rt_host_memory_poll(void)
{
    const char *source;
    size_t limit = rt_host_memory_limit(&source);
    if (!limit) return RT_OK;
    size_t res = rt_host_resident();
    if (res > limit) return over_limit(0, res, limit, source);
    return RT_OK;
}

static void resolve_gpu_limit(void)
{
    gpu_is_fraction = -1;
    const char *env = getenv("CGPU_GPU_MEMORY_LIMIT");
    if (!env || !*env) return;
    double v;
    int frac = 0;
    if (rt_parse_memory_size(env, &v, &frac) == 0 && (!frac || (v > 0 && v <= 1))) {
        gpu_value = v;
        gpu_is_fraction = frac;
        snprintf(gpu_source, sizeof gpu_source, "CGPU_GPU_MEMORY_LIMIT=%s", env);
        return;
    }
    fprintf(stderr, "cgpu: ignoring CGPU_GPU_MEMORY_LIMIT=%s: expected a size such as 8G or a fraction of "
                    "each GPU's memory such as 0.25; GPU memory is not capped\n", env);
}

size_t rt_gpu_memory_limit_for(size_t total_memory, const char **source)
{
    pthread_once(&gpu_once, resolve_gpu_limit);
    if (source) *source = gpu_source;
    if (gpu_is_fraction < 0) return 0;
    if (gpu_is_fraction) return (size_t)(gpu_value * (double)total_memory);
    return (size_t)gpu_value;
}
