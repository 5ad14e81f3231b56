/* weak_hooks.c — empty defaults for the init hooks of builtins.h.
 *
 * The display and training code define lang_init_format, lang_init_plot
 * and lang_init_nn in their own files. Until a build has them, these weak
 * definitions let the library link. This file's name sorts after every
 * file that may define a hook, so in the static library the linker meets
 * (and keeps) the real definition first.
 */
#include "builtins.h"

__attribute__((weak)) void lang_init_format(lang_state *L) { (void)L; }
__attribute__((weak)) void lang_init_plot(lang_state *L) { (void)L; }
__attribute__((weak)) void lang_init_nn(lang_state *L) { (void)L; }
