/* cuda_none.c — the CUDA entry points for builds without nvcc: no GPU is
 * ever found, and the reason says so. With nvcc the Makefile drops this file
 * and runtime/cuda/ provides the real ones. */
#include "rt_internal.h"

#include <stdio.h>

int rt_cuda_discover(rt_device_props *props, int max, char *reason, size_t reason_cap) {
    (void)props; (void)max;
    if (reason && reason_cap) snprintf(reason, reason_cap, "this build has no CUDA support");
    return 0;
}

const rt_backend *rt_cuda_backend(void) { return NULL; }

void *rt_cuda_device_state_new(int physical) {
    rt_set_error(RT_EDEVICE, "GPU:%d: this build has no CUDA support", physical);
    return NULL;
}
