/* rt_cuda_loader.c — the CUDA backend is loaded on the first device
 * discovery (runtime/cuda_loader.c), never at exec:
 *   - before discovery no CUDA library is mapped in this process;
 *   - with the CUDA toolkit's stub driver standing in for libcuda.so.1, the
 *     backend library really loads (every host symbol it needs resolves,
 *     cudart runs) and the stub's own error comes back as the reason;
 *   - a CUDA_LIB path that does not exist is reported by name, and a
 *     library of another plugin interface version is refused by name.
 * The last two run in child processes of this binary, which re-executes
 * itself with the environment each case needs.
 */
#include "test.h"
#include "rt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CUDA_STUB_DRIVER
#define CUDA_STUB_DRIVER "/usr/local/cuda/lib64/stubs/libcuda.so"
#endif

static int mapped(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Runs this binary as `self --child` with extra environment; returns its
 * stdout (the discovery reason), or NULL. */
static char *run_child(const char *ld_path, const char *cuda_lib) {
    int fd[2];
    if (pipe(fd)) return NULL;
    pid_t pid = fork();
    if (pid < 0) return NULL;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        if (ld_path) setenv("LD_LIBRARY_PATH", ld_path, 1);
        if (cuda_lib) setenv("CGPU_CUDA_LIB", cuda_lib, 1);
        else unsetenv("CGPU_CUDA_LIB");
        execl("/proc/self/exe", "rt_cuda_loader", "--child", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    static char buf[1024];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
    buf[n] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? buf : NULL;
}

/* run_child with the toolkit's stub driver as libcuda.so.1 (a symlink in a
 * temporary directory put on LD_LIBRARY_PATH); NULL when that fails. */
__attribute__((unused)) static char *run_with_stub_driver(const char *cuda_lib) {
    char dir[] = "/tmp/cgpu-stub-driver.XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    char link[sizeof dir + 32];
    snprintf(link, sizeof link, "%s/libcuda.so.1", dir);
    char *out = symlink(CUDA_STUB_DRIVER, link) == 0 ? run_child(dir, cuda_lib) : NULL;
    unlink(link);
    rmdir(dir);
    return out;
}

TEST(nothing_cuda_mapped_before_discovery) {
    CHECK(mapped("libcudart") == 0);
    CHECK(mapped("libcublas") == 0);
    CHECK(mapped("libnccl") == 0);
    CHECK(mapped("libcgpucuda") == 0);
}

TEST(discovery_gives_gpus_or_a_reason) {
    int n = rt_physical_device_count(RT_GPU);
    const char *why = rt_gpu_unavailable_reason();
    if (n > 0) {
        CHECK(why == NULL);
        CHECK(mapped("libcgpucuda") == 1);
    } else {
        CHECK(why != NULL && why[0] != '\0');
        printf("  discovery: 0 GPUs (%s)\n", why ? why : "?");
    }
}

TEST(backend_loads_under_the_stub_driver) {
#ifndef CGPU_HAVE_CUDA
    SKIP("this build has no CUDA");
#else
    if (access(CUDA_STUB_DRIVER, R_OK) != 0) SKIP("no CUDA stub driver at " CUDA_STUB_DRIVER);
    const char *out = run_with_stub_driver(NULL);
    CHECK(out != NULL);
    if (!out) return;
    printf("  with the stub driver: %s", out);
    /* cudart's answer for the stub: the library loaded and ran */
    CHECK(strstr(out, "stub") != NULL);
    CHECK(strstr(out, "loaded=1") != NULL);
    /* the library's error came back through the host table */
    CHECK(strstr(out, "state=none error=creating state for GPU 0: ") != NULL);
#endif
}

TEST(missing_library_is_named) {
#ifndef CGPU_HAVE_CUDA
    SKIP("this build has no CUDA");
#else
    if (access(CUDA_STUB_DRIVER, R_OK) != 0) SKIP("no CUDA stub driver at " CUDA_STUB_DRIVER);
    const char *out = run_with_stub_driver("/nonexistent/libcgpucuda.so");
    CHECK(out != NULL);
    if (!out) return;
    CHECK(strstr(out, "cannot load the CUDA backend") != NULL);
    CHECK(strstr(out, "/nonexistent/libcgpucuda.so") != NULL);
    CHECK(strstr(out, "loaded=0") != NULL);
#endif
}

/* A library with the entry point but another interface version (built by
 * the Makefile from tests/unit/stubs/stale_plugin.c) is refused, by name. */
TEST(stale_library_is_refused) {
#ifndef CGPU_HAVE_CUDA
    SKIP("this build has no CUDA");
#else
    if (access(CUDA_STUB_DRIVER, R_OK) != 0) SKIP("no CUDA stub driver at " CUDA_STUB_DRIVER);
    char stale[4200];
    CHECK(test_file_beside_self("stub/libcgpucuda-stale.so", stale, sizeof stale));
    const char *out = run_with_stub_driver(stale);
    CHECK(out != NULL);
    if (!out) return;
    CHECK(strstr(out, "was built for another version of C-GPU") != NULL);
    CHECK(strstr(out, "libcgpucuda-stale.so") != NULL);
    CHECK(strstr(out, "gpus=0") != NULL);
#endif
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0) {
        int n = rt_physical_device_count(RT_GPU);
        const char *why = rt_gpu_unavailable_reason();
        printf("gpus=%d loaded=%d reason=%s\n", n, mapped("libcgpucuda") == 1, why ? why : "-");
        /* An entry that fails inside the library reports through the host's
         * table (the error slot is the host's, read here). */
        rt_clear_error();
        void *state = rt_cuda_device_state_new(0);
        printf("state=%s error=%s\n", state ? "made" : "none", rt_error_message());
        return 0;
    }
    RUN(nothing_cuda_mapped_before_discovery);
    RUN(discovery_gives_gpus_or_a_reason);
    RUN(backend_loads_under_the_stub_driver);
    RUN(missing_library_is_named);
    RUN(stale_library_is_refused);
    return test_summary();
}
