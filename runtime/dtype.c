/* dtype.c — element types: sizes, names, promotion, host conversion, and
 * the TensorFlow-style op names used by placement logging. */
#include "rt_core.h"

#include <string.h>
#include <strings.h>

/* ORDER rt_dtype */
static const size_t dtype_sizes[RT_DTYPE_COUNT] = {4, 8, 4, 1, 1, 8};
static const char *const dtype_names[RT_DTYPE_COUNT] = {"float32", "float64", "int32", "bool", "uint8", "int64"};
/* Promotion rank: bool < uint8 < int32 < int64 < float32 < float64. With
 * no int8/int16/uint16+ dtypes, uint8 with a signed int always fits the
 * signed one, so a total order is numpy's table; float32 is the default
 * float, so an int with float32 stays float32 (numpy: float64 for int32
 * and int64). */
static const int dtype_rank[RT_DTYPE_COUNT] = {4, 5, 2, 0, 1, 3};
/* Kind of each dtype, compared with rt_scalar_kind. */
static const int dtype_kind[RT_DTYPE_COUNT] = {RT_WEAK_FLOAT, RT_WEAK_FLOAT, RT_WEAK_INT, RT_WEAK_BOOL,
                                               RT_WEAK_INT, RT_WEAK_INT};

size_t rt_dtype_size(rt_dtype t) { return (unsigned)t < RT_DTYPE_COUNT ? dtype_sizes[t] : 0; }

const char *rt_dtype_name(rt_dtype t) { return (unsigned)t < RT_DTYPE_COUNT ? dtype_names[t] : "invalid"; }

int rt_dtype_parse(const char *name, rt_dtype *out) {
    static const struct { const char *name; rt_dtype t; } aliases[] = {
        {"float32", RT_FLOAT32}, {"float", RT_FLOAT32}, {"f4", RT_FLOAT32},
        {"float64", RT_FLOAT64}, {"double", RT_FLOAT64}, {"f8", RT_FLOAT64},
        {"int32", RT_INT32}, {"int", RT_INT32}, {"i4", RT_INT32},
        {"bool", RT_BOOL},
        {"uint8", RT_UINT8}, {"u1", RT_UINT8},
        {"int64", RT_INT64}, {"i8", RT_INT64},
    };
    if (!name) return -1;
    if (strncmp(name, "tf.", 3) == 0) name += 3;
    else if (strncmp(name, "np.", 3) == 0) name += 3;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcmp(name, aliases[i].name) == 0) {
            if (out) *out = aliases[i].t;
            return 0;
        }
    }
    return -1;
}

rt_dtype rt_dtype_promote(rt_dtype a, rt_dtype b) {
    if ((unsigned)a >= RT_DTYPE_COUNT) return b;
    if ((unsigned)b >= RT_DTYPE_COUNT) return a;
    return dtype_rank[a] >= dtype_rank[b] ? a : b;
}

rt_dtype rt_dtype_of_kind(rt_scalar_kind k) {
    return k == RT_WEAK_FLOAT ? RT_FLOAT32 : k == RT_WEAK_INT ? RT_INT32 : RT_BOOL;
}

rt_dtype rt_dtype_promote_weak(rt_dtype a, rt_scalar_kind k) {
    if ((unsigned)a >= RT_DTYPE_COUNT) return rt_dtype_of_kind(k);
    return dtype_kind[a] >= (int)k ? a : rt_dtype_of_kind(k);
}

rt_scalar rt_scalar_int(int64_t v) { rt_scalar s = {RT_WEAK_INT, v, (double)v}; return s; }
rt_scalar rt_scalar_float(double v) { rt_scalar s = {RT_WEAK_FLOAT, 0, v}; return s; }
rt_scalar rt_scalar_bool(int v) { rt_scalar s = {RT_WEAK_BOOL, v != 0, v != 0 ? 1.0 : 0.0}; return s; }

int rt_dtype_is_float(rt_dtype t) { return t == RT_FLOAT32 || t == RT_FLOAT64; }
int rt_dtype_is_integer(rt_dtype t) { return t == RT_INT32 || t == RT_INT64 || t == RT_UINT8; }

/* ORDER rt_binary_op */
static const char *const binary_names[RT_BINARY_OP_COUNT] = {
    "AddV2", "Sub", "Mul", "RealDiv", "FloorDiv", "FloorMod", "Pow",
    "Maximum", "Minimum",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "LogicalAnd", "LogicalOr",
};
/* ORDER rt_unary_op */
static const char *const unary_names[RT_UNARY_OP_COUNT] = {
    "Neg", "Abs", "Exp", "Log", "Sqrt", "Sin", "Cos", "Tanh",
    "Sigmoid", "Relu", "Floor", "Ceil", "LogicalNot",
};

const char *rt_binary_op_name(rt_binary_op op) {
    return (unsigned)op < RT_BINARY_OP_COUNT ? binary_names[op] : "UnknownBinaryOp";
}

const char *rt_unary_op_name(rt_unary_op op) {
    return (unsigned)op < RT_UNARY_OP_COUNT ? unary_names[op] : "UnknownUnaryOp";
}

/* Float to int32 the way x86 does it (numpy on x86 agrees): NaN and
 * out-of-range values give INT32_MIN instead of undefined behaviour. */
int32_t rt_f2i(double v) {
    if (!(v >= -2147483648.0 && v < 2147483648.0)) return INT32_MIN;
    return (int32_t)v;
}

/* Float to int64 as x86's cvttsd2si: NaN and out of range give INT64_MIN. */
int64_t rt_f2l(double v) {
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)v;
}

/* Float to uint8 as numpy 1.24 does on x86-64: through int32 (cvttsd2si),
 * then the low byte. In-range values truncate toward zero; out of range
 * wraps (300.0 gives 44, -1.0 gives 255) and NaN, +-inf and values beyond
 * int32 give 0. */
uint8_t rt_f2u8(double v) { return (uint8_t)(uint32_t)rt_f2i(v); }

double rt_load_double(const void *p, rt_dtype t) {
    switch (t) {
    case RT_FLOAT32: return *(const float *)p;
    case RT_FLOAT64: return *(const double *)p;
    case RT_INT32: return *(const int32_t *)p;
    case RT_BOOL: return *(const uint8_t *)p ? 1.0 : 0.0;
    case RT_UINT8: return *(const uint8_t *)p;
    case RT_INT64: return (double)*(const int64_t *)p;
    default: return 0.0;
    }
}

void rt_store_double(void *p, rt_dtype t, double v) {
    switch (t) {
    case RT_FLOAT32: *(float *)p = (float)v; break;
    case RT_FLOAT64: *(double *)p = v; break;
    case RT_INT32: *(int32_t *)p = rt_f2i(v); break;
    case RT_BOOL: *(uint8_t *)p = v != 0.0; break;
    case RT_UINT8: *(uint8_t *)p = rt_f2u8(v); break;
    case RT_INT64: *(int64_t *)p = rt_f2l(v); break;
    default: break;
    }
}
