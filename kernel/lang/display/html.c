/* html.c — HTML escaping and the table builder behind every tabular display. */
#include "html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void html_escape_to(fmtbuf *b, const char *s) {
    if (!s) return;
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        fmtbuf_putn(b, run, (size_t)(s - run));
        fmtbuf_puts(b, rep);
        run = s + 1;
    }
    fmtbuf_putn(b, run, (size_t)(s - run));
}

char *html_escape(const char *s) {
    fmtbuf b;
    fmtbuf_init(&b);
    fmtbuf_puts(&b, "");
    html_escape_to(&b, s);
    return fmtbuf_take(&b);
}

/* ---- table ------------------------------------------------------------------ */

enum { ROW_BODY, ROW_NOTE };

typedef struct {
    int    kind;
    char **cells; /* ncols strings (ROW_NOTE: one) */
} trow;

/* Owned by its creator; every string inside is owned by the table. */
struct html_table {
    int    ncols;
    char  *caption;
    char **header;   /* NULL until set */
    trow  *rows;
    int    nrows, cap;
    char  *align;    /* per column 'l' / 'r' */
    int   *min_width;
    char   rule_top, rule_header, rule_bottom;
};

html_table *html_table_new(int ncols) {
    if (ncols < 1) return NULL;
    html_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ncols = ncols;
    t->align = malloc((size_t)ncols);
    t->min_width = calloc((size_t)ncols, sizeof(int));
    if (!t->align || !t->min_width) { html_table_free(t); return NULL; }
    memset(t->align, 'l', (size_t)ncols);
    t->rule_header = '-';
    return t;
}

static void free_cells(char **cells, int n) {
    if (!cells) return;
    for (int i = 0; i < n; i++) free(cells[i]);
    free(cells);
}

void html_table_free(html_table *t) {
    if (!t) return;
    free(t->caption);
    free_cells(t->header, t->ncols);
    for (int i = 0; i < t->nrows; i++)
        free_cells(t->rows[i].cells, t->rows[i].kind == ROW_NOTE ? 1 : t->ncols);
    free(t->rows);
    free(t->align);
    free(t->min_width);
    free(t);
}

static char **copy_cells(const char *const *cells, int n) {
    char **c = calloc((size_t)n, sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < n; i++) {
        c[i] = strdup(cells && cells[i] ? cells[i] : "");
        if (!c[i]) { free_cells(c, n); return NULL; }
    }
    return c;
}

int html_table_header(html_table *t, const char *const *cells) {
    char **c = copy_cells(cells, t->ncols);
    if (!c) return -1;
    free_cells(t->header, t->ncols);
    t->header = c;
    return 0;
}

static int push_row(html_table *t, int kind, char **cells) {
    if (t->nrows == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        trow *r = realloc(t->rows, (size_t)cap * sizeof *r);
        if (!r) return -1;
        t->rows = r;
        t->cap = cap;
    }
    t->rows[t->nrows].kind = kind;
    t->rows[t->nrows].cells = cells;
    t->nrows++;
    return 0;
}

int html_table_row(html_table *t, const char *const *cells) {
    char **c = copy_cells(cells, t->ncols);
    if (!c) return -1;
    if (push_row(t, ROW_BODY, c)) { free_cells(c, t->ncols); return -1; }
    return 0;
}

int html_table_note(html_table *t, const char *text) {
    const char *one[1] = { text };
    char **c = copy_cells(one, 1);
    if (!c) return -1;
    if (push_row(t, ROW_NOTE, c)) { free_cells(c, 1); return -1; }
    return 0;
}

int html_table_caption(html_table *t, const char *caption) {
    char *c = strdup(caption ? caption : "");
    if (!c) return -1;
    free(t->caption);
    t->caption = c;
    return 0;
}

void html_table_align(html_table *t, int col, char align) {
    if (col >= 0 && col < t->ncols) t->align[col] = align == 'r' ? 'r' : 'l';
}

void html_table_text_rules(html_table *t, char top, char under_header, char bottom) {
    t->rule_top = top;
    t->rule_header = under_header;
    t->rule_bottom = bottom;
}

void html_table_min_width(html_table *t, int col, int width) {
    if (col >= 0 && col < t->ncols) t->min_width[col] = width;
}

char *html_table_render_html(const html_table *t) {
    fmtbuf b;
    fmtbuf_init(&b);
    fmtbuf_puts(&b, "<table class=\"cgpu-table\">\n");
    if (t->caption) {
        fmtbuf_puts(&b, "<caption>");
        html_escape_to(&b, t->caption);
        fmtbuf_puts(&b, "</caption>\n");
    }
    if (t->header) {
        fmtbuf_puts(&b, "<thead><tr>");
        for (int j = 0; j < t->ncols; j++) {
            fmtbuf_puts(&b, t->align[j] == 'r' ? "<th style=\"text-align:right\">" : "<th style=\"text-align:left\">");
            html_escape_to(&b, t->header[j]);
            fmtbuf_puts(&b, "</th>");
        }
        fmtbuf_puts(&b, "</tr></thead>\n");
    }
    fmtbuf_puts(&b, "<tbody>\n");
    for (int i = 0; i < t->nrows; i++) {
        const trow *r = &t->rows[i];
        if (r->kind == ROW_NOTE) {
            fmtbuf_printf(&b, "<tr><td colspan=\"%d\" style=\"text-align:left\"><em>", t->ncols);
            html_escape_to(&b, r->cells[0]);
            fmtbuf_puts(&b, "</em></td></tr>\n");
            continue;
        }
        fmtbuf_puts(&b, "<tr>");
        for (int j = 0; j < t->ncols; j++) {
            fmtbuf_puts(&b, t->align[j] == 'r' ? "<td style=\"text-align:right\">" : "<td style=\"text-align:left\">");
            html_escape_to(&b, r->cells[j]);
            fmtbuf_puts(&b, "</td>");
        }
        fmtbuf_puts(&b, "</tr>\n");
    }
    fmtbuf_puts(&b, "</tbody>\n</table>");
    return fmtbuf_take(&b);
}

