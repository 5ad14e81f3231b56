/* libraries.c — the table of the language's libraries, opened in order by
 * lang_new (as Lua's linit.c).
 *
 * Adding a library is one file in lib/ with its `lang_init_NAME` function
 * and one row here. A library registers its builtins, classes and modules
 * itself (builtins.h: lang_register_builtin, lang_register_class,
 * lang_module_new). A library that needs an optional system package is
 * compiled only when the Makefile found it (its CGPU_HAVE_* macro), and its
 * row is guarded by the same macro, so the table says which build has what.
 *
 * ORDER: core first (types and errors the others refer to), then the
 * libraries in the order their names should win when two define the same
 * global (a later row overrides an earlier one).
 */
#include "libraries.h"

const lang_library lang_libraries[] = {
    {"core",   lang_init_core,   "builtin functions, types and errors (print, len, range, int, ...)"},
    {"str",    lang_init_str,    "str, list, tuple and dict methods"},
    {"array",  lang_init_array,  "arrays on devices: creation, element-wise, reductions, linear algebra"},
    {"device", lang_init_device, "devices: list_physical_devices, device(), memory_info, placement log"},
    {"stats",  lang_init_stats,  "device_stats: GPU and host utilisation, memory, power (NVML, /proc)"},
    {"plot",   lang_init_plot,   "plt: plotting in the style of matplotlib.pyplot"},
    {"nn",     lang_init_nn,     "Keras-style training: Sequential, Dense, fit, MirroredStrategy"},
    {"callbacks", lang_init_callbacks, "keras.callbacks: Callback, EarlyStopping, ModelCheckpoint, CSVLogger, DeviceMonitor"},
    {"files",  lang_init_files,  "open(): text files, read and written line by line, with `with`"},
    {"textio", lang_init_textio, "loadtxt and savetxt: arrays from and to text files, as numpy"},
    {"datasets", lang_init_datasets, "datasets.mnist/fashion_mnist/cifar10.load_data, to_categorical, get_file"},
    {"modules", lang_init_modules, "import: tensorflow, keras, numpy, matplotlib, os, time, math, random, logging, sys, csv"},
    {NULL, NULL, NULL},
};

void lang_open_libraries(lang_state *L)
{
    for (const lang_library *lib = lang_libraries; lib->name; lib++) {
        lib->open(L);
        /* A library that failed to open (out of memory) leaves its error
         * pending; the others still open and the session still works. */
        if (lang_error_pending(L)) lang_error_clear(L);
    }
}
