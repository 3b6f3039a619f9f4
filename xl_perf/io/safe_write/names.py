"""File names made from users' text (project names, units) that are safe on every system."""

from __future__ import annotations

import hashlib
import unicodedata

_FORBIDDEN_CHARS = set('\\/:*?"<>|')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_stem(text: str, max_bytes: int = 150) -> str:
    """`text` made safe as (the start of) a file name on every system: no path separators or characters Windows
    forbids, no control, format (bidi, zero-width) or unpaired surrogate characters, no white space, no leading dots
    or "~$" (hidden files, Office owner files), no trailing dots, not a reserved device name, and at most `max_bytes`
    bytes in UTF-8 (file systems allow 255): a longer one keeps its start and gets a short hash of the whole, so
    two long names stay different."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN_CHARS or category[0] in "CZ" or ch.isspace():
            continue
        kept.append(ch)
    stem = "".join(kept)
    while stem.startswith((".", "~$", "~")):
        stem = stem[2:] if stem.startswith("~$") else stem[1:]
    stem = stem.rstrip(".")
    if not stem:
        stem = "未命名"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    encoded = stem.encode("utf-8")
    if len(encoded) <= max_bytes:
        return stem
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    room = max(1, max_bytes - len(digest) - 1)
    cut = encoded[:room].decode("utf-8", "ignore").rstrip(".")
    return f"{cut}~{digest}"
