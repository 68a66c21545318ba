"""Preview a site while it is edited: rebuild on every save and reload every open browser tab.

The serving part knows nothing of timelines: it serves a folder under a URL path through
livereload (which injects its reload script into HTML), adds an overlay listing the problems
while the last build failed, and calls a Builder when watchdog reports a saved file.
"""

from __future__ import annotations

import argparse
import errno
import gc
import html
import logging
import mimetypes
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from livereload import Server
from livereload.handlers import LiveReloadHandler
from livereload.watcher import Watcher
from tornado import web
from tornado.ioloop import IOLoop
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .cli import EXIT_OK, UsageError, add_source_arguments, print_report, source_dir
from .diagnostics import ERROR, Diagnostic, summarise
from .output import update_site
from .pipeline import Builder
from .render import template_dirs

OVERLAY_LIMIT = 20
"""Problems listed in the browser; the terminal has them all."""

DEBOUNCE_S = 0.02
"""Wait this long after a change for the rest of a save (editors write, rename, touch) to land."""

EXPORTS_DELAY_S = 0.3
"""After a save, pages are rebuilt first; feeds and data files (which list every event) this much later,
or three times as long as they last took, so that on a big site they wait for a pause in the saving
rather than hold up the next save's pages."""

_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
          ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
          ".csv": "text/csv; charset=utf-8", ".ics": "text/calendar; charset=utf-8", ".svg": "image/svg+xml"}
_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
_NO_SITE = b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>" \
           b"<body><main><h1>Not found</h1><p>Nothing is built at this address.</p></main></body></html>\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add serve's options."""
    add_source_arguments(parser, out=False)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, reachable from this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the site in the default web browser")


def run(args: argparse.Namespace) -> int:
    """Build the site, serve it, and rebuild and reload on every change until Ctrl-C or SIGTERM."""
    source = source_dir(args)
    port = reserve_port(args.host, args.port)
    folder = Path(tempfile.mkdtemp(prefix="dateline-serve-"))
    loop = IOLoop.current()
    preview = Preview(Builder(source, drafts=args.drafts), folder)
    watcher = FolderWatch(lambda paths: loop.add_callback(preview.changed, paths))
    try:
        # Watch first, so that a save during the first build is not missed.
        watcher.start(source, preview.watched_folders())
        preview.watcher = watcher
        preview.rebuild()
        gc.freeze()  # what the first build made lives on: spare the collector from scanning it on every save
        _stop_on_signals(loop)
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host}:{port}{preview.mount}"
        # Said once the loop runs, which is after livereload has started listening.
        loop.add_callback(lambda: print(f"serving {source} at {url} (Ctrl-C to stop)", flush=True))
        # livereload logs every connection and reload: the terminal is for build reports.
        logging.getLogger("livereload").addFilter(lambda record: record.levelno >= logging.WARNING)
        logging.getLogger("tornado.access").setLevel(logging.ERROR)
        server = _LiveServer(preview)
        server.serve(port=port, host=args.host, open_url_delay=0.5 if args.open else None)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {args.host} is already in use; choose another with --port "
                             "(--port 0 picks a free one)") from None
        raise
    finally:
        watcher.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print("stopped", file=sys.stderr)
    return EXIT_OK


