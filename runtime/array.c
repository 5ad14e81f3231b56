/* array.c — array objects: creation, reference counting, views (reshape,
 * transpose, indexing), copies and casts, device transfer, host access,
 * concatenate/stack/gather/assign.
 *
 * Everything device-specific goes through the backend table; this file only
 * computes shapes, strides and offsets, checks arguments, and allocates
 * outputs through the caching allocator.
 */
#include "rt_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------------ */

void rt_format_shape(const int64_t *shape, int ndim, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    size_t len = 0;
    buf[0] = '\0';
#define PUT(...) do { int w_ = snprintf(buf + len, cap - len, __VA_ARGS__); \
                      if (w_ > 0) len += (size_t)w_; \
                      if (len >= cap) len = cap - 1; } while (0)
    PUT("(");
    for (int i = 0; i < ndim; i++) PUT(i ? ", %lld" : "%lld", (long long)shape[i]);
    PUT(ndim == 1 ? ",)" : ")");
#undef PUT
}

static rt_status check_dtype(rt_dtype t) {
    if ((unsigned)t >= RT_DTYPE_COUNT) return rt_set_error(RT_ETYPE, "invalid dtype %d", (int)t);
    return RT_OK;
}

rt_status rt_shape_size(const int64_t *shape, int ndim, int64_t *out) {
    if (ndim < 0 || ndim > RT_MAX_DIMS)
        return rt_set_error(RT_EVALUE, "arrays have at most %d dimensions, got %d", RT_MAX_DIMS, ndim);
    int64_t n = 1;
    int zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            char s[160];
            rt_format_shape(shape, ndim, s, sizeof s);
            return rt_set_error(RT_EVALUE, "negative dimensions are not allowed: shape %s", s);
        }
        if (shape[i] == 0) zero = 1;
    }
    for (int i = 0; i < ndim && !zero; i++) {
        if (n > INT64_MAX / shape[i]) {
            char s[160];
            rt_format_shape(shape, ndim, s, sizeof s);
            return rt_set_error(RT_EVALUE, "array is too big: shape %s", s);
        }
        n *= shape[i];
    }
    *out = zero ? 0 : n;
    return RT_OK;
}

void rt_contiguous_strides(const int64_t *shape, int ndim, int64_t *strides) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

rt_array *rt_array_retain(rt_array *a) {
    if (a) a->refcount++;
    return a;
}

void rt_array_release(rt_array *a) {
    if (!a || --a->refcount > 0) return;
    rt_storage_release(a->storage);
    free(a);
}

int rt_array_is_contiguous(const rt_array *a) {
    if (!a) return 0;
    if (a->size == 0) return 1;
    int64_t s = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] != 1 && a->strides[i] != s) return 0;
        s *= a->shape[i];
    }
    return 1;
}

rt_array *rt_array_wrap(rt_storage *s, rt_dtype t, const int64_t *shape, const int64_t *strides,
                        int ndim, int64_t offset) {
    int64_t size;
    if (rt_shape_size(shape, ndim, &size) != RT_OK) return NULL;
    rt_array *a = malloc(sizeof *a);
    if (!a) { rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    memset(a, 0, sizeof *a);
    a->refcount = 1;
    a->dtype = t;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
    if (strides) for (int i = 0; i < ndim; i++) a->strides[i] = strides[i];
    else rt_contiguous_strides(shape, ndim, a->strides);
    a->offset = offset;
    a->size = size;
    a->storage = s;
    a->device = s->device;
    s->refcount++;
    return a;
}

rt_view rt_view_of(const rt_array *a) {
    rt_view v;
    memset(&v, 0, sizeof v);
    v.data = (char *)a->storage->data + (size_t)a->offset * rt_dtype_size(a->dtype);
    v.dtype = a->dtype;
    v.ndim = a->ndim;
    for (int i = 0; i < a->ndim; i++) { v.shape[i] = a->shape[i]; v.strides[i] = a->strides[i]; }
    return v;
}

rt_array *rt_array_new(rt_device *d, const int64_t *shape, int ndim, rt_dtype t) {
    int64_t size;
    if (check_dtype(t) != RT_OK || rt_shape_size(shape, ndim, &size) != RT_OK) return NULL;
    if ((uint64_t)size > SIZE_MAX / rt_dtype_size(t)) {
        char s[160];
        rt_format_shape(shape, ndim, s, sizeof s);
        rt_set_error(RT_EOOM, "out of memory on %s: an array of shape %s needs more than 2^64 bytes", d->name, s);
        return NULL;
    }
    rt_storage *s = rt_storage_new(d, (size_t)size * rt_dtype_size(t));
    if (!s) return NULL;
    rt_array *a = rt_array_wrap(s, t, shape, NULL, ndim, 0);
    rt_storage_release(s); /* the array holds it now (or nobody, on failure) */
    return a;
}

rt_status rt_check_same_device(const rt_array *a, const rt_array *b) {
    if (a->device != b->device)
        return rt_set_error(RT_EDEVICE, "operands are on different devices: %s and %s",
                            rt_device_name(a->device), rt_device_name(b->device));
    return RT_OK;
}

rt_status rt_broadcast_shapes(const int64_t *sa, int na, const int64_t *sb, int nb, int64_t *out, int *nout) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int ia = na - n + i, ib = nb - n + i;
        int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else {
            char x[160], y[160];
            rt_format_shape(sa, na, x, sizeof x);
            rt_format_shape(sb, nb, y, sizeof y);
            return rt_set_error(RT_ESHAPE, "cannot broadcast shapes %s and %s", x, y);
        }
    }
    *nout = n;
    return RT_OK;
}

