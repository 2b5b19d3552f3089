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
    """The folder to serve: the report's parent when the run lies under it, else the report.

    Serving the nearest common folder of two far-apart paths could expose a whole
    disk (even on loopback); then only the report is served and its links into
    the run work from file:// alone.
    """
    report = report_dir.resolve()
    common = Path(os.path.commonpath([report, run_dir.resolve()]))
    return common if common == report.parent else report


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
