/* ipynb.c — reading and writing nbformat 4 notebooks (see ipynb.h).
 *
 * The writer reproduces nbformat.write byte for byte where it matters for
 * diffs: json.dumps(indent=1, sort_keys=True, separators=(",", ": "),
 * ensure_ascii=False) after split_lines, Python's float repr, Python's
 * string escapes and str.splitlines(keepends=True) line boundaries.
 */
#ifdef CGPU_HAVE_JANSSON

#include "ipynb.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fmtbuf.h"
#include "mime_json.h"

/* Length of the line break at s (0 when none), with the boundaries of
 * Python's str.splitlines: \n, \r, \r\n, \v, \f, \x1c-\x1e, U+0085,
 * U+2028, U+2029. */
static size_t line_break_at(const char *s, size_t avail)
{
    unsigned char c = (unsigned char)s[0];
    if (c == '\r') return (avail > 1 && s[1] == '\n') ? 2 : 1;
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) return 1;
    if (c == 0xC2 && avail > 1 && (unsigned char)s[1] == 0x85) return 2;
    if (c == 0xE2 && avail > 2 && (unsigned char)s[1] == 0x80 &&
        ((unsigned char)s[2] == 0xA8 || (unsigned char)s[2] == 0xA9)) return 3;
    return 0;
}

/* ---- the writer ------------------------------------------------------------------ */

/* Python's repr(float), which json.dumps uses: the shortest digits that
 * read back to the same double; exponent form below 1e-4 and from 1e16. */
static void put_real(fmtbuf *b, double d)
{
    if (isnan(d)) { fmtbuf_puts(b, "NaN"); return; }
    if (isinf(d)) { fmtbuf_puts(b, d < 0 ? "-Infinity" : "Infinity"); return; }
    char tmp[64];
    int p;
    for (p = 1; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
    /* tmp: [-]D[.DDD]e(+|-)XX */
    const char *s = tmp;
    int neg = (*s == '-');
    if (neg) s++;
    char digits[32];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int exp = (*s == 'e') ? atoi(s + 1) : 0;
    char out[80];
    int o = 0;
    if (neg) out[o++] = '-';
    if (exp >= -4 && exp < 16) {
        int point = exp + 1; /* digits before the decimal point */
        if (point <= 0) {
            out[o++] = '0'; out[o++] = '.';
            for (int i = 0; i < -point; i++) out[o++] = '0';
            for (int i = 0; i < nd; i++) out[o++] = digits[i];
        } else if (point >= nd) {
            for (int i = 0; i < nd; i++) out[o++] = digits[i];
            for (int i = nd; i < point; i++) out[o++] = '0';
            out[o++] = '.'; out[o++] = '0';
        } else {
            for (int i = 0; i < point; i++) out[o++] = digits[i];
            out[o++] = '.';
            for (int i = point; i < nd; i++) out[o++] = digits[i];
        }
        out[o] = 0;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
    fmtbuf_puts(b, out);
}

/* A JSON string with Python's json escapes (ensure_ascii=False). */
static void put_string(fmtbuf *b, const char *s, size_t n)
{
    fmtbuf_putc(b, '"');
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"':  esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) { snprintf(u, sizeof u, "\\u%04x", c); esc = u; }
        }
        if (esc) {
            fmtbuf_putn(b, s + run, i - run);
            fmtbuf_puts(b, esc);
            run = i + 1;
        }
    }
    fmtbuf_putn(b, s + run, n - run);
    fmtbuf_putc(b, '"');
}

static void put_indent(fmtbuf *b, int level)
{
    fmtbuf_putc(b, '\n');
    for (int i = 0; i < level; i++) fmtbuf_putc(b, ' ');
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(fmtbuf *b, const json_t *v, int level);

static void put_object(fmtbuf *b, const json_t *obj, int level)
{
    size_t n = json_object_size(obj);
    if (n == 0) { fmtbuf_puts(b, "{}"); return; }
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) { b->oom = 1; return; }
    size_t k = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) keys[k++] = key;
    qsort(keys, k, sizeof *keys, key_cmp);
    fmtbuf_putc(b, '{');
    for (size_t i = 0; i < k; i++) {
        if (i) fmtbuf_putc(b, ',');
        put_indent(b, level + 1);
        put_string(b, keys[i], strlen(keys[i]));
        fmtbuf_puts(b, ": ");
        put_value(b, json_object_get(obj, keys[i]), level + 1);
    }
    put_indent(b, level);
    fmtbuf_putc(b, '}');
    free(keys);
}

