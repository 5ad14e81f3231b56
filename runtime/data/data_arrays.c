/* data_arrays.c — data sets as runtime arrays: the readers decompress
 * straight into the storage of uint8 arrays on CPU:0 (one copy of the data
 * in memory), which then move to the default device when that is a GPU.
 */
#include "data.h"
#include "data_arrays.h"

#include <string.h>
#include "rt_internal.h"

static int alloc_cpu_array(void *ctx, data_array *a)
{
    rt_device *cpu = rt_device_get(RT_CPU, 0);
    rt_array *arr = cpu ? rt_empty(a->shape, a->ndim, RT_UINT8, cpu) : NULL;
    if (!arr) {
        rt_status code = rt_error_code();
        return data_fail(code == RT_EOOM ? DATA_ENOMEM : DATA_EFORMAT, "%s", rt_error_message());
    }
    a->data = (uint8_t *)arr->storage->data + arr->offset;
    a->handle = arr;
    return 0;
}

static int adopt_cpu_array(void *ctx, data_array *a, void *buf, size_t bytes)
{
    rt_array *arr = rt_adopt_host(buf, bytes, RT_UINT8, a->shape, a->ndim); /* frees buf on failure */
    if (!arr) return data_fail(rt_error_code() == RT_EOOM ? DATA_ENOMEM : DATA_EFORMAT, "%s", rt_error_message());
    a->data = buf;
    a->handle = arr;
    return 0;
}

int data_load_arrays(data_set which, const char *path, data_progress_fn progress, void *ctx, rt_array *out[4])
{
    data_load_options o = {path, alloc_cpu_array, NULL, adopt_cpu_array, progress, ctx};
    data_array arrays[4];
    int rc = data_load(which, &o, arrays);
    for (int i = 0; i < 4; i++) out[i] = arrays[i].handle;
    if (rc < 0) {
        for (int i = 0; i < 4; i++) { rt_array_release(out[i]); out[i] = NULL; }
        return -1;
    }
    rt_device *d = rt_default_device();
    if (d && d->kind != RT_CPU) {
        for (int i = 0; i < 4; i++) {
            rt_array *moved = rt_to_device(out[i], d);
            if (!moved) {
                data_fail(rt_error_code() == RT_EOOM ? DATA_ENOMEM : DATA_EFORMAT, "%s", rt_error_message());
                for (int k = 0; k < 4; k++) { rt_array_release(out[k]); out[k] = NULL; }
                return -1;
            }
            rt_array_release(out[i]);
            out[i] = moved;
        }
    }
    return 0;
}
