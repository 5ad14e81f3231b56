/* strategy.c — MirroredStrategy: replicas, the scope stack, run and
 * reduce. Training with a strategy is train.c's loop (one replica per
 * device, gradients summed by collective.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn_internal.h"

/* Per thread, like the device placement stack (runtime/device.c): a scope
 * entered on one thread is not seen by another. */
#define NN_SCOPE_MAX 16
static _Thread_local nn_strategy *scope_stack[NN_SCOPE_MAX];   /* retained while in scope */
static _Thread_local int scope_depth;

static const char *coll_name(int kind)
{
    switch (kind) {
    case NN_COLL_NCCL: return "NCCL";
    case NN_COLL_SHARED_GPU: return "runtime reduction on the shared GPU";
    default: return "runtime reduction on the host";
    }
}

nn_strategy *nn_strategy_new(rt_device *const *devices, int n, nn_cross_device_ops ops)
{
    rt_device *tmp[64];
    if (!devices || n <= 0) {
        int g = rt_logical_device_count(RT_GPU);
        n = 0;
        for (int i = 0; i < g && n < 64; i++) if ((tmp[n] = rt_device_get(RT_GPU, i))) n++;
        if (n == 0 && (tmp[0] = rt_device_get(RT_CPU, 0))) n = 1;
        if (n == 0) { rt_set_error(RT_EDEVICE, "MirroredStrategy: no device available"); return NULL; }
        devices = tmp;
    }
    if (n > 64) { rt_set_error(RT_EVALUE, "MirroredStrategy supports at most 64 replicas, got %d", n); return NULL; }
    for (int i = 0; i < n; i++) {
        if (!devices[i]) { rt_set_error(RT_EDEVICE, "MirroredStrategy: device %d does not exist", i); return NULL; }
        for (int j = 0; j < i; j++)
            if (devices[j] == devices[i]) {
                rt_set_error(RT_EVALUE, "MirroredStrategy: device %s is listed twice", rt_device_name(devices[i]));
                return NULL;
            }
    }
    int all_gpu = 1, all_cpu = 1, distinct = 1, same_phys = 1;
    for (int i = 0; i < n; i++) {
        all_gpu &= rt_device_kind_of(devices[i]) == RT_GPU;
        all_cpu &= rt_device_kind_of(devices[i]) == RT_CPU;
        for (int j = 0; j < i; j++)
            if (rt_device_physical_index(devices[j]) == rt_device_physical_index(devices[i])) distinct = 0;
        if (rt_device_physical_index(devices[i]) != rt_device_physical_index(devices[0])) same_phys = 0;
    }
    int kind;
    if (ops == NN_XDEV_NCCL) {
        if (!all_gpu || !distinct) {
            rt_set_error(RT_EVALUE, "NcclAllReduce needs one replica per physical GPU (NCCL refuses two ranks on one "
                         "GPU); use cross_device_ops=ReductionToOneDevice() for virtual GPUs or CPUs");
            return NULL;
        }
        if (!nn_nccl_available()) {
            rt_set_error(RT_EDEVICE, "NcclAllReduce was requested but this build has no NCCL");
            return NULL;
        }
        kind = NN_COLL_NCCL;
    } else if (ops == NN_XDEV_AUTO && all_gpu && distinct && nn_nccl_available()) {
        kind = NN_COLL_NCCL;
    } else if (all_gpu && same_phys) {
        kind = NN_COLL_SHARED_GPU;
    } else {
        kind = NN_COLL_HOST;
    }
    (void)all_cpu;

    nn_strategy *s = calloc(1, sizeof *s);
    if (s) s->dev = calloc((size_t)n, sizeof *s->dev);
    if (!s || !s->dev) { free(s); rt_set_error(RT_EOOM, "out of host memory"); return NULL; }
    s->refcount = 1;
    s->n = n;
    memcpy(s->dev, devices, (size_t)n * sizeof *devices);
    s->kind = kind;
    s->ops = kind == NN_COLL_NCCL ? NN_XDEV_NCCL : NN_XDEV_REDUCE;
    size_t o = (size_t)snprintf(s->describe, sizeof s->describe, "MirroredStrategy: %d replica%s on ", n, n == 1 ? "" : "s");
    for (int i = 0; i < n && o < sizeof s->describe; i++)
        o += (size_t)snprintf(s->describe + o, sizeof s->describe - o, "%s%s", i ? ", " : "", rt_device_name(devices[i]));
    if (o < sizeof s->describe)
        snprintf(s->describe + o, sizeof s->describe - o, " (all-reduce: %s)", coll_name(kind));
    return s;
}

nn_strategy *nn_strategy_retain(nn_strategy *s) { if (s) s->refcount++; return s; }

void nn_strategy_release(nn_strategy *s)
{
    if (!s || --s->refcount > 0) return;
    nn_collective_free(s);
    free(s->dev);
    free(s);
}

int         nn_strategy_num_replicas(const nn_strategy *s) { return s->n; }
rt_device  *nn_strategy_device(const nn_strategy *s, int r) { return (r >= 0 && r < s->n) ? s->dev[r] : NULL; }
const char *nn_strategy_describe(const nn_strategy *s) { return s->describe; }
const char *nn_strategy_allreduce_name(const nn_strategy *s) { return coll_name(s->kind); }

