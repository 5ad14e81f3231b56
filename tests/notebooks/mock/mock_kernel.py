"""A Jupyter kernel for mock_lang.c's script: it sends the IOPub messages
a real kernel would send for each command, so that nbclient records the
reference outputs the runner must reproduce."""
import json
import time

from ipykernel.kernelbase import Kernel


class MockKernel(Kernel):
    implementation = "mock"
    implementation_version = "0"
    banner = "mock language"
    language_info = {"name": "cgpu", "version": "0.1.0", "mimetype": "text/x-cgpu",
                     "file_extension": ".cg", "pygments_lexer": "python",
                     "codemirror_mode": "python", "nbconvert_exporter": "python"}

    def do_execute(self, code, silent, store_history=True, user_expressions=None,
                   allow_stdin=False):
        def pub(msg_type, content):
            self.send_response(self.iopub_socket, msg_type, content)

        def show(data, display_id, update):
            content = {"data": data, "metadata": {}}
            if display_id != "-":
                content["transient"] = {"display_id": display_id}
            pub("update_display_data" if update else "display_data", content)

        result = None
        for line in code.split("\n"):
            if not line.strip():
                continue
            cmd, _, arg = line.partition(" ")
            arg = arg.lstrip(" ")
            word, _, rest = arg.partition(" ")
            rest = rest.lstrip(" ")
            if cmd in ("print", "eprint"):
                pub("stream", {"name": "stderr" if cmd == "eprint" else "stdout", "text": arg + "\n"})
            elif cmd == "write":
                pub("stream", {"name": "stdout", "text": arg})
            elif cmd == "cr":
                pub("stream", {"name": "stdout", "text": arg + "\r"})
            elif cmd in ("display", "update"):
                show({"text/plain": rest}, word, cmd == "update")
            elif cmd == "svg":
                show({"image/svg+xml": "<svg>\n<text>Epoch Number</text>\n</svg>\n"}, "-", False)
            elif cmd == "json":
                show({"text/plain": "{json}", "application/json": json.loads(arg)}, "-", False)
            elif cmd == "bytes":
                text = b"bad \xff\xfe utf8 \x01\n".decode("utf-8", "replace")
                pub("stream", {"name": "stdout", "text": text})
            elif cmd in ("clear", "clearwait"):
                pub("clear_output", {"wait": cmd == "clearwait"})
            elif cmd == "result":
                result = arg
            elif cmd == "error":
                tb = ["\033[31mTraceback\033[0m (most recent call last):",
                      "\033[31m%s\033[0m: %s" % (word, rest)]
                pub("error", {"ename": word, "evalue": rest, "traceback": tb})
                return {"status": "error", "execution_count": self.execution_count,
                        "ename": word, "evalue": rest, "traceback": tb}
            elif cmd == "sleep":
                time.sleep(float(arg))
        if result is not None and not silent:
            pub("execute_result", {"execution_count": self.execution_count,
                                   "data": {"text/plain": result}, "metadata": {}})
        return {"status": "ok", "execution_count": self.execution_count,
                "payload": [], "user_expressions": {}}


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(kernel_class=MockKernel)
