"""Text files in whatever encoding their authors saved them: UTF-8 (with or without BOM), UTF-16
and UTF-32 (BOM, or UTF-16 without BOM told by its zero bytes), and legacy single-byte encodings
(Latin-1, Windows-1250/1252, ...) detected with charset-normalizer. Only truly binary content is
refused, and the error says so."""
from __future__ import annotations

import codecs
from pathlib import Path

from .errors import IngestError

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
MAX_CHAOS = 0.3  # charset-normalizer's "mess" ratio above which a guess is not text


def decode_text(raw: bytes, path: str | Path = "") -> tuple[str, str]:
    """(text, encoding name). Raises IngestError naming ``path`` for binary content."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(name), f"{name} (BOM)"
            except UnicodeDecodeError as exc:
                raise IngestError(path, f"starts with a {name} byte-order mark but is not {name} text ({exc.reason})") from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return raw.decode(utf16), utf16
    if b"\x00" in raw:
        raise IngestError(path, "binary content in a text file (zero bytes; not UTF-8, UTF-16 or UTF-32 text)")
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None or best.chaos > MAX_CHAOS:
        raise IngestError(path, "binary content in a text file (no text encoding fits it)")
    return str(best), best.encoding


def _utf16_without_bom(raw: bytes) -> str:
    """'utf-16-le' / 'utf-16-be' when most odd / even bytes are zero (Latin-script UTF-16) and the
    bytes decode; '' otherwise."""
    sample = raw[:4096]
    if len(sample) < 4:
        return ""
    even, odd = sample[0::2], sample[1::2]
    for zeros, name in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros):
            try:
                text = raw.decode(name)
            except UnicodeDecodeError:
                continue
            if sum(ch.isprintable() or ch.isspace() for ch in text[:2000]) >= 0.95 * min(len(text), 2000):
                return name
    return ""
