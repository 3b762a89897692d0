"""The Japanese font for PDFs: Noto Sans CJK JP from the ``noto-cjk-sans-jp-regular`` package.

The package (SIL Open Font License 1.1: free to embed and redistribute) ships the OpenType
font with CID-keyed CFF outlines. fpdf2 2.8 embeds such a font with an embedded encoding
CMap that several text extractors do not follow, so copying the 認証キー out of the PDF
could fail. Instead, for each document we build a small TrueType font holding only the
characters the document uses (outlines converted from the CFF ones, cached per glyph for the
life of the process): fpdf2 embeds it the plain way (Identity-H + ToUnicode), every viewer
extracts the text, and the PDF stays small. Nothing depends on fonts installed on the machine.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from io import BytesIO
from pathlib import Path
from typing import Any

from core.errors import HoshoError

# fontTools logs every subset at INFO with the glyphs kept: that is the set of characters of
# a document, key included. Its loggers stay at WARNING whatever the application sets.
for _name in ("fontTools", "fpdf"):
    logging.getLogger(_name).setLevel(logging.WARNING)

FONT_PACKAGE = "noto-cjk-sans-jp-regular"
FAMILY = "HoshoSansJP"

_lock = threading.RLock()
_source: Any = None  # (TTFont, cmap, glyph set, hmtx, hhea, OS/2) of the shipped font
_glyphs: dict[str, tuple[Any, int]] = {}  # glyph name -> (TrueType glyph, advance width)
_built: OrderedDict[str, Path] = OrderedDict()  # charset digest -> TTF file
_MAX_BUILT = 64
_tmpdir: Path | None = None


class FontError(HoshoError):
    pass


def font_path() -> Path:
    """The shipped OpenType file (raises a clear error when the package is missing)."""
    try:
        from noto_cjk_sans_jp_regular import FONT_PATH  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - installed with hosho
        raise FontError(
            f"PDFの日本語フォント（{FONT_PACKAGE}）がインストールされていません。"
            "`make install` で入れ直してください"
        ) from exc
    return Path(str(FONT_PATH))


def _load() -> Any:
    global _source
    if _source is None:
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

        font = TTFont(str(font_path()), lazy=True)
        _source = (
            font,
            font.getBestCmap(),
            font.getGlyphSet(),
            font["hmtx"],
            font["hhea"],
            font["OS/2"],
            font["head"].unitsPerEm,
        )
    return _source


def _glyph(name: str) -> tuple[Any, int]:
    cached = _glyphs.get(name)
    if cached is None:
        from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
        from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]

        _, _, glyph_set, hmtx, _, _, _ = _load()
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        cached = _glyphs[name] = (pen.glyph(), hmtx[name][0])
    return cached


def _build(chars: str) -> bytes:
    from fontTools.fontBuilder import FontBuilder  # type: ignore[import-untyped]

    _, cmap, _, _, hhea, os2, upem = _load()
    order = [".notdef"]
    mapping: dict[int, str] = {}
    for ch in chars:
        name = cmap.get(ord(ch))
        if name is None:
            continue  # fpdf2 reports glyphs the font lacks
        mapping[ord(ch)] = name
        if name not in order:
            order.append(name)
    glyphs = {name: _glyph(name) for name in order}
    fb = FontBuilder(upem, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(mapping)
    fb.setupGlyf({name: g for name, (g, _) in glyphs.items()})
    glyf = fb.font["glyf"]
    fb.setupHorizontalMetrics(
        {name: (advance, getattr(glyf[name], "xMin", 0)) for name, (_, advance) in glyphs.items()}
    )
    fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    fb.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    fb.setupOS2(
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        sCapHeight=getattr(os2, "sCapHeight", 0),
        sxHeight=getattr(os2, "sxHeight", 0),
        fsType=0,  # installable embedding (the OFL allows embedding)
    )
    fb.setupPost()
    out = BytesIO()
    fb.save(out)
    return out.getvalue()


def _cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# Always in the font, so that numbers and 認証キー (ASCII) never make a new character set:
# documents then differ only in their Japanese names, which repeat (same customers,
# orderers, projects), and the cache holds. fpdf2 embeds only the glyphs a page uses.
_ALWAYS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(
    "０１２３４５６７８９　、。・（）「」〜—"
)


def font_for(text: str) -> Path:
    """A TrueType file covering every character of ``text`` (cached per character set)."""
    global _tmpdir
    chars = "".join(sorted(set(text) | _ALWAYS))
    digest = hashlib.sha256(chars.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    with _lock:
        path = _built.get(digest)
        if path is not None and path.exists():
            _built.move_to_end(digest)
            return path
        if _tmpdir is None:
            _tmpdir = Path(tempfile.mkdtemp(prefix="hosho-fonts-"))
            atexit.register(_cleanup, _tmpdir)
        path = _tmpdir / f"{digest}.ttf"
        path.write_bytes(_build(chars))
        _built[digest] = path
        while len(_built) > _MAX_BUILT:
            _, old = _built.popitem(last=False)
            old.unlink(missing_ok=True)
        return path


def fast_embedding(pdf: Any, family: str, path: Path) -> None:
    """Let fpdf2 embed our already minimal font without re-measuring every glyph.

    fpdf2 re-subsets the font when writing the PDF and, since it opens fonts with bounding
    boxes to be recalculated, decompiles and recompiles every glyph: two thirds of the time
    of a one-page notice. Our font holds exactly the document's glyphs with bounds already
    computed, so it is swapped for the same file opened without recalculation. Skipped
    silently if fpdf2's internals ever differ (the output is the same, only slower).
    """
    from fontTools.ttLib import TTFont

    font = getattr(pdf, "fonts", {}).get(family.lower())
    if font is not None and hasattr(font, "ttfont"):
        font.ttfont = TTFont(str(path), recalcBBoxes=False, recalcTimestamp=False)
