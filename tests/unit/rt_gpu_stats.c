/* rt_gpu_stats.c — runtime/gpu_stats.c: the host figures from /proc, and
 * the NVML path against a stub libnvidia-ml (tests/unit/stubs/nvml_stub.c,
 * built by the Makefile into stub/ beside this binary) with fixed figures:
 * every field, the figures a GPU does not report (-1), a bad index, and a
 * library that is missing (in a child process: NVML is loaded once).
 */
#include "test.h"
#include "gpu_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char stub_path[4200];

TEST(host_figures) {
    rt_cpu_mark mark = {0, 0};
    rt_host_stats h;
    CHECK(rt_host_stats_sample(&mark, &h) == RT_OK);
    CHECK(h.cpu_count >= 1);
    CHECK(h.cpu_utilization >= 0 && h.cpu_utilization <= 100);
    CHECK(mark.total_ticks > 0);
    /* this process holds at least the 8 MB it touches below */
    size_t big = 8u << 20;
    char *p = malloc(big);
    CHECK(p != NULL);
    if (p) memset(p, 1, big);
    volatile double x = 0;
    for (int i = 0; i < 20000000; i++) x += i; /* some CPU time between the samples */
    rt_host_stats h2;
    CHECK(rt_host_stats_sample(&mark, &h2) == RT_OK);
    CHECK(h2.resident_bytes >= (int64_t)big);
    CHECK(h2.peak_resident_bytes >= h2.resident_bytes);
    CHECK(h2.host_memory_total_bytes > h2.resident_bytes);
    CHECK(h2.host_memory_available_bytes > 0);
    CHECK(h2.cpu_utilization > 0 && h2.cpu_utilization <= 100);
    free(p);
}

/* In a child: CGPU_NVML_LIB naming a missing file gives no GPU and a
 * reason naming it. */
TEST(missing_library_is_a_reason) {
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CGPU_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
        char why[256];
        int n = rt_gpu_stats_count(why, sizeof why);
        rt_gpu_stats g;
        int bad = rt_gpu_stats_sample(0, &g) == RT_EINDEX;
        _exit(n == 0 && bad && strstr(why, "/nonexistent/libnvidia-ml.so.1") && strstr(why, "cannot load") ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(stub_nvml_figures) {
    if (!test_file_beside_self("stub/libnvidia-ml.so.1", stub_path, sizeof stub_path)) SKIP("the stub NVML library was not built (make unit-tests)");
    setenv("CGPU_NVML_LIB", stub_path, 1);
    char why[256] = "unset";
    CHECK(rt_gpu_stats_count(why, sizeof why) == 2);
    CHECK_STR(why, "");
    rt_gpu_stats g;
    CHECK(rt_gpu_stats_sample(0, &g) == RT_OK);
    CHECK(g.index == 0);
    CHECK_STR(g.name, "Stub GPU 0");
    CHECK(g.utilization == 42);
    CHECK(g.memory_used_bytes == (int64_t)3 << 30);
    CHECK(g.memory_total_bytes == (int64_t)80 << 30);
    CHECK(g.temperature_c == 55);
    CHECK_NEAR(g.power_watts, 123.456, 1e-9, 0);
    CHECK_NEAR(g.power_limit_watts, 700.0, 1e-9, 0);
    CHECK(g.sm_clock_mhz == 1980);
    CHECK(g.process_count == 1);
    CHECK(g.processes[0].pid == 4242);
    CHECK(g.processes[0].memory_bytes == (int64_t)512 << 20);

    CHECK(rt_gpu_stats_sample(1, &g) == RT_OK);
    CHECK_STR(g.name, "Stub GPU 1");
    CHECK(g.utilization == 0);
    CHECK(g.temperature_c == 56);
    CHECK(g.power_watts == -1);        /* not supported: unknown, not 0 */
    CHECK(g.power_limit_watts == -1);
    CHECK(g.process_count == -1);

    CHECK(rt_gpu_stats_sample(2, &g) == RT_EINDEX);
    CHECK(strstr(rt_error_message(), "GPU 2 does not exist") != NULL);
    CHECK(rt_gpu_stats_sample(-1, &g) == RT_EINDEX);
}

int main(void) {
    RUN(host_figures);
    RUN(missing_library_is_a_reason);
    RUN(stub_nvml_figures);
    return test_summary();
}
