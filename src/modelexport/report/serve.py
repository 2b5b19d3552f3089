"""`--serve`: the report over a loopback HTTP server (stdlib only), for browsers or
setups that prefer http:// to file://.

The server's root is the folder that holds both the report and the run, so the
download links (which point from the report into the run folder and its
artifacts) work the same as from disk. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request (the terminal stays readable)."""

    def log_message(self, format: str, *args: object) -> None:
        return


def serve_root(report_dir: Path, run_dir: Path) -> Path:
    """The folder to serve: the nearest one holding both the report and the run."""
    return Path(os.path.commonpath([report_dir.resolve(), run_dir.resolve()]))


def make_server(root: Path, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def url_for(server: ThreadingHTTPServer, root: Path, index: Path) -> str:
    host, port = server.server_address[:2]
    rel = index.resolve().relative_to(root).as_posix()
    return f"http://{host}:{port}/{rel}"


def start_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run the server in the background (tests); stop it with `server.shutdown()`."""
    thread = threading.Thread(target=server.serve_forever, name="report-server", daemon=True)
    thread.start()
    return thread
