/* format_array.h — arrays shown the way numpy shows them.
 *
 * numpy's default print options: precision 8, floatmode "maxprec",
 * linewidth 75, threshold 1000 (summarised with "..." beyond it), edgeitems
 * 3, nan "nan", inf "inf". float32 values print with the shortest digits
 * unique for float32 (numpy's dragon4 "unique" mode), so float32(0.1)
 * prints 0.1.
 *
 * repr and dtype: numpy shows "dtype=" for every dtype except its defaults
 * float64, int64 and bool. C-GPU's default float is float32, but users
 * compare against numpy, so repr follows numpy exactly:
 *   array([1., 2., 3.], dtype=float32)   array([1., 2.])   (float64)
 *   array([1, 2], dtype=int32)           array([ True, False])
 * Device: arrays on a GPU get one more field, after the dtype:
 *   array([1., 2.], dtype=float32, device='GPU:0')
 * CPU arrays carry no device field (they look exactly like numpy's).
 *
 * Ownership: every returned string is malloc'd and owned by the caller.
 * NULL means out of memory or a failed device copy (rt_error_message()
 * says which when the runtime failed).
 */
#ifndef CGPU_FORMAT_ARRAY_H
#define CGPU_FORMAT_ARRAY_H

#include <stdint.h>
#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* str(a): "[1. 2. 3.]", "[[1 2]\n [3 4]]", 0-d arrays as their scalar. */
char *fmt_array_str(const rt_array *a);
/* repr(a): "array([1., 2., 3.], dtype=float32)". */
char *fmt_array_repr(const rt_array *a);
/* text/html: a table for 1-D and 2-D arrays (summarised past 20 rows or
 * columns), <pre> of str() otherwise; caption "shape=(2, 3) dtype=float32
 * device=CPU:0". */
char *fmt_array_html(const rt_array *a);

/* The same on host data: `data` holds the size elements row-major as
 * doubles (exact for float32, int32 and bool values) of dtype dt. device is
 * the device name for repr/html ("GPU:0"); NULL or a CPU name adds no
 * device field to repr. These never touch the runtime. */
char *fmt_host_array_str(const double *data, rt_dtype dt, const int64_t *shape, int ndim);
char *fmt_host_array_repr(const double *data, rt_dtype dt, const int64_t *shape, int ndim,
                          const char *device);
char *fmt_host_array_html(const double *data, rt_dtype dt, const int64_t *shape, int ndim,
                          const char *device);

/* numpy's text for one scalar of dtype dt, as str(np.float32(x)) etc.:
 * "0.1", "1e-05", "7", "True". */
char *fmt_scalar_str(double x, rt_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
