/* builtins_os.c — os, os.path, time and sys as notebooks use them around
 * training (module_tree.c places them in their modules).
 *
 * os.environ is a dict; before the runtime discovers devices (and after
 * each cell) its entries are copied into the process environment, so
 * CUDA_VISIBLE_DEVICES set in a cell hides GPUs as it does for TensorFlow.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "interp.h"
#include "modules.h"

extern char **environ;

/* ---- os.environ ---------------------------------------------------------------------------- */

/* The session's os.environ (owned here and by the module's cache). */
typedef struct { lang_value dict; } environ_state;

static environ_state *discovery_env;   /* the dict the runtime's discovery hook copies */

static void environ_sync(void *ctx)
{
    environ_state *e = ctx;
    size_t i = 0;
    lang_value k, v;
    while (lv_dict_next(e->dict, &i, &k, &v)) {
        if (k.type != LV_STR || v.type != LV_STR) continue;
        const char *cur = getenv(lv_str_cstr(k));
        if (!cur || strcmp(cur, lv_str_cstr(v)) != 0) setenv(lv_str_cstr(k), lv_str_cstr(v), 1);
    }
}

static void environ_free(void *p)
{
    environ_state *e = p;
    if (discovery_env == e) { rt_set_discovery_hook(NULL, NULL); discovery_env = NULL; }
    lv_release(e->dict);
    free(e);
}

static void environ_cell_end(lang_state *L, void *ctx)
{
    (void)ctx;
    environ_state *e = lang_ext_get(L, "os.environ");
    if (e) environ_sync(e);
}

lang_value os_environ(lang_state *L, const lang_args *a)
{
    (void)a;
    environ_state *e = calloc(1, sizeof *e);
    if (!e) return lang_nomem(L);
    e->dict = lv_dict_new();
    if (lv_is_err(e->dict)) { free(e); return lang_nomem(L); }
    for (char **p = environ; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq) continue;
        lang_value k = lv_str_n(*p, (size_t)(eq - *p)), v = lv_str(eq + 1);
        if (!lv_is_err(k) && !lv_is_err(v)) lv_dict_set(e->dict, k, v);
        lv_release(k);
        lv_release(v);
    }
    lang_value d = lv_retain(e->dict);
    lang_ext_set(L, "os.environ", e, environ_free);
    discovery_env = e;
    rt_set_discovery_hook(environ_sync, e);
    lang_on_cell_end(L, environ_cell_end, NULL);
    return d;
}

const char *module_getenv(lang_state *L, const char *key)
{
    environ_state *e = lang_ext_get(L, "os.environ");
    if (!e) return getenv(key);
    lang_value v = lv_dict_get_str(e->dict, key);
    return v.type == LV_STR ? lv_str_cstr(v) : NULL;
}

lang_value os_getenv(lang_state *L, const lang_args *a)
{
    lang_value v[2];
    const char *k;
    if (lang_args_bind(L, a, "key, default=", v) < 0 || lang_get_str(L, v[0], "key", &k) < 0) return lv_err();
    environ_state *e = lang_ext_get(L, "os.environ");
    lang_value x = e ? lv_dict_get(e->dict, v[0]) : lv_missing();
    if (!lv_is_missing(x)) return lv_retain(x);
    const char *s = e ? NULL : getenv(k);
    if (s) return lv_str(s);
    return lv_is_missing(v[1]) ? lv_none() : lv_retain(v[1]);
}

/* ---- os and os.path -------------------------------------------------------------------------- */

static int path_arg(lang_state *L, const lang_args *a, const char *spec, lang_value *v, const char **path)
{
    if (lang_args_bind(L, a, spec, v) < 0) return -1;
    if (lv_is_missing(v[0])) { *path = "."; return 0; }
    return lang_get_str(L, v[0], "path", path);
}

/* Python's OSError text ("[Errno 2] No such file or directory: 'x'"); the
 * language has no OSError kind here, so it is a ValueError. */
static lang_value os_error(lang_state *L, const char *what, const char *path)
{
    (void)what;
    return lang_raise(L, LANG_E_VALUE, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
}

lang_value os_getcwd(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) return os_error(L, "getcwd", ".");
    return lv_str(buf);
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

lang_value os_listdir(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path=", v, &path) < 0) return lv_err();
    DIR *d = opendir(path);
    if (!d) return os_error(L, "listdir", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    lang_value list = lv_list_new(n);
    for (size_t i = 0; i < n; i++) {
        if (!lv_is_err(list)) lv_list_append_take(list, lv_str(names[i]));
        free(names[i]);
    }
    free(names);
    return lv_is_err(list) ? lang_nomem(L) : list;
}

lang_value os_makedirs(lang_state *L, const lang_args *a)
{
    lang_value v[3];
    const char *path;
    int exist_ok = 0;
    if (lang_args_bind(L, a, "name, mode=, exist_ok=", v) < 0 || lang_get_str(L, v[0], "name", &path) < 0) return lv_err();
    if (!lv_is_missing(v[2]) && lang_get_bool(L, v[2], "exist_ok", &exist_ok) < 0) return lv_err();
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return lang_raise(L, LANG_E_VALUE, "path too long");
    struct stat st;
    if (stat(buf, &st) == 0) {
        if (exist_ok && S_ISDIR(st.st_mode)) return lv_none();
        errno = EEXIST;
        return os_error(L, "makedirs", path);
    }
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return os_error(L, "makedirs", buf);
        *p = c;
        if (!c) break;
    }
    return lv_none();
}

lang_value os_remove(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    if (unlink(path) != 0) return os_error(L, "remove", path);
    return lv_none();
}

lang_value os_path_join(lang_state *L, const lang_args *a)
{
    if (a->nkw) return lang_raise(L, LANG_E_TYPE, "join() takes no keyword arguments");
    if (a->n < 1) return lang_raise(L, LANG_E_TYPE, "join() missing required argument 'path'");
    fmtbuf b;
    fmtbuf_init(&b);
    for (int i = 0; i < a->n; i++) {
        const char *s;
        if (lang_get_str(L, a->v[i], "path", &s) < 0) { fmtbuf_free(&b); return lv_err(); }
        if (s[0] == '/') b.len = 0;                    /* an absolute part restarts the path */
        else if (b.len && b.s[b.len - 1] != '/') fmtbuf_putc(&b, '/');
        fmtbuf_puts(&b, s);
    }
    char *r = fmtbuf_take(&b);
    return r ? lv_str_take(r) : lv_str("");
}

static lang_value stat_test(lang_state *L, const lang_args *a, int want)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    struct stat st;
    if (stat(path, &st) != 0) return lv_bool(0);
    return lv_bool(want == 0 || (want == 1 && S_ISREG(st.st_mode)) || (want == 2 && S_ISDIR(st.st_mode)));
}
lang_value os_path_exists(lang_state *L, const lang_args *a) { return stat_test(L, a, 0); }
lang_value os_path_isfile(lang_state *L, const lang_args *a) { return stat_test(L, a, 1); }
lang_value os_path_isdir(lang_state *L, const lang_args *a) { return stat_test(L, a, 2); }

