/* cuda_scalar.cuh — the per-element semantics of the element-wise ops, on
 * the device. They mirror the CPU backend (the reference) case by case:
 * Python floor division and modulo, wrapping int32 arithmetic, NaN-
 * propagating maximum/minimum, numpy's bool arithmetic, x86's float->int32
 * conversion (NaN and out of range give INT32_MIN).
 *
 * uint8_t is the storage of two dtypes: bool (truth values) and uint8
 * (numbers modulo 256). Templates over the C type mean bool; uint8 has its
 * own functors (bin_op_u8, un_op_u8, conv_from_u8, conv_to_u8).
 */
#ifndef CGPU_CUDA_SCALAR_CUH
#define CGPU_CUDA_SCALAR_CUH

#include <stdint.h>
#include <math.h>

#include <type_traits>

#include "rt.h"
#include "scalar_rules.h"

#define DEV static __device__ __forceinline__

/* ---- conversions used by copy and fill --------------------------------------------- */

template <typename TD, typename TS> struct conv {
    DEV TD apply(TS a) { return (TD)a; }
};
template <typename TS> struct conv<int32_t, TS> {
    DEV int32_t apply(TS a) { return f2i((double)a); }
};
template <> struct conv<int32_t, int32_t> {
    DEV int32_t apply(int32_t a) { return a; }
};
template <> struct conv<int32_t, uint8_t> {
    DEV int32_t apply(uint8_t a) { return a != 0; }
};
template <typename TS> struct conv<uint8_t, TS> {
    DEV uint8_t apply(TS a) { return a != 0; }
};
template <> struct conv<float, uint8_t> {
    DEV float apply(uint8_t a) { return a != 0 ? 1.0f : 0.0f; }
};
template <> struct conv<double, uint8_t> {
    DEV double apply(uint8_t a) { return a != 0 ? 1.0 : 0.0; }
};
/* int64: floats as x86 converts them, integers exactly or wrapping */
template <typename TS> struct conv<int64_t, TS> {
    DEV int64_t apply(TS a) { return f2l((double)a); }
};
template <> struct conv<int64_t, int64_t> {
    DEV int64_t apply(int64_t a) { return a; }
};
template <> struct conv<int64_t, int32_t> {
    DEV int64_t apply(int32_t a) { return a; }
};
template <> struct conv<int64_t, uint8_t> {
    DEV int64_t apply(uint8_t a) { return a != 0; }
};
template <> struct conv<int32_t, int64_t> {
    DEV int32_t apply(int64_t a) { return (int32_t)(uint32_t)(uint64_t)a; }
};
/* from the uint8 dtype (a number); TD uint8_t is bool here */
template <typename TD> struct conv_from_u8 {
    DEV TD apply(uint8_t a) { return (TD)a; }
};
template <> struct conv_from_u8<uint8_t> {
    DEV uint8_t apply(uint8_t a) { return a != 0; }
};
/* to the uint8 dtype: floats through int32 as numpy on x86-64 (NaN, inf
 * and values beyond int32 give 0), integers wrap; TS uint8_t is bool */
template <typename TS> struct conv_to_u8 {
    DEV uint8_t apply(TS a) { return (uint8_t)(uint32_t)f2i((double)a); }
};
template <> struct conv_to_u8<int32_t> {
    DEV uint8_t apply(int32_t a) { return (uint8_t)(uint32_t)a; }
};
template <> struct conv_to_u8<int64_t> {
    DEV uint8_t apply(int64_t a) { return (uint8_t)(uint64_t)a; }
};
template <> struct conv_to_u8<uint8_t> {
    DEV uint8_t apply(uint8_t a) { return a != 0; }
};

/* ---- Python floor division and modulo (numpy's npy_divmod) ------------------------ */

/* The rules themselves are scalar_rules.h (shared with the CPU backend);
 * these overloads let the templates below pick by type. */
DEV double floordiv_(double a, double b) { return d_floordiv(a, b); }
DEV double mod_(double a, double b) { return d_mod(a, b); }
DEV float floordiv_(float a, float b) { return f_floordiv(a, b); }
DEV float mod_(float a, float b) { return f_mod(a, b); }

/* ---- int32 and int64: the wrapping rules of scalar_rules.h, by type ---------------- */

