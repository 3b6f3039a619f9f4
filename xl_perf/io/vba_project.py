"""A pure-Python writer of ``vbaProject.bin`` (the VBA part of an .xlsm/.xlam) holding a *source-only* VBA project.

The file is an MS-CFB compound file (version 3, 512-byte sectors; written by `io.compound_file`) with the storages
and streams of [MS-OVBA] 2.2:

* ``PROJECT`` (2.3.1): the project properties as text; ``PROJECTwm`` (2.3.3): module name map;
* ``VBA/dir`` (2.3.4.2): project information, references (stdole, Office) and one MODULE record per module,
  compressed as a whole (2.4.1);
* ``VBA/_VBA_PROJECT`` (2.3.4.1): only the 7 version-independent bytes, Version 0xFFFF and no performance cache,
  so the host has no compiled p-code to load and compiles the project from source;
* ``VBA/<module>``: each module's source (attribute header lines + code, in the project code page), compressed
  (2.4.1), MODULEOFFSET 0.

``compress``/``decompress`` implement [MS-OVBA] 2.4.1 exactly (4096-byte chunks, the CopyToken bit-count rule and the
spec's Matching procedure, so the spec's own examples in section 3.2 come out byte for byte).

Everything is deterministic: the same modules give the same bytes (the project ID and the obfuscation bytes of
CMG/DPB/GC are derived from the project's content, not drawn at random).
"""

from __future__ import annotations

import codecs
import hashlib
import random
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from xl_perf.io.compound_file import compound_file

__all__ = ["Module", "build", "compress", "decompress"]

ModuleKind = Literal["standard", "document", "class"]


@dataclass(frozen=True)
class Module:
    """One VBA module.

    ``name`` is an ASCII VBA identifier (also the stream name). ``kind`` is ``"standard"`` (a .bas module),
    ``"document"`` (the code behind the workbook -- name it ``ThisWorkbook`` -- or a worksheet, named by the sheet's
    code name such as ``Sheet1``) or ``"class"`` (a .cls class module, instancing Private). ``source`` is the code
    WITHOUT the ``Attribute VB_Name`` header lines (they are generated); LF, CR or CRLF line ends are accepted.
    """

    name: str
    kind: ModuleKind
    source: str


# --------------------------------------------------------------------------------------------------------------------
# [MS-OVBA] 2.4.1 compression
# --------------------------------------------------------------------------------------------------------------------

_CHUNK = 4096  # bytes of a DecompressedChunk; also the maximum CompressedChunkData size


def _copy_token_bits(difference: int) -> int:
    """BitCount of the CopyToken Help procedure (2.4.1.3.19.1): max(ceil(log2(difference)), 4)."""
    return max((difference - 1).bit_length(), 4)