lang_value os_path_basename(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *s = strrchr(path, '/');
    return lv_str(s ? s + 1 : path);
}

lang_value os_path_dirname(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *s = strrchr(path, '/');
    if (!s) return lv_str("");
    size_t n = (size_t)(s - path);
    while (n > 1 && path[n - 1] == '/') n--;
    return lv_str_n(path, n ? n : 1);
}

lang_value os_path_splitext(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    while (*base == '.') base++;                       /* ".bashrc" has no extension */
    const char *dot = strrchr(base, '.');
    size_t cut = dot ? (size_t)(dot - path) : strlen(path);
    lang_value parts[2] = { lv_str_n(path, cut), lv_str(path + cut) };
    lang_value t = lv_tuple_of(2, parts);
    lv_release(parts[0]);
    lv_release(parts[1]);
    return t;
}

lang_value os_path_abspath(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *path;
    if (path_arg(L, a, "path", v, &path) < 0) return lv_err();
    if (path[0] == '/') return lv_str(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return os_error(L, "abspath", path);
    if (strcmp(path, ".") == 0) return lv_str(cwd);
    return lv_str_printf("%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
}

/* ---- time ---------------------------------------------------------------------------------------- */

static double clock_seconds(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

lang_value time_time(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_float(clock_seconds(CLOCK_REALTIME));
}

lang_value time_perf_counter(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_float(clock_seconds(CLOCK_MONOTONIC));
}

lang_value time_sleep(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    double s;
    if (lang_args_bind(L, a, "seconds", v) < 0 || lang_get_float(L, v[0], "seconds", &s) < 0) return lv_err();
    if (s < 0) return lang_raise(L, LANG_E_VALUE, "sleep length must be non-negative");
    double end = clock_seconds(CLOCK_MONOTONIC) + s;
    for (;;) {   /* in slices, so an interrupt stops it */
        if (lang_check_interrupt(L) < 0) return lv_err();
        double left = end - clock_seconds(CLOCK_MONOTONIC);
        if (left <= 0) return lv_none();
        if (left > 0.05) left = 0.05;
        struct timespec ts = { 0, (long)(left * 1e9) };
        nanosleep(&ts, NULL);
    }
}

/* ---- sys -------------------------------------------------------------------------------------------------- */

lang_value sys_argv(lang_state *L, const lang_args *a)
{
    (void)a;
    lang_value l = lv_list_new(1);
    if (lv_is_err(l) || lv_list_append_take(l, lv_str("cgpu-kernel")) < 0) { lv_release(l); return lang_nomem(L); }
    return l;
}

static lang_value stream_write(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *s;
    if (lang_args_bind(L, a, "s", v) < 0 || lang_get_str(L, v[0], "s", &s) < 0) return lv_err();
    const char *name = lv_object_data(a->self);
    lang_write(L, name, s, lv_str_len(v[0]));
    return lv_int(lv_str_ncp(v[0]));
}

static lang_value stream_flush(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_none();
}

static char *stream_repr(lang_state *L, lang_value self)
{
    (void)L;
    return lang_strdupf("<%s (the cell's output)>", (const char *)lv_object_data(self));
}

static const lang_method stream_methods[] = {
    {"write", stream_write, "write(s)\nWrites text to the cell's output.\n>>> sys.stdout.write('done\\n')"},
    {"flush", stream_flush, "flush()\nAccepted: the cell's output is sent as it is written.\n>>> sys.stdout.flush()"},
    {NULL, NULL, NULL},
};

static void no_free(void *p) { (void)p; }
static const lang_class stream_class = {
    .name = "TextIOWrapper", .doc = "sys.stdout / sys.stderr: the running cell's output streams.",
    .free = no_free, .repr = stream_repr, .methods = stream_methods,
};

lang_value sys_stdout(lang_state *L, const lang_args *a) { (void)a; return lang_object_new(L, &stream_class, (void *)"stdout"); }
lang_value sys_stderr(lang_state *L, const lang_args *a) { (void)a; return lang_object_new(L, &stream_class, (void *)"stderr"); }