rt_view rt_view_broadcast(const rt_array *a, const int64_t *shape, int ndim) {
    rt_view v = rt_view_of(a);
    v.ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        int ia = a->ndim - ndim + i;
        v.shape[i] = shape[i];
        v.strides[i] = (ia >= 0 && a->shape[ia] == shape[i]) ? a->strides[ia] : 0;
    }
    return v;
}

/* ---- creation ------------------------------------------------------------------- */

rt_array *rt_empty(const int64_t *shape, int ndim, rt_dtype t, rt_device *d) {
    return rt_array_new(rt_resolve_device(d), shape, ndim, t);
}

rt_array *rt_full(const int64_t *shape, int ndim, double value, rt_dtype t, rt_device *d) {
    d = rt_resolve_device(d);
    rt_array *a = rt_array_new(d, shape, ndim, t);
    if (!a) return NULL;
    if (a->size > 0) {
        rt_view v = rt_view_of(a);
        if (d->backend->fill(d, &v, value) != RT_OK) { rt_array_release(a); return NULL; }
    }
    rt_log_op("Fill", d);
    return a;
}

rt_array *rt_zeros(const int64_t *shape, int ndim, rt_dtype t, rt_device *d) {
    return rt_full(shape, ndim, 0.0, t, d);
}

/* Fills a new 1-D array from a host buffer of doubles. */
static rt_array *from_doubles(const double *v, int64_t n, rt_dtype t, rt_device *d) {
    int64_t shape[1] = {n};
    return rt_from_host(v, RT_FLOAT64, shape, 1, t, d);
}

rt_array *rt_arange(double start, double stop, double step, rt_dtype t, rt_device *d) {
    if (step == 0 || isnan(step)) { rt_set_error(RT_EVALUE, "arange: step must not be zero"); return NULL; }
    if (!isfinite(start) || !isfinite(stop)) { rt_set_error(RT_EVALUE, "arange: bounds must be finite"); return NULL; }
    double cnt = ceil((stop - start) / step);
    if (!(cnt > 0)) cnt = 0;
    if (cnt > (double)((int64_t)1 << 40)) { rt_set_error(RT_EVALUE, "arange: too many elements (%.0f)", cnt); return NULL; }
    int64_t n = (int64_t)cnt;
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) { rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    for (int64_t i = 0; i < n; i++) v[i] = start + (double)i * step;
    rt_log_quiet_push();
    rt_array *a = from_doubles(v, n, t, d);
    rt_log_quiet_pop();
    free(v);
    if (a) rt_log_op("Range", a->device);
    return a;
}

