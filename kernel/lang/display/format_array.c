/* format_array.c — numpy's array2string, str and repr, and an HTML table.
 *
 * A port of numpy/core/arrayprint.py (numpy 1.24) for the default print
 * options: FloatingFormat (maxprec, precision 8), IntegerFormat,
 * BoolFormat, _formatArray with its line wrapping, _leading_trailing
 * summarisation and _array_repr_implementation. Element text comes from
 * numfmt's shortest digits, so float32 prints with float32's digits.
 *
 * Data flow: an rt_array is brought to the host as doubles (all elements,
 * or only the summarised corners of a large array), then formatted by the
 * host functions, which never touch the runtime. int64 elements travel as
 * their int64 bits in the double slots (ival()), so they print exactly.
 */
#include "format_array.h"
#include "html.h"
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PO_PRECISION 8
#define PO_LINEWIDTH 75
#define PO_THRESHOLD 1000
#define PO_EDGEITEMS 3

#define HTML_EDGE 10 /* an HTML axis longer than 2*HTML_EDGE shows HTML_EDGE items at each end */

static const char *dtype_str(rt_dtype t) {
    switch (t) {
    case RT_FLOAT32: return "float32";
    case RT_FLOAT64: return "float64";
    case RT_INT32: return "int32";
    case RT_BOOL: return "bool";
    case RT_UINT8: return "uint8";
    case RT_INT64: return "int64";
    default: return "unknown";
    }
}

static int is_float(rt_dtype t) { return t == RT_FLOAT32 || t == RT_FLOAT64; }

/* The integer in a host slot: int64 bits for int64, else the double. */
static long long ival(double x, rt_dtype dt) {
    if (dt == RT_INT64) {
        int64_t i;
        memcpy(&i, &x, sizeof i);
        return (long long)i;
    }
    return (long long)x;
}

static double int64_slot(int64_t i) {
    double x;
    memcpy(&x, &i, sizeof x);
    return x;
}

/* ---- element text ------------------------------------------------------------ */

/* Digits of |x| rounded to `precision` places (positional: after the point;
 * scientific: after the first digit) unless the shortest unique digits are
 * already shorter — dragon4's "unique with cutoff". Trailing zeros
 * stripped. */
