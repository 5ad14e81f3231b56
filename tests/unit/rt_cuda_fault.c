/* rt_cuda_fault.c — a kernel that faults (an out-of-bounds gather issued
 * straight to the backend, past the dispatcher's index checks) poisons the
 * CUDA context. The runtime must report it as RT_EDEVICE with the CUDA
 * message, mark GPU:0 unusable, refuse later work on it with a clear
 * error, and fall back to CPU:0 as the default device. The process keeps
 * running. (Its own binary: the context stays broken afterwards.)
 */
#include "rt_cuda_common.h"
#include "rt_internal.h"

TEST(sticky_fault_marks_device_unusable) {
    NEED_GPU();
    int64_t shape[1] = {16};
    rt_array *src = rt_zeros(shape, 1, RT_FLOAT32, gpu0);
    rt_array *out = rt_empty(shape, 1, RT_FLOAT32, gpu0);
    int64_t one[1] = {1};
    rt_array *bad = rt_full(one, 1, 2e9, RT_INT32, gpu0); /* an index far past the end */
    CHECK(src && out && bad);
    CHECK(rt_synchronize(gpu0) == RT_OK);
    rt_status st = gpu0->backend->gather(gpu0, RT_FLOAT32, rt_view_of(out).data, rt_view_of(src).data,
                                         (const int32_t *)rt_view_of(bad).data, 1, 1, 16, (int64_t)1 << 20);
    /* the launch itself is fine; the fault surfaces when the host waits */
    if (st == RT_OK) st = rt_synchronize(gpu0);
    printf("  fault: status %d: %s\n", (int)st, rt_error_message());
    CHECK(st == RT_EDEVICE);
    CHECK(strstr(rt_error_message(), "illegal") != NULL || strstr(rt_error_message(), "fault") != NULL ||
          strstr(rt_error_message(), "failed") != NULL);
    CHECK(gpu0->unusable);
    rt_array *again = rt_empty(shape, 1, RT_FLOAT32, gpu0);
    CHECK(again == NULL && rt_error_code() == RT_EDEVICE);
    printf("  later work: %s\n", rt_error_message());
    CHECK(rt_device_kind_of(rt_default_device()) == RT_CPU);
    rt_array *c = rt_full(shape, 1, 2, RT_FLOAT32, NULL); /* default device: CPU:0 now */
    double v = 0;
    CHECK(c && rt_item(c, 3, &v) == RT_OK && v == 2);
    rt_array_release(c);
    rt_array_release(again);
    rt_array_release(src);
    rt_array_release(out);
    rt_array_release(bad);
}

int main(void) {
    RUN(sticky_fault_marks_device_unusable);
    return test_summary();
}
