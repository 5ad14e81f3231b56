/* builtins_stats.c — device_stats(): what the GPUs and the host are doing
 * now, as nvidia-smi shows it (runtime/gpu_stats.h: NVML and /proc).
 *
 *   >>> device_stats()
 *   device  name       util  memory               temp   power            SM clock  processes
 *   GPU:0   NVIDIA...  42 %  3072 MiB / 81920 MiB  55 C   123 W / 700 W    1980 MHz  4242 (512 MiB)
 *   CPU     16 CPUs    12 %  210 MiB (this process) ...
 *
 * The value is a snapshot (DeviceStats) with attributes for programs
 * (gpus: a list of dicts, cpu_utilization, host_memory, reason) and a table
 * as its display. GPUs are numbered as nvidia-smi numbers them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gpu_stats.h"
#include "html.h"
#include "interp.h"
#include "libraries.h"

/* One sample. Owned by its DeviceStats object. */
typedef struct {
    rt_host_stats host;
    int           ngpus;          /* GPUs in gpus[] */
    rt_gpu_stats *gpus;
    int           show_cpu;
    char          reason[256];    /* why there are no GPU figures; "" when there are */
    size_t        host_limit;     /* this kernel's host memory limit (memlimit.c) */
    char          limits[320];    /* the limits in force, as a line of the table */
} stats_obj;

static void stats_free(void *p)
{
    stats_obj *s = p;
    if (s) free(s->gpus);
    free(s);
}

/* "-" for an unknown figure (-1), else the figure with its unit. */
static void fmt_int(char *buf, size_t cap, int v, const char *unit)
{
    if (v < 0) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%d%s", v, unit);
}

static void fmt_watts(char *buf, size_t cap, double draw, double limit)
{
    if (draw < 0 && limit < 0) { snprintf(buf, cap, "-"); return; }
    char d[32], l[32];
    if (draw < 0) snprintf(d, sizeof d, "-"); else snprintf(d, sizeof d, "%.0f W", draw);
    if (limit < 0) snprintf(l, sizeof l, "-"); else snprintf(l, sizeof l, "%.0f W", limit);
    snprintf(buf, cap, "%s / %s", d, l);
}

static long long mib(int64_t bytes) { return (long long)(bytes >> 20); }

/* How many of a GPU's processes the sample lists (0 when unknown). */
static int processes_listed(const rt_gpu_stats *g)
{
    return g->process_count < 0 ? 0 : g->process_count < RT_GPU_STATS_MAX_PROCESSES ? g->process_count : RT_GPU_STATS_MAX_PROCESSES;
}