def reserve_port(host: str, port: int) -> int:
    """Check that host:port can be listened on, picking a free port for 0; raise UsageError if not."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is a number from 0 to 65535")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: {exc.strerror}") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado will
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is already in use; choose another with --port "
                                 "(--port 0 picks a free one)") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        return probe.getsockname()[1]


class Preview:
    """The served folder and what the last build said: the state the server shows."""

    def __init__(self, builder: Builder, folder: Path) -> None:
        self.builder = builder
        self.folder = folder
        self.problems: list[Diagnostic] = []  # errors of the last build; empty when it succeeded
        self.mount = "/"
        self._printed: list[Diagnostic] | None = None
        self._pending: set[Path] = set()
        self._scheduled = False
        self._exports_timer: object | None = None
        self._exports_seconds = 0.0
        self.watcher: FolderWatch | None = None

    def watched_folders(self) -> list[Path]:
        """Return the folders whose changes call for a rebuild: content/ and every template folder."""
        return [self.builder.source / "content", *template_dirs(self.builder.source)]

    def changed(self, paths: set[Path]) -> None:
        """Note that files changed; rebuild shortly, once for a burst of changes."""
        self._pending |= paths
        if not self._scheduled:
            self._scheduled = True
            IOLoop.current().call_later(DEBOUNCE_S, self._rebuild_pages)

    def _rebuild_pages(self) -> None:
        self._scheduled = False
        while self._pending:
            changed, self._pending = self._pending, set()
            if self.rebuild(changed, exports=False):
                LiveReloadHandler.reload_waiters("*")
        if self.watcher is not None:
            self.watcher.add(self.watched_folders())  # a templates/ folder made since the start
        loop = IOLoop.current()
        if self._exports_timer is not None:
            loop.remove_timeout(self._exports_timer)
        delay = max(EXPORTS_DELAY_S, 3 * self._exports_seconds)
        self._exports_timer = loop.call_later(delay, self._rebuild_exports)

    def _rebuild_exports(self) -> None:
        self._exports_timer = None
        if self._pending:
            return  # a rebuild is on its way, and schedules this again
        started = time.perf_counter()
        if self.rebuild(set(), exports=True):
            LiveReloadHandler.reload_waiters("*")
        self._exports_seconds = time.perf_counter() - started

    def rebuild(self, changed: set[Path] | None = None, *, exports: bool = True) -> bool:
        """Build again, update the served folder, and return whether open pages should reload.

        `changed` lists the files saved since the last build (None: look at every file); with
        exports=False, feeds and data files wait for a later build.
        """
        had = self.problems
        try:
            result = self.builder.build(changed, exports=exports)
        except Exception as exc:  # a bug in Dateline, not in the content: report it and keep serving
            traceback.print_exc()
            self.problems = [Diagnostic("dateline", 1, 1, ERROR, "internal-error", f"{type(exc).__name__}: {exc}",
                                        "this is a bug in Dateline: please report it with the traceback "
                                        "printed in the terminal")]
            return self.problems != had
        items = result.report.sorted()
        if items != self._printed:
            print_report(result.report)
            self._printed = items
        config = result.site.config if result.site else self.builder.config
        if result.files is None:
            self.problems = [d for d in items if d.is_error]
            if self.problems != had:
                print(f"build failed: {summarise(items)}; still serving the last good site", file=sys.stderr)
            if config is not None and not self.builder.files:
                self.mount = config.base_path
            return self.problems != had
        update_site(self.folder, result.changed, result.removed)
        self.problems = []
        self.mount = config.base_path if config else "/"
        pages = sum(1 for path in result.changed if path.endswith(".html"))
        if result.changed or result.removed:
            print(f"built in {result.seconds:.2f} s: {len(result.changed)} files changed ({pages} pages), "
                  f"{len(result.removed)} removed", file=sys.stderr)
        if exports and changed is not None:  # the follow-up build: feeds and data files need no reload
            return bool(pages or result.removed or had)
        return bool(result.changed or result.removed or had)

    def overlay(self) -> bytes:
        """Return the HTML listing the last build's errors, or nothing when it succeeded."""
        return render_overlay(self.problems).encode("utf-8") if self.problems else b""


def render_overlay(problems: list[Diagnostic]) -> str:
    """Render build errors as an accessible panel shown on top of every served page."""
    esc = html.escape
    items = []
    for d in problems[:OVERLAY_LIMIT]:
        hint = f'<br><span style="color:#3d3d3d">hint: {esc(d.hint)}</span>' if d.hint else ""
        items.append(f'<li style="margin:0 0 .6em"><code style="font:inherit;font-family:ui-monospace,monospace;'
                     f'font-weight:bold">{esc(d.file)}:{d.line}:{d.column}</code>: {esc(d.severity)}'
                     f'[{esc(d.code)}]: {esc(d.message)}{hint}</li>')
    more = len(problems) - OVERLAY_LIMIT
    if more > 0:
        items.append(f"<li>and {more} more: see the terminal</li>")
    count = f"{len(problems)} error{'s' if len(problems) != 1 else ''}"
    return (
        '<section id="dateline-overlay" role="alert" aria-labelledby="dateline-overlay-title" '
        'style="position:fixed;z-index:2147483647;top:0;left:0;right:0;max-height:60vh;overflow:auto;'
        'margin:0;padding:1em 1.25em;background:#fff;color:#1a1a1a;border-bottom:4px solid #b00020;'
        'box-shadow:0 4px 16px rgba(0,0,0,.35);font:15px/1.45 system-ui,sans-serif;text-align:left">'
        f'<h2 id="dateline-overlay-title" style="margin:0 0 .4em;font-size:1.15em;color:#b00020">'
        f'The site could not be rebuilt: {count}</h2>'
        '<p style="margin:0 0 .8em">Below is the last version that built. Fix the file and save: '
        'this page reloads by itself.</p>'
        f'<ol style="margin:0 0 .8em;padding-left:1.5em">{"".join(items)}</ol>'
        '<button type="button" onclick="this.parentNode.remove()" style="font:inherit;padding:.2em .8em">'
        'Hide</button></section>'
    )


