"""The zip layer: the central directory and its limits (entries, names, methods, declared sizes, ratios), and
inflating one entry within a byte budget, verified against its declared size and CRC as it goes."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from xl_perf.errors import BadInputError
from xl_perf.io.guard import base
from xl_perf.io.guard.base import MIB, MSG_CORRUPT, SAVE_AS_XLSX, Limits, bad, size_text

_RATIO_MIN_BYTES = 1 * MIB

ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    struct.error,
    KeyError,
    IndexError,
    OverflowError,
    RuntimeError,
)


@dataclass
class _EndRecord:
    entries: int
    cd_size: int
    cd_offset: int


def _end_record(f: BinaryIO, size: int) -> _EndRecord | None:
    """The end-of-central-directory record (zip64 aware), or None if there is none."""
    tail_len = min(size, 65535 + 22)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return None
    disk, cd_disk, _, entries, cd_size, cd_offset, _ = struct.unpack("<HHHHIIH", tail[pos + 4 : pos + 22])
    if disk != 0 or cd_disk != 0:
        return None
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = pos - 20
        if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
            (z64_offset,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
            if z64_offset + 56 <= size:
                f.seek(z64_offset)
                rec = f.read(56)
                if rec[:4] == b"PK\x06\x06":
                    entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    return _EndRecord(entries, cd_size, cd_offset)


def _unsafe_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():  # a drive letter
        return True
    return any(part == ".." for part in name.split("/"))


def _too_many(path: Path, count: int, limits: Limits) -> BadInputError:
    return bad(path, f"工作簿内部条目过多（{count} 个，上限 {limits.max_entries} 个），可能是恶意构造的文件")


def directory(path: Path, f: BinaryIO, size: int, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The entries of the zip `f`, by casefolded name, once its directory has passed every check of `limits`."""
    end = _end_record(f, size)
    if end is None or end.cd_size > size or end.cd_offset > size:
        raise bad(path, MSG_CORRUPT)
    if end.entries > limits.max_entries:
        raise _too_many(path, end.entries, limits)
    try:
        f.seek(0)
        with zipfile.ZipFile(f) as archive:
            infos = archive.infolist()
    except ZIP_ERRORS:
        raise bad(path, MSG_CORRUPT) from None
    if len(infos) > limits.max_entries:
        raise _too_many(path, len(infos), limits)
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise bad(path, f"工作簿内部含有异常的路径“{name[:200]}”，可能是恶意构造的文件，已拒绝读取")
        key = name.casefold()
        if key in by_name:
            raise bad(path, f"工作簿内部含有重复的条目“{name[:200]}”，可能是恶意构造的文件，已拒绝读取")
        by_name[key] = info
        if info.flag_bits & 0x1:
            raise bad(path, f"工作簿内部条目“{name[:200]}”使用了 zip 加密，无法读取")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise bad(path, f"工作簿内部条目“{name[:200]}”使用了不支持的压缩方式，{SAVE_AS_XLSX}")
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise bad(
            path,
            f"工作簿解压后过大（声明 {size_text(total)}，上限 {size_text(limits.max_uncompressed_bytes)}），"
            "可能是压缩炸弹，已拒绝读取",
        )
    for info in infos:
        if info.file_size > _RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise bad(
                path,
                f"工作簿内部“{info.filename[:200]}”的压缩比异常（{ratio:.0f} 倍，上限 {limits.max_ratio:.0f} 倍），"
                "可能是压缩炸弹，已拒绝读取",
            )
    return by_name