/* The table both displays share. NULL when out of memory. */
static html_table *stats_table(const stats_obj *s)
{
    static const char *const head[] = { "device", "name", "util", "memory", "temp", "power", "SM clock", "processes" };
    html_table *t = html_table_new(8);
    if (!t || html_table_header(t, head) < 0) { html_table_free(t); return NULL; }
    for (int c = 2; c < 7; c++) html_table_align(t, c, 'r');
    int ok = 1;
    for (int i = 0; i < s->ngpus && ok; i++) {
        const rt_gpu_stats *g = &s->gpus[i];
        char dev[16], util[16], mem[64], temp[16], power[80], clock[16], procs[256];
        snprintf(dev, sizeof dev, "GPU:%d", g->index);
        fmt_int(util, sizeof util, g->utilization, " %");
        snprintf(mem, sizeof mem, "%lld MiB / %lld MiB", mib(g->memory_used_bytes), mib(g->memory_total_bytes));
        fmt_int(temp, sizeof temp, g->temperature_c, " C");
        fmt_watts(power, sizeof power, g->power_watts, g->power_limit_watts);
        fmt_int(clock, sizeof clock, g->sm_clock_mhz, " MHz");
        size_t at = 0;
        procs[0] = '\0';
        if (g->process_count < 0) snprintf(procs, sizeof procs, "-");
        else if (g->process_count == 0) snprintf(procs, sizeof procs, "none");
        int listed = processes_listed(g);
        for (int p = 0; p < listed && at < sizeof procs; p++) {
            const rt_gpu_process *pr = &g->processes[p];
            int n = pr->memory_bytes >= 0
                        ? snprintf(procs + at, sizeof procs - at, "%s%u (%lld MiB)", p ? ", " : "", pr->pid, mib(pr->memory_bytes))
                        : snprintf(procs + at, sizeof procs - at, "%s%u", p ? ", " : "", pr->pid);
            if (n > 0) at += (size_t)n;
        }
        if (g->process_count > listed && at < sizeof procs)
            snprintf(procs + at, sizeof procs - at, " and %d more", g->process_count - listed);
        const char *row[] = { dev, g->name, util, mem, temp, power, clock, procs };
        ok = html_table_row(t, row) == 0;
    }
    if (ok && s->show_cpu) {
        const rt_host_stats *h = &s->host;
        char name[32], util[16], mem[96];
        snprintf(name, sizeof name, "%d CPU%s", h->cpu_count, h->cpu_count == 1 ? "" : "s");
        snprintf(util, sizeof util, "%.0f %%", h->cpu_utilization);
        snprintf(mem, sizeof mem, "%lld MiB / %lld MiB", mib(h->resident_bytes), mib(h->host_memory_total_bytes));
        const char *row[] = { "CPU", name, util, mem, "-", "-", "-", "this kernel" };
        ok = html_table_row(t, row) == 0;
    }
    if (ok && s->reason[0]) {
        char note[320];
        snprintf(note, sizeof note, "No GPU figures: %s", s->reason);
        ok = html_table_note(t, note) == 0;
    }
    if (ok && s->show_cpu)
        ok = html_table_note(t, "CPU: utilisation of all CPUs since the previous device_stats(); memory: this "
                                "kernel's resident memory / the host's") == 0;
    if (ok && s->limits[0]) ok = html_table_note(t, s->limits) == 0;
    if (!ok) { html_table_free(t); return NULL; }
    return t;
}

static char *stats_repr(lang_state *L, lang_value self)
{
    html_table *t = stats_table(lv_object_data(self));
    char *text = t ? html_table_render_text(t) : NULL;
    html_table_free(t);
    if (!text) lang_nomem(L);
    return text;
}

static int stats_display(lang_state *L, lang_value self, lang_bundle *out)
{
    html_table *t = stats_table(lv_object_data(self));
    char *h = t ? html_table_render_html(t) : NULL;
    html_table_free(t);
    if (h) { lang_bundle_add(out, "text/html", h); free(h); }
    return 0;
}

/* d[key] = v, consuming v (lv_dict_set_str retains). 0, or -1 out of memory. */
static int dict_set_take(lang_value d, const char *key, lang_value v)
{
    if (lv_is_err(v)) return -1;
    int r = lv_dict_set_str(d, key, v);
    lv_release(v);
    return r == 0 ? 0 : -1;
}

static lang_value opt_int(int v) { return v >= 0 ? lv_int(v) : lv_none(); }
static lang_value opt_float(double v) { return v >= 0 ? lv_float(v) : lv_none(); }

/* The processes using a GPU as [(pid, bytes or None)], or None when the
 * driver does not say. LV_ERR when out of memory. */
static lang_value process_list(const rt_gpu_stats *g)
{
    if (g->process_count < 0) return lv_none();
    lang_value procs = lv_list_new(0);
    if (lv_is_err(procs)) return procs;
    int listed = processes_listed(g);
    for (int p = 0; p < listed; p++) {
        lang_value t = lv_tuple_new(2);
        if (lv_is_err(t)) { lv_release(procs); return t; }
        lv_tuple_set_take(t, 0, lv_int(g->processes[p].pid));
        lv_tuple_set_take(t, 1, g->processes[p].memory_bytes >= 0 ? lv_int(g->processes[p].memory_bytes) : lv_none());
        if (lv_list_append_take(procs, t) < 0) { lv_release(procs); return lv_err(); }
    }
    return procs;
}

