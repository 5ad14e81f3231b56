/* rt_gpu_count.c — the GPUs C-GPU discovers are the machine's GPUs,
 * checked against an outside source: CGPU_EXPECT_GPUS=N when set (a GPU
 * run that must not pass without them), else the lines of `nvidia-smi -L`
 * where nvidia-smi exists. With neither, there is nothing to compare with:
 * "skipped: no GPU".
 */
#include "test.h"
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GPUs nvidia-smi lists; -1 when it is missing or fails. */
static int nvidia_smi_gpus(void) {
    FILE *p = popen("nvidia-smi -L 2>/dev/null", "r");
    if (!p) return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, p)) n += strncmp(line, "GPU ", 4) == 0;
    return pclose(p) == 0 ? n : -1;
}

TEST(discovered_gpus_match_the_machine) {
    int expected = test_gpus_expected();
    const char *source = "CGPU_EXPECT_GPUS";
    if (expected <= 0) {
        expected = nvidia_smi_gpus();
        source = "nvidia-smi -L";
    }
    if (expected <= 0) SKIP("no GPU (no CGPU_EXPECT_GPUS, no GPU listed by nvidia-smi)");
    int found = rt_physical_device_count(RT_GPU);
    if (found < expected)
        fprintf(stderr, "  %s says %d GPU(s); C-GPU found %d: %s\n", source, expected, found,
                rt_gpu_unavailable_reason() ? rt_gpu_unavailable_reason() : "(no reason given)");
    CHECK(found >= expected);
    /* nvidia-smi lists every GPU of the machine; CUDA_VISIBLE_DEVICES may hide some */
    if (!getenv("CUDA_VISIBLE_DEVICES") && strcmp(source, "nvidia-smi -L") == 0) CHECK(found == expected);
}

int main(void) {
    RUN(discovered_gpus_match_the_machine);
    return test_summary();
}
