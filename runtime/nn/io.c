/* io.c — model.save(path) / load_model(path) in the format described in
 * runtime/nn/FORMAT.md: a 16-byte header, a line-oriented text description,
 * then the raw little-endian weights (and optimizer state). */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtbuf.h"
#include "nn_internal.h"

#define NN_MAGIC "CGPUNN\r\n"   /* 8 bytes; the CR LF catches text-mode mangling */
#define NN_FORMAT_VERSION 1u

static void put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get_u32(const unsigned char *p) { uint32_t v = 0; for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i); return v; }

/* values as little-endian float32/float64 */
static int write_values(FILE *f, const double *v, int64_t n, rt_dtype t)
{
    for (int64_t i = 0; i < n; i++) {
        unsigned char b[8];
        if (t == RT_FLOAT64) { uint64_t u; memcpy(&u, &v[i], 8); for (int k = 0; k < 8; k++) b[k] = (unsigned char)(u >> (8 * k)); }
        else { float x = (float)v[i]; uint32_t u; memcpy(&u, &x, 4); put_u32(b, u); }
        if (fwrite(b, t == RT_FLOAT64 ? 8 : 4, 1, f) != 1) return -1;
    }
    return 0;
}

static int read_values(FILE *f, double *v, int64_t n, rt_dtype t)
{
    for (int64_t i = 0; i < n; i++) {
        unsigned char b[8];
        if (fread(b, t == RT_FLOAT64 ? 8 : 4, 1, f) != 1) return -1;
        if (t == RT_FLOAT64) { uint64_t u = 0; for (int k = 0; k < 8; k++) u |= (uint64_t)b[k] << (8 * k); memcpy(&v[i], &u, 8); }
        else { uint32_t u = get_u32(b); float x; memcpy(&x, &u, 4); v[i] = x; }
    }
    return 0;
}

