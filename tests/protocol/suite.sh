#!/usr/bin/env bash
# Protocol suite: the pytest files in tests/protocol against the installed
# kernel (tests/jupyter_pytest.sh installs it into a temporary Jupyter
# prefix). Ends with one line "N passed, N failed, N skipped".
exec bash "$(dirname "$0")/../jupyter_pytest.sh" protocol "$@" tests/protocol
