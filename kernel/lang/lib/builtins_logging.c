/* builtins_logging.c — logging's levels, loggers (getLogger, tf.get_logger)
 * and module functions: setLevel is honoured, warnings and errors print to
 * the cell's stderr as Python's last-resort handler writes them.
 */
#include <stdlib.h>
#include <string.h>
#include "interp.h"
#include "modules.h"

/* ---- logging ------------------------------------------------------------------------------------------ */

typedef struct {
    char   *name;   /* owned */
    int64_t level;
} logger;

static void logger_free(void *p)
{
    logger *g = p;
    free(g->name);
    free(g);
}

static char *logger_repr(lang_state *L, lang_value self)
{
    (void)L;
    logger *g = lv_object_data(self);
    static const char *const names[] = {"NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    int64_t k = g->level / 10;
    return lang_strdupf("<Logger %s (%s)>", g->name, k >= 0 && k <= 5 ? names[k] : "Level");
}

static lang_value logger_set_level(lang_state *L, const lang_args *a)
{
    logger *g = lv_object_data(a->self);
    lang_value v[1];
    if (lang_args_bind(L, a, "level", v) < 0) return lv_err();
    if (v[0].type == LV_STR) {
        static const struct { const char *n; int l; } lv[] = {
            {"DEBUG", 10}, {"INFO", 20}, {"WARNING", 30}, {"WARN", 30}, {"ERROR", 40}, {"CRITICAL", 50}, {"FATAL", 50}, {"NOTSET", 0}};
        for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
            if (!strcmp(lv[i].n, lv_str_cstr(v[0]))) { g->level = lv[i].l; return lv_none(); }
        return lang_raise(L, LANG_E_VALUE, "Unknown level: '%s'", lv_str_cstr(v[0]));
    }
    if (lang_get_int(L, v[0], "level", &g->level) < 0) return lv_err();
    return lv_none();
}

static lang_value logger_get_level(lang_state *L, const lang_args *a)
{
    if (lang_args_bind(L, a, "", NULL) < 0) return lv_err();
    return lv_int(((logger *)lv_object_data(a->self))->level);
}

/* debug/info/warning/error/critical(msg, *args): messages at or above the
 * logger's level (WARNING by default) go to stderr, as Python's last-resort
 * handler writes them. */
static lang_value logger_log(lang_state *L, const lang_args *a)
{
    logger *g = lv_object_data(a->self);
    const char *f = a->fname;
    int level = !strcmp(f, "debug") ? 10 : !strcmp(f, "info") ? 20 : !strcmp(f, "warning") || !strcmp(f, "warn") ? 30
              : !strcmp(f, "error") || !strcmp(f, "exception") ? 40 : 50;
    if (a->n < 1) return lang_raise(L, LANG_E_TYPE, "%s() missing required argument 'msg'", f);
    if (level < (g->level ? g->level : 30)) return lv_none();
    char *s = lang_str(L, a->v[0]);
    if (!s) return lv_err();
    if (a->n > 1) {   /* msg % args */
        lang_value args = a->n == 2 ? lv_retain(a->v[1]) : lv_tuple_of((size_t)a->n - 1, a->v + 1);
        lang_value r = op_binary(L, OP_MOD, a->v[0], args);
        lv_release(args);
        if (lv_is_err(r)) { free(s); return r; }
        free(s);
        s = lang_str(L, r);
        lv_release(r);
        if (!s) return lv_err();
    }
    lang_write(L, "stderr", s, strlen(s));
    lang_write(L, "stderr", "\n", 1);
    free(s);
    return lv_none();
}

static const lang_method logger_methods[] = {
    {"setLevel", logger_set_level, "setLevel(level)\nMessages below level are dropped.\n>>> logger.setLevel(logging.ERROR)"},
    {"getEffectiveLevel", logger_get_level, "getEffectiveLevel()\nThe logger's level.\n>>> logger.getEffectiveLevel()"},
    {"debug", logger_log, "debug(msg, *args)\nLogs at DEBUG.\n>>> logger.debug('x=%d', 1)"},
    {"info", logger_log, "info(msg, *args)\nLogs at INFO.\n>>> logger.info('epoch %d', 3)"},
    {"warning", logger_log, "warning(msg, *args)\nLogs at WARNING (stderr).\n>>> logger.warning('slow')"},
    {"warn", logger_log, "warn(msg, *args)\nLogs at WARNING.\n>>> logger.warn('slow')"},
    {"error", logger_log, "error(msg, *args)\nLogs at ERROR (stderr).\n>>> logger.error('failed')"},
    {"critical", logger_log, "critical(msg, *args)\nLogs at CRITICAL (stderr).\n>>> logger.critical('stop')"},
    {NULL, NULL, NULL},
};

static const lang_class logger_class = {
    .name = "Logger", .doc = "A logger: setLevel accepted; warnings and errors print to stderr.",
    .free = logger_free, .repr = logger_repr, .methods = logger_methods,
};

/* The session's loggers by name (a dict kept in the extension data). */
typedef struct { lang_value dict; } logger_registry;
static void logger_registry_free(void *p) { logger_registry *r = p; lv_release(r->dict); free(r); }

lang_value logging_get_logger(lang_state *L, const lang_args *a)
{
    lang_value v[1];
    const char *name = strcmp(a->fname, "get_logger") == 0 ? "tensorflow" : "root";
    if (lang_args_bind(L, a, strcmp(a->fname, "get_logger") == 0 ? "" : "name=", v) < 0) return lv_err();
    if (strcmp(a->fname, "get_logger") != 0 && !lv_is_missing(v[0]) && !lv_is_none(v[0]) &&
        lang_get_str(L, v[0], "name", &name) < 0) return lv_err();
    logger_registry *r = lang_ext_get(L, "logging");
    if (!r) {
        if (!(r = calloc(1, sizeof *r))) return lang_nomem(L);
        r->dict = lv_dict_new();
        lang_ext_set(L, "logging", r, logger_registry_free);
    }
    lang_value x = lv_dict_get_str(r->dict, name);
    if (!lv_is_missing(x)) return lv_retain(x);
    logger *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(name))) { free(g); return lang_nomem(L); }
    lang_value obj = lang_object_new(L, &logger_class, g);
    if (!lv_is_err(obj)) lv_dict_set_str(r->dict, name, obj);
    return obj;
}

/* logging.info(...) and friends: the root logger's method of that name. */
lang_value logging_log(lang_state *L, const lang_args *a)
{
    lang_args none = { 0, NULL, 0, NULL, NULL, lv_none(), "getLogger" };
    lang_value root = logging_get_logger(L, &none);
    if (lv_is_err(root)) return root;
    lang_args b = *a;
    b.self = root;
    lang_value r = logger_log(L, &b);
    lv_release(root);
    return r;
}

lang_value logging_basic_config(lang_state *L, const lang_args *a)
{
    (void)L; (void)a;
    return lv_none();
}
