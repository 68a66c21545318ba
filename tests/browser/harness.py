"""Helpers for the browser suite: serve a built site, list its pages, crawl its links, run vnu.

Nothing here knows about timelines: it works on any folder of static files
that was built for a base URL, possibly under a sub-path.
"""
from __future__ import annotations

import json
import mimetypes
import posixpath
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html

PAGE_NAMES = ("index.html", "404.html")

# Static hosts send these; Python's mimetypes table lacks or differs on some.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


@dataclass(frozen=True)
class Page:
    """One HTML page of the built site: its file and the URL path it is served at."""

    file: Path
    path: str  # e.g. /nk-missiles/events/2022-01-14-rail-launch/ or /nk-missiles/404.html
    redirect_to: str | None  # target of a <meta http-equiv=refresh>, if the page is a redirect


@dataclass(frozen=True)
class Site:
    """A built site: its folder, the sub-path it is mounted at and its pages."""

    root: Path
    base_url: str  # e.g. https://example.org/nk-missiles/
    mount: str  # e.g. /nk-missiles/
    pages: tuple[Page, ...]

    def page_at(self, path: str) -> Page | None:
        """Return the page served at URL path `path`, if any."""
        return next((p for p in self.pages if p.path == path), None)


def mount_of(base_url: str) -> str:
    """Return the path part of base_url, with a trailing slash."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def load_site(root: Path, base_url: str) -> Site:
    """List every index.html and 404.html under root as pages served under base_url's path."""
    mount = mount_of(base_url)
    pages = []
    for file in sorted(root.rglob("*.html")):
        if file.name not in PAGE_NAMES:
            continue
        rel = file.relative_to(root).as_posix()
        path = mount + (rel[: -len("index.html")] if file.name == "index.html" else rel)
        pages.append(Page(file=file, path=path, redirect_to=_refresh_target(_parse(file))))
    return Site(root=root, base_url=base_url, mount=mount, pages=tuple(pages))


# --- serving ---------------------------------------------------------------


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, mount: str) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.root = root.resolve()
        self.mount = mount


