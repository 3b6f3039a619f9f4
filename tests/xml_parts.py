"""Compare two .xlsx packages part by part: every XML part parsed and normalised, every other part byte for byte.

A difference is reported by part name and element path (``xl/worksheets/sheet1.xml: /worksheet/sheetData/
row[@r='3']/c[@r='B3']/v: text '12' in the reference, '13' now``), so a stale reference workbook says what changed
instead of only that its bytes differ. Normalising removes what changes with every save or with the program's build
and means nothing for the workbook: the save's timestamps and revision, the saving program's name and version,
the UI language LibreOffice records, whitespace between elements, the order of attributes, and the order of the
entries of the two listing parts ([Content_Types].xml and the .rels files), whose order has no meaning.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeTree

# Per part: the elements (by local name) whose content is the save's, not the workbook's.
VOLATILE: dict[str, frozenset[str]] = {
    "docProps/core.xml": frozenset({"created", "modified", "lastModifiedBy", "lastPrinted", "revision", "language"}),
    "docProps/app.xml": frozenset({"Application", "AppVersion", "TotalTime"}),
}
# Attributes that name an element better than its position among its siblings does.
KEY_ATTRIBUTES = ("r", "name", "sheetId", "Id", "PartName", "Extension", "sqref", "ref", "uri")
XML_SUFFIXES = (".xml", ".rels", ".vml")


def local(tag: str) -> str:
    """`{namespace}name` -> `name`."""
    return tag.rsplit("}", 1)[-1]


def _is_listing(part: str) -> bool:
    return part == "[Content_Types].xml" or part.endswith(".rels")


def _sort_key(element: Element) -> tuple[str, tuple[tuple[str, str], ...]]:
    return element.tag, tuple(sorted(element.attrib.items()))


def normalised(part: str, data: bytes) -> Element:
    """The part's XML tree without what `VOLATILE`, whitespace and entry order contribute."""
    root: Element = SafeTree.fromstring(data)
    volatile = VOLATILE.get(part, frozenset())
    _normalise(root, volatile, sort_children=_is_listing(part))
    return root


def _normalise(element: Element, volatile: frozenset[str], *, sort_children: bool) -> None:
    for child in [c for c in element if local(c.tag) in volatile]:
        element.remove(child)
    if element.text is not None and not element.text.strip() and len(element):
        element.text = None  # indentation before the first child
    for child in element:
        if child.tail is not None and not child.tail.strip():
            child.tail = None
        _normalise(child, volatile, sort_children=False)
    if sort_children:
        element[:] = sorted(element, key=_sort_key)


def read_parts(path: Path) -> dict[str, Element | bytes]:
    """Every part of the package: XML parts as normalised trees, the others (VBA, images) as bytes."""
    parts: dict[str, Element | bytes] = {}
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            data = package.read(name)
            if not name.endswith(XML_SUFFIXES):
                parts[name] = data
                continue
            try:
                parts[name] = normalised(name, data)
            except SafeTree.ParseError as exc:
                raise AssertionError(f"{path}: part {name} is not well-formed XML: {exc}") from None
    return parts


@dataclass(frozen=True)
class Difference:
    part: str
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.part}: {self.path}: {self.what}" if self.path else f"{self.part}: {self.what}"


def _step(element: Element, siblings: list[Element]) -> str:
    name = local(element.tag)
    for key in KEY_ATTRIBUTES:
        if key in element.attrib:
            return f"{name}[@{key}={element.attrib[key]!r}]"
    same = [s for s in siblings if s.tag == element.tag]
    if len(same) == 1:
        return name
    return f"{name}[{next(i for i, s in enumerate(same, 1) if s is element)}]"


def _short(text: str | None, limit: int = 80) -> str:
    shown = repr(text or "")
    return shown if len(shown) <= limit else shown[: limit - 3] + "...'"


def _compare(expected: Element, actual: Element, path: str) -> Iterator[tuple[str, str]]:
    """(element path, what differs): the first difference of this subtree, depth first, in document order."""
    if expected.tag != actual.tag:
        yield path, f"element <{local(expected.tag)}> in the reference, <{local(actual.tag)}> now"
        return
    old, new = expected.attrib, actual.attrib
    if old != new:
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        shown = ", ".join(f"@{local(k)}: {old.get(k, '(none)')!r} -> {new.get(k, '(none)')!r}" for k in changed[:4])
        yield path, f"attributes differ ({shown}; reference first)"
        return
    if (expected.text or "") != (actual.text or ""):
        yield path, f"text {_short(expected.text)} in the reference, {_short(actual.text)} now"
        return
    old_children, new_children = list(expected), list(actual)
    for old_child, new_child in zip(old_children, new_children, strict=False):  # the counts are compared below
        found = next(_compare(old_child, new_child, f"{path}/{_step(old_child, old_children)}"), None)
        if found is not None:
            yield found
            return
        if (old_child.tail or "") != (new_child.tail or ""):
            yield f"{path}/{_step(old_child, old_children)}", "text after the element differs"
            return
    if len(old_children) != len(new_children):
        longer = old_children if len(old_children) > len(new_children) else new_children
        first_extra = longer[min(len(old_children), len(new_children))]
        side = "only in the reference" if longer is old_children else "new, not in the reference"
        yield (
            path,
            f"{len(old_children)} child elements in the reference, {len(new_children)} now; first {side}: "
            f"{_step(first_extra, longer)}",
        )


def differences(reference: Path, actual: Path) -> list[Difference]:
    """The first difference of each part that differs, in the reference's part order (then parts only `actual`
    has)."""
    old_parts, new_parts = read_parts(reference), read_parts(actual)
    found: list[Difference] = []
    for part, old in old_parts.items():
        if part not in new_parts:
            found.append(Difference(part, "", "part missing now"))
            continue
        new = new_parts[part]
        if isinstance(old, bytes) or isinstance(new, bytes):
            if old != new:
                found.append(Difference(part, "", "binary part differs"))
            continue
        first = next(_compare(old, new, f"/{local(old.tag)}"), None)
        if first is not None:
            found.append(Difference(part, *first))
    found.extend(Difference(part, "", "new part, not in the reference") for part in new_parts if part not in old_parts)
    return found


def assert_same_parts(reference: Path, actual: Path, *, remedy: str = "") -> None:
    """Fail naming the differing parts and, for each, the first element that differs."""
    found = differences(reference, actual)
    if not found:
        return
    lines = [f"{actual.name} differs from the reference {reference} in {len(found)} part(s):"]
    lines += [f"  {difference}" for difference in found]
    if remedy:
        lines.append(remedy)
    raise AssertionError("\n".join(lines))