static int cut_digits(double x, int f32, int precision, int scientific, char *digits, int *decpt) {
    int n = fmt_shortest_digits(x, f32, digits, decpt);
    int frac = scientific ? n - 1 : n - *decpt;
    if (frac <= precision) return n;
    char buf[512];
    if (scientific) {
        snprintf(buf, sizeof buf, "%.*e", precision, fabs(x));
        n = 0;
        const char *p = buf;
        for (; *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9') digits[n++] = *p;
        *decpt = atoi(p + 1) + 1;
    } else {
        snprintf(buf, sizeof buf, "%.*f", precision, fabs(x));
        int intlen = (int)strcspn(buf, "."), lz = 0, seen = 0;
        n = 0;
        for (const char *p = buf; *p; p++) {
            if (*p == '.') continue;
            if (!seen && *p == '0') { lz++; continue; }
            seen = 1;
            if (n < 40) digits[n++] = *p;
        }
        if (n == 0) { digits[0] = '0'; n = 1; *decpt = 1; }
        else *decpt = intlen - lz;
    }
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    return n;
}

/* dragon4_positional(unique, fractional, trim='.') split at the point:
 * ip gets the sign and integer digits, fp the fraction digits (maybe ""). */
static void positional_parts(double x, int f32, int precision, char *ip, char *fp) {
    char d[48];
    int decpt, n = cut_digits(x, f32, precision, 0, d, &decpt);
    char *p = ip;
    if (signbit(x)) *p++ = '-';
    if (decpt <= 0) {
        *p++ = '0';
    } else {
        for (int i = 0; i < decpt; i++) *p++ = i < n ? d[i] : '0';
    }
    *p = '\0';
    p = fp;
    if (!(n == 1 && d[0] == '0')) {
        for (int i = decpt; i < 0; i++) *p++ = '0';
        for (int i = decpt > 0 ? decpt : 0; i < n; i++) *p++ = d[i];
    }
    *p = '\0';
}

/* dragon4_scientific(unique, trim='.'): "d" / "ddd" / exponent as "+05". */
static void scientific_parts(double x, int f32, int precision, char *ip, char *fp, int *exp) {
    char d[48];
    int decpt, n = cut_digits(x, f32, precision, 1, d, &decpt);
    char *p = ip;
    if (signbit(x)) *p++ = '-';
    *p++ = d[0];
    *p = '\0';
    memcpy(fp, d + 1, (size_t)(n - 1));
    fp[n - 1] = '\0';
    *exp = (n == 1 && d[0] == '0') ? 0 : decpt - 1;
}

static int exp_len(int e) { /* length of "+05" / "-100" */
    char b[16];
    return snprintf(b, sizeof b, "%+.02d", e);
}

/* numpy's FloatingFormat state after fillFormat(). */
typedef struct {
    int f32;
    int exp_format;
    int precision; /* exp: digits after the point for every value */
    int pad_left, pad_right, exp_size;
} floatfmt;

static void floatfmt_fill(floatfmt *ff, const double *v, int64_t n, int f32) {
    memset(ff, 0, sizeof *ff);
    ff->f32 = f32;
    ff->precision = PO_PRECISION;
    ff->exp_size = -1;
    double maxv = 0, minv = 0;
    int have_nz = 0, nfinite = 0, nonfinite = 0, neginf = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x)) { nonfinite = 1; if (isinf(x) && x < 0) neginf = 1; continue; }
        nfinite++;
        double a = fabs(x);
        if (a == 0) continue;
        if (!have_nz) { maxv = minv = a; have_nz = 1; }
        if (a > maxv) maxv = a;
        if (a < minv) minv = a;
    }
    if (have_nz) {
        /* numpy divides in the array's dtype */
        double ratio = f32 ? (double)((float)maxv / (float)minv) : maxv / minv;
        if (maxv >= 1e8 || minv < 0.0001 || ratio > 1000.) ff->exp_format = 1;
    }
    char ip[400], fp[400];
    if (nfinite == 0) {
        ff->pad_left = ff->pad_right = 0;
    } else if (ff->exp_format) {
        int maxfrac = 0, maxint = 0, maxexp = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) continue;
            int e;
            scientific_parts(v[i], f32, PO_PRECISION, ip, fp, &e);
            int lf = (int)strlen(fp), li = (int)strlen(ip), le = exp_len(e);
            if (lf > maxfrac) maxfrac = lf;
            if (li > maxint) maxint = li;
            if (le > maxexp) maxexp = le;
        }
        ff->exp_size = maxexp - 1;
        ff->precision = maxfrac;
        ff->pad_left = maxint;
        ff->pad_right = ff->exp_size + 2 + ff->precision;
    } else {
        int maxfrac = 0, maxint = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) continue;
            positional_parts(v[i], f32, PO_PRECISION, ip, fp);
            int lf = (int)strlen(fp), li = (int)strlen(ip);
            if (lf > maxfrac) maxfrac = lf;
            if (li > maxint) maxint = li;
        }
        ff->pad_left = maxint;
        ff->pad_right = maxfrac;
    }
    if (nonfinite) {
        int offset = ff->pad_right + 1;
        if (3 - offset > ff->pad_left) ff->pad_left = 3 - offset;
        if (3 + neginf - offset > ff->pad_left) ff->pad_left = 3 + neginf - offset;
    }
}

