"""A writer of [MS-CFB] compound files, version 3 (512-byte sectors, no DIFAT sectors): the container of
``vbaProject.bin``. Streams under the 4096-byte cutoff go to the mini stream; the directory of each storage is a
balanced binary search tree, every node black. The same streams always give the same bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_HEADER_DIFAT = 109
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] | None = None
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    start: int = _ENDOFCHAIN
    size: int = 0


def _name_key(name: str) -> tuple[int, str]:
    """Directory sibling order (2.6.4): shorter names first, then code-point order of the upper-cased names."""
    return len(name.encode("utf-16-le")) // 2, name.upper()


def _chain(fat: list[int], first: int, count: int) -> None:
    for index in range(first, first + count - 1):
        fat[index] = index + 1
    fat[first + count - 1] = _ENDOFCHAIN


def _sectors(size: int, unit: int) -> int:
    return -(-size // unit)


@dataclass
class _Layout:
    """Where the parts of a compound file go: sector counts and first sectors, the FAT, and the large streams."""

    fat: list[int]
    fat_sectors: int
    directory_start: int
    mini_fat_start: int
    mini_fat_sectors: int
    total: int  # sectors after the header
    body: bytes  # the large streams, each padded to whole sectors


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams`` (paths with "/" between storage and stream names)."""
    root = _storage_tree(streams)
    entries = _directory_entries(root)
    mini_fat, mini_stream, big = _mini_stream(entries)
    layout = _lay_out(root, entries, mini_fat, mini_stream, big)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += struct.pack("<I", _FREESECT) * ((-len(mini_fat)) % (_SECTOR // 4))
    out = bytearray(_header(layout))
    out += struct.pack(f"<{len(layout.fat)}I", *layout.fat)
    out += _directory(entries)
    out += mini_fat_bytes
    out += mini_stream + bytes((-len(mini_stream)) % _SECTOR)
    out += layout.body
    assert len(out) == _SECTOR * (1 + layout.total)
    return bytes(out)


def _storage_tree(streams: dict[str, bytes]) -> _Entry:
    """The root entry with its storages and streams, as the paths of ``streams`` name them."""
    root = _Entry("Root Entry", _ROOT, children=[])
    for path, data in streams.items():
        parent = root
        *storages, leaf = path.split("/")
        for storage in storages:
            assert parent.children is not None
            found = next((e for e in parent.children if e.name == storage and e.kind == _STORAGE), None)
            if found is None:
                found = _Entry(storage, _STORAGE, children=[])
                parent.children.append(found)
            parent = found
        assert parent.children is not None
        parent.children.append(_Entry(leaf, _STREAM, data=data, size=len(data)))
    return root


def _directory_entries(root: _Entry) -> list[_Entry]:
    """The directory: ids in depth-first order; each storage's children form a balanced binary search tree, all
    black (2.6.4 allows every node black; a balanced tree keeps the red-black invariants)."""
    entries: list[_Entry] = [root]

    def number(storage: _Entry) -> None:
        assert storage.children is not None
        ordered = sorted(storage.children, key=lambda e: _name_key(e.name))
        first = len(entries)
        entries.extend(ordered)

        def subtree(low: int, high: int) -> int:
            if low >= high:
                return _NOSTREAM
            middle = (low + high) // 2
            node = entries[first + middle]
            node.left = subtree(low, middle)
            node.right = subtree(middle + 1, high)
            return first + middle

        storage.child = subtree(0, len(ordered))
        for entry in ordered:
            if entry.kind == _STORAGE:
                number(entry)

    number(root)
    return entries


def _mini_stream(entries: list[_Entry]) -> tuple[list[int], bytearray, list[_Entry]]:
    """Streams shorter than the cutoff, placed in 64-byte mini sectors: the mini FAT, the mini stream, and the
    streams left for whole sectors."""
    mini_fat: list[int] = []
    mini_stream = bytearray()
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != _STREAM or entry.size == 0:
            continue
        if entry.size < _MINI_CUTOFF:
            count = _sectors(entry.size, _MINI_SECTOR)
            entry.start = len(mini_fat)
            mini_fat.extend([0] * count)
            _chain(mini_fat, entry.start, count)
            mini_stream += entry.data + bytes(count * _MINI_SECTOR - entry.size)
        else:
            big.append(entry)
    return mini_fat, mini_stream, big


def _lay_out(
    root: _Entry, entries: list[_Entry], mini_fat: list[int], mini_stream: bytearray, big: list[_Entry]
) -> _Layout:
    """Sectors in order: FAT, directory, mini FAT, mini stream, then the large streams (their first sectors are
    set on the entries)."""
    directory_sectors = _sectors(len(entries) * 128, _SECTOR)
    mini_fat_sectors = _sectors(len(mini_fat) * 4, _SECTOR)
    mini_stream_sectors = _sectors(len(mini_stream), _SECTOR)
    big_sectors = sum(_sectors(entry.size, _SECTOR) for entry in big)
    other = directory_sectors + mini_fat_sectors + mini_stream_sectors + big_sectors
    fat_sectors = 1
    while fat_sectors * (_SECTOR // 4) < fat_sectors + other:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise ValueError("VBA project too large for a compound file without DIFAT sectors (about 6.8 MB)")
    total = fat_sectors + other
    fat = [_FREESECT] * (fat_sectors * (_SECTOR // 4))
    for index in range(fat_sectors):
        fat[index] = _FATSECT

    next_sector = fat_sectors
    directory_start = next_sector
    _chain(fat, directory_start, directory_sectors)
    next_sector += directory_sectors
    mini_fat_start = _ENDOFCHAIN
    if mini_fat_sectors:
        mini_fat_start = next_sector
        _chain(fat, mini_fat_start, mini_fat_sectors)
        next_sector += mini_fat_sectors
    if mini_stream_sectors:
        root.start = next_sector
        root.size = len(mini_stream)
        _chain(fat, root.start, mini_stream_sectors)
        next_sector += mini_stream_sectors
    body = bytearray()
    for entry in big:
        count = _sectors(entry.size, _SECTOR)
        entry.start = next_sector
        _chain(fat, entry.start, count)
        next_sector += count
        body += entry.data + bytes(count * _SECTOR - entry.size)
    assert next_sector == total
    return _Layout(fat, fat_sectors, directory_start, mini_fat_start, mini_fat_sectors, total, bytes(body))


def _header(layout: _Layout) -> bytes:
    """The 512-byte header of a version 3 compound file (all FAT sectors listed in its DIFAT)."""
    header = bytearray()
    header += bytes.fromhex("D0CF11E0A1B11AE1")  # signature
    header += bytes(16)  # header CLSID
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major (3), byte order, sector shifts
    header += bytes(6)  # reserved
    header += struct.pack("<I", 0)  # number of directory sectors: 0 in version 3
    header += struct.pack("<I", layout.fat_sectors)
    header += struct.pack("<I", layout.directory_start)
    header += struct.pack("<I", 0)  # transaction signature
    header += struct.pack("<I", _MINI_CUTOFF)
    header += struct.pack("<II", layout.mini_fat_start, layout.mini_fat_sectors)
    header += struct.pack("<II", _ENDOFCHAIN, 0)  # no DIFAT sectors
    difat = list(range(layout.fat_sectors)) + [_FREESECT] * (_HEADER_DIFAT - layout.fat_sectors)
    header += struct.pack(f"<{_HEADER_DIFAT}I", *difat)
    assert len(header) == _SECTOR
    return bytes(header)


def _directory(entries: list[_Entry]) -> bytes:
    """The directory entries (128 bytes each), padded with unused entries to whole sectors."""
    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le") + b"\0\0"
        directory += name + bytes(64 - len(name))
        directory += struct.pack("<HBB", len(name), entry.kind, _BLACK)
        directory += struct.pack("<III", entry.left, entry.right, entry.child)
        directory += bytes(16)  # CLSID: none for the root and the VBA storage alike
        directory += struct.pack("<I", 0)  # state bits
        directory += bytes(16)  # creation and modification times: not recorded
        directory += struct.pack("<IQ", entry.start, entry.size)
    while len(directory) % _SECTOR:  # unused entries: empty name, type 0, no siblings or child
        directory += bytes(64) + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *([_NOSTREAM] * 3))
        directory += bytes(36) + struct.pack("<IQ", 0, 0)
    return bytes(directory)
