"""The bulletin pages: the published bulletins by date, each in HTML, JSON and PDF (public), and
`GET /api/v1/bulletins`. Included in the web app by `truce.web.app.create_app`.

Bulletins are rendered from their published body (kept in the blob store), never recomputed in a
request; the rendered forms are cached in memory by (day, seq, signatures)."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from truce.bulletins import service
from truce.bulletins.render import images, render, render_html_fragment, with_local_names
from truce.errors import NotFound
from truce.ledger.chain import canonical
from truce.web import i18n
from truce.web.views import _lang
from truce.web.views import render as render_page

router = APIRouter()
DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(html|json|pdf|md))?$")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
}
_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_images: OrderedDict[tuple[Any, ...], dict[str, bytes]] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 24


def _truce(request: Request) -> Any:
    return request.app.state.truce


def _published_doc(request: Request, day: str) -> tuple[dict[str, Any], Any]:
    t = _truce(request)
    with t.read() as conn:
        pub = service.published(conn, day)
        if pub is None:
            raise NotFound(f"no bulletin was published for {day}", field="day")
        doc = service.document(t, conn, day, int(pub["seq"]))
    doc.pop("generated_at", None)
    return doc, pub


def _rendered(request: Request, doc: dict[str, Any], fmt: str, part: str = "") -> bytes:

    # Keyed by content: the body's digest and the signatures (a cache shared by every database).
    sigs = hashlib.sha256(canonical(doc.get("signatures") or [])).hexdigest()
    lang = _lang(request) if fmt != "json" else i18n.DEFAULT  # the JSON document is the same in every language
    key = (service.digest(doc), doc["ledger"]["head_hash"], sigs, fmt, part, lang)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    imgs = _images_for(request, doc, lang) if fmt in ("html", "pdf") else None
    if fmt != "json":
        with _truce(request).read() as conn:
            doc = with_local_names(conn, doc, lang)
    if part == "fragment":
        with i18n.using(lang):
            data = render_html_fragment(doc, imgs or {}, table_class="list").encode("utf-8")
    else:
        data = render(doc, fmt, None, imgs, lang=lang)
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def _images_for(request: Request, doc: dict[str, Any], lang: str) -> dict[str, bytes]:
    """The map and the trend chart of a bulletin, drawn once per language for its HTML page, HTML file and PDF."""

    key = (service.digest(doc), doc["ledger"]["head_hash"], lang)
    with _cache_lock:
        hit = _images.get(key)
    if hit is not None:
        return hit
    with _truce(request).read() as conn, i18n.using(lang):
        imgs = images(doc, conn, dpi=130)
    with _cache_lock:
        _images[key] = imgs
        while len(_images) > 4:
            _images.popitem(last=False)
    return imgs


def _page(request: Request, template: str, ctx: dict[str, Any]) -> Response:
    return render_page(request, template, ctx)


@router.get("/bulletins", response_class=HTMLResponse, include_in_schema=False)
def bulletins_page(request: Request) -> Any:
    with _truce(request).read() as conn:
        rows = service.list_published(conn)
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        latest.setdefault(r["day"], r)
    return _page(request, "bulletins.html", {"bulletins": list(latest.values()), "all": rows})


@router.get("/bulletins/{name}", include_in_schema=False)
def bulletin_file(name: str, request: Request) -> Any:
    m = DAY.match(name)
    if not m:
        raise NotFound(f"no bulletin '{name}' (use /bulletins/YYYY-MM-DD[.html|.json|.pdf|.md])", field="day")
    day, fmt = m.group(1), m.group(2)
    doc, pub = _published_doc(request, day)
    if fmt is None:
        frag = _rendered(request, doc, "html", "fragment").decode("utf-8")
        return _page(request, "bulletin.html", {"day": day, "pub": pub, "fragment": Markup(frag)})
    data = _rendered(request, doc, fmt)
    headers = {
        "Content-Disposition": f'{"inline" if fmt == "pdf" else "attachment"}; filename="truce-bulletin-{day}.{fmt}"'
    }
    return Response(data, media_type=MEDIA[fmt], headers=headers)
