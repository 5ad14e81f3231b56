/* rt_device.c — the device registry, placement scopes and logging, memory
 * info, the caching allocator (reuse, OOM), random numbers, the error slot
 * and the interrupt flag. */
#include "rt_testlib.h"
#include "rt_internal.h"

#include <signal.h>

TEST(registry) {
    CHECK(rt_physical_device_count(RT_CPU) == 1);
    CHECK(rt_logical_device_count(RT_CPU) == 1);
    rt_device *c = rt_device_get(RT_CPU, 0);
    CHECK(c != NULL);
    CHECK_STR(rt_device_name(c), "CPU:0");
    CHECK(rt_device_kind_of(c) == RT_CPU && rt_device_index(c) == 0 && rt_device_physical_index(c) == 0);
    CHECK(rt_device_get(RT_CPU, 1) == NULL);
    CHECK(rt_device_parse("CPU:0") == c);
    CHECK(rt_device_parse("/cpu:0") == c);
    CHECK(rt_device_parse("/device:CPU:0") == c);
    CHECK(rt_device_parse("/job:localhost/replica:0/task:0/device:CPU:0") == c);
    CHECK(rt_device_parse("cpu") == c);
    CHECK(rt_device_parse("CPU:3") == NULL);
    CHECK_ERROR(RT_EDEVICE, "device CPU:3 does not exist");
    CHECK(rt_device_parse("TPU:0") == NULL);
    CHECK_ERROR(RT_EVALUE, "invalid device name 'TPU:0'");
    CHECK(rt_device_parse("GPU:x") == NULL);
    CHECK_ERROR(RT_EVALUE, "invalid device name");
    rt_device_props p;
    CHECK(rt_device_properties(RT_CPU, 0, &p) == RT_OK);
    CHECK(p.name[0] != '\0' && p.total_memory > 0 && p.multiprocessors >= 1 && p.cc_major == 0);
    CHECK(rt_device_properties(RT_CPU, 1, &p) != RT_OK);
    CHECK_ERROR(RT_EDEVICE, "no physical CPU device 1");
    if (rt_logical_device_count(RT_GPU) == 0) {
        CHECK(rt_physical_device_count(RT_GPU) == 0);
        CHECK(rt_gpu_unavailable_reason() != NULL && rt_gpu_unavailable_reason()[0] != '\0');
        CHECK(rt_device_get(RT_GPU, 0) == NULL);
        CHECK(rt_device_parse("GPU:0") == NULL);
        CHECK_ERROR(RT_EDEVICE, "device GPU:0 does not exist: no GPU is available");
        CHECK(rt_default_device() == c);
        CHECK(rt_set_virtual_devices(RT_GPU, 2) != RT_OK);
        CHECK_ERROR(RT_EDEVICE, "no GPU is available");
    } else {
        CHECK(rt_gpu_unavailable_reason() == NULL);
        rt_device *g = rt_device_parse("/GPU:0");
        CHECK(g && g == rt_device_get(RT_GPU, 0) && rt_default_device() == g);
        CHECK(rt_device_properties(RT_GPU, 0, &p) == RT_OK && p.total_memory > 0 && p.cc_major > 0);
    }
}

TEST(placement_scopes) {
    rt_device *c = rt_device_get(RT_CPU, 0);
    rt_device *def = rt_default_device();
    rt_push_device(c);
    CHECK(rt_default_device() == c);
    rt_array *a = rt_zeros((int64_t[]){2}, 1, RT_FLOAT32, NULL);
    CHECK(a && a->device == c);
    rt_pop_device();
    CHECK(rt_default_device() == def);
    rt_pop_device(); /* unbalanced pops are harmless */
    CHECK(rt_default_device() == def);
    for (int i = 0; i < 100; i++) rt_push_device(c); /* deeper than the recorded stack */
    for (int i = 0; i < 100; i++) rt_pop_device();
    CHECK(rt_default_device() == def);
    rt_array_release(a);
}

static char log_lines[16][64];
static int log_n;
static void sink(void *ctx, const char *line) {
    (void)ctx;
    if (log_n < 16) snprintf(log_lines[log_n], sizeof log_lines[0], "%s", line);
    log_n++;
}