static void put_value(fmtbuf *b, const json_t *v, int level)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: put_object(b, v, level); break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0) { fmtbuf_puts(b, "[]"); break; }
        fmtbuf_putc(b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i) fmtbuf_putc(b, ',');
            put_indent(b, level + 1);
            put_value(b, json_array_get(v, i), level + 1);
        }
        put_indent(b, level);
        fmtbuf_putc(b, ']');
        break;
    }
    case JSON_STRING: put_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        fmtbuf_puts(b, num);
        break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: fmtbuf_puts(b, "true"); break;
    case JSON_FALSE: fmtbuf_puts(b, "false"); break;
    case JSON_NULL: fmtbuf_puts(b, "null"); break;
    }
}

/* A string as nbformat writes multi-line text: a list of its lines, each
 * keeping its line break ("" gives []). */
static json_t *split_lines(const json_t *str)
{
    const char *s = json_string_value(str);
    size_t n = json_string_length(str), start = 0, i = 0;
    json_t *list = json_array();
    if (!list) return NULL;
    while (i < n) {
        size_t br = line_break_at(s + i, n - i);
        if (br) {
            i += br;
            if (json_array_append_new(list, json_stringn(s + start, i - start))) goto oom;
            start = i;
        } else {
            i++;
        }
    }
    if (start < n && json_array_append_new(list, json_stringn(s + start, n - start))) goto oom;
    return list;
oom:
    json_decref(list);
    return NULL;
}


/* In place on a copy: split text-like MIME strings (text/..., SVG,
 * JavaScript) as nbformat's _split_mimebundle does. */
static int split_bundle(json_t *data)
{
    const char *mime;
    json_t *v;
    if (!json_is_object(data)) return 0;
    json_object_foreach(data, mime, v) {
        if (!json_is_string(v)) continue;
        if (strncmp(mime, "text/", 5) != 0 && strcmp(mime, "image/svg+xml") != 0 &&
            strcmp(mime, "application/javascript") != 0) continue;
        json_t *lines = split_lines(v);
        if (!lines || json_object_set_new(data, mime, lines)) return -1;
    }
    return 0;
}

static int split_key(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) return 0;
    json_t *lines = split_lines(v);
    return (!lines || json_object_set_new(obj, key, lines)) ? -1 : 0;
}

/* nbformat's split_lines and strip_transient on a deep copy. */
static json_t *prepare_for_writing(const json_t *nb)
{
    json_t *copy = json_deep_copy(nb);
    if (!copy) return NULL;
    json_t *meta = json_object_get(copy, "metadata");
    if (json_is_object(meta)) {
        json_object_del(meta, "orig_nbformat");
        json_object_del(meta, "orig_nbformat_minor");
        json_object_del(meta, "signature");
    }
    json_t *cells = json_object_get(copy, "cells");
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell) {
        json_t *cmeta = json_object_get(cell, "metadata");
        if (json_is_object(cmeta)) json_object_del(cmeta, "trusted");
        if (split_key(cell, "source")) goto oom;
        const char *name;
        json_t *att;
        json_object_foreach(json_object_get(cell, "attachments"), name, att)
            if (split_bundle(att)) goto oom;
        const char *type = json_string_value(json_object_get(cell, "cell_type"));
        if (!type || strcmp(type, "code") != 0) continue;
        size_t k;
        json_t *out;
        json_array_foreach(json_object_get(cell, "outputs"), k, out) {
            const char *ot = json_string_value(json_object_get(out, "output_type"));
            if (!ot) continue;
            if (strcmp(ot, "execute_result") == 0 || strcmp(ot, "display_data") == 0) {
                if (split_bundle(json_object_get(out, "data"))) goto oom;
            } else if (strcmp(ot, "stream") == 0) {
                if (split_key(out, "text")) goto oom;
            }
        }
    }
    return copy;