template <typename I> DEV I w_add(I a, I b) { if constexpr (sizeof(I) == 4) return i_add(a, b); else return l_add(a, b); }
template <typename I> DEV I w_sub(I a, I b) { if constexpr (sizeof(I) == 4) return i_sub(a, b); else return l_sub(a, b); }
template <typename I> DEV I w_mul(I a, I b) { if constexpr (sizeof(I) == 4) return i_mul(a, b); else return l_mul(a, b); }
template <typename I> DEV I w_neg(I a) { if constexpr (sizeof(I) == 4) return i_neg(a); else return l_neg(a); }
template <typename I> DEV I w_floordiv(I a, I b) { if constexpr (sizeof(I) == 4) return i_floordiv(a, b); else return l_floordiv(a, b); }
template <typename I> DEV I w_mod(I a, I b) { if constexpr (sizeof(I) == 4) return i_mod(a, b); else return l_mod(a, b); }
template <typename I> DEV I w_pow(I a, I b) { if constexpr (sizeof(I) == 4) return i_pow(a, b); else return l_pow(a, b); }

/* ---- binary ops -------------------------------------------------------------------- */

/* Result of binary op OP on two T; comparisons and logical ops give
 * uint8_t (RT_BOOL). */
template <int OP, typename T>
struct bin_op {
    static const bool to_bool = OP >= RT_EQ;
    typedef typename std::conditional<to_bool, uint8_t, T>::type O;

    /* float32 and float64 */
    template <typename F>
    static __device__ __forceinline__ F arith_f(F a, F b) {
        if constexpr (OP == RT_ADD) return a + b;
        else if constexpr (OP == RT_SUB) return a - b;
        else if constexpr (OP == RT_MUL) return a * b;
        else if constexpr (OP == RT_DIV) return a / b;
        else if constexpr (OP == RT_FLOORDIV) return floordiv_(a, b);
        else if constexpr (OP == RT_MOD) return mod_(a, b);
        else if constexpr (OP == RT_POW) return pow(a, b);
        else if constexpr (OP == RT_MAXIMUM) return (a >= b || a != a) ? a : b;
        else return (a <= b || a != a) ? a : b; /* RT_MINIMUM */
    }
    /* int32 and int64 */
    template <typename I>
    static __device__ __forceinline__ I arith_int(I a, I b) {
        if constexpr (OP == RT_ADD) return w_add(a, b);
        else if constexpr (OP == RT_SUB) return w_sub(a, b);
        else if constexpr (OP == RT_MUL) return w_mul(a, b);
        else if constexpr (OP == RT_DIV || OP == RT_FLOORDIV) return w_floordiv(a, b);
        else if constexpr (OP == RT_MOD) return w_mod(a, b);
        else if constexpr (OP == RT_POW) return w_pow(a, b);
        else if constexpr (OP == RT_MAXIMUM) return a > b ? a : b;
        else return a < b ? a : b;
    }
    /* bool arithmetic is int arithmetic stored as truth values */
    static __device__ __forceinline__ uint8_t arith_b(uint8_t a, uint8_t b) {
        if constexpr (OP == RT_ADD || OP == RT_MAXIMUM) return (a | b) != 0;
        else if constexpr (OP == RT_SUB) return (a ^ b) != 0;
        else if constexpr (OP == RT_MUL || OP == RT_MINIMUM) return (a & b) != 0;
        else if constexpr (OP == RT_DIV || OP == RT_FLOORDIV) return w_floordiv<int32_t>(a, b) != 0;
        else if constexpr (OP == RT_MOD) return w_mod<int32_t>(a, b) != 0;
        else return w_pow<int32_t>(a, b) != 0; /* RT_POW */
    }

    __device__ __forceinline__ O operator()(T a, T b) const {
        if constexpr (OP == RT_EQ) return a == b;
        else if constexpr (OP == RT_NE) return a != b;
        else if constexpr (OP == RT_LT) return a < b;
        else if constexpr (OP == RT_LE) return a <= b;
        else if constexpr (OP == RT_GT) return a > b;
        else if constexpr (OP == RT_GE) return a >= b;
        else if constexpr (OP == RT_LOGICAL_AND) return (a != 0) && (b != 0);
        else if constexpr (OP == RT_LOGICAL_OR) return (a != 0) || (b != 0);
        else if constexpr (std::is_floating_point<T>::value) return arith_f<T>(a, b);
        else if constexpr (std::is_same<T, int32_t>::value || std::is_same<T, int64_t>::value)
            return arith_int<T>(a, b);
        else return arith_b(a, b);
    }
};

