#!/usr/bin/env bash
# The "faults" suite: tests/jupyter_pytest.sh installs the kernel into a
# temporary Jupyter prefix and runs tests/robustness/test_faults.py tests/robustness/test_limits.py (pytest
# + jupyter_client): clients killed mid-cell, a vanished iopub subscriber,
# a 10 000-request flood, a 64 MiB message, a 4 TiB allocation, deep
# recursion, 100 interrupts, SIGINT during fit, SIGTERM; and the security
# checks (signatures, replays, key never printed, bind address, ipc file
# modes, signature schemes, empty key); and test_limits.py: the memory
# limits (CGPU_MEMORY_LIMIT, cgroup memory.max, malformed limits). Ends with "N passed, N failed,
# N skipped".
exec bash "$(dirname "$0")/../jupyter_pytest.sh" faults -rfEs "$@" tests/robustness/test_faults.py tests/robustness/test_limits.py