static void floatfmt_put(const floatfmt *ff, double x, fmtbuf *b) {
    if (!isfinite(x)) {
        const char *r = isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
        fmtbuf_repeat(b, " ", ff->pad_left + ff->pad_right + 1 - (int)strlen(r));
        fmtbuf_puts(b, r);
        return;
    }
    char ip[400], fp[400];
    if (ff->exp_format) {
        /* min_digits == precision: when the shortest digits are fewer,
         * dragon4 keeps generating the exact value's digits, i.e. the
         * correctly rounded %.Pe (float32 0.00676348805 prints as
         * 6.76348805e-03); when they are as many, they are the digits
         * (float32 2**87 is 1.5474251e+26, not the double's 1.5474250e+26). */
        char t[64], sd[48];
        int sdecpt, sn = fmt_shortest_digits(x, ff->f32, sd, &sdecpt);
        if (sn - 1 >= ff->precision && sn < 40) {
            int k = ff->precision + 1 < sn ? ff->precision + 1 : sn;
            if (sn - 1 > ff->precision) snprintf(t, sizeof t, "%.*e", ff->precision, fabs(x)); /* cut: round */
            else {
                t[0] = sd[0];
                int q = 1;
                if (k > 1) { t[q++] = '.'; memcpy(t + q, sd + 1, (size_t)(k - 1)); q += k - 1; }
                snprintf(t + q, sizeof t - (size_t)q, "e%d", sdecpt - 1);
            }
        } else {
            snprintf(t, sizeof t, "%.*e", ff->precision, fabs(x));
        }
        char *e = strchr(t, 'e');
        int ex = e ? atoi(e + 1) : 0;
        if (e) *e = '\0';
        char *dot = strchr(t, '.');
        if (dot) *dot = '\0';
        int il = (int)strlen(t) + (signbit(x) ? 1 : 0);
        fmtbuf_repeat(b, " ", ff->pad_left - il);
        if (signbit(x)) fmtbuf_putc(b, '-');
        fmtbuf_puts(b, t);
        fmtbuf_putc(b, '.');
        if (dot) fmtbuf_puts(b, dot + 1);
        fmtbuf_printf(b, "e%c%0*d", ex < 0 ? '-' : '+', ff->exp_size, ex < 0 ? -ex : ex);
    } else {
        positional_parts(x, ff->f32, PO_PRECISION, ip, fp);
        fmtbuf_repeat(b, " ", ff->pad_left - (int)strlen(ip));
        fmtbuf_puts(b, ip);
        fmtbuf_putc(b, '.');
        fmtbuf_puts(b, fp);
        fmtbuf_repeat(b, " ", ff->pad_right - (int)strlen(fp));
    }
}

/* The format function numpy picks for the (summarised) data. */
typedef struct {
    rt_dtype dt;
    floatfmt ff;
    int      int_width;
    int      zero_d;
} elemfmt;

static void elemfmt_init(elemfmt *ef, const double *v, int64_t n, rt_dtype dt, int zero_d) {
    memset(ef, 0, sizeof *ef);
    ef->dt = dt;
    ef->zero_d = zero_d;
    if (is_float(dt)) {
        floatfmt_fill(&ef->ff, v, n, dt == RT_FLOAT32);
    } else if (dt != RT_BOOL) {
        char b[32];
        for (int64_t i = 0; i < n; i++) {
            int l = snprintf(b, sizeof b, "%lld", ival(v[i], dt));
            if (l > ef->int_width) ef->int_width = l;
        }
    }
}

static void elemfmt_put(const elemfmt *ef, double x, fmtbuf *b) {
    if (is_float(ef->dt)) floatfmt_put(&ef->ff, x, b);
    else if (ef->dt == RT_BOOL) fmtbuf_puts(b, x != 0 ? (ef->zero_d ? "True" : " True") : "False");
    else fmtbuf_printf(b, "%*lld", ef->int_width, ival(x, ef->dt));
}

char *fmt_scalar_str(double x, rt_dtype dt) {
    if (dt == RT_FLOAT32) return fmt_float32_repr((float)x);
    if (dt == RT_FLOAT64) return fmt_float_repr(x);
    fmtbuf b;
    fmtbuf_init(&b);
    if (dt == RT_BOOL) fmtbuf_puts(&b, x != 0 ? "True" : "False");
    else fmtbuf_printf(&b, "%lld", ival(x, dt));
    return fmtbuf_take(&b);
}

/* ---- summarisation -------------------------------------------------------------- */

/* A host copy of what will be printed: the whole array, or for a
 * summarised one only the edge items of each long axis (numpy's
 * _leading_trailing). rshape is the shape of `data`, shape the original. */