/* The uint8 dtype: arithmetic modulo 256. */
template <int OP>
struct bin_op_u8 {
    typedef uint8_t O;
    __device__ __forceinline__ O operator()(uint8_t a, uint8_t b) const {
        if constexpr (OP >= RT_EQ) return bin_op<OP, uint8_t>()(a, b); /* comparisons, logical: as bool's */
        else if constexpr (OP == RT_ADD) return (uint8_t)(a + b);
        else if constexpr (OP == RT_SUB) return (uint8_t)(a - b);
        else if constexpr (OP == RT_MUL) return (uint8_t)(a * b);
        else if constexpr (OP == RT_DIV || OP == RT_FLOORDIV) return b ? (uint8_t)(a / b) : (uint8_t)0;
        else if constexpr (OP == RT_MOD) return b ? (uint8_t)(a % b) : (uint8_t)0;
        else if constexpr (OP == RT_POW) return u_pow(a, b);
        else if constexpr (OP == RT_MAXIMUM) return a > b ? a : b;
        else return a < b ? a : b; /* RT_MINIMUM */
    }
};

/* ---- unary ops ------------------------------------------------------------------------ */

DEV float sigmoid_(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
DEV double sigmoid_(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

template <int OP, typename T>
struct un_op {
    typedef typename std::conditional<OP == RT_LOGICAL_NOT, uint8_t, T>::type O;

    template <typename F>
    static __device__ __forceinline__ F fl(F a) {
        if constexpr (OP == RT_NEG) return -a;
        else if constexpr (OP == RT_ABS) return fabs(a);
        else if constexpr (OP == RT_EXP) return exp(a);
        else if constexpr (OP == RT_LOG) return log(a);
        else if constexpr (OP == RT_SQRT) return sqrt(a);
        else if constexpr (OP == RT_SIN) return sin(a);
        else if constexpr (OP == RT_COS) return cos(a);
        else if constexpr (OP == RT_TANH) return tanh(a);
        else if constexpr (OP == RT_SIGMOID) return sigmoid_(a);
        else if constexpr (OP == RT_RELU) return (a > (F)0 || a != a) ? a : (F)0;
        else if constexpr (OP == RT_FLOOR) return floor(a);
        else return ceil(a); /* RT_CEIL */
    }
    /* int32 and int64; transcendental ops through double */
    template <typename I>
    static __device__ __forceinline__ I ints(I a) {
        if constexpr (OP == RT_NEG) return w_neg(a);
        else if constexpr (OP == RT_ABS) return a < 0 ? w_neg(a) : a;
        else if constexpr (OP == RT_RELU) return a > 0 ? a : 0;
        else if constexpr (OP == RT_FLOOR || OP == RT_CEIL) return a;
        else if constexpr (sizeof(I) == 4) return f2i(fl<double>((double)a)); /* transcendental, through double */
        else return f2l(fl<double>((double)a));
    }
    static __device__ __forceinline__ uint8_t bo(uint8_t a) {
        if constexpr (OP == RT_EXP || OP == RT_COS || OP == RT_SIGMOID) return 1; /* always > 0 */
        else if constexpr (OP == RT_LOG) return a == 0;                        /* log 0 = -inf, log 1 = 0 */
        else return a != 0;                                                     /* identity on 0/1 */
    }

    __device__ __forceinline__ O operator()(T a) const {
        if constexpr (OP == RT_LOGICAL_NOT) return a == 0;
        else if constexpr (std::is_floating_point<T>::value) return fl<T>(a);
        else if constexpr (std::is_same<T, int32_t>::value || std::is_same<T, int64_t>::value) return ints<T>(a);
        else return bo(a);
    }
};

/* The uint8 dtype (the dispatcher casts it to float32 for transcendental ops). */
template <int OP>
struct un_op_u8 {
    typedef uint8_t O;
    __device__ __forceinline__ O operator()(uint8_t a) const {
        if constexpr (OP == RT_LOGICAL_NOT) return a == 0;
        else if constexpr (OP == RT_NEG) return (uint8_t)(0u - a);
        else if constexpr (OP == RT_ABS || OP == RT_RELU || OP == RT_FLOOR || OP == RT_CEIL) return a;
        else return (uint8_t)(uint32_t)f2i(un_op<OP, double>::template fl<double>((double)a));
    }
};

#undef DEV
#endif
