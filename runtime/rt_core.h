/* rt_core.h — helpers shared by the runtime core's own files (array.c,
 * ops.c, device.c, alloc.c, random.c, dtype.c). Not a contract for other
 * modules: they use rt.h / rt_internal.h. */
#ifndef CGPU_RT_CORE_H
#define CGPU_RT_CORE_H

#include "rt_internal.h"

/* dtype.c */
int     rt_dtype_is_float(rt_dtype t);
int32_t rt_f2i(double v);
int64_t rt_f2l(double v);
uint8_t rt_f2u8(double v);
double  rt_load_double(const void *p, rt_dtype t);
void    rt_store_double(void *p, rt_dtype t, double v);

/* alloc.c: one allocator per logical device, made by the registry. */
rt_allocator *rt_allocator_new(rt_device *d);

/* device.c */
rt_device *rt_resolve_device(rt_device *d); /* NULL -> default device */
/* Placement logging is suppressed while an op runs its building blocks
 * (a scalar operand, a promotion cast), so one user op logs one line. */
void rt_log_quiet_push(void);
void rt_log_quiet_pop(void);

/* array.c */
/* Product of shape with overflow and negativity checks; records RT_EVALUE. */
rt_status rt_shape_size(const int64_t *shape, int ndim, int64_t *out);
void      rt_contiguous_strides(const int64_t *shape, int ndim, int64_t *strides);
/* An uninitialised contiguous array on `d` (not NULL), no logging. */
rt_array *rt_array_new(rt_device *d, const int64_t *shape, int ndim, rt_dtype t);
/* A contiguous copy of `a` converted to `t` (no logging). */
rt_array *rt_convert(const rt_array *a, rt_dtype t);
/* `a` itself (retained) when it already has dtype t, else a converted copy. */
rt_array *rt_as_dtype(const rt_array *a, rt_dtype t);
/* Numpy broadcasting of two shapes; RT_ESHAPE "cannot broadcast shapes ...". */
rt_status rt_broadcast_shapes(const int64_t *sa, int na, const int64_t *sb, int nb,
                              int64_t *out, int *nout);
/* A view of `a` broadcast to `shape` (stride 0 on stretched axes); the
 * caller has checked compatibility. */
rt_view   rt_view_broadcast(const rt_array *a, const int64_t *shape, int ndim);
/* Same device or RT_EDEVICE "operands are on different devices: A and B". */
rt_status rt_check_same_device(const rt_array *a, const rt_array *b);

#endif
