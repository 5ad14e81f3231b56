/* rt_cuda_device.c — the CUDA backend as a device: discovery and
 * properties, random numbers identical to the CPU's, out-of-memory
 * handling, allocator reuse, asynchronous queuing, busy time, virtual
 * devices. Without a GPU: discovery must report 0 GPUs with a reason.
 */
#include "rt_cuda_common.h"
#include "rt_internal.h"

TEST(discovery_reports_gpu_or_reason) {
    int n = rt_physical_device_count(RT_GPU);
    if (n == 0) {
        const char *why = rt_gpu_unavailable_reason();
        CHECK(why != NULL && why[0] != 0);
        CHECK(rt_default_device() == rt_device_get(RT_CPU, 0));
        printf("  discovery: 0 GPUs (%s)\n", why ? why : "?");
        return;
    }
    rt_device_props p;
    CHECK(rt_device_properties(RT_GPU, 0, &p) == RT_OK);
    CHECK(p.name[0] != 0);
    CHECK(p.total_memory > ((size_t)1 << 30));
    CHECK(p.cc_major >= 7);
    CHECK(p.multiprocessors > 0);
    CHECK(rt_gpu_unavailable_reason() == NULL);
    CHECK(rt_device_kind_of(rt_default_device()) == RT_GPU);
    printf("  discovery: %d GPU(s); GPU:0 is %s, %.1f GiB, cc %d.%d, %d SMs\n", n, p.name,
           p.total_memory / 1073741824.0, p.cc_major, p.cc_minor, p.multiprocessors);
}

TEST(random_identical_to_cpu) {
    NEED_GPU();
    int64_t sizes[] = {1, 5, 1023, (1 << 20) + 3};
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 2; t++) {
            rt_dtype dt = t ? RT_FLOAT64 : RT_FLOAT32;
            int64_t shape[1] = {sizes[s]};
            size_t bytes = (size_t)sizes[s] * rt_dtype_size(dt);
            void *hc = malloc(bytes), *hg = malloc(bytes);
            /* uniform: bit-identical */
            rt_seed(1234);
            rt_array *skip_c = rt_rand_uniform(shape, 1, 0, 1, dt, cpu0); /* advances the counter */
            rt_array *uc = rt_rand_uniform(shape, 1, -2, 3, dt, cpu0);
            rt_seed(1234);
            rt_array *skip_g = rt_rand_uniform(shape, 1, 0, 1, dt, gpu0);
            rt_array *ug = rt_rand_uniform(shape, 1, -2, 3, dt, gpu0);
            CHECK(uc && ug && rt_to_host(uc, dt, hc) == RT_OK && rt_to_host(ug, dt, hg) == RT_OK);
            CHECK(memcmp(hc, hg, bytes) == 0);
            CHECK(same_result("uniform skip", skip_g, skip_c, 0, 0));
            /* normal: the device's logf/sinf/cosf differ from glibc's by a few ulp */
            rt_seed(99);
            rt_array *nc = rt_rand_normal(shape, 1, 0.5, 2, dt, cpu0);
            rt_seed(99);
            rt_array *ng = rt_rand_normal(shape, 1, 0.5, 2, dt, gpu0);
            CHECK(same_result("normal", ng, nc, t ? 1e-13 : 2e-6, t ? 1e-13 : 2e-6));
            if (!t && nc && ng && rt_to_host(nc, dt, hc) == RT_OK && rt_to_host(ng, dt, hg) == RT_OK) {
                /* float32 normals are computed in double and rounded once, so
                 * CPU and GPU agree bit for bit but for rare rounding ties */
                int64_t differ = 0;
                for (int64_t i = 0; i < sizes[s]; i++)
                    differ += memcmp((char *)hc + 4 * i, (char *)hg + 4 * i, 4) != 0;
                printf("  normal float32, n=%lld: %lld elements differ in their bits\n",
                       (long long)sizes[s], (long long)differ);
                CHECK(differ <= sizes[s] / 100000);
            }
            rt_array_release(skip_c); rt_array_release(skip_g);
            rt_array_release(uc); rt_array_release(ug); rt_array_release(nc); rt_array_release(ng);
            free(hc);
            free(hg);
        }
    /* integers go through float64 uniform + floor */
    int64_t shape[2] = {333, 77};
    rt_seed(7);
    rt_array *ic = rt_rand_uniform(shape, 2, -50, 50, RT_INT32, cpu0);
    rt_seed(7);
    rt_array *ig = rt_rand_uniform(shape, 2, -50, 50, RT_INT32, gpu0);
    CHECK(same_result("uniform int32", ig, ic, 0, 0));
    rt_array_release(ic);
    rt_array_release(ig);
}

