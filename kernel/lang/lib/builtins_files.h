/* builtins_files.h — what other libraries use of the file object
 * (builtins_files.c): print(..., file=f) and savetxt/loadtxt on an open file.
 */
#ifndef CGPU_LANG_BUILTINS_FILES_H
#define CGPU_LANG_BUILTINS_FILES_H

#include <stdio.h>
#include "builtins.h"

/* 1 when v is a file object from open(). */
int lang_is_file(lang_value v);
/* Writes n bytes of s to the file object: 0, or -1 raised (closed file,
 * not writable, OS error). */
int lang_file_write(lang_state *L, lang_value file, const char *s, size_t n);
/* The open FILE of a file object, checked for reading (writing = 0) or
 * writing; NULL raised (closed, wrong mode). Borrowed. */
FILE *lang_file_stream(lang_state *L, lang_value file, int writing, const char **name);

#endif