oom:
    json_decref(copy);
    return NULL;
}

char *ipynb_dumps(const json_t *nb)
{
    json_t *copy = prepare_for_writing(nb);
    if (!copy) return NULL;
    fmtbuf b = FMTBUF_INIT;
    put_value(&b, copy, 0);
    fmtbuf_putc(&b, '\n');
    json_decref(copy);
    return fmtbuf_take(&b);
}

int ipynb_save(const json_t *nb, const char *path, char *err, size_t errcap)
{
    char *text = ipynb_dumps(nb);
    if (!text) { snprintf(err, errcap, "out of memory while writing %s", path); return -1; }
    size_t len = strlen(text);
    if (strcmp(path, "-") == 0) {
        size_t w = fwrite(text, 1, len, stdout);
        int rc = (w == len && fflush(stdout) == 0) ? 0 : -1;
        if (rc) snprintf(err, errcap, "cannot write the notebook to stdout: %s", strerror(errno));
        free(text);
        return rc;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) { free(text); snprintf(err, errcap, "out of memory while writing %s", path); return -1; }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
        free(tmp); free(text);
        return -1;
    }
    /* mkstemp makes the file 0600; give it the mode a plain create would. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            break;
        }
        off += (size_t)w;
    }
    int ok = (off == len);
    int saved = errno;
    if (close(fd) != 0 && ok) { ok = 0; saved = errno; }
    if (ok && rename(tmp, path) != 0) { ok = 0; saved = errno; }
    if (!ok) {
        unlink(tmp);
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(saved));
    }
    free(tmp);
    free(text);
    return ok ? 0 : -1;
}

/* ---- the reader ------------------------------------------------------------------ */

/* A list of strings joined into one string (nbformat's rejoin_lines);
 * other values are left alone. 0, or -1 on a bad value / out of memory. */
static int join_key(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v)) return 0;
    fmtbuf b = FMTBUF_INIT;
    size_t i;
    json_t *line;
    json_array_foreach(v, i, line) {
        if (!json_is_string(line)) { fmtbuf_free(&b); return 0; }
        fmtbuf_putn(&b, json_string_value(line), json_string_length(line));
    }
    int rc = -1;
    if (!b.oom) rc = json_object_set_new(obj, key, json_stringn(b.s ? b.s : "", b.len)) ? -1 : 0;
    fmtbuf_free(&b);
    return rc;
}

static int join_bundle(json_t *data)
{
    const char *mime;
    json_t *v;
    if (!json_is_object(data)) return 0;
    json_object_foreach(data, mime, v)
        if (!mime_is_json(mime) && join_key(data, mime)) return -1;
    return 0;
}

static void random_id(char out[9])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[4];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(r, 1, sizeof r, f) : 0;
    if (f) fclose(f);
    if (got != sizeof r) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        uint32_t x = (uint32_t)(tv.tv_usec * 2654435761u) ^ (uint32_t)getpid() ^ (uint32_t)rand();
        memcpy(r, &x, sizeof r);
    }
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[8] = 0;
}

static int id_taken(const json_t *cells, const char *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c) {
        const char *other = json_string_value(json_object_get(c, "id"));
        if (other && strcmp(other, id) == 0) return 1;
    }
    return 0;
}