TEST(out_of_memory_is_an_error_and_device_survives) {
    NEED_GPU();
    rt_device_props p;
    rt_device_properties(RT_GPU, 0, &p);
    /* more than the card has, and absurdly more */
    int64_t shapes[2][1] = {{(int64_t)(p.total_memory / 4) + ((int64_t)1 << 28)}, {(int64_t)1 << 42}};
    for (int i = 0; i < 2; i++) {
        rt_clear_error();
        rt_array *big = rt_empty(shapes[i], 1, RT_FLOAT32, gpu0);
        CHECK(big == NULL);
        CHECK(rt_error_code() == RT_EOOM);
        CHECK(strstr(rt_error_message(), "out of memory") != NULL);
        printf("  oom %d: %s\n", i, rt_error_message());
        rt_array_release(big);
    }
    /* still usable: an op gives the right answer */
    int64_t shape[1] = {1000};
    pair a = pair_random(shape, 1, RT_FLOAT32, -1, 1);
    rt_array *rc = rt_binary(RT_ADD, a.c, a.c), *rg = rt_binary(RT_ADD, a.g, a.g);
    CHECK(same_result("after OOM", rg, rc, 0, 0));
    CHECK(!gpu0->unusable);
    rt_memory_info mi;
    CHECK(rt_get_memory_info(gpu0, &mi) == RT_OK && mi.total > 0);
    rt_array_release(rc); rt_array_release(rg);
    pair_release(a);
}

TEST(allocator_reuses_blocks) {
    NEED_GPU();
    int64_t shape[1] = {4097};
    pair a = pair_random(shape, 1, RT_FLOAT32, -1, 1);
    /* warm: one round allocates what the loop needs */
    rt_array *w = rt_binary(RT_MUL, a.g, a.g);
    rt_array_release(w);
    uint64_t raw0, reuse0, raw1, reuse1;
    rt_allocator_counters(gpu0, &raw0, &reuse0);
    for (int i = 0; i < 1000; i++) {
        rt_array *x = rt_binary(RT_MUL, a.g, a.g);
        rt_array *y = rt_unary(RT_EXP, x);
        rt_array *z = rt_reduce(RT_SUM, y, RT_ALL_AXES, 0);
        rt_array_release(x); rt_array_release(y); rt_array_release(z);
    }
    rt_allocator_counters(gpu0, &raw1, &reuse1);
    printf("  allocator: %llu raw allocations, %llu reuses over 3000 outputs\n",
           (unsigned long long)(raw1 - raw0), (unsigned long long)(reuse1 - reuse0));
    CHECK(raw1 - raw0 <= 4);
    CHECK(reuse1 - reuse0 >= 2990);
    pair_release(a);
}

/* ---- async: count host waits through a wrapped backend table -------------------- */

static const rt_backend *real_backend;
static rt_backend counting;
static int n_sync, n_to_host;

static rt_status count_sync(rt_device *d) { n_sync++; return real_backend->synchronize(d); }
static rt_status count_to_host(rt_device *d, void *dst, const void *src, size_t bytes) {
    n_to_host++;
    return real_backend->copy_to_host(d, dst, src, bytes);
}

