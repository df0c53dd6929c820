"""The web UI (issue 17): static pages of the project's own JavaScript, served by the API function at
`/ui/` (and `/` redirects there), so `kite serve` and the deployed stack serve the same UI behind the same
API. The pages call the REST API; the assets themselves hold no data and need no credentials."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

ASSETS = Path(__file__).with_name("ui_assets")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def is_asset(path: str) -> bool:
    return path in ("/", "/ui") or path.startswith("/ui/")


@router.get("/")
def root() -> Response[str]:
    return _redirect()


@router.get("/ui")
def ui() -> Response[str]:
    return _redirect()


@router.get("/ui/")
def index() -> Response[str]:
    return _asset("index.html")


@router.get("/ui/<name>")
def asset(name: str) -> Response[str]:
    return _asset(name)


def _redirect() -> Response[str]:
    return Response(302, "text/plain", "", headers={"Location": "/ui/"})


def _asset(name: str) -> Response[str]:
    path = ASSETS / name
    kind = _TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response(404, "text/plain", "Not Found")
    # Revalidated on each load: a new deploy is seen at once; the bodies are small.
    return Response(200, kind, path.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})
