/* cli.h — the kernel binary's subcommands (kernel/main.c dispatches).
 *
 *   cgpu-kernel -f CONNECTION_FILE      Jupyter kernel (kernel/jupyter/)
 *   cgpu-kernel run NB.ipynb [-o OUT]   execute a notebook without Jupyter (kernel/runner.c)
 *   cgpu-kernel exec FILE.cg            run a cell file, outputs as text  (kernel/runner.c)
 *   cgpu-kernel test FILE.cgt...        run language test files           (kernel/lang/langtest.c)
 *   cgpu-kernel --version | --help
 *
 * Each returns the process exit status.
 */
#ifndef CGPU_CLI_H
#define CGPU_CLI_H

int jupyter_kernel_main(int argc, char **argv); /* argv after "-f"/"--f" handling: full argv */
int runner_run_main(int argc, char **argv);     /* argv[0] == "run" */
int runner_exec_main(int argc, char **argv);    /* argv[0] == "exec" */
int lang_test_main(int argc, char **argv);      /* argv[0] == "test" */

#define CGPU_VERSION "0.1.0"

#endif
