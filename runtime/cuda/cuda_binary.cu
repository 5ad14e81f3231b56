/* cuda_binary.cu — binary element-wise ops (arithmetic, comparisons,
 * logical) with broadcasting already expressed as stride-0 axes.
 *
 * The op and the dtype become template arguments here, once per call, so
 * each kernel is straight-line code for one (op, dtype) pair.
 */
#include "cuda_ew.cuh"
#include "cuda_scalar.cuh"

/* ORDER rt_binary_op */
#define BINARY_OPS(X) \
    X(RT_ADD) X(RT_SUB) X(RT_MUL) X(RT_DIV) X(RT_FLOORDIV) X(RT_MOD) X(RT_POW) \
    X(RT_MAXIMUM) X(RT_MINIMUM) \
    X(RT_EQ) X(RT_NE) X(RT_LT) X(RT_LE) X(RT_GT) X(RT_GE) \
    X(RT_LOGICAL_AND) X(RT_LOGICAL_OR)

template <int OP, typename T>
static rt_status run(rt_device *d, cuda_state *st, const rt_view *out, const rt_view *a, const rt_view *b) {
    typedef bin_op<OP, T> F;
    return ew_launch2<F, typename F::O, T, T>(d, st, F(), out, a, b);
}

template <int OP>
static rt_status run_u8(rt_device *d, cuda_state *st, const rt_view *out, const rt_view *a, const rt_view *b) {
    typedef bin_op_u8<OP> F;
    return ew_launch2<F, uint8_t, uint8_t, uint8_t>(d, st, F(), out, a, b);
}

static rt_status run_t_u8(rt_device *d, cuda_state *st, rt_binary_op op, const rt_view *out, const rt_view *a,
                          const rt_view *b) {
    switch (op) {
#define CASE(OP) case OP: return run_u8<OP>(d, st, out, a, b);
    BINARY_OPS(CASE)
#undef CASE
    default: break;
    }
    return rt_set_error(RT_EVALUE, "unknown binary op %d", (int)op);
}

template <typename T>
static rt_status run_t(rt_device *d, cuda_state *st, rt_binary_op op, const rt_view *out, const rt_view *a,
                       const rt_view *b) {
    switch (op) {
#define CASE(OP) case OP: return run<OP, T>(d, st, out, a, b);
    BINARY_OPS(CASE)
#undef CASE
    default: break;
    }
    return rt_set_error(RT_EVALUE, "unknown binary op %d", (int)op);
}

rt_status cuda_binary(rt_device *d, rt_binary_op op, const rt_view *out, const rt_view *a, const rt_view *b) {
    if (a->dtype != b->dtype)
        return rt_set_error(RT_ETYPE, "binary kernel got mixed dtypes %s and %s", rt_dtype_name(a->dtype),
                            rt_dtype_name(b->dtype));
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    switch (a->dtype) {
    case RT_FLOAT32: return run_t<float>(d, st, op, out, a, b);
    case RT_FLOAT64: return run_t<double>(d, st, op, out, a, b);
    case RT_INT32: return run_t<int32_t>(d, st, op, out, a, b);
    case RT_BOOL: return run_t<uint8_t>(d, st, op, out, a, b);
    case RT_INT64: return run_t<int64_t>(d, st, op, out, a, b);
    case RT_UINT8: return run_t_u8(d, st, op, out, a, b);
    default: return rt_set_error(RT_ETYPE, "binary op on unknown dtype %d", (int)a->dtype);
    }
}
