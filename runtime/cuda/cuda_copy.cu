/* cuda_copy.cu — copy (with dtype conversion), fill and where: the ops that
 * move or select elements without arithmetic.
 *
 * Same-dtype copies between contiguous buffers are one cudaMemcpyAsync;
 * zero fills of contiguous buffers one cudaMemsetAsync. Everything else
 * goes through the element-wise skeletons (cuda_ew.cuh). Copies of equal
 * dtype move raw words of the element size, so NaN payloads and -0.0 are
 * kept bit for bit.
 */
#include <math.h>
#include <string.h>

#include "cuda_ew.cuh"
#include "cuda_scalar.cuh"

template <typename TD, typename TS>
struct conv_op {
    __device__ __forceinline__ TD operator()(TS a) const { return conv<TD, TS>::apply(a); }
};

template <typename TD>
struct conv_from_u8_op {
    __device__ __forceinline__ TD operator()(uint8_t a) const { return conv_from_u8<TD>::apply(a); }
};

template <typename TS>
struct conv_to_u8_op {
    __device__ __forceinline__ uint8_t operator()(TS a) const { return conv_to_u8<TS>::apply(a); }
};

template <typename W>
struct same_op {
    __device__ __forceinline__ W operator()(W a) const { return a; }
};

/* A raw word type for each element size. */
template <int S> struct word;
template <> struct word<1> { typedef uint8_t type; };
template <> struct word<4> { typedef uint32_t type; };
template <> struct word<8> { typedef uint64_t type; };

template <typename TD>
static rt_status copy_from(rt_device *d, cuda_state *st, const rt_view *dst, const rt_view *src) {
    switch (src->dtype) {
    case RT_FLOAT32: return ew_launch1<conv_op<TD, float>, TD, float>(d, st, conv_op<TD, float>(), dst, src);
    case RT_FLOAT64: return ew_launch1<conv_op<TD, double>, TD, double>(d, st, conv_op<TD, double>(), dst, src);
    case RT_INT32: return ew_launch1<conv_op<TD, int32_t>, TD, int32_t>(d, st, conv_op<TD, int32_t>(), dst, src);
    case RT_BOOL: return ew_launch1<conv_op<TD, uint8_t>, TD, uint8_t>(d, st, conv_op<TD, uint8_t>(), dst, src);
    case RT_INT64: return ew_launch1<conv_op<TD, int64_t>, TD, int64_t>(d, st, conv_op<TD, int64_t>(), dst, src);
    case RT_UINT8: return ew_launch1<conv_from_u8_op<TD>, TD, uint8_t>(d, st, conv_from_u8_op<TD>(), dst, src);
    default: return rt_set_error(RT_ETYPE, "copy from unknown dtype %d", (int)src->dtype);
    }
}

/* Into the uint8 dtype (the source's dtype differs). */
static rt_status copy_to_u8(rt_device *d, cuda_state *st, const rt_view *dst, const rt_view *src) {
    switch (src->dtype) {
#define CASE(DT, TS) case DT: return ew_launch1<conv_to_u8_op<TS>, uint8_t, TS>(d, st, conv_to_u8_op<TS>(), dst, src);
    CASE(RT_FLOAT32, float) CASE(RT_FLOAT64, double) CASE(RT_INT32, int32_t) CASE(RT_INT64, int64_t)
    CASE(RT_BOOL, uint8_t)
#undef CASE
    default: return rt_set_error(RT_ETYPE, "copy from unknown dtype %d", (int)src->dtype);
    }
}

/* Byte range [lo, hi) a view touches. */
static void view_extent(const rt_view *v, uintptr_t *lo, uintptr_t *hi) {
    int64_t es = (int64_t)rt_dtype_size(v->dtype), mn = 0, mx = 0;
    for (int k = 0; k < v->ndim; k++) {
        if (v->shape[k] <= 0) { *lo = *hi = (uintptr_t)v->data; return; }
        int64_t span = (v->shape[k] - 1) * v->strides[k];
        if (span < 0) mn += span; else mx += span;
    }
    *lo = (uintptr_t)v->data + mn * es;
    *hi = (uintptr_t)v->data + (mx + 1) * es;
}

static int64_t view_count(const rt_view *v) {
    int64_t n = 1;
    for (int k = 0; k < v->ndim; k++) n *= v->shape[k];
    return n;
}