class Budget:
    """The bytes all parts of one package may inflate to, together."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.used = 0

    def spend(self, inflated: int) -> None:
        """Count `inflated` more bytes; refuse the file once they pass the limit."""
        self.used += inflated
        if self.used > self.limit:
            raise bad(self.path, f"工作簿解压后过大（超过 {size_text(self.limit)}），可能是压缩炸弹，已拒绝读取")


def _corrupt_entry(path: Path, info: zipfile.ZipInfo) -> BadInputError:
    return bad(path, f"工作簿已损坏：无法读取内部“{info.filename[:200]}”，文件可能不完整或被截断")


def _inflated_too_much(path: Path, info: zipfile.ZipInfo) -> BadInputError:
    return bad(
        path,
        f"工作簿内部“{info.filename[:200]}”实际解压后的大小超过声明的 {size_text(info.file_size)}，"
        "可能是压缩炸弹，已拒绝读取",
    )


def _seek_data(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int) -> None:
    """Position `f` at the entry's data, after its local header."""
    try:
        f.seek(info.header_offset)
        local = f.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _corrupt_entry(path, info)
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        data_start = info.header_offset + 30 + name_len + extra_len
        if data_start + info.compress_size > size:
            raise _corrupt_entry(path, info)
        f.seek(data_start)
    except ZIP_ERRORS:
        raise _corrupt_entry(path, info) from None


def entry_whole(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int, budget: Budget | None) -> bytes:
    """The uncompressed bytes of an entry small enough to hold at once (`file_size` <= `base.CHUNK`), with the
    same checks as `entry_bytes`: the output is capped one byte past the declared size, so a lying entry is
    noticed without inflating the rest of it."""
    _seek_data(path, f, info, size)
    try:
        raw = f.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise _corrupt_entry(path, info)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(raw, info.file_size + 1)
            if len(data) > info.file_size:
                raise _inflated_too_much(path, info)
            if not inflater.eof:
                raise _corrupt_entry(path, info)
        else:
            data = raw
            if len(data) > info.file_size:
                raise _inflated_too_much(path, info)
    except (zlib.error, OSError, ValueError):
        raise _corrupt_entry(path, info) from None
    if budget is not None:
        budget.spend(len(data))
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise _corrupt_entry(path, info)
    return data


class _Counted:
    """Output of one entry so far: refused the moment it passes the declared size (or the budget)."""

    def __init__(self, path: Path, info: zipfile.ZipInfo, budget: Budget | None) -> None:
        self.path, self.info, self.budget = path, info, budget
        self.produced = 0
        self.crc = 0

    def add(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.info.file_size:
            raise _inflated_too_much(self.path, self.info)
        if self.budget is not None:
            self.budget.spend(len(out))
        self.crc = zlib.crc32(out, self.crc)
        return out


def entry_bytes(
    path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int, budget: Budget | None
) -> Generator[bytes, None, None]:
    """The uncompressed bytes of one entry, in chunks, verified against its declared size and CRC.

    Reads the raw data itself rather than through `zipfile.ZipExtFile`, so that data inflating beyond the size the
    central directory declares is noticed (and refused) the moment it happens.
    """
    _seek_data(path, f, info, size)
    chunk = base.CHUNK
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    remaining = info.compress_size
    counted = _Counted(path, info, budget)
    try:
        while remaining > 0:
            raw = f.read(min(chunk, remaining))
            if not raw:
                raise _corrupt_entry(path, info)
            remaining -= len(raw)
            if inflater is None:
                yield counted.add(raw)
                continue
            data = raw
            while True:
                out = inflater.decompress(data, chunk)
                data = inflater.unconsumed_tail
                if out:
                    yield counted.add(out)
                if inflater.eof or (not data and not out):
                    break
            if inflater.eof:
                break
        if inflater is not None:
            while not inflater.eof:  # output still held back by the output cap
                out = inflater.decompress(b"", chunk)
                if not out:
                    break
                yield counted.add(out)
            if not inflater.eof:
                raise _corrupt_entry(path, info)
    except (zlib.error, OSError, ValueError):
        raise _corrupt_entry(path, info) from None
    if counted.produced != info.file_size or counted.crc != info.CRC:
        raise _corrupt_entry(path, info)


def first_bytes(path: Path, f: BinaryIO, info: zipfile.ZipInfo, size: int) -> bytes:
    """The first inflated block of an entry (empty for an empty one), outside any budget."""
    if info.file_size == 0:
        return b""
    chunks = entry_bytes(path, f, info, size, None)
    try:
        return next(chunks, b"")
    finally:
        chunks.close()
