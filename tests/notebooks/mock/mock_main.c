/* mock_main.c — the runner's two subcommands over mock_lang.c. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "run") == 0) return runner_run_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "exec") == 0) return runner_exec_main(argc - 1, argv + 1);
    fprintf(stderr, "usage: mock-runner run|exec ...\n");
    return 2;
}