TEST(log_device_placement) {
    rt_device *c = rt_device_get(RT_CPU, 0);
    rt_array *a = rt_full((int64_t[]){3}, 1, 1, RT_INT32, c);
    rt_set_log_sink(sink, NULL);
    log_n = 0;
    rt_array *b = rt_binary_scalar(RT_ADD, a, 2.5, 0); /* promotes and makes a scalar: one line */
    CHECK(log_n == 0);
    rt_set_log_device_placement(1);
    CHECK(rt_log_device_placement() == 1);
    rt_array *s = rt_binary_scalar(RT_ADD, a, 2.5, 0);
    rt_array *m = rt_matmul(b, b);
    rt_array *cl = rt_clip(a, 0, 1);
    rt_set_log_device_placement(0);
    rt_array *q = rt_unary(RT_EXP, a);
    CHECK(log_n == 3);
    CHECK_STR(log_lines[0], "AddV2 on CPU:0");
    CHECK_STR(log_lines[1], "BatchMatMulV2 on CPU:0");
    CHECK_STR(log_lines[2], "ClipByValue on CPU:0");
    rt_set_log_sink(NULL, NULL);
    rt_array_release(a); rt_array_release(b); rt_array_release(s); rt_array_release(m);
    rt_array_release(cl); rt_array_release(q);
}

TEST(memory_info_and_allocator_reuse) {
    rt_device *c = rt_device_get(RT_CPU, 0);
    rt_memory_info mi;
    CHECK(rt_get_memory_info(c, &mi) == RT_OK);
    CHECK(mi.total > 0);
    size_t used0 = mi.used;
    uint64_t raw0, reuse0, raw1, reuse1;
    rt_allocator_counters(c, &raw0, &reuse0);
    int64_t n = 300000; /* 1.2 MB: a size class of its own */
    rt_array *a = rt_empty(&n, 1, RT_FLOAT32, c);
    CHECK(rt_get_memory_info(c, &mi) == RT_OK && mi.used >= used0 + (size_t)n * 4);
    size_t cached_before = mi.cached;
    rt_array_release(a);
    CHECK(rt_get_memory_info(c, &mi) == RT_OK && mi.cached >= cached_before + (size_t)n * 4 && mi.used == used0);
    size_t cached_mid = mi.cached;
    rt_allocator_counters(c, &raw1, &reuse1);
    /* the same size again comes from the cache: no new raw allocation */
    for (int i = 0; i < 10; i++) {
        a = rt_empty(&n, 1, RT_FLOAT32, c);
        rt_array_release(a);
    }
    uint64_t raw2, reuse2;
    rt_allocator_counters(c, &raw2, &reuse2);
    CHECK(raw2 == raw1);
    CHECK(reuse2 == reuse1 + 10);
    CHECK(rt_get_memory_info(c, &mi) == RT_OK && mi.cached == cached_mid);
    /* a slightly smaller request falls in the same class and reuses too */
    n -= 1000;
    a = rt_empty(&n, 1, RT_FLOAT32, c);
    rt_allocator_counters(c, &raw2, &reuse2);
    CHECK(raw2 == raw1);
    rt_array_release(a);
    rt_allocator_flush(c);
    CHECK(rt_get_memory_info(c, &mi) == RT_OK && mi.cached == 0);
    /* raw device blocks */
    void *p = rt_device_alloc(c, 100);
    CHECK(p != NULL);
    rt_device_free(c, p);
    rt_device_free(c, NULL);
}

/* The per-device cap (CGPU_GPU_MEMORY_LIMIT on GPUs) is the allocator's
 * logic, the same for every kind: tested on the CPU device. */
TEST(device_memory_cap) {
    rt_device *c = rt_device_get(RT_CPU, 0);
    rt_allocator_flush(c);
    CHECK(rt_set_device_memory_limit(c, (size_t)3 << 20) == RT_OK);
    CHECK(rt_device_memory_limit(c) == ((size_t)3 << 20));
    rt_memory_info mi;
    CHECK(rt_get_memory_info(c, &mi) == RT_OK && mi.limit == ((size_t)3 << 20));
    void *p1 = rt_device_alloc(c, (size_t)1 << 20);
    void *p2 = rt_device_alloc(c, (size_t)1 << 20);
    CHECK(p1 && p2);
    /* 2 MiB held: 2 more MiB would cross 3 MiB */
    CHECK(rt_device_alloc(c, (size_t)2 << 20) == NULL);
    CHECK_ERROR(RT_EOOM, "out of memory on CPU:0: requested 2097152 bytes (2.00 MiB), over this kernel's limit of 3.00 MiB");
    /* freed blocks stay cached, yet a request that needs their room gets it:
     * the cache is flushed before a request is refused */
    rt_device_free(c, p1);
    rt_device_free(c, p2);
    size_t used, cached;
    rt_allocator_stats(c, &used, &cached);
    CHECK(used == 0 && cached == ((size_t)2 << 20));
    void *p3 = rt_device_alloc(c, (size_t)2 << 20);
    CHECK(p3 != NULL);
    rt_allocator_stats(c, &used, &cached);
    CHECK(cached == 0);
    rt_device_free(c, p3);
    /* a logical device's failure leaves the device usable */
    CHECK(rt_set_device_memory_limit(c, 0) == RT_OK);
    void *p4 = rt_device_alloc(c, (size_t)8 << 20);
    CHECK(p4 != NULL);
    rt_device_free(c, p4);
    rt_allocator_flush(c);
}