rt_array *rt_linspace(double start, double stop, int64_t num, rt_dtype t, rt_device *d) {
    if (num < 0) { rt_set_error(RT_EVALUE, "linspace: number of samples, %lld, must be non-negative", (long long)num); return NULL; }
    if (num > ((int64_t)1 << 40)) { rt_set_error(RT_EVALUE, "linspace: too many samples"); return NULL; }
    double *v = malloc((size_t)(num ? num : 1) * sizeof *v);
    if (!v) { rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    double step = num > 1 ? (stop - start) / (double)(num - 1) : 0;
    for (int64_t i = 0; i < num; i++) v[i] = start + (double)i * step;
    if (num > 1) v[num - 1] = stop;
    rt_log_quiet_push();
    rt_array *a = from_doubles(v, num, t, d);
    rt_log_quiet_pop();
    free(v);
    if (a) rt_log_op("LinSpace", a->device);
    return a;
}

rt_array *rt_eye(int64_t n, rt_dtype t, rt_device *d) {
    if (n < 0) { rt_set_error(RT_EVALUE, "eye: n must be non-negative, got %lld", (long long)n); return NULL; }
    int64_t shape[2] = {n, n};
    rt_log_quiet_push();
    rt_array *a = rt_zeros(shape, 2, t, d);
    rt_log_quiet_pop();
    if (!a || n == 0) { if (a) rt_log_op("Eye", a->device); return a; }
    /* the diagonal is a strided view with stride n + 1 */
    rt_array diag = *a;
    diag.refcount = 1;
    diag.ndim = 1;
    diag.shape[0] = n;
    diag.strides[0] = n + 1;
    diag.size = n;
    rt_view v = rt_view_of(&diag);
    if (a->device->backend->fill(a->device, &v, 1.0) != RT_OK) { rt_array_release(a); return NULL; }
    rt_log_op("Eye", a->device);
    return a;
}

rt_array *rt_from_host(const void *data, rt_dtype src, const int64_t *shape, int ndim, rt_dtype t, rt_device *d) {
    if (check_dtype(src) != RT_OK || check_dtype(t) != RT_OK) return NULL;
    d = rt_resolve_device(d);
    rt_array *a = rt_array_new(d, shape, ndim, t);
    if (!a || a->size == 0) return a;
    if (!data) { rt_array_release(a); rt_set_error(RT_EVALUE, "rt_from_host: data is NULL"); return NULL; }
    size_t bytes = (size_t)a->size * rt_dtype_size(t);
    rt_view dst = rt_view_of(a);
    rt_view hsrc = dst;
    hsrc.data = (void *)data;
    hsrc.dtype = src;
    if (d->kind == RT_CPU) {
        rt_cpu_backend()->copy(d, &dst, &hsrc);
        return a;
    }
    const void *from = data;
    void *tmp = NULL;
    if (src != t) {
        tmp = malloc(bytes);
        if (!tmp) { rt_array_release(a); rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
        rt_view hdst = dst;
        hdst.data = tmp;
        rt_cpu_backend()->copy(NULL, &hdst, &hsrc);
        from = tmp;
    }
    rt_status st = d->backend->copy_from_host(d, dst.data, from, bytes);
    free(tmp);
    if (st != RT_OK) { rt_array_release(a); return NULL; }
    return a;
}

rt_array *rt_adopt_host(void *data, size_t bytes, rt_dtype t, const int64_t *shape, int ndim) {
    int64_t size;
    rt_device *d = rt_device_get(RT_CPU, 0);
    if (check_dtype(t) != RT_OK || rt_shape_size(shape, ndim, &size) != RT_OK) { free(data); return NULL; }
    if (!data || (uint64_t)size > bytes / rt_dtype_size(t)) {
        free(data);
        rt_set_error(RT_EVALUE, "rt_adopt_host: a buffer of %zu bytes cannot hold %lld elements of %s", bytes,
                     (long long)size, rt_dtype_name(t));
        return NULL;
    }
    if (!d || rt_device_begin(d) != RT_OK) { free(data); return NULL; }
    rt_storage *s = malloc(sizeof *s);
    if (!s) { free(data); rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    s->refcount = 1;
    s->device = d;
    s->data = data;
    s->bytes = bytes;
    s->adopted = 1;
    rt_array *a = rt_array_wrap(s, t, shape, NULL, ndim, 0);
    rt_storage_release(s); /* the array holds it now (or nobody, on failure) */
    return a;
}

/* ---- copies, casts, transfer -------------------------------------------------- */

rt_array *rt_convert(const rt_array *a, rt_dtype t) {
    if (check_dtype(t) != RT_OK) return NULL;
    rt_array *out = rt_array_new(a->device, a->shape, a->ndim, t);
    if (!out || out->size == 0) return out;
    rt_view dv = rt_view_of(out), sv = rt_view_of(a);
    if (a->device->backend->copy(a->device, &dv, &sv) != RT_OK) { rt_array_release(out); return NULL; }
    return out;
}

rt_array *rt_as_dtype(const rt_array *a, rt_dtype t) {
    if (a->dtype == t) return rt_array_retain((rt_array *)a);
    return rt_convert(a, t);
}

static int null_arg(const void *p, const char *fn) {
    if (p) return 0;
    rt_set_error(RT_EVALUE, "%s: array argument is NULL", fn);
    return 1;
}

rt_array *rt_cast(const rt_array *a, rt_dtype t) {
    if (null_arg(a, "cast")) return NULL;
    rt_array *r = rt_convert(a, t);
    if (r) rt_log_op("Cast", a->device);
    return r;
}

rt_array *rt_copy(const rt_array *a) {
    if (null_arg(a, "copy")) return NULL;
    rt_array *r = rt_convert(a, a->dtype);
    if (r) rt_log_op("Identity", a->device);
    return r;
}

rt_array *rt_contiguous(const rt_array *a) {
    if (null_arg(a, "contiguous")) return NULL;
    if (rt_array_is_contiguous(a)) return rt_array_retain((rt_array *)a);
    return rt_convert(a, a->dtype);
}

rt_array *rt_flatten(const rt_array *a) {
    if (null_arg(a, "flatten")) return NULL;
    rt_array *c = rt_convert(a, a->dtype);
    if (!c) return NULL;
    c->ndim = 1;
    c->shape[0] = c->size;
    c->strides[0] = 1;
    rt_log_op("Reshape", a->device);
    return c;
}

rt_array *rt_to_device(const rt_array *a, rt_device *d) {
    if (null_arg(a, "to_device")) return NULL;
    d = rt_resolve_device(d);
    if (d == a->device) return rt_copy(a);
    rt_array *src = rt_contiguous(a);
    if (!src) return NULL;
    rt_array *out = rt_array_new(d, a->shape, a->ndim, a->dtype);
    if (!out) { rt_array_release(src); return NULL; }
    size_t bytes = (size_t)a->size * rt_dtype_size(a->dtype);
    rt_view sv = rt_view_of(src), dv = rt_view_of(out);
    rt_status st = RT_OK;
    if (bytes == 0) {
        /* nothing to move */
    } else if (a->device->kind == RT_CPU) {
        st = d->backend->copy_from_host(d, dv.data, sv.data, bytes);
    } else if (d->kind == RT_CPU) {
        st = a->device->backend->copy_to_host(a->device, dv.data, sv.data, bytes);
    } else { /* device to device through host memory */
        void *tmp = malloc(bytes);
        if (!tmp) st = rt_set_error(RT_EOOM, "out of host memory");
        else {
            st = a->device->backend->copy_to_host(a->device, tmp, sv.data, bytes);
            if (st == RT_OK) st = d->backend->copy_from_host(d, dv.data, tmp, bytes);
            free(tmp);
        }
    }
    rt_array_release(src);
    if (st != RT_OK) { rt_array_release(out); return NULL; }
    rt_log_op("Identity", d);
    return out;
}

/* ---- host access ------------------------------------------------------------------- */

rt_status rt_to_host(const rt_array *a, rt_dtype t, void *out) {
    if (null_arg(a, "to_host")) return rt_error_code();
    if (check_dtype(t) != RT_OK) return rt_error_code();
    if (a->size == 0) return RT_OK;
    if (!out) return rt_set_error(RT_EVALUE, "to_host: output buffer is NULL");
    rt_device *d = a->device;
    rt_status st = rt_synchronize(d);
    if (st != RT_OK) return st;
    rt_view hdst;
    memset(&hdst, 0, sizeof hdst);
    hdst.data = out;
    hdst.dtype = t;
    hdst.ndim = a->ndim;
    for (int i = 0; i < a->ndim; i++) hdst.shape[i] = a->shape[i];
    rt_contiguous_strides(a->shape, a->ndim, hdst.strides);
    if (d->kind == RT_CPU) {
        rt_view sv = rt_view_of(a);
        return rt_cpu_backend()->copy(d, &hdst, &sv);
    }
    rt_array *c = rt_contiguous(a);
    if (!c) return rt_error_code();
    size_t bytes = (size_t)a->size * rt_dtype_size(a->dtype);
    rt_view cv = rt_view_of(c);
    if (t == a->dtype) {
        st = d->backend->copy_to_host(d, out, cv.data, bytes);
    } else {
        void *tmp = malloc(bytes);
        if (!tmp) st = rt_set_error(RT_EOOM, "out of host memory");
        else {
            st = d->backend->copy_to_host(d, tmp, cv.data, bytes);
            if (st == RT_OK) {
                rt_view hs = hdst;
                hs.data = tmp;
                hs.dtype = a->dtype;
                st = rt_cpu_backend()->copy(NULL, &hdst, &hs);
            }
            free(tmp);
        }
    }
    rt_array_release(c);
    return st;
}

rt_status rt_item(const rt_array *a, int64_t flat_index, double *out) {
    if (null_arg(a, "item")) return rt_error_code();
    if (flat_index < 0 || flat_index >= a->size)
        return rt_set_error(RT_EINDEX, "index %lld is out of bounds for size %lld", (long long)flat_index, (long long)a->size);
    int64_t off = a->offset, r = flat_index;
    for (int i = a->ndim - 1; i >= 0; i--) {
        off += (r % a->shape[i]) * a->strides[i];
        r /= a->shape[i];
    }
    size_t es = rt_dtype_size(a->dtype);
    const char *p = (const char *)a->storage->data + (size_t)off * es;
    if (a->device->kind == RT_CPU) { *out = rt_load_double(p, a->dtype); return RT_OK; }
    rt_status st = rt_synchronize(a->device);
    if (st != RT_OK) return st;
    unsigned char buf[8];
    st = a->device->backend->copy_to_host(a->device, buf, p, es);
    if (st != RT_OK) return st;
    *out = rt_load_double(buf, a->dtype);
    return RT_OK;
}

rt_status rt_item_int64(const rt_array *a, int64_t flat_index, int64_t *out) {
    if (null_arg(a, "item")) return rt_error_code();
    if (a->dtype != RT_INT64) {
        double v;
        rt_status st = rt_item(a, flat_index, &v);
        if (st == RT_OK) *out = rt_f2l(v);
        return st;
    }
    if (flat_index < 0 || flat_index >= a->size)
        return rt_set_error(RT_EINDEX, "index %lld is out of bounds for size %lld", (long long)flat_index, (long long)a->size);
    int64_t one[1] = {1};
    /* a one-element view of the flat position, brought to the host */
    int64_t off = a->offset, r = flat_index;
    for (int i = a->ndim - 1; i >= 0; i--) {
        off += (r % a->shape[i]) * a->strides[i];
        r /= a->shape[i];
    }
    rt_array *v = rt_array_wrap(a->storage, a->dtype, one, NULL, 1, off);
    if (!v) return rt_error_code();
    rt_status st = rt_to_host(v, RT_INT64, out);
    rt_array_release(v);
    return st;
}

/* ---- views ---------------------------------------------------------------------------- */

static rt_array *view_of(const rt_array *a, const int64_t *shape, const int64_t *strides, int ndim, int64_t offset) {
    rt_array *v = rt_array_wrap(a->storage, a->dtype, shape, strides, ndim, offset);
    return v;
}

rt_array *rt_reshape(const rt_array *a, const int64_t *shape, int ndim) {
    if (null_arg(a, "reshape")) return NULL;
    if (ndim < 0 || ndim > RT_MAX_DIMS) {
        rt_set_error(RT_EVALUE, "arrays have at most %d dimensions, got %d", RT_MAX_DIMS, ndim);
        return NULL;
    }
    int64_t ns[RT_MAX_DIMS], known = 1;
    int unknown = -1;
    for (int i = 0; i < ndim; i++) {
        ns[i] = shape[i];
        if (shape[i] == -1) {
            if (unknown >= 0) { rt_set_error(RT_EVALUE, "can only specify one unknown dimension"); return NULL; }
            unknown = i;
        } else if (shape[i] < 0) {
            rt_set_error(RT_EVALUE, "negative dimensions are not allowed except -1, got %lld", (long long)shape[i]);
            return NULL;
        } else {
            known *= shape[i];
        }
    }
    char want[160];
    if (unknown >= 0) {
        if (known == 0 || a->size % known != 0) {
            rt_format_shape(shape, ndim, want, sizeof want);
            rt_set_error(RT_ESHAPE, "cannot reshape array of size %lld into shape %s", (long long)a->size, want);
            return NULL;
        }
        ns[unknown] = a->size / known;
        known = a->size;
    }
    if (known != a->size) {
        rt_format_shape(shape, ndim, want, sizeof want);
        rt_set_error(RT_ESHAPE, "cannot reshape array of size %lld into shape %s", (long long)a->size, want);
        return NULL;
    }
    rt_array *src = rt_contiguous(a);
    if (!src) return NULL;
    rt_array *v = view_of(src, ns, NULL, ndim, src->offset);
    rt_array_release(src);
    if (v) rt_log_op("Reshape", a->device);
    return v;
}

rt_array *rt_transpose(const rt_array *a, const int *perm) {
    if (null_arg(a, "transpose")) return NULL;
    int p[RT_MAX_DIMS], seen[RT_MAX_DIMS] = {0};
    for (int i = 0; i < a->ndim; i++) {
        int q = perm ? perm[i] : a->ndim - 1 - i;
        if (q < 0) q += a->ndim;
        if (q < 0 || q >= a->ndim || seen[q]) { rt_set_error(RT_EVALUE, "transpose: axes don't match array"); return NULL; }
        seen[q] = 1;
        p[i] = q;
    }
    int64_t shape[RT_MAX_DIMS], strides[RT_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++) { shape[i] = a->shape[p[i]]; strides[i] = a->strides[p[i]]; }
    rt_array *v = view_of(a, shape, strides, a->ndim, a->offset);
    if (v) rt_log_op("Transpose", a->device);
    return v;
}

/* Python's slice.indices(): clamps start/stop to the axis and returns the
 * number of elements selected. */
static int64_t slice_adjust(int64_t len, int64_t *start, int64_t *stop, int64_t step, int has_start, int has_stop) {
    if (!has_start) *start = step < 0 ? INT64_MAX : 0;
    if (!has_stop) *stop = step < 0 ? INT64_MIN : INT64_MAX;
    if (*start < 0) { *start += len; if (*start < 0) *start = step < 0 ? -1 : 0; }
    else if (*start >= len) *start = step < 0 ? len - 1 : len;
    if (*stop < 0) { *stop += len; if (*stop < 0) *stop = step < 0 ? -1 : 0; }
    else if (*stop >= len) *stop = step < 0 ? len - 1 : len;
    if (step < 0) return *stop < *start ? (*start - *stop - 1) / (-step) + 1 : 0;
    return *start < *stop ? (*stop - *start - 1) / step + 1 : 0;
}

rt_array *rt_index_view(const rt_array *a, const rt_index *idx, int n) {
    if (null_arg(a, "index")) return NULL;
    if (n < 0 || (n > 0 && !idx)) { rt_set_error(RT_EVALUE, "index: bad index list"); return NULL; }
    int consumed = 0;
    for (int i = 0; i < n; i++) if (idx[i].kind != RT_IDX_NEWAXIS) consumed++;
    if (consumed > a->ndim) {
        rt_set_error(RT_EINDEX, "too many indices for array: array is %d-dimensional, but %d were indexed", a->ndim, consumed);
        return NULL;
    }
    int64_t shape[RT_MAX_DIMS], strides[RT_MAX_DIMS], offset = a->offset;
    int nd = 0, ax = 0, empty = a->size == 0;
#define PUSH(SH, ST) do { if (nd >= RT_MAX_DIMS) { rt_set_error(RT_EINDEX, "index: result would have more than %d dimensions", RT_MAX_DIMS); return NULL; } \
                          shape[nd] = (SH); strides[nd] = (ST); nd++; } while (0)
    int64_t pending_off = 0; /* offsets applied only when the result is non-empty */
    for (int i = 0; i < n; i++) {
        const rt_index *e = &idx[i];
        if (e->kind == RT_IDX_NEWAXIS) { PUSH(1, 0); continue; }
        int64_t len = a->shape[ax], st = a->strides[ax];
        if (e->kind == RT_IDX_INT) {
            int64_t k = e->index;
            if (k < -len || k >= len) {
                rt_set_error(RT_EINDEX, "index %lld is out of bounds for axis %d with size %lld", (long long)e->index, ax, (long long)len);
                return NULL;
            }
            if (k < 0) k += len;
            pending_off += k * st;
        } else if (e->kind == RT_IDX_SLICE) {
            int64_t step = e->step;
            if (step == 0) { rt_set_error(RT_EVALUE, "slice step cannot be zero"); return NULL; }
            int64_t start = e->start, stop = e->stop;
            int64_t cnt = slice_adjust(len, &start, &stop, step, e->has_start, e->has_stop);
            if (cnt == 0) empty = 1;
            else pending_off += start * st;
            PUSH(cnt, st * step);
        } else {
            rt_set_error(RT_EVALUE, "index: unknown index kind %d", (int)e->kind);
            return NULL;
        }
        ax++;
    }
    for (; ax < a->ndim; ax++) PUSH(a->shape[ax], a->strides[ax]);
#undef PUSH
    if (!empty) offset += pending_off;
    rt_array *v = view_of(a, shape, strides, nd, offset);
    if (v) rt_log_op("StridedSlice", a->device);
    return v;
}

/* ---- concatenate / stack / gather ------------------------------------------------------ */

static int norm_axis(int axis, int ndim, const char *what) {
    if (axis < -ndim || axis >= ndim) {
        rt_set_error(RT_EVALUE, "%s: axis %d is out of bounds for array of dimension %d", what, axis, ndim);
        return -1;
    }
    return axis < 0 ? axis + ndim : axis;
}

rt_array *rt_concatenate(rt_array *const *arrays, int n, int axis) {
    if (n < 1 || !arrays) { rt_set_error(RT_EVALUE, "need at least one array to concatenate"); return NULL; }
    for (int i = 0; i < n; i++) if (null_arg(arrays[i], "concatenate")) return NULL;
    const rt_array *a0 = arrays[0];
    if (a0->ndim == 0) { rt_set_error(RT_EVALUE, "zero-dimensional arrays cannot be concatenated"); return NULL; }
    int ax = norm_axis(axis, a0->ndim, "concatenate");
    if (ax < 0) return NULL;
    int64_t shape[RT_MAX_DIMS];
    memcpy(shape, a0->shape, sizeof shape);
    shape[ax] = 0;
    rt_dtype t = a0->dtype;
    for (int i = 0; i < n; i++) {
        const rt_array *b = arrays[i];
        if (rt_check_same_device(a0, b) != RT_OK) return NULL;
        if (b->ndim != a0->ndim) {
            rt_set_error(RT_ESHAPE, "all the input arrays must have same number of dimensions, but the array at index 0 has %d dimension(s) and the array at index %d has %d dimension(s)",
                         a0->ndim, i, b->ndim);
            return NULL;
        }
        for (int d = 0; d < a0->ndim; d++) {
            if (d != ax && b->shape[d] != a0->shape[d]) {
                rt_set_error(RT_ESHAPE, "all the input array dimensions except for the concatenation axis must match exactly, but along dimension %d, the array at index 0 has size %lld and the array at index %d has size %lld",
                             d, (long long)a0->shape[d], i, (long long)b->shape[d]);
                return NULL;
            }
        }
        shape[ax] += b->shape[ax];
        t = rt_dtype_promote(t, b->dtype);
    }
    rt_device *d = a0->device;
    rt_array *out = rt_array_new(d, shape, a0->ndim, t);
    if (!out) return NULL;
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        const rt_array *b = arrays[i];
        if (b->size > 0) {
            rt_view dv = rt_view_of(out), sv = rt_view_of(b);
            dv.data = (char *)dv.data + (size_t)(pos * out->strides[ax]) * rt_dtype_size(t);
            dv.shape[ax] = b->shape[ax];
            if (d->backend->copy(d, &dv, &sv) != RT_OK) { rt_array_release(out); return NULL; }
        }
        pos += b->shape[ax];
    }
    rt_log_op("ConcatV2", d);
    return out;
}

rt_array *rt_stack(rt_array *const *arrays, int n, int axis) {
    if (n < 1 || !arrays) { rt_set_error(RT_EVALUE, "need at least one array to stack"); return NULL; }
    for (int i = 0; i < n; i++) if (null_arg(arrays[i], "stack")) return NULL;
    const rt_array *a0 = arrays[0];
    if (a0->ndim + 1 > RT_MAX_DIMS) { rt_set_error(RT_EVALUE, "stack: result would have more than %d dimensions", RT_MAX_DIMS); return NULL; }
    int ax = norm_axis(axis, a0->ndim + 1, "stack");
    if (ax < 0) return NULL;
    rt_dtype t = a0->dtype;
    for (int i = 0; i < n; i++) {
        const rt_array *b = arrays[i];
        if (rt_check_same_device(a0, b) != RT_OK) return NULL;
        int same = b->ndim == a0->ndim;
        for (int d = 0; same && d < a0->ndim; d++) same = b->shape[d] == a0->shape[d];
        if (!same) {
            char x[160], y[160];
            rt_format_shape(a0->shape, a0->ndim, x, sizeof x);
            rt_format_shape(b->shape, b->ndim, y, sizeof y);
            rt_set_error(RT_ESHAPE, "all input arrays must have the same shape: %s at index 0 and %s at index %d", x, y, i);
            return NULL;
        }
        t = rt_dtype_promote(t, b->dtype);
    }
    int64_t shape[RT_MAX_DIMS];
    for (int d = 0, k = 0; d <= a0->ndim; d++) shape[d] = d == ax ? n : a0->shape[k++];
    rt_device *d = a0->device;
    rt_array *out = rt_array_new(d, shape, a0->ndim + 1, t);
    if (!out) return NULL;
    if (out->size > 0) {
        for (int i = 0; i < n; i++) {
            rt_view dv = rt_view_of(out), sv = rt_view_of(arrays[i]);
            dv.data = (char *)dv.data + (size_t)(i * out->strides[ax]) * rt_dtype_size(t);
            for (int q = ax; q < a0->ndim; q++) { dv.shape[q] = dv.shape[q + 1]; dv.strides[q] = dv.strides[q + 1]; }
            dv.ndim = a0->ndim;
            if (d->backend->copy(d, &dv, &sv) != RT_OK) { rt_array_release(out); return NULL; }
        }
    }
    rt_log_op("Pack", d);
    return out;
}

rt_array *rt_gather(const rt_array *a, const rt_array *indices, int axis) {
    if (null_arg(a, "gather") || null_arg(indices, "gather")) return NULL;
    if (indices->dtype != RT_INT32) {
        rt_set_error(RT_ETYPE, "gather: indices must be int32, not %s", rt_dtype_name(indices->dtype));
        return NULL;
    }
    if (a->ndim == 0) { rt_set_error(RT_EVALUE, "gather: cannot gather from a 0-d array"); return NULL; }
    int ax = norm_axis(axis, a->ndim, "gather");
    if (ax < 0) return NULL;
    if (a->ndim - 1 + indices->ndim > RT_MAX_DIMS) {
        rt_set_error(RT_EVALUE, "gather: result would have more than %d dimensions", RT_MAX_DIMS);
        return NULL;
    }
    int64_t nidx = indices->size, len = a->shape[ax];
    int32_t *h = malloc((size_t)(nidx ? nidx : 1) * sizeof *h);
    if (!h) { rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    if (rt_to_host(indices, RT_INT32, h) != RT_OK) { free(h); return NULL; }
    for (int64_t j = 0; j < nidx; j++) {
        int64_t k = h[j];
        if (k < -len || k >= len) {
            rt_set_error(RT_EINDEX, "index %lld is out of bounds for axis %d with size %lld", (long long)k, ax, (long long)len);
            free(h);
            return NULL;
        }
        if (k < 0) h[j] = (int32_t)(k + len);
    }
    int64_t shape[RT_MAX_DIMS], outer = 1, inner = 1;
    int nd = 0;
    for (int d = 0; d < ax; d++) { shape[nd++] = a->shape[d]; outer *= a->shape[d]; }
    for (int d = 0; d < indices->ndim; d++) shape[nd++] = indices->shape[d];
    for (int d = ax + 1; d < a->ndim; d++) { shape[nd++] = a->shape[d]; inner *= a->shape[d]; }
    rt_device *dev = a->device;
    rt_array *out = rt_array_new(dev, shape, nd, a->dtype);
    rt_array *src = out ? rt_contiguous(a) : NULL;
    rt_array *didx = NULL;
    rt_status st = (out && src) ? RT_OK : rt_error_code();
    if (st == RT_OK && out->size > 0) {
        const int32_t *idx_dev = h;
        if (dev->kind != RT_CPU) {
            int64_t ishape[1] = {nidx};
            didx = rt_from_host(h, RT_INT32, ishape, 1, RT_INT32, dev);
            if (!didx) st = rt_error_code();
            else idx_dev = (const int32_t *)rt_view_of(didx).data;
        }
        if (st == RT_OK) {
            rt_view ov = rt_view_of(out), sv = rt_view_of(src);
            st = dev->backend->gather(dev, a->dtype, ov.data, sv.data, idx_dev, nidx, outer, len, inner);
        }
    }
    free(h);
    rt_array_release(src);
    rt_array_release(didx);
    if (st != RT_OK) { rt_array_release(out); return NULL; }
    rt_log_op("GatherV2", dev);
    return out;
}

/* ---- assignment --------------------------------------------------------------------------- */

rt_status rt_assign(rt_array *dst, const rt_array *value) {
    if (null_arg(dst, "assign") || null_arg(value, "assign")) return rt_error_code();
    if (rt_check_same_device(dst, value) != RT_OK) return rt_error_code();
    /* numpy lets the value carry extra leading 1-dims */
    int vn = value->ndim, lead = 0;
    while (vn > dst->ndim && value->shape[lead] == 1) { lead++; vn--; }
    int64_t bs[RT_MAX_DIMS];
    int bn;
    int ok = vn <= dst->ndim && rt_broadcast_shapes(value->shape + lead, vn, dst->shape, dst->ndim, bs, &bn) == RT_OK;
    for (int i = 0; ok && i < bn; i++) ok = bs[i] == dst->shape[i];
    if (!ok) {
        char x[160], y[160];
        rt_format_shape(value->shape, value->ndim, x, sizeof x);
        rt_format_shape(dst->shape, dst->ndim, y, sizeof y);
        return rt_set_error(RT_ESHAPE, "could not broadcast input array from shape %s into shape %s", x, y);
    }
    if (dst->size == 0) return RT_OK;
    rt_array *src = NULL;
    if (value->storage == dst->storage) { /* overlapping views: copy first */
        src = rt_convert(value, value->dtype);
        if (!src) return rt_error_code();
    } else {
        src = rt_array_retain((rt_array *)value);
    }
    rt_array tmp = *src;
    tmp.ndim = vn;
    memmove(tmp.shape, src->shape + lead, (size_t)vn * sizeof(int64_t));
    memmove(tmp.strides, src->strides + lead, (size_t)vn * sizeof(int64_t));
    rt_view dv = rt_view_of(dst), sv = rt_view_broadcast(&tmp, dst->shape, dst->ndim);
    rt_status st = dst->device->backend->copy(dst->device, &dv, &sv);
    rt_array_release(src);
    if (st == RT_OK) rt_log_op("ResourceStridedSliceAssign", dst->device);
    return st;
}

rt_status rt_assign_scalar(rt_array *dst, double value) {
    if (null_arg(dst, "assign")) return rt_error_code();
    if (dst->size == 0) return RT_OK;
    rt_view dv = rt_view_of(dst);
    rt_status st = dst->device->backend->fill(dst->device, &dv, value);
    if (st == RT_OK) rt_log_op("ResourceStridedSliceAssign", dst->device);
    return st;
}