typedef struct {
    double  *data;
    int      owned;
    rt_dtype dt;
    int      ndim;
    int64_t  shape[RT_MAX_DIMS];
    int64_t  rshape[RT_MAX_DIMS];
    int64_t  rsize;
    int      summary;
    int      edge;
} hview;

static int64_t shape_size(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

/* Sets shape, summary and rshape for printing with `threshold`/`edge`. */
static void hview_plan(hview *h, const int64_t *shape, int ndim, rt_dtype dt, int64_t threshold, int edge) {
    memset(h, 0, sizeof *h);
    h->dt = dt;
    h->ndim = ndim;
    h->edge = edge;
    for (int i = 0; i < ndim; i++) h->shape[i] = shape[i];
    h->summary = shape_size(shape, ndim) > threshold;
    for (int i = 0; i < ndim; i++)
        h->rshape[i] = (h->summary && shape[i] > 2 * edge) ? 2 * edge : shape[i];
    h->rsize = shape_size(h->rshape, ndim);
}

/* Flat index in the original array of the reduced array's element k. */
static int64_t hview_source_index(const hview *h, int64_t k) {
    int64_t idx[RT_MAX_DIMS];
    for (int i = h->ndim - 1; i >= 0; i--) {
        int64_t r = h->rshape[i] ? k % h->rshape[i] : 0;
        k = h->rshape[i] ? k / h->rshape[i] : 0;
        idx[i] = (h->rshape[i] < h->shape[i] && r >= h->edge) ? h->shape[i] - 2 * h->edge + r : r;
    }
    int64_t flat = 0;
    for (int i = 0; i < h->ndim; i++) flat = flat * h->shape[i] + idx[i];
    return flat;
}

/* Fills h->data from full host data. 0, or -1 when out of memory. */
static int hview_from_full(hview *h, const double *full) {
    if (h->rsize == shape_size(h->shape, h->ndim)) {
        h->data = (double *)full;
        h->owned = 0;
        return 0;
    }
    h->data = malloc((size_t)(h->rsize ? h->rsize : 1) * sizeof(double));
    if (!h->data) return -1;
    h->owned = 1;
    for (int64_t k = 0; k < h->rsize; k++) h->data[k] = full[hview_source_index(h, k)];
    return 0;
}

static void hview_free(hview *h) {
    if (h->owned) free(h->data);
    h->data = NULL;
}

/* ---- _formatArray ------------------------------------------------------------------ */

typedef struct {
    const hview  *h;
    const elemfmt *ef;
    const char   *sep;     /* ' ' (str) or ', ' (repr) */
    size_t        sep_rlen; /* len(separator.rstrip()) */
} fmtctx;

/* numpy's _extendLine: `line` and `s` are buffers; hang = len(next_line_prefix). */
static void extend_line(fmtbuf *s, fmtbuf *line, const char *word, int line_width, int hang) {
    size_t wl = strlen(word);
    int needs_wrap = (int)(line->len + wl) > line_width;
    if ((int)line->len <= hang) needs_wrap = 0;
    if (needs_wrap) {
        size_t l = line->len;
        while (l > 0 && line->s[l - 1] == ' ') l--;
        fmtbuf_putn(s, line->s, l);
        fmtbuf_putc(s, '\n');
        line->len = 0;
        if (line->s) line->s[0] = '\0';
        fmtbuf_repeat(line, " ", hang);
    }
    fmtbuf_puts(line, word);
}

static char *recurse(const fmtctx *c, int axis, int64_t base, int hang, int curr_width);

static char *elem_text(const fmtctx *c, int64_t k) {
    fmtbuf b;
    fmtbuf_init(&b);
    elemfmt_put(c->ef, c->h->data[k], &b);
    return fmtbuf_take(&b);
}

static char *recurse(const fmtctx *c, int axis, int64_t base, int hang, int curr_width) {
    const hview *h = c->h;
    int axes_left = h->ndim - axis;
    if (axes_left == 0) return elem_text(c, base);
    int next_hang = hang + 1, next_width = curr_width - 1;
    int64_t a_len = h->rshape[axis], stride = 1;
    for (int i = axis + 1; i < h->ndim; i++) stride *= h->rshape[i];
    int show_summary = h->summary && 2 * h->edge < h->shape[axis];
    int64_t leading = show_summary ? h->edge : 0, trailing = show_summary ? h->edge : a_len;
    fmtbuf s, line;
    fmtbuf_init(&s);
    fmtbuf_init(&line);
    char *w;
    int failed = 0;
#define SUB(idx) do { w = recurse(c, axis + 1, base + (idx) * stride, next_hang, next_width); \
                      if (!w) failed = 1; } while (0)

    if (axes_left == 1) {
        int elem_width = curr_width - (int)(c->sep_rlen > 1 ? c->sep_rlen : 1);
        fmtbuf_repeat(&line, " ", hang);
        for (int64_t i = 0; i < leading; i++) {
            SUB(i);
            extend_line(&s, &line, w ? w : "", elem_width, hang);
            free(w);
            fmtbuf_puts(&line, c->sep);
        }
        if (show_summary) {
            extend_line(&s, &line, "...", elem_width, hang);
            fmtbuf_puts(&line, c->sep);
        }
        for (int64_t i = trailing; i > 1; i--) {
            SUB(a_len - i);
            extend_line(&s, &line, w ? w : "", elem_width, hang);
            free(w);
            fmtbuf_puts(&line, c->sep);
        }
        SUB(a_len - 1);
        extend_line(&s, &line, w ? w : "", elem_width, hang);
        free(w);
        if (line.s) fmtbuf_putn(&s, line.s, line.len);
    } else {
        char line_sep[RT_MAX_DIMS + 4];
        size_t k = 0;
        if (c->sep_rlen) line_sep[k++] = c->sep[0];
        for (int i = 0; i < axes_left - 1; i++) line_sep[k++] = '\n';
        line_sep[k] = '\0';
        for (int64_t i = 0; i < leading; i++) {
            SUB(i);
            fmtbuf_repeat(&s, " ", hang);
            fmtbuf_puts(&s, w ? w : "");
            fmtbuf_puts(&s, line_sep);
            free(w);
        }
        if (show_summary) {
            fmtbuf_repeat(&s, " ", hang);
            fmtbuf_puts(&s, "...");
            fmtbuf_puts(&s, line_sep);
        }
        for (int64_t i = trailing; i > 1; i--) {
            SUB(a_len - i);
            fmtbuf_repeat(&s, " ", hang);
            fmtbuf_puts(&s, w ? w : "");
            fmtbuf_puts(&s, line_sep);
            free(w);
        }
        SUB(a_len - 1);
        fmtbuf_repeat(&s, " ", hang);
        fmtbuf_puts(&s, w ? w : "");
        free(w);
    }
#undef SUB
    fmtbuf_free(&line);
    char *body = fmtbuf_take(&s);
    if (!body || failed) { free(body); return NULL; }
    fmtbuf out;
    fmtbuf_init(&out);
    fmtbuf_putc(&out, '[');
    size_t bl = strlen(body);
    if (bl > (size_t)hang) fmtbuf_putn(&out, body + hang, bl - (size_t)hang);
    fmtbuf_putc(&out, ']');
    free(body);
    return fmtbuf_take(&out);
}