rt_status nn_model_save(const nn_model *m, const char *path)
{
    fmtbuf t = FMTBUF_INIT;
    fmtbuf_printf(&t, "cgpu-nn 1\n");
    fmtbuf_printf(&t, "model Sequential name=%s dtype=%s\n", m->name, rt_dtype_name(m->dtype));
    if (m->has_input || m->built) {
        fmtbuf_printf(&t, "input ndim=%d shape=", m->in_ndim);
        for (int i = 0; i < m->in_ndim; i++) fmtbuf_printf(&t, "%s%lld", i ? "," : "", (long long)m->in_shape[i]);
        fmtbuf_printf(&t, " explicit=%d\n", m->has_input);
    }
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *l = m->layers[i];
        switch (l->kind) {
        case NN_LAYER_DENSE:
            fmtbuf_printf(&t, "layer Dense name=%s units=%lld activation=%s use_bias=%d kernel_initializer=%s bias_initializer=%s\n",
                      l->name, (long long)l->units, nn_activation_name(l->act), l->use_bias,
                      nn_initializer_name(l->kinit), nn_initializer_name(l->binit));
            break;
        case NN_LAYER_FLATTEN: fmtbuf_printf(&t, "layer Flatten name=%s\n", l->name); break;
        case NN_LAYER_DROPOUT: fmtbuf_printf(&t, "layer Dropout name=%s rate=%.17g\n", l->name, l->rate); break;
        case NN_LAYER_ACTIVATION:
            fmtbuf_printf(&t, "layer Activation name=%s activation=%s\n", l->name, nn_activation_name(l->act));
            break;
        case NN_LAYER_CONV2D:
            fmtbuf_printf(&t, "layer Conv2D name=%s filters=%lld kernel_size=%lld,%lld strides=%lld,%lld padding=%s "
                      "dilation_rate=%lld,%lld activation=%s use_bias=%d kernel_initializer=%s bias_initializer=%s\n",
                      l->name, (long long)l->filters, (long long)l->ksize[0], (long long)l->ksize[1],
                      (long long)l->strides[0], (long long)l->strides[1], nn_padding_name(l->padding),
                      (long long)l->dilation[0], (long long)l->dilation[1], nn_activation_name(l->act), l->use_bias,
                      nn_initializer_name(l->kinit), nn_initializer_name(l->binit));
            break;
        case NN_LAYER_MAXPOOL2D: case NN_LAYER_AVGPOOL2D:
            fmtbuf_printf(&t, "layer %s name=%s pool_size=%lld,%lld strides=%lld,%lld padding=%s\n",
                      l->kind == NN_LAYER_MAXPOOL2D ? "MaxPooling2D" : "AveragePooling2D", l->name,
                      (long long)l->ksize[0], (long long)l->ksize[1], (long long)l->strides[0],
                      (long long)l->strides[1], nn_padding_name(l->padding));
            break;
        case NN_LAYER_GLOBAL_AVGPOOL2D: fmtbuf_printf(&t, "layer GlobalAveragePooling2D name=%s\n", l->name); break;
        case NN_LAYER_GLOBAL_MAXPOOL2D: fmtbuf_printf(&t, "layer GlobalMaxPooling2D name=%s\n", l->name); break;
        case NN_LAYER_BATCHNORM:
            fmtbuf_printf(&t, "layer BatchNormalization name=%s axis=%d momentum=%.17g epsilon=%.17g center=%d scale=%d\n",
                      l->name, l->bn_axis, l->momentum, l->epsilon, l->center, l->scale);
            break;
        case NN_LAYER_RESHAPE:
            fmtbuf_printf(&t, "layer Reshape name=%s target_shape=", l->name);
            for (int k = 0; k < l->target_ndim; k++) fmtbuf_printf(&t, "%s%lld", k ? "," : "", (long long)l->target[k]);
            fmtbuf_printf(&t, "\n");
            break;
        default: break;
        }
    }
    if (m->compiled) {
        const nn_optimizer *o = &m->opt;
        fmtbuf_printf(&t, "compile loss=%s optimizer=%s learning_rate=%.17g beta_1=%.17g beta_2=%.17g epsilon=%.17g "
                  "momentum=%.17g rho=%.17g metrics=", nn_loss_name(m->loss), nn_optimizer_class(o->kind),
                  o->learning_rate, o->beta_1, o->beta_2, o->epsilon, o->momentum, o->rho);
        if (!m->nmetrics) fmtbuf_printf(&t, "-");
        for (int i = 0; i < m->nmetrics; i++) fmtbuf_printf(&t, "%s%s", i ? "," : "", nn_metric_name(m->metrics[i]));
        fmtbuf_printf(&t, "\n");
    }
    int nslots = 0;
    if (m->built) {
        nslots = m->slots_ready ? (m->rep[0].s2 ? 2 : m->rep[0].s1 ? 1 : 0) : 0;
        fmtbuf_printf(&t, "weights count=%lld dtype=%s\n", (long long)m->count, rt_dtype_name(m->dtype));
        if (m->compiled && m->slots_ready)
            fmtbuf_printf(&t, "optimizer_state iterations=%lld slots=%d\n", (long long)m->t, nslots);
    }
    fmtbuf_printf(&t, "end\n");
    if (t.oom) { fmtbuf_free(&t); return rt_set_error(RT_EOOM, "out of host memory saving the model"); }

    double *w = NULL;
    rt_status st = RT_OK;
    int64_t n = m->built ? m->count : 0;
    if (m->built) {
        w = malloc((size_t)(n > 0 ? n : 1) * sizeof *w * (size_t)(1 + nslots));
        if (!w) { fmtbuf_free(&t); return rt_set_error(RT_EOOM, "out of host memory saving the model"); }
        st = nn_model_get_params(m, 0, w);
        if (st == RT_OK && nslots >= 1) st = nn_flat_to_host(m, m->rep[0].s1, m->rep[0].dev, w + n);
        if (st == RT_OK && nslots >= 2) st = nn_flat_to_host(m, m->rep[0].s2, m->rep[0].dev, w + 2 * n);
    }
    FILE *f = st == RT_OK ? fopen(path, "wb") : NULL;
    if (st == RT_OK && !f) st = rt_set_error(RT_EVALUE, "cannot write '%s': %s", path, strerror(errno));
    if (f) {
        unsigned char hdr[16];
        memcpy(hdr, NN_MAGIC, 8);
        put_u32(hdr + 8, NN_FORMAT_VERSION);
        put_u32(hdr + 12, (uint32_t)t.len);
        int bad = fwrite(hdr, 16, 1, f) != 1 || fwrite(t.s, t.len, 1, f) != 1 ||
                  (n && write_values(f, w, n * (1 + nslots), m->dtype));
        if (fclose(f) != 0) bad = 1;
        if (bad) st = rt_set_error(RT_EVALUE, "error writing '%s': %s", path, strerror(errno));
    }
    free(w);
    fmtbuf_free(&t);
    return st;
}