static json_t *normalize(json_t *nb, const char *name, char *err, size_t errcap)
{
    if (!json_is_object(nb)) {
        snprintf(err, errcap, "%s is not a notebook (its JSON is not an object)", name);
        goto bad;
    }
    json_t *fmt = json_object_get(nb, "nbformat");
    if (!json_is_integer(fmt)) {
        snprintf(err, errcap, "%s is not a notebook (no nbformat number)", name);
        goto bad;
    }
    if (json_integer_value(fmt) != 4) {
        snprintf(err, errcap, "%s has nbformat %" JSON_INTEGER_FORMAT "; only nbformat 4 is supported",
                 name, json_integer_value(fmt));
        goto bad;
    }
    json_int_t minor = json_integer_value(json_object_get(nb, "nbformat_minor"));
    if (!json_is_object(json_object_get(nb, "metadata")) &&
        json_object_set_new(nb, "metadata", json_object())) goto oom;
    json_t *cells = json_object_get(nb, "cells");
    if (!json_is_array(cells)) {
        snprintf(err, errcap, "%s is not a notebook (no list of cells)", name);
        goto bad;
    }
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell) {
        const char *type = json_string_value(json_object_get(cell, "cell_type"));
        if (!json_is_object(cell) || !type ||
            (strcmp(type, "code") && strcmp(type, "markdown") && strcmp(type, "raw"))) {
            snprintf(err, errcap, "%s: cell %zu has no valid cell_type", name, i + 1);
            goto bad;
        }
        json_t *src = json_object_get(cell, "source");
        if (!src && json_object_set_new(cell, "source", json_string(""))) goto oom;
        if (join_key(cell, "source")) goto oom;
        if (!json_is_string(json_object_get(cell, "source"))) {
            snprintf(err, errcap, "%s: cell %zu has a source that is not text", name, i + 1);
            goto bad;
        }
        if (!json_is_object(json_object_get(cell, "metadata")) &&
            json_object_set_new(cell, "metadata", json_object())) goto oom;
        const char *aname;
        json_t *att;
        json_object_foreach(json_object_get(cell, "attachments"), aname, att)
            if (join_bundle(att)) goto oom;
        if (strcmp(type, "code") == 0) {
            if (!json_is_array(json_object_get(cell, "outputs")) &&
                json_object_set_new(cell, "outputs", json_array())) goto oom;
            if (!json_object_get(cell, "execution_count") &&
                json_object_set_new(cell, "execution_count", json_null())) goto oom;
            size_t k;
            json_t *out;
            json_array_foreach(json_object_get(cell, "outputs"), k, out) {
                if (join_bundle(json_object_get(out, "data"))) goto oom;
                if (join_key(out, "text")) goto oom;
            }
        }
        if (minor >= 5 && !json_is_string(json_object_get(cell, "id"))) {
            char id[9];
            do random_id(id); while (id_taken(cells, id));
            if (json_object_set_new(cell, "id", json_string(id))) goto oom;
        }
    }
    return nb;
oom:
    snprintf(err, errcap, "out of memory while reading %s", name);
bad:
    json_decref(nb);
    return NULL;
}

json_t *ipynb_loads(const char *text, const char *name, char *err, size_t errcap)
{
    json_error_t je;
    json_t *nb = json_loads(text, 0, &je);
    if (!nb) {
        snprintf(err, errcap, "%s is not valid JSON (line %d: %s)", name, je.line, je.text);
        return NULL;
    }
    return normalize(nb, name, err, errcap);
}

json_t *ipynb_load(const char *path, char *err, size_t errcap)
{
    json_error_t je;
    json_t *nb;
    if (strcmp(path, "-") == 0) {
        nb = json_loadf(stdin, 0, &je);
        path = "<stdin>";
    } else {
        FILE *f = fopen(path, "rb");
        if (!f) {
            snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
            return NULL;
        }
        nb = json_loadf(f, 0, &je);
        fclose(f);
    }
    if (!nb) {
        snprintf(err, errcap, "%s is not valid JSON (line %d: %s)", path, je.line, je.text);
        return NULL;
    }
    return normalize(nb, path, err, errcap);
}

const char *ipynb_cell_source(const json_t *cell)
{
    const char *s = json_string_value(json_object_get(cell, "source"));
    return s ? s : "";
}

/* ---- outputs ------------------------------------------------------------------------ */