static int cols_of(const char *s) { return (int)utf8_length(s, strlen(s)); }

/* Appends one line with trailing spaces removed. */
static void put_line(fmtbuf *b, const char *line, size_t len) {
    while (len > 0 && line[len - 1] == ' ') len--;
    fmtbuf_putn(b, line, len);
    fmtbuf_putc(b, '\n');
}

static void put_cells(fmtbuf *b, const html_table *t, char *const *cells, const int *w) {
    fmtbuf line;
    fmtbuf_init(&line);
    for (int j = 0; j < t->ncols; j++) {
        int pad = w[j] - cols_of(cells[j]);
        if (j) fmtbuf_puts(&line, "  ");
        if (t->align[j] == 'r') fmtbuf_repeat(&line, " ", pad);
        fmtbuf_puts(&line, cells[j]);
        if (t->align[j] != 'r') fmtbuf_repeat(&line, " ", pad);
    }
    if (line.oom) b->oom = 1;
    else put_line(b, line.s ? line.s : "", line.len);
    fmtbuf_free(&line);
}

static void put_rule(fmtbuf *b, char c, int total) {
    char s[2] = { c, 0 };
    fmtbuf_repeat(b, s, total);
    fmtbuf_putc(b, '\n');
}

char *html_table_render_text(const html_table *t) {
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w) return NULL;
    for (int j = 0; j < t->ncols; j++) {
        w[j] = t->min_width[j];
        if (t->header && cols_of(t->header[j]) > w[j]) w[j] = cols_of(t->header[j]);
        for (int i = 0; i < t->nrows; i++)
            if (t->rows[i].kind == ROW_BODY && cols_of(t->rows[i].cells[j]) > w[j]) w[j] = cols_of(t->rows[i].cells[j]);
    }
    int total = 0;
    for (int j = 0; j < t->ncols; j++) total += w[j] + (j ? 2 : 0);
    fmtbuf b;
    fmtbuf_init(&b);
    if (t->caption) {
        fmtbuf_puts(&b, t->caption);
        fmtbuf_putc(&b, '\n');
    }
    if (t->rule_top) put_rule(&b, t->rule_top, total);
    if (t->header) {
        put_cells(&b, t, t->header, w);
        if (t->rule_header && !t->rule_top && !t->rule_bottom) {
            /* psql-like: a dash run under each column */
            fmtbuf line;
            fmtbuf_init(&line);
            char s[2] = { t->rule_header, 0 };
            for (int j = 0; j < t->ncols; j++) {
                if (j) fmtbuf_puts(&line, "  ");
                fmtbuf_repeat(&line, s, w[j]);
            }
            if (line.oom) b.oom = 1;
            else put_line(&b, line.s ? line.s : "", line.len);
            fmtbuf_free(&line);
        } else if (t->rule_header) {
            put_rule(&b, t->rule_header, total);
        }
    }
    int body_done = 0;
    for (int i = 0; i < t->nrows; i++) {
        const trow *r = &t->rows[i];
        if (r->kind == ROW_NOTE) {
            if (!body_done && t->rule_bottom) { put_rule(&b, t->rule_bottom, total); body_done = 1; }
            put_line(&b, r->cells[0], strlen(r->cells[0]));
        } else {
            put_cells(&b, t, r->cells, w);
        }
    }
    if (!body_done && t->rule_bottom) put_rule(&b, t->rule_bottom, total);
    free(w);
    /* no newline after the last line */
    if (!b.oom && b.len > 0 && b.s[b.len - 1] == '\n') b.s[--b.len] = '\0';
    if (!b.oom && !b.s) fmtbuf_puts(&b, "");
    return fmtbuf_take(&b);
}

/* ---- device table --------------------------------------------------------------- */

void html_format_bytes(size_t bytes, char *buf, size_t cap) {
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    if (bytes < 1024) { snprintf(buf, cap, "%zu B", bytes); return; }
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 5) { v /= 1024; u++; }
    snprintf(buf, cap, "%.1f %s", v, units[u]);
}

char *html_device_table(const html_device_row *rows, int n, const char *note, int as_html) {
    static const char *head[] = { "name", "kind", "index", "memory", "compute capability", "multiprocessors" };
    html_table *t = html_table_new(6);
    if (!t) return NULL;
    int err = html_table_header(t, head);
    html_table_align(t, 2, 'r');
    html_table_align(t, 3, 'r');
    html_table_align(t, 5, 'r');
    for (int i = 0; i < n && !err; i++) {
        char idx[32], mem[32], cc[32], mp[32];
        snprintf(idx, sizeof idx, "%d", rows[i].index);
        if (rows[i].memory) html_format_bytes(rows[i].memory, mem, sizeof mem);
        else strcpy(mem, "-");
        if (rows[i].cc_major || rows[i].cc_minor) snprintf(cc, sizeof cc, "%d.%d", rows[i].cc_major, rows[i].cc_minor);
        else strcpy(cc, "-");
        if (rows[i].multiprocessors) snprintf(mp, sizeof mp, "%d", rows[i].multiprocessors);
        else strcpy(mp, "-");
        const char *cells[6] = { rows[i].name, rows[i].kind, idx, mem, cc, mp };
        err = html_table_row(t, cells);
    }
    if (!err && note && *note) err = html_table_note(t, note);
    char *r = err ? NULL : as_html ? html_table_render_html(t) : html_table_render_text(t);
    html_table_free(t);
    return r;
}