/* ---- loading -------------------------------------------------------------------------- */

/* value of "key=" in a line (copied into out), 0 if present */
static int field(const char *line, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++) {
        if ((p == line || p[-1] == ' ') && p[k] == '=') {
            p += k + 1;
            size_t n = strcspn(p, " \n");
            if (n >= cap) n = cap - 1;
            memcpy(out, p, n);
            out[n] = 0;
            return 0;
        }
    }
    out[0] = 0;
    return -1;
}

static double field_num(const char *line, const char *key, double dflt)
{
    char b[64];
    return field(line, key, b, sizeof b) == 0 ? strtod(b, NULL) : dflt;
}

/* "3,3" -> out[0..n); the count read */
static int field_ints(const char *line, const char *key, int64_t *out, int cap)
{
    char b[256];
    if (field(line, key, b, sizeof b)) return 0;
    int n = 0;
    for (char *p = b; *p && n < cap;) {
        out[n++] = strtoll(p, &p, 10);
        if (*p != ',') break;
        p++;
    }
    return n;
}

/* the image layers' description lines */
static nn_layer *image_layer(const char *line, const char *cls, nn_activation act)
{
    int64_t k[2] = {0, 0}, s[2] = {0, 0}, dil[2] = {1, 1};
    char buf[32];
    nn_padding pad = NN_PAD_VALID;
    field_ints(line, "kernel_size", k, 2);
    field_ints(line, "pool_size", k, 2);
    field_ints(line, "strides", s, 2);
    field_ints(line, "dilation_rate", dil, 2);
    if (field(line, "padding", buf, sizeof buf) == 0 && nn_padding_parse(buf, &pad)) return NULL;
    if (strcmp(cls, "Conv2D") == 0) {
        nn_initializer ki, bi;
        char ks[32], bs[32];
        field(line, "kernel_initializer", ks, sizeof ks);
        field(line, "bias_initializer", bs, sizeof bs);
        if (nn_initializer_parse(ks, &ki) || nn_initializer_parse(bs, &bi)) return NULL;
        return nn_conv2d((int64_t)field_num(line, "filters", 0), k, s, pad, act, (int)field_num(line, "use_bias", 1),
                         ki, bi, dil);
    }
    if (strcmp(cls, "MaxPooling2D") == 0) return nn_pool2d(NN_LAYER_MAXPOOL2D, k, s, pad);
    if (strcmp(cls, "AveragePooling2D") == 0) return nn_pool2d(NN_LAYER_AVGPOOL2D, k, s, pad);
    if (strcmp(cls, "GlobalAveragePooling2D") == 0) return nn_global_pool2d(NN_LAYER_GLOBAL_AVGPOOL2D);
    if (strcmp(cls, "GlobalMaxPooling2D") == 0) return nn_global_pool2d(NN_LAYER_GLOBAL_MAXPOOL2D);
    if (strcmp(cls, "BatchNormalization") == 0)
        return nn_batch_norm((int)field_num(line, "axis", -1), field_num(line, "momentum", 0.99),
                             field_num(line, "epsilon", 1e-3), (int)field_num(line, "center", 1),
                             (int)field_num(line, "scale", 1));
    if (strcmp(cls, "Reshape") == 0) {
        int64_t t[RT_MAX_DIMS];
        int n = field_ints(line, "target_shape", t, RT_MAX_DIMS - 1);
        return nn_reshape(t, n);
    }
    rt_set_error(RT_EVALUE, "unknown layer class '%s'", cls);
    return NULL;
}