def inject_overlay(page: bytes, overlay: bytes) -> bytes:
    """Insert the overlay at the start of the page's body, where assistive technology meets it first."""
    if not overlay:
        return page
    match = _BODY_OPEN.search(page)
    return page[:match.end()] + overlay + page[match.end():] if match else overlay + page


class _SiteHandler(web.RequestHandler):
    """Serve the preview folder under the site's path like a static host, with the overlay on HTML."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    def compute_etag(self) -> None:
        return None

    def get(self) -> None:
        mount = self.preview.mount
        path = unquote(self.request.path)
        if not path.startswith(mount):
            if path in ("/", mount.rstrip("/")):
                return self.redirect(mount)
            return self._send_not_found()
        parts = [p for p in path[len(mount):].split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
            return self._send_not_found()
        file = self.preview.folder.joinpath(*parts)
        if file.is_dir():
            if not path.endswith("/"):
                query = f"?{self.request.query}" if self.request.query else ""
                return self.redirect(self.request.path + "/" + query, permanent=True)
            file = file / "index.html"
        if not file.is_file():
            return self._send_not_found()
        self._send(file.read_bytes(), file.suffix)

    head = get

    def _send_not_found(self) -> None:
        self.set_status(404)
        page = self.preview.folder / "404.html"
        self._send(page.read_bytes() if page.is_file() else _NO_SITE, ".html")

    def _send(self, data: bytes, suffix: str) -> None:
        kind = _TYPES.get(suffix) or mimetypes.guess_type("x" + suffix)[0] or "application/octet-stream"
        if suffix == ".html":
            data = inject_overlay(data, self.preview.overlay())
        self.set_header("Content-Type", kind)
        self.finish(data)


class _LiveServer(Server):
    """livereload's server (script injection, websocket) serving the preview with _SiteHandler."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(watcher=_ToldNotPolled())
        self.preview = preview

    def get_web_handlers(self, script: bytes) -> list[Any]:
        return [(r"/.*", _SiteHandler, {"preview": self.preview})]


class _ToldNotPolled(Watcher):
    """livereload's watcher, idle: watchdog tells us about changes instead of polling every file."""

    def start(self, callback: Any) -> bool:
        return True


class _Changes(FileSystemEventHandler):
    def __init__(self, notify: Any) -> None:
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading is not changing (and the build itself reads every file)
        paths = {event.src_path, getattr(event, "dest_path", "") or event.src_path}
        self.notify({Path(os.fsdecode(p)) for p in paths})


class FolderWatch:
    """Watch folders and everything in them with watchdog; folders can be added later."""

    def __init__(self, notify: Any) -> None:
        self.observer = Observer()
        self.handler = _Changes(notify)
        self.watched: set[Path] = set()

    def start(self, parent: Path, folders: list[Path]) -> None:
        """Watch parent's own entries (so that a new templates/ is seen) and folders recursively."""
        self.observer.schedule(self.handler, str(parent.resolve()), recursive=False)
        self.add(folders)
        self.observer.start()

    def add(self, folders: list[Path]) -> None:
        """Watch these folders too, if they exist and are not watched yet."""
        for folder in (f.resolve() for f in folders):
            if folder not in self.watched and folder.is_dir():
                self.observer.schedule(self.handler, str(folder), recursive=True)
                self.watched.add(folder)

    def stop(self) -> None:
        if self.observer.is_alive():
            self.observer.stop()
            self.observer.join(timeout=5)


def _stop_on_signals(loop: IOLoop) -> None:
    """Make Ctrl-C and SIGTERM stop the server between requests and rebuilds, so it exits cleanly."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.asyncio_loop.add_signal_handler(sig, loop.stop)  # type: ignore[attr-defined]
        except (NotImplementedError, AttributeError, RuntimeError):  # pragma: no cover - not on Unix
            signal.signal(sig, signal.default_int_handler)
