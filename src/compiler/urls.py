"""All URL access of the renderer, in one place: the WeasyPrint URL fetcher.

It serves project files (read through :mod:`compiler.files`), ``data:`` URLs
and the book's prepared images (``media:out/.cache/media/img-….jpg``, a path
relative to the project: see :mod:`compiler.bookmedia`; a URL that names the
project's place on disk would change the PDF's bytes, whose image names
WeasyPrint derives from the URL), and refuses every other scheme and every
file outside the project.
Imported only where WeasyPrint is (layout workers): importing WeasyPrint costs
most of a second, and builds that reuse a cached layout never need it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from compiler.bookmedia import MEDIA
from compiler.files import inside


class ProjectFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only project files and ``data:`` URLs.

    Every other scheme (http, https, ftp, ...) and every file outside the
    project root is refused with a fatal error, so a hostile post can never
    make the renderer read ``/etc/passwd`` or reach the network.
    """

    def __init__(self, root: Path, on_fetch: Callable[[str], None] | None = None) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = root.resolve()
        self.on_fetch = on_fetch

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if self.on_fetch is not None:
            self.on_fetch(url)
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == MEDIA:
            return self._media(url)
        if scheme != "file":
            raise FatalURLFetchingError(f"refused to fetch {url}: only project files are allowed")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        if not inside(self.root, path) or not path.is_file():
            raise FatalURLFetchingError(f"refused to fetch {url}: not a file in the project")
        return URLFetcherResponse(url, body=path.read_bytes())

    def _media(self, url: str) -> URLFetcherResponse:
        """A prepared image: a file in a ``.cache/media`` folder inside the project, nothing else."""
        relative = unquote(url[len(MEDIA) + 1:])
        path = self.root / relative
        real = path.resolve()
        if relative.startswith("/") or not inside(self.root, path) or real.parent.name != "media" \
                or real.parent.parent.name != ".cache" or not real.is_file():
            raise FatalURLFetchingError(f"refused to fetch {url}: not a prepared image of the book")
        return URLFetcherResponse(url, body=real.read_bytes())