/* One GPU as a dict of its figures (None for unknown ones). */
static lang_value gpu_dict(lang_state *L, const rt_gpu_stats *g)
{
    lang_value d = lv_dict_new();
    if (lv_is_err(d)) return lang_nomem(L);
    int ok = dict_set_take(d, "index", lv_int(g->index)) == 0 && dict_set_take(d, "name", lv_str(g->name)) == 0 &&
             dict_set_take(d, "utilization", opt_int(g->utilization)) == 0 &&
             dict_set_take(d, "memory_used", lv_int(g->memory_used_bytes)) == 0 &&
             dict_set_take(d, "memory_total", lv_int(g->memory_total_bytes)) == 0 &&
             dict_set_take(d, "temperature", opt_int(g->temperature_c)) == 0 &&
             dict_set_take(d, "power", opt_float(g->power_watts)) == 0 &&
             dict_set_take(d, "power_limit", opt_float(g->power_limit_watts)) == 0 &&
             dict_set_take(d, "sm_clock", opt_int(g->sm_clock_mhz)) == 0 &&
             dict_set_take(d, "processes", process_list(g)) == 0;
    size_t cap = g->memory_total_bytes > 0 ? rt_gpu_memory_limit_for((size_t)g->memory_total_bytes, NULL) : 0;
    ok = ok && dict_set_take(d, "memory_limit", cap ? lv_int((int64_t)cap) : lv_none()) == 0;
    if (!ok) { lv_release(d); return lang_nomem(L); }
    return d;
}

static lang_value stats_getattr(lang_state *L, lang_value self, const char *name)
{
    stats_obj *s = lv_object_data(self);
    if (strcmp(name, "gpus") == 0) {
        lang_value l = lv_list_new(0);
        if (lv_is_err(l)) return lang_nomem(L);
        for (int i = 0; i < s->ngpus; i++) {
            lang_value d = gpu_dict(L, &s->gpus[i]);
            if (lv_is_err(d)) { lv_release(l); return d; }
            if (lv_list_append_take(l, d) < 0) { lv_release(l); return lang_nomem(L); }
        }
        return l;
    }
    if (strcmp(name, "cpu_utilization") == 0) return s->show_cpu ? lv_float(s->host.cpu_utilization) : lv_none();
    if (strcmp(name, "host_memory") == 0) return s->show_cpu ? lv_int(s->host.resident_bytes) : lv_none();
    if (strcmp(name, "reason") == 0) return s->reason[0] ? lv_str(s->reason) : lv_none();
    if (strcmp(name, "host_memory_limit") == 0) return lv_int((int64_t)s->host_limit);
    return lv_missing();
}

static const char *const stats_attrs[] = { "gpus", "cpu_utilization", "host_memory", "host_memory_limit", "reason", NULL };

/* The line that names this kernel's memory limits (README, "A class on
 * shared machines"): the host's, and CGPU_GPU_MEMORY_LIMIT's when set. */
static void describe_limits(stats_obj *s)
{
    const char *host_source, *gpu_source;
    s->host_limit = rt_host_memory_limit(&host_source);
    size_t one_gpu = rt_gpu_memory_limit_for(s->ngpus ? (size_t)s->gpus[0].memory_total_bytes : 0, &gpu_source);
    int n = snprintf(s->limits, sizeof s->limits, "Limits of this kernel: host memory %lld MiB (%s)",
                     (long long)(s->host_limit >> 20), host_source);
    if (n > 0 && (size_t)n < sizeof s->limits && gpu_source[0]) {
        if (s->ngpus && one_gpu)
            snprintf(s->limits + n, sizeof s->limits - (size_t)n, "; GPU memory %lld MiB per GPU (%s)",
                     (long long)(one_gpu >> 20), gpu_source);
        else
            snprintf(s->limits + n, sizeof s->limits - (size_t)n, "; GPU memory capped by %s", gpu_source);
    }
}

static const lang_class stats_class = {
    .name = "DeviceStats",
    .doc = "A sample of the GPUs and the host, as device_stats() returns it: attributes gpus (a list of dicts: "
           "index, name, utilization %, memory_used, memory_total (bytes), temperature (C), power, power_limit (W), "
           "sm_clock (MHz), processes [(pid, bytes)]; None where the GPU does not say), cpu_utilization (%), "
           "host_memory (this kernel's resident bytes), host_memory_limit (this kernel's limit, bytes), reason (why "
           "there are no GPU figures, or None); each GPU's dict also has memory_limit (CGPU_GPU_MEMORY_LIMIT in "
           "bytes, or None).",
    .free = stats_free, .repr = stats_repr, .attrs = stats_attrs, .getattr = stats_getattr, .display = stats_display,
};

