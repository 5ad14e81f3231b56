/* rt_virtual.c — virtual CPU devices (rt_set_virtual_devices before first
 * use): naming, separate allocators, cross-device errors, transfers. A
 * binary of its own because configuration must precede any array. */
#include "rt_testlib.h"
#include "rt_internal.h"

TEST(split_cpu_into_two) {
    CHECK(rt_set_virtual_devices(RT_CPU, 3) == RT_OK);
    CHECK(rt_set_virtual_devices(RT_CPU, 2) == RT_OK); /* may be changed again before use */
    CHECK(rt_logical_device_count(RT_CPU) == 2);
    CHECK(rt_physical_device_count(RT_CPU) == 1);
    rt_device *c0 = rt_device_get(RT_CPU, 0), *c1 = rt_device_get(RT_CPU, 1);
    CHECK(c0 && c1 && c0 != c1);
    CHECK(rt_device_get(RT_CPU, 2) == NULL);
    CHECK_STR(rt_device_name(c1), "CPU:1");
    CHECK(rt_device_physical_index(c1) == 0 && rt_device_index(c1) == 1);
    CHECK(rt_device_parse("/device:CPU:1") == c1);
}

TEST(cross_device_error) {
    rt_device *c0 = rt_device_get(RT_CPU, 0), *c1 = rt_device_get(RT_CPU, 1);
    if (!c1) { CHECK(c1 != NULL); return; }
    rt_array *a = rt_arange(0, 4, 1, RT_FLOAT32, c0), *b = rt_arange(0, 4, 1, RT_FLOAT32, c1);
    CHECK(a && b && a->device == c0 && b->device == c1);
    CHECK(rt_binary(RT_ADD, a, b) == NULL);
    CHECK_ERROR(RT_EDEVICE, "operands are on different devices: CPU:0 and CPU:1");
    CHECK(rt_matmul(a, b) == NULL);
    CHECK_ERROR(RT_EDEVICE, "operands are on different devices: CPU:0 and CPU:1");
    CHECK(rt_where(a, a, b) == NULL);
    CHECK_ERROR(RT_EDEVICE, "different devices");
    CHECK(rt_concatenate((rt_array *[]){a, b}, 2, 0) == NULL);
    CHECK_ERROR(RT_EDEVICE, "different devices");
    CHECK(rt_assign(a, b) != RT_OK);
    CHECK_ERROR(RT_EDEVICE, "different devices");
    /* explicit transfer makes it work */
    rt_array *b0 = rt_to_device(b, c0);
    CHECK(b0 && b0->device == c0);
    rt_array *s = rt_binary(RT_ADD, a, b0);
    CHECK_ARRAY(s, ((double[]){0, 2, 4, 6}), 4, 0, 0, "after transfer");
    /* placement scope picks the virtual device */
    rt_push_device(c1);
    rt_array *z = rt_zeros((int64_t[]){2}, 1, RT_INT32, NULL);
    rt_pop_device();
    CHECK(z && z->device == c1);
    rt_array_release(a); rt_array_release(b); rt_array_release(b0); rt_array_release(s); rt_array_release(z);
}

TEST(separate_allocators) {
    rt_device *c0 = rt_device_get(RT_CPU, 0), *c1 = rt_device_get(RT_CPU, 1);
    if (!c1) { CHECK(c1 != NULL); return; }
    rt_memory_info m0, m1, m1b;
    CHECK(rt_get_memory_info(c0, &m0) == RT_OK && rt_get_memory_info(c1, &m1) == RT_OK);
    rt_array *big = rt_empty((int64_t[]){1 << 20}, 1, RT_FLOAT32, c1);
    CHECK(big != NULL);
    rt_memory_info m0b;
    CHECK(rt_get_memory_info(c0, &m0b) == RT_OK && rt_get_memory_info(c1, &m1b) == RT_OK);
    CHECK(m0b.used == m0.used);
    CHECK(m1b.used >= m1.used + (4u << 20));
    rt_array_release(big);
    CHECK(rt_set_virtual_devices(RT_CPU, 4) != RT_OK);
    CHECK_ERROR(RT_EVALUE, "cannot be modified after CPU devices have been initialized");
}

int main(void) {
    RUN(split_cpu_into_two);
    RUN(cross_device_error);
    RUN(separate_allocators);
    return test_summary();
}
