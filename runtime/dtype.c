/* dtype.c — element types: sizes, names, promotion, host conversion, and
 * the TensorFlow-style op names used by placement logging. */
#include "rt_core.h"

#include <string.h>
#include <strings.h>

static const size_t dtype_sizes[RT_DTYPE_COUNT] = {4, 8, 4, 1};
static const char *const dtype_names[RT_DTYPE_COUNT] = {"float32", "float64", "int32", "bool"};
/* Promotion rank: bool < int32 < float32 < float64 (float32 is the default
 * float, so int32 with float32 stays float32, unlike numpy's float64). */
static const int dtype_rank[RT_DTYPE_COUNT] = {2, 3, 1, 0};

size_t rt_dtype_size(rt_dtype t) { return (unsigned)t < RT_DTYPE_COUNT ? dtype_sizes[t] : 0; }

const char *rt_dtype_name(rt_dtype t) { return (unsigned)t < RT_DTYPE_COUNT ? dtype_names[t] : "invalid"; }

int rt_dtype_parse(const char *name, rt_dtype *out) {
    static const struct { const char *name; rt_dtype t; } aliases[] = {
        {"float32", RT_FLOAT32}, {"float", RT_FLOAT32}, {"f4", RT_FLOAT32},
        {"float64", RT_FLOAT64}, {"double", RT_FLOAT64}, {"f8", RT_FLOAT64},
        {"int32", RT_INT32}, {"int", RT_INT32}, {"i4", RT_INT32},
        {"bool", RT_BOOL},
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

int rt_dtype_is_float(rt_dtype t) { return t == RT_FLOAT32 || t == RT_FLOAT64; }

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

double rt_load_double(const void *p, rt_dtype t) {
    switch (t) {
    case RT_FLOAT32: return *(const float *)p;
    case RT_FLOAT64: return *(const double *)p;
    case RT_INT32: return *(const int32_t *)p;
    case RT_BOOL: return *(const uint8_t *)p ? 1.0 : 0.0;
    default: return 0.0;
    }
}

void rt_store_double(void *p, rt_dtype t, double v) {
    switch (t) {
    case RT_FLOAT32: *(float *)p = (float)v; break;
    case RT_FLOAT64: *(double *)p = v; break;
    case RT_INT32: *(int32_t *)p = rt_f2i(v); break;
    case RT_BOOL: *(uint8_t *)p = v != 0.0; break;
    default: break;
    }
}