rt_status nn_strategy_enter(nn_strategy *s)
{
    if (scope_depth == NN_SCOPE_MAX) return rt_set_error(RT_EVALUE, "strategy scopes nested too deeply");
    if (scope_depth > 0 && scope_stack[scope_depth - 1] != s)
        return rt_set_error(RT_EVALUE, "Mixing different tf.distribute.Strategy objects: a scope of another "
                            "MirroredStrategy is already active");
    scope_stack[scope_depth++] = nn_strategy_retain(s);
    return RT_OK;
}

rt_status nn_strategy_exit(nn_strategy *s)
{
    if (scope_depth == 0 || scope_stack[scope_depth - 1] != s)
        return rt_set_error(RT_EVALUE, "strategy scope exited without a matching enter");
    nn_strategy_release(scope_stack[--scope_depth]);
    return RT_OK;
}

nn_strategy *nn_strategy_current(void) { return scope_depth ? scope_stack[scope_depth - 1] : NULL; }

rt_status nn_strategy_run(nn_strategy *s, nn_replica_fn fn, void *ctx)
{
    for (int r = 0; r < s->n; r++) {
        rt_push_device(s->dev[r]);
        rt_status st = fn(ctx, r, s->dev[r]);
        rt_pop_device();
        if (st) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", rt_error_message());
            /* one clear error naming the replica that failed */
            if (strncmp(msg, "replica ", 8) != 0)
                return rt_set_error(st, "replica %d (%s): %s", r, rt_device_name(s->dev[r]), msg);
            return st;
        }
    }
    return RT_OK;
}

int nn_reduce_op_parse(const char *name, nn_reduce_op *out)
{
    if (name && strcasecmp(name, "SUM") == 0) { *out = NN_REDUCE_SUM; return 0; }
    if (name && strcasecmp(name, "MEAN") == 0) { *out = NN_REDUCE_MEAN; return 0; }
    rt_set_error(RT_EVALUE, "reduce_op must be \"SUM\" or \"MEAN\", got '%s'", name ? name : "None");
    return -1;
}

rt_array *nn_strategy_reduce(nn_strategy *s, nn_reduce_op op, rt_array *const *v, int n, int has_axis, int axis)
{
    if (n != s->n) {
        rt_set_error(RT_EVALUE, "reduce expects one value per replica (%d), got %d", s->n, n);
        return NULL;
    }
    for (int i = 1; i < n; i++) {
        int same = v[i]->ndim == v[0]->ndim;
        for (int d = 0; same && d < v[0]->ndim; d++) same = v[i]->shape[d] == v[0]->shape[d];
        if (!same) {
            char a[96], b[96];
            rt_format_shape(v[0]->shape, v[0]->ndim, a, sizeof a);
            rt_format_shape(v[i]->shape, v[i]->ndim, b, sizeof b);
            rt_set_error(RT_ESHAPE, "per-replica values must have one shape to be reduced: replica 0 has %s, replica %d has %s",
                         a, i, b);
            return NULL;
        }
    }
    rt_device *home = s->dev[0];
    rt_array *acc = v[0]->device == home ? rt_copy(v[0]) : rt_to_device(v[0], home);
    for (int i = 1; acc && i < n; i++) {
        rt_array *t = v[i]->device == home ? rt_array_retain(v[i]) : rt_to_device(v[i], home);
        if (!t) { rt_array_release(acc); return NULL; }
        rt_array *sum = rt_binary(RT_ADD, acc, t);
        rt_array_release(t);
        rt_array_release(acc);
        acc = sum;
    }
    if (!acc) return NULL;
    double count = n;
    if (has_axis) {
        int ax = axis < 0 ? axis + acc->ndim : axis;
        if (ax < 0 || ax >= acc->ndim) {
            rt_set_error(RT_EINDEX, "axis %d is out of bounds for values of dimension %d", axis, acc->ndim);
            rt_array_release(acc);
            return NULL;
        }
        count *= (double)acc->shape[ax];
        rt_array *r = rt_reduce(RT_SUM, acc, ax, 0);
        rt_array_release(acc);
        if (!(acc = r)) return NULL;
    }
    if (op == NN_REDUCE_MEAN) {
        rt_array *r = rt_binary_scalar(RT_DIV, acc, count, 0);
        rt_array_release(acc);
        acc = r;
    }
    return acc;
}

rt_status nn_strategy_allreduce(nn_strategy *s, rt_array *const *arrays)
{
    void *bufs[64];
    for (int i = 0; i < s->n; i++) {
        const rt_array *a = arrays[i];
        if (a->device != s->dev[i])
            return rt_set_error(RT_EDEVICE, "all-reduce: the array of replica %d is on %s, expected %s", i,
                                rt_device_name(a->device), rt_device_name(s->dev[i]));
        if (!rt_array_is_contiguous(a) || a->dtype != arrays[0]->dtype || a->size != arrays[0]->size)
            return rt_set_error(RT_EVALUE, "all-reduce needs contiguous arrays of one size and dtype on every replica");
        if (a->dtype != RT_FLOAT32 && a->dtype != RT_FLOAT64)
            return rt_set_error(RT_ETYPE, "all-reduce supports float32 and float64, not %s", rt_dtype_name(a->dtype));
        bufs[i] = rt_view_of(a).data;
    }
    /* the arrays were written on their devices' streams: the collective is
     * ordered after that work on each device */
    rt_status st = nn_collective_sum(s, bufs, arrays[0]->size, arrays[0]->dtype);
    for (int i = 0; st == RT_OK && i < s->n; i++) st = rt_synchronize(s->dev[i]);
    return st;
}