nn_model *nn_model_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { rt_set_error(RT_EVALUE, "cannot open '%s': %s", path, strerror(errno)); return NULL; }
    unsigned char hdr[16];
    char *text = NULL;
    nn_model *m = NULL;
    double *w = NULL;
    if (fread(hdr, 16, 1, f) != 1 || memcmp(hdr, NN_MAGIC, 8) != 0) {
        rt_set_error(RT_EVALUE, "'%s' is not a C-GPU model file (bad header)", path);
        goto fail;
    }
    if (get_u32(hdr + 8) != NN_FORMAT_VERSION) {
        rt_set_error(RT_EVALUE, "'%s' has model format version %u; this build reads version %u", path,
                     get_u32(hdr + 8), NN_FORMAT_VERSION);
        goto fail;
    }
    uint32_t tl = get_u32(hdr + 12);
    if (tl > (1u << 24) || !(text = malloc((size_t)tl + 1)) || fread(text, tl, 1, f) != 1) {
        rt_set_error(RT_EVALUE, "'%s' is truncated or corrupt (description)", path);
        goto fail;
    }
    text[tl] = 0;

    char name[NN_NAME_MAX], buf[256];
    rt_dtype dtype = RT_FLOAT32;
    int64_t count = -1, iterations = 0;
    int nslots = 0, compiled = 0, explicit_input = 0, in_ndim = 0, has_state = 0;
    int64_t in_shape[RT_MAX_DIMS];
    nn_loss loss = NN_LOSS_MSE;
    nn_optimizer opt;
    nn_metric metrics[NN_MAX_METRICS];
    int nmetrics = 0;
    nn_optimizer_init(&opt, NN_OPT_ADAM);
    int lineno = 0, seen_end = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, "cgpu-nn 1") != 0) { rt_set_error(RT_EVALUE, "'%s': unknown description format", path); goto fail; }
            continue;
        }
        if (strncmp(line, "model ", 6) == 0) {
            field(line, "name", name, sizeof name);
            field(line, "dtype", buf, sizeof buf);
            if (rt_dtype_parse(buf, &dtype) != 0) { rt_set_error(RT_EVALUE, "'%s': bad dtype '%s'", path, buf); goto fail; }
            if (!(m = nn_sequential(name))) goto fail;
            if (nn_model_set_dtype(m, dtype)) goto fail;
        } else if (!m) {
            rt_set_error(RT_EVALUE, "'%s': the description must start with a model line", path);
            goto fail;
        } else if (strncmp(line, "input ", 6) == 0) {
            in_ndim = (int)field_num(line, "ndim", 0);
            explicit_input = (int)field_num(line, "explicit", 1);
            field(line, "shape", buf, sizeof buf);
            char *p = buf;
            for (int i = 0; i < in_ndim && i < RT_MAX_DIMS; i++) { in_shape[i] = strtoll(p, &p, 10); if (*p == ',') p++; }
            if (in_ndim < 1 || in_ndim >= RT_MAX_DIMS) { rt_set_error(RT_EVALUE, "'%s': bad input shape", path); goto fail; }
            if (explicit_input) {
                nn_layer *in = nn_input(in_shape, in_ndim);
                if (!in || nn_model_add(m, in)) { nn_layer_release(in); goto fail; }
                nn_layer_release(in);
            }
        } else if (strncmp(line, "layer ", 6) == 0) {
            nn_layer *l = NULL;
            char act[32];
            nn_activation a = NN_ACT_LINEAR;
            if (field(line, "activation", act, sizeof act) == 0 && nn_activation_parse(act, &a)) goto fail;
            if (strncmp(line + 6, "Dense ", 6) == 0) {
                nn_initializer ki, bi;
                char ks[32], bs[32];
                field(line, "kernel_initializer", ks, sizeof ks);
                field(line, "bias_initializer", bs, sizeof bs);
                if (nn_initializer_parse(ks, &ki) || nn_initializer_parse(bs, &bi)) goto fail;
                l = nn_dense((int64_t)field_num(line, "units", 0), a, (int)field_num(line, "use_bias", 1), ki, bi);
            } else if (strncmp(line + 6, "Flatten ", 8) == 0) l = nn_flatten();
            else if (strncmp(line + 6, "Dropout ", 8) == 0) l = nn_dropout(field_num(line, "rate", 0));
            else if (strncmp(line + 6, "Activation ", 11) == 0) l = nn_activation_layer(a);
            else {
                char cls[40];
                snprintf(cls, sizeof cls, "%.*s", (int)strcspn(line + 6, " "), line + 6);
                if (!(l = image_layer(line, cls, a))) {
                    char why[256];
                    snprintf(why, sizeof why, "%s", rt_error_message());
                    rt_set_error(RT_EVALUE, "'%s' line %d: unknown or invalid layer '%s' (%s)", path, lineno, cls, why);
                    goto fail;
                }
            }
            if (!l) goto fail;
            field(line, "name", l->name, sizeof l->name);   /* the saved name, as Keras does */
            rt_status st = nn_model_add(m, l);
            nn_layer_release(l);
            if (st) goto fail;
        } else if (strncmp(line, "compile ", 8) == 0) {
            compiled = 1;
            field(line, "loss", buf, sizeof buf);
            if (nn_loss_parse(buf, &loss)) goto fail;
            field(line, "optimizer", buf, sizeof buf);
            if (nn_optimizer_parse(buf, &opt)) goto fail;
            opt.learning_rate = field_num(line, "learning_rate", opt.learning_rate);
            opt.beta_1 = field_num(line, "beta_1", opt.beta_1);
            opt.beta_2 = field_num(line, "beta_2", opt.beta_2);
            opt.epsilon = field_num(line, "epsilon", opt.epsilon);
            opt.momentum = field_num(line, "momentum", opt.momentum);
            opt.rho = field_num(line, "rho", opt.rho);
            field(line, "metrics", buf, sizeof buf);
            for (char *p = buf; *p && strcmp(buf, "-") != 0;) {
                size_t k = strcspn(p, ",");
                char one[32];
                snprintf(one, sizeof one, "%.*s", (int)k, p);
                if (nmetrics == NN_MAX_METRICS || nn_metric_parse(one, &metrics[nmetrics])) goto fail;
                nmetrics++;
                p += k;
                if (*p == ',') p++;
            }
        } else if (strncmp(line, "weights ", 8) == 0) {
            count = (int64_t)field_num(line, "count", -1);
        } else if (strncmp(line, "optimizer_state ", 16) == 0) {
            iterations = (int64_t)field_num(line, "iterations", 0);
            has_state = 1;
            nslots = (int)field_num(line, "slots", 0);
        } else if (strcmp(line, "end") == 0) {
            seen_end = 1;
            break;
        }
    }
    if (!m || !seen_end) { rt_set_error(RT_EVALUE, "'%s' is truncated or corrupt (no end line)", path); goto fail; }
    if (in_ndim && !m->built && nn_model_build(m, in_shape, in_ndim)) goto fail;
    if (compiled && nn_model_compile(m, loss, &opt, metrics, nmetrics)) goto fail;
    if (count >= 0) {
        if (!m->built || count != m->count || nslots < 0 || nslots > 2) {
            rt_set_error(RT_EVALUE, "'%s': the weights do not match the described layers", path);
            goto fail;
        }
        w = malloc((size_t)(count > 0 ? count : 1) * sizeof *w * (size_t)(1 + nslots));
        if (!w) { rt_set_error(RT_EOOM, "out of host memory loading the model"); goto fail; }
        if (read_values(f, w, count * (1 + nslots), dtype)) {
            rt_set_error(RT_EVALUE, "'%s' is truncated (weights)", path);
            goto fail;
        }
        if (nn_model_set_params(m, w)) goto fail;
        if (compiled && has_state) {
            if (nn_model_prepare_slots(m)) goto fail;
            for (int k = 1; k <= nslots; k++)
                if (nn_model_upload(m, k, w + (size_t)k * (size_t)count)) goto fail;
            m->t = iterations;
        }
    }
    free(w);
    free(text);
    fclose(f);
    return m;
fail:
    free(w);
    free(text);
    fclose(f);
    nn_model_release(m);
    return NULL;
}