TEST(ops_are_queued_not_waited_for) {
    NEED_GPU();
    int64_t ms[2] = {4096, 4096};
    pair a = pair_random(ms, 2, RT_FLOAT32, -1, 1);
    rt_array *warm = rt_matmul(a.g, a.g);
    rt_array_release(warm);
    CHECK(rt_synchronize(gpu0) == RT_OK);

    real_backend = gpu0->backend;
    counting = *real_backend;
    counting.synchronize = count_sync;
    counting.copy_to_host = count_to_host;
    gpu0->backend = &counting;
    n_sync = n_to_host = 0;

    /* ~10 x 137 GFLOP of SGEMM (tens of ms) plus element-wise work */
    (void)rt_take_gpu_seconds(); /* start the busy-time count here */
    double t0 = now_s();
    rt_array *acc = rt_zeros(ms, 2, RT_FLOAT32, gpu0);
    for (int i = 0; i < 10; i++) {
        rt_array *p = rt_matmul(a.g, a.g);
        rt_array *q = rt_binary(RT_ADD, acc, p);
        rt_array *r = rt_unary(RT_TANH, q);
        rt_array_release(acc);
        acc = r;
        rt_array_release(p);
        rt_array_release(q);
    }
    double t1 = now_s();
    int waits = n_sync + n_to_host;
    CHECK(rt_synchronize(gpu0) == RT_OK);
    double t2 = now_s();
    gpu0->backend = real_backend;
    printf("  async: queued in %.2f ms, finished after %.2f ms, %d host waits while queuing\n",
           (t1 - t0) * 1e3, (t2 - t0) * 1e3, waits);
    CHECK(waits == 0);
    CHECK(t1 - t0 < 0.5 * (t2 - t0));
    double busy = rt_take_gpu_seconds();
    printf("  busy: %.2f ms of GPU time reported\n", busy * 1e3);
    CHECK(busy > 0 && busy <= (now_s() - t0) + 0.05);
    CHECK(rt_take_gpu_seconds() == 0); /* taken */
    rt_array_release(acc);
    pair_release(a);
}

TEST(cross_device_ops_are_refused) {
    NEED_GPU();
    int64_t shape[1] = {10};
    pair a = pair_random(shape, 1, RT_FLOAT32, -1, 1);
    rt_array *r = rt_binary(RT_ADD, a.c, a.g);
    CHECK(r == NULL);
    CHECK(rt_error_code() == RT_EDEVICE);
    CHECK(strstr(rt_error_message(), "GPU:0") && strstr(rt_error_message(), "CPU:0"));
    pair_release(a);
}

/* Large copies go through the pinned staging buffers in chunks
 * (runtime/cuda/cuda_transfer.cu): sizes around the chunk size, with odd
 * tails, arrive intact in both directions, and the host source may be
 * overwritten as soon as the upload returns. */
TEST(large_copies_through_staging_are_exact) {
    NEED_GPU();
    rt_device *gpu = rt_device_get(RT_GPU, 0);
    static const int64_t sizes[] = { (1 << 18) - 3, (4 << 20) + 1, (9 << 20) + 7, 16 << 20 };
    for (int s = 0; s < 4; s++) {
        int64_t n = sizes[s];
        uint32_t *host = malloc((size_t)n * 4), *back = malloc((size_t)n * 4);
        CHECK(host && back);
        if (!host || !back) { free(host); free(back); return; }
        for (int64_t i = 0; i < n; i++) host[i] = (uint32_t)(i * 2654435761u) ^ (uint32_t)s;
        rt_array *a = rt_from_host(host, RT_INT32, &n, 1, RT_INT32, gpu);
        CHECK(a != NULL);
        memset(host, 0xAB, (size_t)n * 4); /* the upload must not read this */
        CHECK(a && rt_to_host(a, RT_INT32, back) == RT_OK);
        int64_t bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++)
            if (back[i] != ((uint32_t)(i * 2654435761u) ^ (uint32_t)s)) bad = i;
        if (bad >= 0) printf("  size %lld: first wrong element %lld\n", (long long)n, (long long)bad);
        CHECK(bad < 0);
        rt_array_release(a);
        free(host);
        free(back);
    }
}

int main(void) {
    RUN(discovery_reports_gpu_or_reason);
    RUN(random_identical_to_cpu);
    RUN(out_of_memory_is_an_error_and_device_survives);
    RUN(allocator_reuses_blocks);
    RUN(ops_are_queued_not_waited_for);
    RUN(cross_device_ops_are_refused);
    RUN(large_copies_through_staging_are_exact);
    return test_summary();
}