TEST(memory_sizes_parse) {
    double v;
    int frac = -1;
    CHECK(rt_parse_memory_size("4G", &v, NULL) == 0 && v == 4294967296.0);
    CHECK(rt_parse_memory_size("512M", &v, NULL) == 0 && v == 536870912.0);
    CHECK(rt_parse_memory_size("1.5GiB", &v, NULL) == 0 && v == 1610612736.0);
    CHECK(rt_parse_memory_size(" 2gb ", &v, NULL) == 0 && v == 2147483648.0);
    CHECK(rt_parse_memory_size("1000000", &v, NULL) == 0 && v == 1e6);
    CHECK(rt_parse_memory_size("0.25", &v, &frac) == 0 && frac == 1 && v == 0.25);
    CHECK(rt_parse_memory_size("8G", &v, &frac) == 0 && frac == 0 && v == 8589934592.0);
    CHECK(rt_parse_memory_size("0.25", &v, NULL) != 0);   /* the host limit takes no fraction */
    CHECK(rt_parse_memory_size("banana", &v, NULL) != 0);
    CHECK(rt_parse_memory_size("4X", &v, NULL) != 0);
    CHECK(rt_parse_memory_size("-1G", &v, NULL) != 0);
    CHECK(rt_parse_memory_size("", &v, NULL) != 0);
    CHECK(rt_parse_memory_size("4G4", &v, NULL) != 0);
    const char *source = NULL;
    CHECK(rt_host_memory_limit(&source) > 0 && source && source[0]);
    CHECK(rt_host_resident() > 0);
    CHECK(rt_host_memory_reserve(1024) == RT_OK);
    CHECK(rt_host_memory_poll() == RT_OK);
}

TEST(out_of_memory) {
    rt_device *c = rt_device_get(RT_CPU, 0);
    int64_t n = (int64_t)1 << 60; /* 2^62 bytes of float32 */
    rt_array *a = rt_empty(&n, 1, RT_FLOAT32, c);
    CHECK(a == NULL);
    /* host memory: over the kernel's host limit, named with the size asked for */
    CHECK(rt_error_code() == RT_EHOSTMEM);
    CHECK(strstr(rt_error_message(), "cannot allocate 4611686018427387904 bytes") != NULL);
    CHECK(strstr(rt_error_message(), "the kernel's memory limit is") != NULL);
    rt_clear_error();
    CHECK(rt_device_alloc(c, (size_t)1 << 62) == NULL);
    CHECK_ERROR(RT_EHOSTMEM, "cannot allocate 4611686018427387904 bytes");
    CHECK(rt_device_alloc(c, SIZE_MAX) == NULL);
    CHECK_ERROR(RT_EOOM, "out of memory on CPU:0");
    int64_t huge[3] = {(int64_t)1 << 40, (int64_t)1 << 40, 1 << 20};
    CHECK(rt_zeros(huge, 3, RT_FLOAT32, c) == NULL);
    CHECK_ERROR(RT_EVALUE, "array is too big");
    /* the device still works afterwards */
    a = rt_zeros((int64_t[]){4}, 1, RT_FLOAT32, c);
    CHECK(a != NULL);
    rt_array_release(a);
}