rt_status cuda_copy(rt_device *d, const rt_view *dst, const rt_view *src) {
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    /* Overlapping source and destination (assignment of a view of an array
     * into another view of it): threads would race, so the source is first
     * staged into a contiguous temporary, as numpy does. */
    uintptr_t dlo, dhi, slo, shi;
    view_extent(dst, &dlo, &dhi);
    view_extent(src, &slo, &shi);
    int64_t count = view_count(dst);
    if (count > 0 && dlo < shi && slo < dhi && !(dst->data == src->data && dst->dtype == src->dtype &&
                                                 memcmp(dst->strides, src->strides, sizeof(int64_t) * dst->ndim) == 0)) {
        size_t es = rt_dtype_size(src->dtype);
        void *tmp = rt_device_alloc(d, (size_t)count * es);
        if (!tmp) return rt_error_code();
        rt_view t = *src;
        t.data = tmp;
        int64_t stride = 1;
        for (int k = t.ndim - 1; k >= 0; k--) { t.strides[k] = stride; stride *= t.shape[k]; }
        rt_status r = cuda_copy(d, &t, src);
        if (r == RT_OK) r = cuda_copy(d, dst, &t);
        rt_device_free(d, tmp); /* stream order: reused only by later work */
        return r;
    }
    if (dst->dtype == src->dtype) {
        const rt_view *views[2] = {dst, src};
        strided_t<2> it;
        int64_t n = strided_collapse<2>(&it, views);
        if (n == 0) return RT_OK;
        unsigned scalar;
        size_t es = rt_dtype_size(dst->dtype);
        if (strided_is_flat<2>(&it, &scalar) && scalar == 0) {
            if (dst->data != src->data)
                CU_CHECK(d, cudaMemcpyAsync(dst->data, src->data, (size_t)n * es, cudaMemcpyDeviceToDevice,
                                            st->stream));
            return RT_OK;
        }
        switch (es) {
        case 1: return ew_launch1<same_op<uint8_t>, uint8_t, uint8_t>(d, st, same_op<uint8_t>(), dst, src);
        case 4: return ew_launch1<same_op<uint32_t>, uint32_t, uint32_t>(d, st, same_op<uint32_t>(), dst, src);
        case 8: return ew_launch1<same_op<uint64_t>, uint64_t, uint64_t>(d, st, same_op<uint64_t>(), dst, src);
        default: return rt_set_error(RT_ETYPE, "copy of unknown dtype %d", (int)dst->dtype);
        }
    }
    switch (dst->dtype) {
    case RT_FLOAT32: return copy_from<float>(d, st, dst, src);
    case RT_FLOAT64: return copy_from<double>(d, st, dst, src);
    case RT_INT32: return copy_from<int32_t>(d, st, dst, src);
    case RT_BOOL: return copy_from<uint8_t>(d, st, dst, src);
    case RT_INT64: return copy_from<int64_t>(d, st, dst, src);
    case RT_UINT8: return copy_to_u8(d, st, dst, src);
    default: return rt_set_error(RT_ETYPE, "copy to unknown dtype %d", (int)dst->dtype);
    }
}

/* ---- fill ---------------------------------------------------------------------------- */

template <typename T>
struct const_op {
    T v;
    __device__ __forceinline__ T operator()() const { return v; }
};

/* The value converted on the host exactly as the CPU backend converts it. */
template <typename T>
static rt_status fill_t(rt_device *d, cuda_state *st, const rt_view *dst, T v) {
    const_op<T> f;
    f.v = v;
    return ew_launch0<const_op<T>, T>(d, st, f, dst);
}

static int32_t h_f2i(double v) {
    if (!(v >= -2147483648.0 && v < 2147483648.0)) return INT32_MIN;
    return (int32_t)v;
}

static int64_t h_f2l(double v) {
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)v;
}

rt_status cuda_fill(rt_device *d, const rt_view *dst, double value) {
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    /* all-zero bits: one memset when contiguous */
    if (value == 0 && !signbit(value)) {
        const rt_view *views[1] = {dst};
        strided_t<1> it;
        int64_t n = strided_collapse<1>(&it, views);
        unsigned scalar;
        if (n == 0) return RT_OK;
        if (strided_is_flat<1>(&it, &scalar) && scalar == 0) {
            CU_CHECK(d, cudaMemsetAsync(dst->data, 0, (size_t)n * rt_dtype_size(dst->dtype), st->stream));
            return RT_OK;
        }
    }
    switch (dst->dtype) {
    case RT_FLOAT32: return fill_t<float>(d, st, dst, (float)value);
    case RT_FLOAT64: return fill_t<double>(d, st, dst, value);
    case RT_INT32: return fill_t<int32_t>(d, st, dst, h_f2i(value));
    case RT_BOOL: return fill_t<uint8_t>(d, st, dst, (uint8_t)(value != 0));
    case RT_INT64: return fill_t<int64_t>(d, st, dst, h_f2l(value));
    case RT_UINT8: return fill_t<uint8_t>(d, st, dst, (uint8_t)(uint32_t)h_f2i(value));
    default: return rt_set_error(RT_ETYPE, "fill of unknown dtype %d", (int)dst->dtype);
    }
}

/* ---- where ----------------------------------------------------------------------------- */

template <typename W>
struct select_op {
    __device__ __forceinline__ W operator()(uint8_t c, W a, W b) const { return c ? a : b; }
};

rt_status cuda_where(rt_device *d, const rt_view *out, const rt_view *cond, const rt_view *a, const rt_view *b) {
    if (cond->dtype != RT_BOOL)
        return rt_set_error(RT_ETYPE, "where: condition must be bool, not %s", rt_dtype_name(cond->dtype));
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    switch (rt_dtype_size(out->dtype)) {
    case 1: return ew_launch3<select_op<uint8_t>, uint8_t, uint8_t, uint8_t, uint8_t>(d, st, select_op<uint8_t>(), out, cond, a, b);
    case 4: return ew_launch3<select_op<uint32_t>, uint32_t, uint8_t, uint32_t, uint32_t>(d, st, select_op<uint32_t>(), out, cond, a, b);
    case 8: return ew_launch3<select_op<uint64_t>, uint64_t, uint8_t, uint64_t, uint64_t>(d, st, select_op<uint64_t>(), out, cond, a, b);
    default: return rt_set_error(RT_ETYPE, "where of unknown dtype %d", (int)out->dtype);
    }
}
