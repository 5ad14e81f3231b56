/* cuda_unary.cu — unary element-wise ops. LOGICAL_NOT writes RT_BOOL; every
 * other op keeps the input dtype (the dispatcher casts integer inputs of
 * transcendental ops to float32 first; the int32 versions still exist and
 * go through double, as on the CPU).
 */
#include "cuda_ew.cuh"
#include "cuda_scalar.cuh"

/* ORDER rt_unary_op */
#define UNARY_OPS(X) \
    X(RT_NEG) X(RT_ABS) X(RT_EXP) X(RT_LOG) X(RT_SQRT) X(RT_SIN) X(RT_COS) \
    X(RT_TANH) X(RT_SIGMOID) X(RT_RELU) X(RT_FLOOR) X(RT_CEIL) X(RT_LOGICAL_NOT)

template <int OP, typename T>
static rt_status run(rt_device *d, cuda_state *st, const rt_view *out, const rt_view *a) {
    typedef un_op<OP, T> F;
    return ew_launch1<F, typename F::O, T>(d, st, F(), out, a);
}

template <int OP>
static rt_status run_u8(rt_device *d, cuda_state *st, const rt_view *out, const rt_view *a) {
    typedef un_op_u8<OP> F;
    return ew_launch1<F, uint8_t, uint8_t>(d, st, F(), out, a);
}

static rt_status run_t_u8(rt_device *d, cuda_state *st, rt_unary_op op, const rt_view *out, const rt_view *a) {
    switch (op) {
#define CASE(OP) case OP: return run_u8<OP>(d, st, out, a);
    UNARY_OPS(CASE)
#undef CASE
    default: break;
    }
    return rt_set_error(RT_EVALUE, "unknown unary op %d", (int)op);
}

template <typename T>
static rt_status run_t(rt_device *d, cuda_state *st, rt_unary_op op, const rt_view *out, const rt_view *a) {
    switch (op) {
#define CASE(OP) case OP: return run<OP, T>(d, st, out, a);
    UNARY_OPS(CASE)
#undef CASE
    default: break;
    }
    return rt_set_error(RT_EVALUE, "unknown unary op %d", (int)op);
}

rt_status cuda_unary(rt_device *d, rt_unary_op op, const rt_view *out, const rt_view *a) {
    rt_dtype want = op == RT_LOGICAL_NOT ? RT_BOOL : a->dtype;
    if (out->dtype != want)
        return rt_set_error(RT_ETYPE, "%s kernel: output dtype %s, expected %s", rt_unary_op_name(op),
                            rt_dtype_name(out->dtype), rt_dtype_name(want));
    cuda_state *st = cuda_enter(d);
    if (!st) return rt_error_code();
    switch (a->dtype) {
    case RT_FLOAT32: return run_t<float>(d, st, op, out, a);
    case RT_FLOAT64: return run_t<double>(d, st, op, out, a);
    case RT_INT32: return run_t<int32_t>(d, st, op, out, a);
    case RT_BOOL: return run_t<uint8_t>(d, st, op, out, a);
    case RT_INT64: return run_t<int64_t>(d, st, op, out, a);
    case RT_UINT8: return run_t_u8(d, st, op, out, a);
    default: return rt_set_error(RT_ETYPE, "unary op on unknown dtype %d", (int)a->dtype);
    }
}