def _common_prefix(data: bytes, a: int, b: int, limit: int, known: int) -> int:
    """Length of the common prefix of data[a:] and data[b:], at most ``limit``; the first ``known`` bytes match."""
    if data[a : a + limit] == data[b : b + limit]:
        return limit
    low, step = known, 8
    while True:  # gallop: low bytes are equal, find a length that is not
        high = low + step
        if high >= limit:
            high = limit
            break
        if data[a : a + high] != data[b : b + high]:
            break
        low, step = high, step * 2
    while high - low > 1:  # bisect: data[.:low] equal, data[.:high] not
        middle = (low + high) // 2
        if data[a : a + middle] == data[b : b + middle]:
            low = middle
        else:
            high = middle
    return low


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compressing a DecompressedChunk (2.4.1.3.7), including the chunk header."""
    body = bytearray()
    chains: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in this chunk, ascending
    indexed = start
    current = start
    exhausted = False  # the spec's "SET CompressedCurrent TO CompressedEnd"
    while current < end and not exhausted and len(body) < _CHUNK:  # Compressing a TokenSequence (2.4.1.3.8)
        flag_index = len(body)
        body.append(0)
        flags = 0
        for index in range(8):
            if current >= end or exhausted or len(body) >= _CHUNK:
                break
            # Compressing a Token (2.4.1.3.9) with Matching (2.4.1.3.19.4)
            while indexed < current:
                if indexed + 3 <= end:
                    chains.setdefault(data[indexed : indexed + 3], []).append(indexed)
                indexed += 1
            offset = length = 0
            remaining = end - current
            candidates = chains.get(data[current : current + 3]) if remaining >= 3 else None
            if candidates:
                # Matching scans candidates from the nearest backwards and keeps the first LONGEST match (uncapped
                # length, strict ">"); matches shorter than 3 bytes never win, so only equal 3-byte prefixes count.
                best_length, best = 0, -1
                for candidate in reversed(candidates):
                    found = _common_prefix(data, candidate, current, remaining, 3)
                    if found > best_length:
                        best_length, best = found, candidate
                        if found == remaining:
                            break
                bit_count = _copy_token_bits(current - start)
                length = min(best_length, (0xFFFF >> bit_count) + 3)
                offset = current - best
            if offset:
                if len(body) + 1 < _CHUNK:
                    token = ((offset - 1) << (16 - bit_count)) | (length - 3)  # Pack CopyToken (2.4.1.3.19.3)
                    body += struct.pack("<H", token)
                    flags |= 1 << index
                    current += length
                else:
                    exhausted = True
            elif len(body) < _CHUNK:
                body.append(data[current])
                current += 1
            else:
                exhausted = True
        body[flag_index] = flags
    if current < end:
        # Compressing a RawChunk (2.4.1.3.10): the 4096 bytes of the chunk, padded with 0x00 to 4096
        raw = data[start:end]
        return struct.pack("<H", 0x3000 | (_CHUNK - 1)) + raw + bytes(_CHUNK - len(raw))
    header = 0x8000 | 0x3000 | (len(body) + 2 - 3)  # flag 1, signature 0b011, CompressedChunkSize - 3
    return struct.pack("<H", header) + bytes(body)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer ([MS-OVBA] 2.4.1.3.6).

    A chunk that does not compress is stored raw, and a raw chunk always holds 4096 bytes: if that happens to the
    LAST chunk (only possible for incompressible data such as random bytes), ``decompress`` returns the input
    followed by NUL padding, exactly as the specification's algorithm does. VBA source always compresses.
    """
    data = bytes(data)
    out = bytearray(b"\x01")  # SignatureByte
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data, start, min(start + _CHUNK, len(data)))
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer ([MS-OVBA] 2.4.1.3.1); raises ValueError if it is malformed."""
    data = bytes(data)
    if not data or data[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container (signature byte is not 0x01)")
    out = bytearray()
    position = 1
    while position < len(data):
        if position + 2 > len(data):
            raise ValueError(f"truncated chunk header at offset {position}")
        (header,) = struct.unpack_from("<H", data, position)
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at offset {position}")
        chunk_end = min(len(data), position + (header & 0x0FFF) + 3)
        position += 2
        if not header & 0x8000:  # Decompressing a RawChunk (2.4.1.3.3): 4096 bytes
            if position + _CHUNK > len(data):
                raise ValueError("truncated raw chunk")
            out += data[position : position + _CHUNK]
            position += _CHUNK
            continue
        chunk_start = len(out)
        while position < chunk_end:  # Decompressing a TokenSequence (2.4.1.3.4)
            flags = data[position]
            position += 1
            for index in range(8):
                if position >= chunk_end:
                    break
                if not (flags >> index) & 1:
                    out.append(data[position])
                    position += 1
                    continue
                if position + 2 > chunk_end:
                    raise ValueError(f"truncated copy token at offset {position}")
                (token,) = struct.unpack_from("<H", data, position)
                position += 2
                difference = len(out) - chunk_start
                if difference == 0:
                    raise ValueError("copy token at the start of a chunk")
                bit_count = _copy_token_bits(difference)  # Unpack CopyToken (2.4.1.3.19.2)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > difference:
                    raise ValueError("copy token points before the start of its chunk")
                source = len(out) - offset
                if offset >= length:
                    out += out[source : source + length]
                else:  # overlapping copy: the pattern repeats
                    pattern = bytes(out[source:])
                    out += (pattern * (length // offset + 1))[:length]
    return bytes(out)


# --------------------------------------------------------------------------------------------------------------------
# [MS-OVBA] 2.4.3 data encryption (obfuscation of CMG / DPB / GC in the PROJECT stream)
# --------------------------------------------------------------------------------------------------------------------


def _encrypt(project_id: str, data: bytes, rng: random.Random) -> str:
    """Data Encryption (2.4.3.2); returns the upper-case hex text used in the PROJECT stream."""
    seed = rng.randrange(256)
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF  # checksum of ProjectCLSID, braces included
    version_enc = seed ^ version
    project_key_enc = seed ^ project_key
    out = bytearray([seed, version_enc, project_key_enc])
    unencrypted_1, encrypted_1, encrypted_2 = project_key, project_key_enc, version_enc
    ignored = bytes(rng.randrange(256) for _ in range((seed & 6) // 2))
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    return out.hex().upper()


# --------------------------------------------------------------------------------------------------------------------
# [MS-OVBA] project streams
# --------------------------------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")  # module names: at most 31 characters
_PROJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")  # PROJECTNAME: 1 to 128 bytes (2.3.4.2.1.6)
_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
# (name, LibidAbsolute) of the registered type libraries an Excel project references ([MS-OVBA] 2.1.1.8)
_REFERENCES = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared\OFFICE16"
        r"\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
_LCID = 0x0409  # PROJECTLCID and PROJECTLCIDINVOKE MUST be 0x409
_SYSKIND_WIN64 = 0x00000003  # PROJECTSYSKIND: 64-bit Windows; with no p-code in the file it only labels the project
_NO_PASSWORD = b"\x00"  # ProjectPassword Data of a project without a password (2.3.1.16)
_VISIBLE = b"\xff"  # ProjectVisibilityState Data: visible (2.3.1.17)


def _codec(codepage: int) -> str:
    try:
        return codecs.lookup(f"cp{codepage}").name
    except LookupError:
        raise ValueError(f"code page {codepage} has no Python codec") from None


def _normalise_source(source: str) -> str:
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n")


def _attribute_header(module: Module) -> str:
    lines = [f'Attribute VB_Name = "{module.name}"']
    if module.kind == "document":
        base = _WORKBOOK_BASE if module.name.lower() == "thisworkbook" else _WORKSHEET_BASE
        lines += [
            f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True",
            "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = True",
        ]
    elif module.kind == "class":
        lines += [
            f'Attribute VB_Base = "{_CLASS_BASE}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = False",
            "Attribute VB_Exposed = False",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = False",
        ]
    return "".join(line + "\r\n" for line in lines)


def _check_modules(modules: Sequence[Module]) -> None:
    if not modules:
        raise ValueError("a VBA project needs at least one module")
    seen: set[str] = set()
    for module in modules:
        if not module.name.isascii():
            raise ValueError(f"VBA module name {module.name!r} is not ASCII")
        if not _IDENTIFIER.fullmatch(module.name):
            raise ValueError(
                f"VBA module name {module.name!r} is not a VBA identifier (a letter, then letters, digits or _, "
                "at most 31 characters)"
            )
        if module.kind not in ("standard", "document", "class"):
            raise ValueError(f"module {module.name}: unknown kind {module.kind!r}")
        if module.name.lower() in seen:
            raise ValueError(f"duplicate VBA module name {module.name!r} (names are case-insensitive)")
        seen.add(module.name.lower())
        if re.search(r"^\s*Attribute\s+VB_Name\b", module.source, re.IGNORECASE | re.MULTILINE):
            raise ValueError(f"module {module.name}: pass the source without its Attribute VB_Name header lines")


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _dual_record(record_id: int, text: bytes, reserved: int, unicode_text: str) -> bytes:
    """A record of the form Id, Size, MBCS text, Reserved id, Size, UTF-16 text (PROJECTDOCSTRING and kin)."""
    utf16 = unicode_text.encode("utf-16-le")
    return _record(record_id, text) + _record(reserved, utf16)


def _dir_stream(modules: Sequence[Module], project_name: bytes, codepage: int) -> bytes:
    """The decompressed dir stream (2.3.4.2)."""
    out = bytearray()
    # PROJECTINFORMATION (2.3.4.2.1)
    out += _record(0x0001, struct.pack("<I", _SYSKIND_WIN64))  # PROJECTSYSKIND
    out += _record(0x0002, struct.pack("<I", _LCID))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", _LCID))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", codepage))  # PROJECTCODEPAGE
    out += _record(0x0004, project_name)  # PROJECTNAME
    out += _dual_record(0x0005, b"", 0x0040, "")  # PROJECTDOCSTRING
    out += _dual_record(0x0006, b"", 0x003D, "")  # PROJECTHELPFILEPATH (HelpFile1, HelpFile2)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, VersionMajor, VersionMinor
    out += _dual_record(0x000C, b"", 0x003C, "")  # PROJECTCONSTANTS
    # PROJECTREFERENCES (2.3.4.2.2): REFERENCENAME + REFERENCEREGISTERED
    for name, libid in _REFERENCES:
        out += _dual_record(0x0016, name.encode("ascii"), 0x003E, name)
        libid_bytes = libid.encode("ascii")
        out += _record(0x000D, struct.pack("<I", len(libid_bytes)) + libid_bytes + struct.pack("<IH", 0, 0))
    # PROJECTMODULES (2.3.4.2.3)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        module_name = module.name.encode("ascii")
        out += _record(0x0019, module_name)  # MODULENAME
        out += _record(0x0047, module.name.encode("utf-16-le"))  # MODULENAMEUNICODE
        out += _dual_record(0x001A, module_name, 0x0032, module.name)  # MODULESTREAMNAME
        out += _dual_record(0x001C, b"", 0x0048, "")  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: the source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += struct.pack("<HI", 0x0021 if module.kind == "standard" else 0x0022, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)  # Terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir stream Terminator
    return bytes(out)


def _project_stream(modules: Sequence[Module], project_id: str, project_name: str, rng: random.Random) -> str:
    """The PROJECT stream text (2.3.1)."""
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(project_id, bytes(4), rng)}"',  # ProjectProtectionState: not protected
        f'DPB="{_encrypt(project_id, _NO_PASSWORD, rng)}"',  # ProjectPassword: none
        f'GC="{_encrypt(project_id, _VISIBLE, rng)}"',  # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return "".join(line + "\r\n" for line in lines)


def build(modules: Sequence[Module], *, project_name: str = "VBAProject", codepage: int = 936) -> bytes:
    """The bytes of a source-only ``vbaProject.bin`` holding ``modules`` (in this order).

    Source text is encoded in ``codepage`` (936 = GBK: Chinese comments and string literals then read correctly in
    Chinese Windows Excel). Raises ValueError for a non-ASCII or invalid module or project name, duplicate names,
    a source that already carries ``Attribute VB_Name``, or text the code page cannot encode.
    """
    modules = list(modules)
    _check_modules(modules)
    if not _PROJECT_NAME.fullmatch(project_name):
        raise ValueError(f"VBA project name {project_name!r} is not an ASCII VBA identifier")
    codec = _codec(codepage)

    digest = hashlib.sha256()
    digest.update(f"{project_name}\0{codepage}".encode())
    for module in modules:
        digest.update(f"\0{module.name}\0{module.kind}\0{module.source}".encode())
    rng = random.Random(digest.digest())
    project_id = "{" + str(uuid.UUID(bytes=digest.digest()[:16], version=4)).upper() + "}"

    streams: dict[str, bytes] = {}
    streams["PROJECT"] = _project_stream(modules, project_id, project_name, rng).encode(codec)
    name_map = bytearray()
    for module in modules:
        name_map += module.name.encode("ascii") + b"\0" + module.name.encode("utf-16-le") + b"\0\0"
    streams["PROJECTwm"] = bytes(name_map + b"\0\0")
    # Reserved1, Version (0xFFFF on write), Reserved2, Reserved3 ("undefined", 0x0001 as in the spec's example 3.1.1)
    streams["VBA/_VBA_PROJECT"] = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)
    streams["VBA/dir"] = compress(_dir_stream(modules, project_name.encode("ascii"), codepage))
    for module in modules:
        text = _attribute_header(module) + _normalise_source(module.source)
        try:
            encoded = text.encode(codec)
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"module {module.name}: {text[exc.start : exc.end]!r} cannot be encoded in code page {codepage}"
            ) from None
        compressed = compress(encoded)
        if decompress(compressed) != encoded:  # only a padded raw last chunk could do this; never for VBA text
            raise ValueError(f"module {module.name}: source does not compress losslessly")
        streams[f"VBA/{module.name}"] = compressed
    return compound_file(streams)