TEST(allocation_larger_than_gpu) {
    if (rt_logical_device_count(RT_GPU) == 0) SKIP("no GPU");
    rt_device *g = rt_device_get(RT_GPU, 0);
    rt_device_props p;
    CHECK(rt_device_properties(RT_GPU, rt_device_physical_index(g), &p) == RT_OK);
    int64_t n = (int64_t)(p.total_memory / 4) + ((int64_t)1 << 28);
    rt_array *a = rt_empty(&n, 1, RT_FLOAT32, g);
    CHECK(a == NULL);
    CHECK_ERROR(RT_EOOM, "out of memory on GPU:0: requested");
    a = rt_zeros((int64_t[]){1024}, 1, RT_FLOAT32, g);
    CHECK(a != NULL);
    CHECK_ARRAY(a, (double[1024]){0}, 1024, 0, 0, "GPU usable after OOM");
    rt_array_release(a);
}

TEST(matmul_precision_and_timing) {
    CHECK(rt_set_matmul_precision("tf32") == RT_OK);
    CHECK(rt_matmul_tf32_enabled() == 1);
    CHECK(rt_set_matmul_precision("highest") == RT_OK);
    CHECK(rt_matmul_tf32_enabled() == 0);
    CHECK(rt_set_matmul_precision("medium-ish") != RT_OK);
    CHECK_ERROR(RT_EVALUE, "unknown matmul precision 'medium-ish'");
    double s = rt_take_gpu_seconds();
    CHECK(s >= 0);
    if (rt_logical_device_count(RT_GPU) == 0) CHECK(s == 0);
    CHECK(rt_synchronize(NULL) == RT_OK);
    CHECK(rt_synchronize(rt_device_get(RT_CPU, 0)) == RT_OK);
}

DEVICE_TEST(random_reproducible) {
    int64_t shape[2] = {33, 31};
    rt_seed(1234);
    rt_array *u1 = rt_rand_uniform(shape, 2, -2, 3, RT_FLOAT32, dev);
    rt_array *n1 = rt_rand_normal(shape, 2, 1, 2, RT_FLOAT64, dev);
    rt_seed(1234);
    rt_array *u2 = rt_rand_uniform(shape, 2, -2, 3, RT_FLOAT32, dev);
    rt_array *n2 = rt_rand_normal(shape, 2, 1, 2, RT_FLOAT64, dev);
    rt_array *u3 = rt_rand_uniform(shape, 2, -2, 3, RT_FLOAT32, dev); /* next draw differs */
    double *a = tl_fetch(u1), *b = tl_fetch(u2), *c = tl_fetch(u3), *x = tl_fetch(n1), *y = tl_fetch(n2);
    CHECK(a && b && c && x && y);
    if (a && b && c && x && y) {
        CHECK(memcmp(a, b, sizeof(double) * 33 * 31) == 0);
        CHECK(memcmp(x, y, sizeof(double) * 33 * 31) == 0);
        CHECK(memcmp(a, c, sizeof(double) * 33 * 31) != 0);
        double lo = 1e9, hi = -1e9, mean = 0, m2 = 0;
        for (int i = 0; i < 33 * 31; i++) { lo = fmin(lo, a[i]); hi = fmax(hi, a[i]); }
        CHECK(lo >= -2 && hi < 3 && hi - lo > 4.5);
        for (int i = 0; i < 33 * 31; i++) mean += x[i];
        mean /= 33 * 31;
        for (int i = 0; i < 33 * 31; i++) m2 += (x[i] - mean) * (x[i] - mean);
        CHECK_NEAR(mean, 1, 0.2, 0);
        CHECK_NEAR(sqrt(m2 / (33 * 31)), 2, 0.2, 0);
    }
    free(a); free(b); free(c); free(x); free(y);
    rt_array_release(u1); rt_array_release(u2); rt_array_release(u3); rt_array_release(n1); rt_array_release(n2);
    /* integers: floor of [lo, hi) */
    rt_array *ri = rt_rand_uniform((int64_t[]){1000}, 1, 0, 5, RT_INT32, dev);
    CHECK(ri && ri->dtype == RT_INT32);
    double *iv = ri ? tl_fetch(ri) : NULL;
    int seen[5] = {0}, ok = iv != NULL;
    for (int i = 0; iv && i < 1000; i++) {
        if (iv[i] < 0 || iv[i] > 4 || iv[i] != floor(iv[i])) ok = 0;
        else seen[(int)iv[i]] = 1;
    }
    CHECK(ok && seen[0] && seen[4]);
    free(iv);
    rt_array_release(ri);
    CHECK(rt_rand_normal(shape, 2, 0, 1, RT_INT32, dev) == NULL);
    CHECK_ERROR(RT_ETYPE, "float32 or float64");
}

