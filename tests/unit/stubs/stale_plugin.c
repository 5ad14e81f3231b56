/* stale_plugin.c — a CUDA backend library from another version of C-GPU:
 * it has the entry point but answers with a table of another interface
 * version, which runtime/cuda_loader.c must refuse (tests/unit/rt_cuda_loader.c). */
#include "cuda_plugin.h"

static const cgpu_cuda_plugin stale = {
    .version = CGPU_CUDA_PLUGIN_VERSION + 1,
    .size = sizeof(cgpu_cuda_plugin),
};

const cgpu_cuda_plugin *cgpu_cuda_plugin_open(const cgpu_cuda_host *host) {
    (void)host;
    return &stale;
}