json_t *ipynb_stream(const char *name, const char *text, size_t len)
{
    json_t *o = json_object();
    if (!o) return NULL;
    if (json_object_set_new(o, "output_type", json_string("stream")) ||
        json_object_set_new(o, "name", json_string(name)) ||
        json_object_set_new(o, "text", mime_json_text(text, len))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ipynb_stream_append(json_t *stream, const char *text, size_t len)
{
    json_t *old = json_object_get(stream, "text");
    const char *a = json_string_value(old);
    size_t alen = a ? json_string_length(old) : 0;
    json_t *tail = mime_json_text(text, len);
    if (!tail) return -1;
    size_t blen = json_string_length(tail);
    char *joined = malloc(alen + blen + 1);
    if (!joined) { json_decref(tail); return -1; }
    if (alen) memcpy(joined, a, alen);
    memcpy(joined + alen, json_string_value(tail), blen);
    json_decref(tail);
    int rc = json_object_set_new(stream, "text", json_stringn(joined, alen + blen)) ? -1 : 0;
    free(joined);
    return rc;
}

static json_t *bundle_data(const lang_bundle *b) { return mime_json_bundle(b->n, b->mime, b->data); }

json_t *ipynb_display(const lang_bundle *b, int execution_count)
{
    json_t *o = json_object();
    if (!o) return NULL;
    /* json_object_set_new takes the value's reference even when it fails. */
    if (json_object_set_new(o, "data", bundle_data(b)) ||
        json_object_set_new(o, "metadata", json_object()) ||
        json_object_set_new(o, "output_type",
                            json_string(execution_count < 0 ? "display_data" : "execute_result")) ||
        (execution_count >= 0 &&
         json_object_set_new(o, "execution_count", json_integer(execution_count)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ipynb_display_update(json_t *output, const lang_bundle *b)
{
    json_t *data = bundle_data(b);
    if (!data) return -1;
    if (json_object_set_new(output, "data", data)) return -1;
    return json_object_set_new(output, "metadata", json_object()) ? -1 : 0;
}

json_t *ipynb_error(const char *ename, const char *evalue, char *const *traceback, int ntraceback)
{
    json_t *o = json_object(), *tb = json_array();
    if (!o || !tb) goto oom;
    for (int i = 0; i < ntraceback; i++)
        if (traceback[i] && json_array_append_new(tb, mime_json_text(traceback[i], strlen(traceback[i]))))
            goto oom;
    if (!ename) ename = "Error";
    if (!evalue) evalue = "";
    json_t *tb_owned = tb;
    tb = NULL; /* json_object_set_new takes it, even when it fails */
    if (json_object_set_new(o, "traceback", tb_owned) ||
        json_object_set_new(o, "output_type", json_string("error")) ||
        json_object_set_new(o, "ename", mime_json_text(ename, strlen(ename))) ||
        json_object_set_new(o, "evalue", mime_json_text(evalue, strlen(evalue)))) goto oom;
    return o;
oom:
    json_decref(tb);
    json_decref(o);
    return NULL;
}

/* Python's re.sub(r".*\r(?=[^\n])", "", text): in each line, drop
 * everything up to the last carriage return that has a character other
 * than a newline after it. */
static json_t *fold_cr(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0, start = 0;
    while (start < n) {
        size_t end = start;
        while (end < n && s[end] != '\n') end++;
        size_t keep = start;
        for (size_t i = start; i + 1 < end; i++)
            if (s[i] == '\r') keep = i + 1;
        memcpy(out + o, s + keep, end - keep);
        o += end - keep;
        if (end < n) out[o++] = '\n';
        start = end + 1;
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

void ipynb_fold_carriage_returns(json_t *outputs)
{
    size_t i;
    json_t *out;
    json_array_foreach(outputs, i, out) {
        const char *ot = json_string_value(json_object_get(out, "output_type"));
        json_t *text = json_object_get(out, "text");
        if (!ot || strcmp(ot, "stream") != 0 || !json_is_string(text)) continue;
        if (!memchr(json_string_value(text), '\r', json_string_length(text))) continue;
        json_t *folded = fold_cr(json_string_value(text), json_string_length(text));
        if (folded) json_object_set_new(out, "text", folded);
    }
}

void ipynb_timestamp(char *buf, size_t cap)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%06ldZ", base, (long)tv.tv_usec);
}

#endif /* CGPU_HAVE_JANSSON */
