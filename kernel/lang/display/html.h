/* html.h — HTML escaping and a table built once, rendered as HTML or text.
 *
 * Every rich display of C-GPU that is a table (the device list, the array
 * table, model.summary()) is built here, so that the text/html and the
 * text/plain alternatives of one display_data always show the same cells.
 * Pure C: no runtime, no interpreter.
 *
 * Ownership: returned strings are malloc'd and owned by the caller; a table
 * is owned by its creator (html_table_free). Strings passed in are copied.
 */
#ifndef CGPU_HTML_H
#define CGPU_HTML_H

#include <stddef.h>
#include "numfmt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Escapes & < > " ' for text and attribute values. NULL: out of memory. */
char *html_escape(const char *s);
/* The same, appended to a buffer. */
void  html_escape_to(fmtbuf *b, const char *s);

/* A table: an optional caption, a header row, body rows and note rows (one
 * cell spanning every column, e.g. "No GPU: CUDA driver not found"). */
typedef struct html_table html_table;

html_table *html_table_new(int ncols);  /* NULL: out of memory or ncols < 1 */
void        html_table_free(html_table *t);
/* cells: ncols strings (NULL cells print empty). Return 0, or -1 when out
 * of memory. */
int  html_table_header(html_table *t, const char *const *cells);
int  html_table_row(html_table *t, const char *const *cells);
int  html_table_note(html_table *t, const char *text);
int  html_table_caption(html_table *t, const char *caption);
/* Column alignment: 'l' (default) or 'r'. */
void html_table_align(html_table *t, int col, char align);
/* Text rules, each a single character repeated over the table's width, or
 * 0 for none: above the header, below the header, after the last body row
 * (before the notes). Default: none, '-' under each header cell, none —
 *   name   kind
 *   -----  ----
 *   CPU:0  CPU
 * Keras' summary look is html_table_text_rules(t, '_', '=', '='). */
void html_table_text_rules(html_table *t, char top, char under_header, char bottom);
/* Minimum text width of a column (Keras pads its columns). */
void html_table_min_width(html_table *t, int col, int width);

/* <table> with <caption>, <thead>, <tbody>; notes span all columns. */
char *html_table_render_html(const html_table *t);
/* Aligned columns separated by two spaces (widths in code points), caption
 * on the first line, notes after the rows. No trailing spaces. */
char *html_table_render_text(const html_table *t);

/* ---- the device table ------------------------------------------------------ */

/* One physical device as list_physical_devices shows it. */
typedef struct {
    const char *name;        /* "NVIDIA H100 80GB HBM3" or the CPU model */
    const char *kind;        /* "GPU" / "CPU" */
    int         index;
    size_t      memory;      /* bytes; 0 prints "-" */
    int         cc_major, cc_minor; /* 0.0 prints "-" */
    int         multiprocessors;    /* SMs or cores; 0 prints "-" */
} html_device_row;

/* Columns name, kind, index, memory, compute capability, multiprocessors;
 * `note` (may be NULL), e.g. the reason there is no GPU, is a row of its
 * own. as_html: 1 for text/html, 0 for text/plain. */
char *html_device_table(const html_device_row *rows, int n, const char *note, int as_html);

/* "79.1 GiB", "512.0 MiB", "1023 B". Writes into buf. */
void html_format_bytes(size_t bytes, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