TEST(random_same_on_every_device) {
    if (rt_logical_device_count(RT_GPU) == 0) SKIP("no GPU");
    int64_t n = 100003;
    rt_device *c = rt_device_get(RT_CPU, 0), *g = rt_device_get(RT_GPU, 0);
    rt_seed(7);
    rt_array *a = rt_rand_normal(&n, 1, 0, 1, RT_FLOAT32, c);
    rt_array *ua = rt_rand_uniform(&n, 1, 0, 1, RT_FLOAT32, c);
    rt_seed(7);
    rt_array *b = rt_rand_normal(&n, 1, 0, 1, RT_FLOAT32, g);
    rt_array *ub = rt_rand_uniform(&n, 1, 0, 1, RT_FLOAT32, g);
    double *x = tl_fetch(a), *y = tl_fetch(b), *ux = tl_fetch(ua), *uy = tl_fetch(ub);
    CHECK(x && y && tl_close(y, x, n, 1e-5, 1e-5, "normal GPU vs CPU"));
    CHECK(ux && uy && tl_close(uy, ux, n, 0, 0, "uniform GPU vs CPU"));
    free(x); free(y); free(ux); free(uy);
    rt_array_release(a); rt_array_release(b); rt_array_release(ua); rt_array_release(ub);
}

TEST(random_host_words) {
    uint32_t a[10], b[10], c[10];
    rt_seed(99);
    rt_rand_host_u32(a, 10);
    rt_rand_host_u32(c, 10);
    rt_seed(99);
    rt_rand_host_u32(b, 10);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    /* a device draw after 10 host words starts at counter 3 (ceil(10/4)) */
    rt_seed(99);
    rt_rand_host_u32(b, 10);
    rt_array *u = rt_rand_uniform((int64_t[]){4}, 1, 0, 1, RT_FLOAT64, rt_device_get(RT_CPU, 0));
    double v[4];
    CHECK(u && rt_to_host(u, RT_FLOAT64, v) == RT_OK);
    rt_seed(99);
    uint32_t w[16];
    rt_rand_host_u32(w, 16);
    CHECK(v[0] == w[12] / 4294967296.0 && v[3] == w[15] / 4294967296.0);
    rt_array_release(u);
}

static rt_status fails_with(int x) { return rt_set_error(RT_EVALUE, "bad value %d", x); }

TEST(errors_and_interrupts) {
    rt_clear_error();
    CHECK(rt_error_code() == RT_OK);
    CHECK_STR(rt_error_message(), "");
    CHECK(fails_with(42) == RT_EVALUE);
    CHECK(rt_error_code() == RT_EVALUE);
    CHECK_STR(rt_error_message(), "bad value 42");
    rt_clear_error();
    CHECK(rt_binary(RT_ADD, NULL, NULL) == NULL);
    CHECK_ERROR(RT_EVALUE, "NULL");
    volatile sig_atomic_t flag = 0;
    CHECK(rt_interrupted() == 0);
    rt_set_interrupt_flag(&flag);
    CHECK(rt_interrupted() == 0);
    flag = 1;
    CHECK(rt_interrupted() == 1);
    flag = 0;
    rt_set_interrupt_flag(NULL);
    CHECK(rt_interrupted() == 0);
}

TEST(virtual_devices_after_use) {
    /* CPU:0 has been used by earlier tests in this process */
    rt_array *a = rt_zeros((int64_t[]){1}, 1, RT_FLOAT32, rt_device_get(RT_CPU, 0));
    CHECK(rt_set_virtual_devices(RT_CPU, 2) != RT_OK);
    CHECK_ERROR(RT_EVALUE, "virtual devices cannot be modified after CPU devices have been initialized");
    CHECK(rt_logical_device_count(RT_CPU) == 1);
    CHECK(rt_set_virtual_devices(RT_CPU, 0) != RT_OK);
    CHECK_ERROR(RT_EVALUE, "between 1 and");
    rt_array_release(a);
}

int main(void) {
    RUN(registry);
    RUN(placement_scopes);
    RUN(log_device_placement);
    RUN(memory_info_and_allocator_reuse);
    RUN(device_memory_cap);
    RUN(memory_sizes_parse);
    RUN(out_of_memory);
    RUN(allocation_larger_than_gpu);
    RUN(matmul_precision_and_timing);
    RUN_DEV(random_reproducible);
    RUN(random_same_on_every_device);
    RUN(random_host_words);
    RUN(errors_and_interrupts);
    RUN(virtual_devices_after_use);
    return test_summary();
}
