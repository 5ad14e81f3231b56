/* data_arrays.h — data sets as runtime arrays (data.h's readers writing into
 * rt_array storage). The arrays are new references (rt.h's rule). */
#ifndef CGPU_DATA_ARRAYS_H
#define CGPU_DATA_ARRAYS_H

#include "data.h"
#include "rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads x_train, y_train, x_test, y_test of `which` as uint8 arrays on the
 * default device (path: data_load_options.path, may be NULL). 0, or -1 with
 * data_error_code()/data_error_message() set and out[] all NULL. */
int data_load_arrays(data_set which, const char *path, data_progress_fn progress, void *ctx, rt_array *out[4]);

#ifdef __cplusplus
}
#endif
#endif