class _SiteHandler(BaseHTTPRequestHandler):
    """Serve files like a static host: dir/ -> dir/index.html, else 404.html with status 404."""

    server: _SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep pytest output quiet

    def _serve(self, send_body: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        mount = self.server.mount
        if path + "/" == mount:
            return self._redirect(mount, split.query)
        if not path.startswith(mount) or "\x00" in path:
            return self._not_found(send_body)
        target = (self.server.root / path[len(mount):]).resolve()
        if not target.is_relative_to(self.server.root):
            return self._not_found(send_body)
        if target.is_dir():
            if not path.endswith("/"):
                return self._redirect(split.path + "/", split.query)
            target = target / "index.html"
        if not target.is_file():
            return self._not_found(send_body)
        self._send(HTTPStatus.OK, target.read_bytes(), _content_type(target), send_body)

    def _not_found(self, send_body: bool) -> None:
        page = self.server.root / "404.html"
        if page.is_file():
            self._send(HTTPStatus.NOT_FOUND, page.read_bytes(), CONTENT_TYPES[".html"], send_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", CONTENT_TYPES[".txt"], send_body)

    def _redirect(self, location: str, query: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location + ("?" + query if query else ""))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _content_type(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


class SiteServer:
    """A static file server for a built site on 127.0.0.1, in a background thread."""

    def __init__(self, root: Path, mount: str) -> None:
        self._httpd = _SiteServer(root, mount)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site-server", daemon=True)
        host, port = self._httpd.server_address[:2]
        self.origin = f"http://{host}:{port}"

    def start(self) -> SiteServer:
        """Start serving in the background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def url(self, path: str) -> str:
        """Return the absolute URL of a URL path on this server."""
        return self.origin + path


# --- link crawler ------------------------------------------------------------

# (tag, attribute) pairs whose value is a URL the page depends on or offers.
_URL_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "input": ("src",),
    "form": ("action",),
    "object": ("data",),
    "use": ("href", "{http://www.w3.org/1999/xlink}href", "xlink:href"),
    "image": ("href", "{http://www.w3.org/1999/xlink}href", "xlink:href"),
}


@lru_cache(maxsize=None)
def _parse(file: Path) -> lxml.html.HtmlElement:
    parser = lxml.html.HTMLParser(encoding="utf-8")
    return lxml.html.document_fromstring(file.read_bytes(), parser=parser)


@lru_cache(maxsize=None)
def _anchors(file: Path) -> frozenset[str]:
    doc = _parse(file)
    return frozenset(doc.xpath("//@id") + doc.xpath("//a/@name"))


def _refresh_target(doc: lxml.html.HtmlElement) -> str | None:
    for meta in doc.iter("meta"):
        target = _refresh_target_of(meta)
        if target is not None:
            return target
    return None


def _references(doc: lxml.html.HtmlElement):
    """Yield (element, attribute, url) for every URL in a parsed page."""
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag = el.tag.rpartition("}")[2].lower()
        if tag == "link" and "canonical" in (el.get("rel") or "").lower().split():
            continue  # the canonical URL points at the public host by design
        if tag == "meta":
            target = _refresh_target_of(el)
            if target is not None:
                yield el, "content", target
            continue
        for attr in _URL_ATTRIBUTES.get(tag, ()):
            value = el.get(attr)
            if value is None:
                continue
            if attr == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        yield el, attr, candidate.split()[0]
            else:
                yield el, attr, value.strip()


def _refresh_target_of(meta) -> str | None:
    if (meta.get("http-equiv") or "").lower() != "refresh":
        return None
    _, _, rest = (meta.get("content") or "").partition(";")
    key, _, url = rest.strip().partition("=")
    return url.strip().strip("'\"") if key.strip().lower() == "url" else None


def file_for(site: Site, path: str) -> Path | None:
    """Map a URL path under the site's mount to the file a static host serves, or None."""
    if not path.startswith(site.mount):
        return None
    rel = posixpath.normpath("/" + unquote(path[len(site.mount):])).lstrip("/")
    file = (site.root / rel).resolve()
    if not file.is_relative_to(site.root.resolve()):
        return None
    if path.endswith("/") or file.is_dir():
        file = file / "index.html"
    return file if file.is_file() else None


def find_link_problems(site: Site) -> list[str]:
    """Return one message per internal URL or #fragment in the site's pages that leads nowhere.

    The same broken link in a shared template is reported once, naming the
    first page and line and how many other pages repeat it.
    """
    base = urlsplit(site.base_url)
    found: dict[str, list[str]] = {}
    for page in site.pages:
        doc = _parse(page.file)
        page_url = f"{base.scheme}://{base.netloc}{page.path}"
        for base_el in doc.iter("base"):
            if base_el.get("href"):
                page_url = urljoin(page_url, base_el.get("href"))
                break
        for el, attr, ref in _references(doc):
            problem = _check_reference(site, page, urljoin(page_url, ref), ref)
            if problem:
                tag = el.tag.rpartition("}")[2]
                found.setdefault(f'<{tag} {attr}="{ref}"> {problem}', []).append(
                    f"{page.path}:{el.sourceline}"
                )
    messages = []
    for problem, places in found.items():
        others = sorted({place.rpartition(":")[0] for place in places[1:]} - {places[0].rpartition(":")[0]})
        also = ""
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            also = f" (also on {len(others)} other page{'s' if len(others) > 1 else ''}: {shown})"
        messages.append(f"{places[0]}: {problem}{also}")
    return messages


def _check_reference(site: Site, page: Page, absolute: str, ref: str) -> str | None:
    base = urlsplit(site.base_url)
    url = urlsplit(absolute)
    if url.scheme not in ("http", "https") or url.netloc != base.netloc:
        return None  # mailto:, data:, other hosts: not ours to check
    if not url.path.startswith(site.mount):
        return f"points outside the site's sub-path {site.mount} (resolves to {url.path})"
    target = file_for(site, url.path)
    if target is None:
        return f"is broken: nothing is built at {url.path}"
    fragment = unquote(url.fragment)
    if fragment and target.suffix == ".html" and fragment not in _anchors(target):
        if fragment.lower() == "top":
            return None  # HTML scrolls to the top for #top
        where = "this page" if target == page.file else url.path
        return f"is broken: no id=\"{fragment}\" in {where}"
    return None


# --- validator ----------------------------------------------------------------


def run_vnu(java: str, jar: Path, site_dir: Path) -> list[dict]:
    """Run the Nu HTML Checker once over site_dir and return its messages (errors only)."""
    cmd = [java, "-jar", str(jar), "--errors-only", "--format", "json", "--skip-non-html", str(site_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    # vnu writes its one-line JSON report to stderr; the JVM may print notes around it.
    for line in reversed((proc.stderr + "\n" + proc.stdout).splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)["messages"]
            except (ValueError, KeyError):
                pass
    raise RuntimeError(
        f"vnu gave no JSON report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )


def describe_vnu_message(site: Site, message: dict) -> str:
    """Format a vnu message as page:line: message, with the page named by its URL path."""
    url = message.get("url", "")
    where = url
    if url.startswith("file:"):
        file = Path(unquote(urlsplit(url).path))
        page = next((p for p in site.pages if p.file.resolve() == file.resolve()), None)
        where = page.path if page else file.as_posix()
    line = message.get("lastLine", message.get("firstLine", "?"))
    extract = " ".join((message.get("extract") or "").split())
    text = f"{where}:{line}: {message.get('type')}: {message.get('message')}"
    return text + (f"  [{extract[:120]}]" if extract else "")
