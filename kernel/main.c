/* main.c — the cgpu-kernel binary: dispatches to its subcommands (cli.h).
 *
 *   cgpu-kernel -f CONNECTION_FILE      Jupyter kernel        (kernel/jupyter/kernel.c)
 *   cgpu-kernel run NB.ipynb [-o OUT]   headless notebook run (kernel/runner.c)
 *   cgpu-kernel exec FILE.cg            run a cell file       (kernel/runner.c)
 *   cgpu-kernel test FILE.cgt...        language tests        (kernel/lang/langtest.c)
 *   cgpu-kernel --version | --help
 *
 * A build without ZeroMQ/jansson/OpenSSL (GPU nodes) has no Jupyter
 * protocol: `-f` says so and exits 2; the other subcommands still work.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef CGPU_HAVE_JUPYTER
int jupyter_kernel_main(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "cgpu-kernel: this build has no Jupyter protocol support "
                    "(built without ZeroMQ, jansson or OpenSSL); 'run', 'exec' and 'test' still work\n");
    return 2;
}
#endif

/* The subcommands that take argv from their own name on (cli.h). Each is
 * always built: without jansson `run` says it cannot write notebooks. */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} subcommands[] = {
    {"run", runner_run_main},
    {"exec", runner_exec_main},
    {"test", lang_test_main},
};

static void help(FILE *to) {
    fprintf(to,
            "cgpu-kernel %s — a Jupyter kernel for the C-GPU array language\n"
            "\n"
            "usage:\n"
            "  cgpu-kernel -f CONNECTION_FILE      run as a Jupyter kernel (Jupyter starts it this way)\n"
            "  cgpu-kernel run NB.ipynb [-o OUT]   execute a notebook without Jupyter\n"
            "  cgpu-kernel exec FILE.cg            run a file of cells, outputs as text\n"
            "  cgpu-kernel test FILE.cgt...        run language test files\n"
            "  cgpu-kernel --version               print the version\n"
            "  cgpu-kernel --help                  print this help\n",
            CGPU_VERSION);
}

int main(int argc, char **argv) {
    if (argc < 2) { help(stderr); return 2; }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) { help(stdout); return 0; }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
#ifdef CGPU_HAVE_JUPYTER
        printf("cgpu-kernel %s (Jupyter protocol 5.3)\n", CGPU_VERSION);
#else
        printf("cgpu-kernel %s (no Jupyter protocol in this build)\n", CGPU_VERSION);
#endif
        /* what load_data can read and fetch (tests/datasets/ skips the rest) */
        printf("data sets: %s, %s, %s\n",
#if defined(CGPU_HAVE_LIBDEFLATE)
               "gzip (libdeflate, zlib)",
#elif defined(CGPU_HAVE_ZLIB)
               "gzip (zlib)",
#else
               "no gzip",
#endif
#ifdef CGPU_HAVE_LIBARCHIVE
               "zip and tar (libarchive)",
#else
               "no zip or tar",
#endif
#if defined(CGPU_HAVE_CURL) && defined(CGPU_HAVE_OPENSSL)
               "downloads (libcurl)"
#else
               "no downloads"
#endif
        );
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(cmd, subcommands[i].name) == 0) return subcommands[i].main(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--f") == 0 ||
            strncmp(argv[i], "-f=", 3) == 0 || strncmp(argv[i], "--f=", 4) == 0)
            return jupyter_kernel_main(argc, argv);
    fprintf(stderr, "cgpu-kernel: unknown command '%s'\n", cmd);
    help(stderr);
    return 2;
}
