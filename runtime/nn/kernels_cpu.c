/* kernels_cpu.c — the CPU reference kernel tables (float32 and float64),
 * instantiated from kernels_cpu_tmpl.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* clipd / in_clip are type-independent: defined once, before both instances */
#define clipd   nn_clipd
#define in_clip nn_in_clip

#define REAL     float
#define FN(x)    x##_f32
#define FN_DTYPE RT_FLOAT32
#define EXP      expf
#define TANH     tanhf
#define SQRT     sqrtf
#include "kernels_cpu_tmpl.h"
#undef REAL
#undef FN
#undef FN_DTYPE
#undef EXP
#undef TANH
#undef SQRT

/* the second instance must not redefine the type-independent helpers */
#define NN_TMPL_SECOND 1
#define REAL     double
#define FN(x)    x##_f64
#define FN_DTYPE RT_FLOAT64
#define EXP      exp
#define TANH     tanh
#define SQRT     sqrt
#include "kernels_cpu_tmpl.h"

const nn_ops *nn_cpu_ops(rt_dtype t)
{
    if (t == RT_FLOAT32) return &ops_f32;
    if (t == RT_FLOAT64) return &ops_f64;
    rt_set_error(RT_ETYPE, "training supports float32 and float64, not %s", rt_dtype_name(t));
    return NULL;
}
