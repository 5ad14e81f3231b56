/* libraries.h — the language's libraries (the files of lib/) and their table.
 *
 * Each library has one init function that registers what it offers into a
 * new interpreter state; lib/libraries.c lists them, in opening order. An
 * init function never fails the state: if it runs out of memory it leaves
 * its names out and raises, and lang_open_libraries clears the error.
 */
#ifndef CGPU_LANG_LIBRARIES_H
#define CGPU_LANG_LIBRARIES_H

#include "builtins.h"

typedef struct lang_library {
    const char *name;                 /* short name, e.g. "plot" */
    void (*open)(lang_state *L);      /* registers the library's names */
    const char *doc;                  /* one line: what it offers */
} lang_library;

/* The table, ending with a row of NULLs. */
extern const lang_library lang_libraries[];

/* Opens every library of the table, in order (lang_new calls it). */
void lang_open_libraries(lang_state *L);

/* ORDER lang_libraries: the init functions, one per lib/ file. */
void lang_init_core(lang_state *L);    /* builtins_core.c, builtins_list.c */
void lang_init_str(lang_state *L);     /* builtins_str.c */
void lang_init_array(lang_state *L);   /* builtins_array.c */
void lang_init_device(lang_state *L);  /* builtins_device.c */
void lang_init_stats(lang_state *L);   /* builtins_stats.c */
void lang_init_plot(lang_state *L);    /* builtins_plot.c */
void lang_init_nn(lang_state *L);      /* builtins_nn.c */
void lang_init_callbacks(lang_state *L); /* builtins_callbacks.c */
void lang_init_files(lang_state *L);   /* builtins_files.c */
void lang_init_textio(lang_state *L);  /* builtins_textio.c */
void lang_init_datasets(lang_state *L); /* builtins_datasets.c */
void lang_init_modules(lang_state *L); /* modules.c, module_tree.c and the builtins_{os,pymath,logging,csv,tfcompat}.c they list */

/* The methods of list, tuple and dict (builtins_list.c), registered by
 * lang_init_core with the types. */
extern const lang_method lang_list_methods[];
extern const lang_method lang_tuple_methods[];
extern const lang_method lang_dict_methods[];

#endif