/* Which part to sample: all GPUs (gpu = -1), one GPU, or none (CPU only). */
static int parse_stats_device(lang_state *L, lang_value v, int *gpu, int *show_cpu, int *want_gpus)
{
    *gpu = -1; *show_cpu = 1; *want_gpus = 1;
    if (lv_is_missing(v) || lv_is_none(v)) return 0;
    if (v.type == LV_INT) { *gpu = (int)v.u.i; *show_cpu = 0; return v.u.i >= 0 ? 0 : lang_fail(L, LANG_E_VALUE, "device must be a GPU number >= 0, not %lld", (long long)v.u.i); }
    const char *s;
    if (lang_get_str(L, v, "device", &s) < 0) return -1;
    if (strcasecmp(s, "CPU") == 0 || strcasecmp(s, "CPU:0") == 0) { *want_gpus = 0; return 0; }
    char *end;
    if (strncasecmp(s, "GPU:", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
        long n = strtol(s + 4, &end, 10);
        if (!*end) { *gpu = (int)n; *show_cpu = 0; return 0; }
    }
    if (strcasecmp(s, "GPU") == 0) { *show_cpu = 0; return 0; }
    return lang_fail(L, LANG_E_VALUE, "device must be None, \"CPU\", \"GPU\", \"GPU:n\" or a GPU number, not '%s'", s);
}

static lang_value bi_device_stats(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    int gpu, show_cpu, want_gpus;
    if (lang_args_bind(L, a, "device=", v) < 0 || parse_stats_device(L, v[0], &gpu, &show_cpu, &want_gpus) < 0)
        return lv_err();
    stats_obj *s = calloc(1, sizeof *s);
    if (!s) return lang_nomem(L);
    s->show_cpu = show_cpu;
    if (want_gpus) {
        int n = rt_gpu_stats_count(s->reason, sizeof s->reason);
        if (gpu >= n && n > 0) {
            stats_free(s);
            return lang_raise(L, LANG_E_INDEX, "GPU:%d does not exist (the driver reports %d GPU%s)", gpu, n, n == 1 ? "" : "s");
        }
        if (gpu >= 0 && n > 0) n = 1;
        s->gpus = n > 0 ? calloc((size_t)n, sizeof *s->gpus) : NULL;
        if (n > 0 && !s->gpus) { stats_free(s); return lang_nomem(L); }
        for (int i = 0; i < n; i++) {
            if (rt_gpu_stats_sample(gpu >= 0 ? gpu : i, &s->gpus[i]) != RT_OK) {
                stats_free(s);
                return lang_raise_rt(L);
            }
            s->ngpus++;
        }
        if (n == 0 && !show_cpu) s->show_cpu = 1; /* say why, and still show the host */
    }
    if (s->show_cpu) {
        /* per interpreter, so that the figure is "since this session's last call" */
        rt_cpu_mark *mark = lang_ext_get(L, "device_stats.cpu_mark");
        if (!mark) {
            mark = calloc(1, sizeof *mark);
            if (!mark) { stats_free(s); return lang_nomem(L); }
            lang_ext_set(L, "device_stats.cpu_mark", mark, free); /* frees mark when it fails */
            mark = lang_ext_get(L, "device_stats.cpu_mark");
            if (!mark) { stats_free(s); return lang_nomem(L); }
        }
        if (rt_host_stats_sample(mark, &s->host) != RT_OK) { stats_free(s); return lang_raise_rt(L); }
    }
    describe_limits(s);
    return lang_object_new(L, &stats_class, s);
}

void lang_init_stats(lang_state *L)
{
    lang_register_builtin(L, "device_stats", bi_device_stats,
        "device_stats(device=None)\nWhat the GPUs (utilisation, memory, temperature, power, SM clock, processes; from "
        "the NVIDIA driver) and the host (CPU utilisation since the previous call, this kernel's memory) are doing "
        "now, shown as a table like nvidia-smi.\n>>> device_stats().cpu_utilization >= 0\nTrue");
}
