/* collective.c — the all-reduce (SUM) across a strategy's replicas, one
 * call per step over the flat gradient buffer. Three implementations behind
 * one function, chosen when the strategy is made:
 *   NCCL        replicas on distinct physical GPUs (collective.cu);
 *   shared GPU  virtual GPUs of one physical GPU: one kernel sums the
 *               buffers in replica order and writes every replica's copy
 *               (NCCL refuses two ranks on one GPU);
 *   host        CPU replicas (and any mix): sums in replica order on the host.
 * Every replica ends with bit-identical values: one sum, copied. */
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

static rt_status host_sum(nn_strategy *s, void **bufs, int64_t count, rt_dtype t)
{
    size_t es = rt_dtype_size(t), bytes = (size_t)count * es;
    int all_cpu = 1;
    for (int i = 0; i < s->n; i++) all_cpu &= rt_device_kind_of(s->dev[i]) == RT_CPU;
    const nn_ops *k = nn_cpu_ops(t);
    if (!k) return rt_error_code();
    if (all_cpu) {
        /* host memory: sum into replica 0's buffer, then copy it out */
        for (int i = 1; i < s->n; i++) k->add(s->dev[0], bufs[0], bufs[0], bufs[i], count);
        for (int i = 1; i < s->n; i++) memcpy(bufs[i], bufs[0], bytes);
        return RT_OK;
    }
    /* a mix of devices: stage through the host */
    void *sum = malloc(bytes ? bytes : 1), *tmp = malloc(bytes ? bytes : 1);
    rt_status st = RT_OK;
    if (!sum || !tmp) st = rt_set_error(RT_EOOM, "out of host memory in the all-reduce");
    for (int i = 0; i < s->n && st == RT_OK; i++) {
        rt_device *d = s->dev[i];
        st = d->backend->copy_to_host(d, i ? tmp : sum, bufs[i], bytes);
        if (st == RT_OK && i) k->add(s->dev[0], sum, sum, tmp, count);
    }
    for (int i = 0; i < s->n && st == RT_OK; i++) {
        rt_device *d = s->dev[i];
        st = d->backend->copy_from_host(d, bufs[i], sum, bytes);
    }
    free(sum);
    free(tmp);
    return st;
}

rt_status nn_collective_sum(nn_strategy *s, void **bufs, int64_t count, rt_dtype t)
{
    if (s->n == 1 || count == 0) {
        if (s->kind != NN_COLL_NCCL || count == 0) return RT_OK;
    }
    switch (s->kind) {
    case NN_COLL_NCCL:
        if (!s->nccl && !(s->nccl = nn_nccl_new(s->dev, s->n))) return rt_error_code();
        return nn_nccl_allreduce(s->nccl, s->dev, bufs, s->n, count, t);
    case NN_COLL_SHARED_GPU:
        return nn_gpu_sum_shared(s->dev, bufs, s->n, count, t);
    default:
        return host_sum(s, bufs, count, t);
    }
}

void nn_collective_free(nn_strategy *s)
{
    if (s->nccl) nn_nccl_free(s->nccl, s->n);
    s->nccl = NULL;
}