/* array2string on a planned view: separator, prefix length and suffix
 * length as numpy's array2string gets them. */
static char *array2string(const hview *h, const char *sep, int prefix_len, int suffix_len) {
    if (h->rsize == 0 || shape_size(h->shape, h->ndim) == 0) {
        char *r = malloc(3);
        if (r) strcpy(r, "[]");
        return r;
    }
    elemfmt ef;
    elemfmt_init(&ef, h->data, h->rsize, h->dt, h->ndim == 0);
    fmtctx c = { h, &ef, sep, 0 };
    size_t l = strlen(sep);
    while (l > 0 && sep[l - 1] == ' ') l--;
    c.sep_rlen = l;
    return recurse(&c, 0, 0, 1 + prefix_len, PO_LINEWIDTH - suffix_len);
}

static char *str_of_view(const hview *h) {
    if (h->ndim == 0) return fmt_scalar_str(h->data[0], h->dt);
    return array2string(h, " ", 0, 0);
}

static int device_is_cpu(const char *device) {
    return !device || !*device || strncmp(device, "CPU", 3) == 0 || strncmp(device, "cpu", 3) == 0;
}

static char *repr_of_view(const hview *h, const char *device) {
    int64_t size = shape_size(h->shape, h->ndim);
    int implied = h->dt == RT_FLOAT64 || h->dt == RT_BOOL || h->dt == RT_INT64; /* numpy's defaults on Linux */
    int show_dev = device && *device;
    int skipdtype = implied && size > 0;
    const char *prefix = "array(";
    const char *suffix = (skipdtype && !show_dev) ? ")" : ",";
    char *lst;
    if (size > 0 || (h->ndim == 1 && h->shape[0] == 0)) {
        lst = array2string(h, ", ", (int)strlen(prefix), (int)strlen(suffix));
    } else {
        char shp[256];
        fmtbuf sb;
        fmtbuf_init(&sb);
        fmtbuf_putc(&sb, '(');
        for (int i = 0; i < h->ndim; i++)
            fmtbuf_printf(&sb, i ? ", %lld" : "%lld", (long long)h->shape[i]);
        if (h->ndim == 1) fmtbuf_putc(&sb, ',');
        fmtbuf_putc(&sb, ')');
        char *t = fmtbuf_take(&sb);
        snprintf(shp, sizeof shp, "[], shape=%s", t ? t : "()");
        free(t);
        lst = strdup(shp);
    }
    if (!lst) return NULL;
    fmtbuf b;
    fmtbuf_init(&b);
    fmtbuf_puts(&b, prefix);
    fmtbuf_puts(&b, lst);
    fmtbuf_puts(&b, suffix);
    free(lst);
    if (skipdtype && !show_dev) return fmtbuf_take(&b);
    char tail[160];
    if (skipdtype) snprintf(tail, sizeof tail, "device='%s')", device);
    else if (show_dev) snprintf(tail, sizeof tail, "dtype=%s, device='%s')", dtype_str(h->dt), device);
    else snprintf(tail, sizeof tail, "dtype=%s)", dtype_str(h->dt));
    if (b.oom) { fmtbuf_free(&b); return NULL; }
    const char *nl = strrchr(b.s, '\n');
    size_t last_line_len = b.len - (nl ? (size_t)(nl - b.s) + 1 : 0);
    if (last_line_len + strlen(tail) + 1 > PO_LINEWIDTH) {
        fmtbuf_putc(&b, '\n');
        fmtbuf_repeat(&b, " ", (int)strlen(prefix));
    } else {
        fmtbuf_putc(&b, ' ');
    }
    fmtbuf_puts(&b, tail);
    return fmtbuf_take(&b);
}

