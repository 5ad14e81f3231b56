"""A local HTTP server for the download tests: serves DIR on 127.0.0.1 at a
free port, writes the port to PORTFILE, and runs until killed.

    serve.py DIR PORTFILE
"""
import functools
import http.server
import sys


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(root, portfile):
    handler = functools.partial(Quiet, directory=root)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as srv:
        with open(portfile + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        import os
        os.replace(portfile + ".tmp", portfile)
        srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
