/* modules.h — the module tree: `import tensorflow as tf`, `np.array`,
 * `os.environ` as data.
 *
 * A module is a dotted path ("tensorflow.config"); its attributes are rows
 * of one table (module_tree.c). Most rows name a C-GPU global: the row
 * ("keras.layers", "Dense", MA_GLOBAL, "Dense") makes keras.layers.Dense the
 * builtin `Dense`. Rows are resolved when the attribute is first read, so a
 * name is there as soon as a library registers its global, and a row whose
 * global no build has is simply absent (AttributeError). The table is static;
 * the module objects of a session are made on first import (modules.c).
 */
#ifndef CGPU_LANG_MODULES_H
#define CGPU_LANG_MODULES_H

#include "builtins.h"

typedef enum {
    MA_MODULE,   /* target: the submodule's path */
    MA_GLOBAL,   /* target: the C-GPU global (its builtin binding), or a
                  * dotted path from one ("datasets.mnist") */
    MA_FN,       /* fn, doc: a function of this module */
    MA_VALUE,    /* fn: called once per session (no arguments) to make the value */
    MA_STR,      /* target: the string */
    MA_NUM,      /* num: a float (an int when integral and `target` is "int") */
    MA_NONE,     /* None (np.newaxis) */
    MA_MISSING,  /* not in C-GPU: target says what to use instead */
} module_attr_kind;

typedef struct {
    const char      *module;   /* "tensorflow.config" */
    const char      *name;     /* "list_physical_devices" */
    module_attr_kind kind;
    const char      *target;
    lang_builtin_fn  fn;
    double           num;
    const char      *doc;
} module_attr;

typedef struct {
    const char *path;          /* "tensorflow", "keras.layers" */
    const char *shown;         /* how code names it: "tf", "np", "keras.layers" */
    const char *doc;           /* one line for help() */
} module_info;

/* module_tree.c: the modules and their attributes (both end with a NULL row),
 * and the modules C-GPU does not have with what to use instead. */
extern const module_info lang_modules[];
extern const module_attr lang_module_attrs[];
typedef struct { const char *module; const char *instead; } module_missing;
extern const module_missing lang_missing_modules[];

/* The functions module_tree.c points to: builtins_os.c (os, os.path, time,
 * sys), builtins_pymath.c (math, random), builtins_logging.c,
 * builtins_csv.c and builtins_tfcompat.c (TensorFlow, NumPy and matplotlib
 * spellings that need more than a name). */
#define MODULE_FN(name) lang_value name(lang_state *L, const lang_args *a)
MODULE_FN(os_environ); MODULE_FN(os_getcwd); MODULE_FN(os_listdir); MODULE_FN(os_makedirs);
MODULE_FN(os_getenv); MODULE_FN(os_remove); MODULE_FN(os_path_join); MODULE_FN(os_path_exists);
MODULE_FN(os_path_isfile); MODULE_FN(os_path_isdir); MODULE_FN(os_path_basename);
MODULE_FN(os_path_dirname); MODULE_FN(os_path_splitext); MODULE_FN(os_path_abspath);
MODULE_FN(time_time); MODULE_FN(time_perf_counter); MODULE_FN(time_sleep);
MODULE_FN(math_unary); MODULE_FN(math_binary); MODULE_FN(math_test); MODULE_FN(math_factorial);
MODULE_FN(math_gcd);
MODULE_FN(random_seed); MODULE_FN(random_random); MODULE_FN(random_uniform); MODULE_FN(random_randint);
MODULE_FN(random_choice); MODULE_FN(random_shuffle); /* lists; np.random.shuffle adds arrays */ MODULE_FN(random_gauss);
MODULE_FN(logging_get_logger); MODULE_FN(logging_basic_config); MODULE_FN(logging_log); MODULE_FN(matplotlib_use);
MODULE_FN(sys_argv); MODULE_FN(sys_stdout); MODULE_FN(sys_stderr);
MODULE_FN(csv_writer); MODULE_FN(csv_reader);
MODULE_FN(tf_logical_device_configuration); MODULE_FN(tf_set_logical_device_configuration);
MODULE_FN(tf_set_memory_growth); MODULE_FN(tf_get_memory_growth); MODULE_FN(tf_version);
MODULE_FN(np_random_normal); MODULE_FN(np_random_uniform); MODULE_FN(np_random_randint);
MODULE_FN(np_random_shuffle); MODULE_FN(np_random_permutation); MODULE_FN(np_random_choice);
MODULE_FN(tf_list_physical_devices); MODULE_FN(tf_test_is_gpu_available); MODULE_FN(tf_test_gpu_device_name);
MODULE_FN(tf_test_is_built_with_cuda); MODULE_FN(tf_random_normal); MODULE_FN(tf_random_uniform);
MODULE_FN(keras_loss_class);

/* An environment variable as the session's os.environ has it (the process
 * environment until os.environ is first used); NULL when unset.
 * builtins_os.c. */
const char *module_getenv(lang_state *L, const char *key);

/* A host random integer in [0, n) from the runtime's generator (so one
 * seed reproduces random, np.random and device draws). builtins_pymath.c. */
int64_t module_random_below(int64_t n);

/* The message of a missing attribute `name` of module `path` (what C-GPU
 * has instead), written into buf. modules.c. */
void module_missing_reason(lang_state *L, const char *path, const char *name, char *buf, size_t cap);

#endif