/* ---- HTML ------------------------------------------------------------------------------ */

static void put_shape(fmtbuf *b, const int64_t *shape, int ndim) {
    fmtbuf_putc(b, '(');
    for (int i = 0; i < ndim; i++) fmtbuf_printf(b, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (ndim == 1) fmtbuf_putc(b, ',');
    fmtbuf_putc(b, ')');
}

/* Trimmed numpy text of one element (no alignment padding). */
static void put_cell(fmtbuf *b, const elemfmt *ef, double x) {
    fmtbuf t;
    fmtbuf_init(&t);
    elemfmt_put(ef, x, &t);
    char *s = fmtbuf_take(&t);
    if (!s) { b->oom = 1; return; }
    char *p = s;
    while (*p == ' ') p++;
    size_t l = strlen(p);
    while (l > 0 && p[l - 1] == ' ') l--;
    fmtbuf_putn(b, p, l);
    free(s);
}

static char *html_of_view(const hview *h, const char *device) {
    fmtbuf b;
    fmtbuf_init(&b);
    /* The caption keeps to one line, starting at the table's left edge:
     * over a narrow table (shape (3,)) a browser would wrap it to the
     * table's width. */
    fmtbuf_puts(&b, "<table class=\"cgpu-array\" style=\"font-family:monospace;text-align:right\">\n"
                    "<caption style=\"white-space:nowrap;text-align:left\">shape=");
    put_shape(&b, h->shape, h->ndim);
    fmtbuf_printf(&b, " dtype=%s", dtype_str(h->dt));
    if (device && *device) {
        char *esc = html_escape(device);
        fmtbuf_printf(&b, " device=%s", esc ? esc : "");
        free(esc);
    }
    fmtbuf_puts(&b, "</caption>\n");
    int64_t size = shape_size(h->shape, h->ndim);
    if (h->ndim == 0 || h->ndim > 2 || size == 0) {
        char *s = str_of_view(h);
        char *esc = s ? html_escape(s) : NULL;
        fmtbuf_printf(&b, "<tr><td style=\"text-align:left\"><pre>%s</pre></td></tr>\n", esc ? esc : "");
        if (!s || !esc) b.oom = 1;
        free(s);
        free(esc);
        fmtbuf_puts(&b, "</table>");
        return fmtbuf_take(&b);
    }
    elemfmt ef;
    elemfmt_init(&ef, h->data, h->rsize, h->dt, 0);
    int64_t nrow = h->ndim == 2 ? h->rshape[0] : 1, ncol = h->rshape[h->ndim - 1];
    int64_t orow = h->ndim == 2 ? h->shape[0] : 1, ocol = h->shape[h->ndim - 1];
    int row_cut = nrow < orow, col_cut = ncol < ocol, rowhdr = h->ndim == 2;
    /* column headers: original indices; 2-D rows get their index too */
    fmtbuf_puts(&b, rowhdr ? "<thead><tr><th></th>" : "<thead><tr>");
    for (int64_t j = 0; j < ncol; j++) {
        if (col_cut && j == ncol / 2) fmtbuf_puts(&b, "<th>&hellip;</th>");
        int64_t oj = (col_cut && j >= ncol / 2) ? ocol - ncol + j : j;
        fmtbuf_printf(&b, "<th>%lld</th>", (long long)oj);
    }
    fmtbuf_puts(&b, "</tr></thead>\n<tbody>\n");
    for (int64_t i = 0; i < nrow; i++) {
        if (row_cut && i == nrow / 2) {
            fmtbuf_puts(&b, "<tr><th>&vellip;</th>"); /* only 2-D arrays have cut rows */
            for (int64_t j = 0; j < ncol + col_cut; j++) fmtbuf_puts(&b, "<td>&vellip;</td>");
            fmtbuf_puts(&b, "</tr>\n");
        }
        int64_t oi = (row_cut && i >= nrow / 2) ? orow - nrow + i : i;
        if (rowhdr) fmtbuf_printf(&b, "<tr><th>%lld</th>", (long long)oi);
        else fmtbuf_puts(&b, "<tr>");
        for (int64_t j = 0; j < ncol; j++) {
            if (col_cut && j == ncol / 2) fmtbuf_puts(&b, "<td>&hellip;</td>");
            fmtbuf_puts(&b, "<td>");
            put_cell(&b, &ef, h->data[i * ncol + j]);
            fmtbuf_puts(&b, "</td>");
        }
        fmtbuf_puts(&b, "</tr>\n");
    }
    fmtbuf_puts(&b, "</tbody>\n</table>");
    return fmtbuf_take(&b);
}

/* ---- public: host data --------------------------------------------------------------- */

enum { KIND_STR, KIND_REPR, KIND_HTML };

/* HTML tables of 1-D/2-D arrays keep HTML_EDGE items at each end of an
 * axis longer than 2*HTML_EDGE (threshold 0 makes every long axis summarise);
 * everything else follows numpy's threshold and edgeitems. */
static void plan_for(hview *h, const int64_t *shape, int ndim, rt_dtype dt, int kind) {
    if (kind == KIND_HTML && (ndim == 1 || ndim == 2)) hview_plan(h, shape, ndim, dt, 0, HTML_EDGE);
    else hview_plan(h, shape, ndim, dt, PO_THRESHOLD, PO_EDGEITEMS);
}

static char *host_format(const double *data, rt_dtype dt, const int64_t *shape, int ndim,
                         const char *device, int kind) {
    if (ndim < 0 || ndim > RT_MAX_DIMS) return NULL;
    hview h;
    plan_for(&h, shape, ndim, dt, kind);
    double *bits = NULL;
    if (dt == RT_INT64) { /* callers pass values; the formatter reads int64 slots */
        int64_t n = shape_size(shape, ndim);
        bits = malloc((size_t)(n ? n : 1) * sizeof *bits);
        if (!bits) return NULL;
        for (int64_t i = 0; i < n; i++) bits[i] = int64_slot((int64_t)data[i]);
        data = bits;
    }
    if (hview_from_full(&h, data)) { free(bits); return NULL; }
    char *r = kind == KIND_STR ? str_of_view(&h) : kind == KIND_REPR ? repr_of_view(&h, device)
                                                                    : html_of_view(&h, device);
    hview_free(&h);
    free(bits);
    return r;
}

char *fmt_host_array_str(const double *data, rt_dtype dt, const int64_t *shape, int ndim) {
    return host_format(data, dt, shape, ndim, NULL, KIND_STR);
}

char *fmt_host_array_repr(const double *data, rt_dtype dt, const int64_t *shape, int ndim,
                          const char *device) {
    return host_format(data, dt, shape, ndim, device_is_cpu(device) ? NULL : device, KIND_REPR);
}

char *fmt_host_array_html(const double *data, rt_dtype dt, const int64_t *shape, int ndim,
                          const char *device) {
    return host_format(data, dt, shape, ndim, device, KIND_HTML);
}

/* ---- public: rt_array ---------------------------------------------------------------- */

/* Copies whole arrays up to this many elements; larger summarised arrays
 * fetch only their printed corners, one element at a time. */
#define FULL_COPY_MAX ((int64_t)1 << 22)
#define CORNER_FETCH_MAX 8192

static char *array_format(const rt_array *a, int kind) {
    if (!a) return NULL;
    const char *device = a->device ? rt_device_name(a->device) : NULL;
    hview h;
    if (a->ndim < 0 || a->ndim > RT_MAX_DIMS) return NULL;
    plan_for(&h, a->shape, a->ndim, a->dtype, kind);
    int64_t size = a->size;
    if (size > FULL_COPY_MAX && h.rsize <= CORNER_FETCH_MAX) {
        h.data = malloc((size_t)(h.rsize ? h.rsize : 1) * sizeof(double));
        if (!h.data) return NULL;
        h.owned = 1;
        for (int64_t k = 0; k < h.rsize; k++) {
            if (a->dtype == RT_INT64) {
                int64_t i;
                if (rt_item_int64(a, hview_source_index(&h, k), &i) != RT_OK) { hview_free(&h); return NULL; }
                h.data[k] = int64_slot(i);
            } else if (rt_item(a, hview_source_index(&h, k), &h.data[k]) != RT_OK) {
                hview_free(&h);
                return NULL;
            }
        }
    } else {
        double *full = malloc((size_t)(size ? size : 1) * sizeof(double));
        if (!full) return NULL;
        rt_dtype ht = a->dtype == RT_INT64 ? RT_INT64 : RT_FLOAT64; /* both 8 bytes */
        if (size > 0 && rt_to_host(a, ht, full) != RT_OK) { free(full); return NULL; }
        if (hview_from_full(&h, full)) { free(full); return NULL; }
        if (h.data != full) free(full);
        else h.owned = 1;
    }
    /* repr names the device only when it is not where arrays go by default
     * (CPU:0 without a GPU, GPU:0 with one), so it reads like numpy's. */
    const char *repr_device = a->device && a->device != rt_default_device() ? device : NULL;
    char *r = kind == KIND_STR ? str_of_view(&h) : kind == KIND_REPR ? repr_of_view(&h, repr_device)
                                                                    : html_of_view(&h, device);
    hview_free(&h);
    return r;
}

char *fmt_array_str(const rt_array *a) { return array_format(a, KIND_STR); }
char *fmt_array_repr(const rt_array *a) { return array_format(a, KIND_REPR); }
char *fmt_array_html(const rt_array *a) { return array_format(a, KIND_HTML); }
