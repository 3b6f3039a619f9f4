"""vbaProject.bin writer (xl_perf.io.vba_project): MS-OVBA compression, the MS-CFB container, independent readers
(olefile, oletools' olevba) and LibreOffice headless importing and running the VBA from an XlsxWriter .xlsm."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import olefile
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, VBA_Project

from tests.conftest import require_tool
from xl_perf.io.libreoffice import converter
from xl_perf.io.vba_project import Module, build, compress, decompress

# ---------------------------------------------------------------- fixtures and helpers

WORKBOOK_SOURCE = "Private Sub Workbook_Open()\r\n    ' 打开工作簿时不做任何事\r\nEnd Sub\r\n"
STANDARD_SOURCE = (
    "Option Explicit\n"
    "' 绩效自评助手：中文注释（GBK）\n"
    "Public Function XPTWICE(x)\n"
    "    XPTWICE = x * 2 ' 两倍\n"
    "End Function\n"
    "\n"
    "Public Function XPLABEL()\n"
    '    XPLABEL = "校验通过"\n'
    "End Function\n"
    "\n"
    "Sub Hello()\n"
    '    MsgBox "你好，世界！", vbInformation, "校验"\n'
    "End Sub"  # no final line end: the writer adds it
)
CLASS_SOURCE = (
    "Option Explicit\nPrivate mValue As Long\n\nPublic Property Get Value() As Long\n    Value = mValue\nEnd Property\n"
)

MODULES = [
    Module("ThisWorkbook", "document", WORKBOOK_SOURCE),
    Module("Sheet1", "document", ""),
    Module("Sheet2", "document", "Private Sub Worksheet_Activate()\nEnd Sub\n"),
    Module("XlPerf", "standard", STANDARD_SOURCE),
    Module("Counter", "class", CLASS_SOURCE),
]

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


def crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n")


def expected_header(module: Module) -> str:
    lines = [f'Attribute VB_Name = "{module.name}"']
    if module.kind != "standard":
        base = (
            CLASS_BASE if module.kind == "class" else WORKBOOK_BASE if module.name == "ThisWorkbook" else WORKSHEET_BASE
        )
        document = module.kind == "document"
        lines += [
            f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            f"Attribute VB_PredeclaredId = {document}",
            f"Attribute VB_Exposed = {document}",
            "Attribute VB_TemplateDerived = False",
            f"Attribute VB_Customizable = {document}",
        ]
    return "".join(line + "\r\n" for line in lines)


def strip_attributes(code: str) -> str:
    return "".join(line for line in crlf(code).splitlines(keepends=True) if not line.startswith("Attribute "))


def open_strict(data: bytes) -> olefile.OleFileIO:
    """olefile raising on every defect of severity DEFECT_INCORRECT or worse; and no lesser defect either."""
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.parsing_issues == []
    return ole


def chunk_headers(container: bytes) -> list[int]:
    """The CompressedChunkHeader of every chunk of a CompressedContainer."""
    headers, position = [], 1
    while position < len(container):
        (header,) = struct.unpack_from("<H", container, position)
        headers.append(header)
        position += 2 + (header & 0x0FFF) + 1 if header & 0x8000 else 2 + 4096
    return headers


def decrypt(hex_text: str) -> tuple[int, int, bytes]:
    """[MS-OVBA] 2.4.3.3 Decryption: (Version, ProjKey, Data) of a CMG/DPB/GC value."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = raw[:3]
    unencrypted, encrypted_1, encrypted_2 = seed ^ key_enc, key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 :])
    assert len(data) == length
    return seed ^ version_enc, seed ^ key_enc, data


# ---------------------------------------------------------------- 1. compression ([MS-OVBA] 2.4.1)

# [MS-OVBA] 3.2.1 - 3.2.3: the specification's own examples, compressed bytes as published
SPEC_EXAMPLES = [
    (
        b"abcdefghijklmnopqrstuv.",
        "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
    ),
    (
        b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E 6F 70 06 71 "
        "02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
    ),
    (b"a" * 73, "01 03 B0 02 61 45 00"),
]


@pytest.mark.parametrize(("plain", "compressed"), SPEC_EXAMPLES, ids=["3.2.1-none", "3.2.2-normal", "3.2.3-maximum"])
def test_spec_examples_compress_byte_for_byte(plain: bytes, compressed: str) -> None:
    """Not just self-consistent: the published bytes come out exactly. 3.2.2 pins the spec's Matching (the NEAREST
    of equally long candidates wins; preferring another one gives different copy tokens) and the CopyToken
    bit-count rule (offset/length split changing with the position in the chunk)."""
    assert compress(plain) == bytes.fromhex(compressed)
    assert decompress(bytes.fromhex(compressed)) == plain


def assert_round_trip(data: bytes) -> None:
    container = compress(data)
    headers = chunk_headers(container)
    assert len(headers) == -(-len(data) // 4096)
    for header in headers:
        assert (header >> 12) & 0b111 == 0b011  # CompressedChunkSignature
        if not header & 0x8000:
            assert header & 0x0FFF == 0x0FFF  # a raw chunk is always 4096 bytes
    out = decompress(container)
    if headers and not headers[-1] & 0x8000:
        # an incompressible LAST chunk is stored raw, padded to 4096 bytes with 0x00 ([MS-OVBA] 2.4.1.3.10)
        assert out == data + bytes(len(out) - len(data))
        assert len(out) % 4096 == 0
    else:
        assert out == data


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4095, 4096, 4097, 8192, 10000])
def test_round_trip_random_bytes_at_chunk_boundaries(size: int) -> None:
    assert_round_trip(random.Random(size).randbytes(size))


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 10000, 70000])
def test_round_trip_repetitive_input(size: int) -> None:
    for data in (b"\0" * size, (b"ab" * size)[:size], (b"Dim x As Long\r\n" * size)[:size]):
        container = compress(data)
        assert decompress(container) == data
        assert all(header & 0x8000 for header in chunk_headers(container))
        assert len(container) < 3 + len(data) // 8 + 3 * len(chunk_headers(container))


def test_random_chunks_are_stored_raw_and_text_chunks_compressed() -> None:
    data = random.Random(1).randbytes(4096) + b"End Sub\r\n" * 500
    headers = chunk_headers(compress(data))
    assert [bool(h & 0x8000) for h in headers] == [False, True, True]
    assert decompress(compress(data)) == data


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=12000))
def test_round_trip_any_bytes(data: bytes) -> None:
    assert_round_trip(data)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"ab", b"Sub ", b"\r\n", b"    ", b"\x00", b"\xff\xfe"]), max_size=3000))
def test_round_trip_repetitive_token_soup(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert decompress(compress(data)) == data


def test_decompress_rejects_malformed_input() -> None:
    for bad in (b"", b"\x02", b"\x01\x00", b"\x01\x00\x00", b"\x01\x01\xb0\x01\x00"):
        with pytest.raises(ValueError):
            decompress(bad)


# ---------------------------------------------------------------- 2. the compound file ([MS-CFB])

STREAMS = {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"}
BLACK = 1  # [MS-CFB] 2.6.1 Color Flag


def test_olefile_opens_without_defects() -> None:
    data = build(MODULES)
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert len(data) % 512 == 0
    ole = open_strict(data)
    assert ole.dll_version == 3  # major version 3
    assert ole.sectorsize == 512
    assert ole.minisectorsize == 64
    assert ole.minisectorcutoff == 4096
    listed = {"/".join(path) for path in ole.listdir()}
    assert listed == STREAMS | {f"VBA/{m.name}" for m in MODULES}
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")


def black_height(entries: list, sid: int) -> int:
    if sid == olefile.NOSTREAM:
        return 1
    entry = entries[sid]
    left, right = black_height(entries, entry.sid_left), black_height(entries, entry.sid_right)
    assert left == right, f"unbalanced black height below {entry.name!r}"
    return left + (1 if entry.color == BLACK else 0)


def in_order(entries: list, sid: int) -> list[str]:
    if sid == olefile.NOSTREAM:
        return []
    entry = entries[sid]
    return [*in_order(entries, entry.sid_left), entry.name, *in_order(entries, entry.sid_right)]


def test_directory_siblings_form_a_valid_red_black_tree() -> None:
    """[MS-CFB] 2.6.4: siblings ordered by name length, then upper-cased name; every node black with equal black
    heights on every path is a valid red-black tree."""
    ole = open_strict(build(MODULES))
    entries = ole.direntries
    for storage in (
        e for e in entries if e is not None and e.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE)
    ):
        names = in_order(entries, storage.sid_child)
        assert names == sorted(names, key=lambda n: (len(n), n.upper()))
        black_height(entries, storage.sid_child)
    assert all(entry.color == BLACK for entry in entries if entry is not None)
    assert in_order(entries, entries[0].sid_child) == ["VBA", "PROJECT", "PROJECTwm"]


def test_output_is_deterministic() -> None:
    assert build(MODULES) == build(list(MODULES))
    assert build(MODULES) != build(MODULES, project_name="Other")


# ---------------------------------------------------------------- 3. olevba reads every module back


def olevba_modules(data: bytes) -> dict[str, tuple[str, str]]:
    """{module name: (file name olevba chose from the PROJECT stream, code)}, parsed strictly (relaxed=False
    raises on any value the MS-OVBA specification forbids)."""
    parser = VBA_Parser("vbaProject.bin", data=data, relaxed=False)
    assert parser.detect_vba_macros()
    found = {}
    for _, stream_path, filename, code in parser.extract_macros():
        found[stream_path.split("/")[-1]] = (filename, code)
    parser.close()
    return found


def check_project(modules: list[Module], codepage: int = 936) -> olefile.OleFileIO:
    data = build(modules, codepage=codepage)
    found = olevba_modules(data)
    assert set(found) == {m.name for m in modules}
    for module in modules:
        filename, code = found[module.name]
        assert filename == module.name + (".bas" if module.kind == "standard" else ".cls")
        assert "\ufffd" not in code  # decoded cleanly in the project code page
        assert code == expected_header(module) + crlf(module.source)  # byte-identical stream text
        assert strip_attributes(code) == crlf(module.source)
    # the dir stream records, through olevba's own parser
    ole = open_strict(data)
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    project.parse_project_stream()
    list(project.parse_modules())
    assert project.codepage == codepage
    assert [m.name for m in project.modules] == [m.name for m in modules]
    for parsed, module in zip(project.modules, modules, strict=True):
        assert parsed.textoffset == 0  # MODULEOFFSET: source only, no p-code
        assert parsed.type == (0x21 if module.kind == "standard" else 0x22)
        assert parsed.code_raw == (expected_header(module) + crlf(module.source)).encode(f"cp{codepage}")
    return ole


def test_olevba_recovers_every_module_with_chinese_text() -> None:
    ole = check_project(MODULES)
    raw = ole.openstream("VBA/XlPerf").read()
    assert "校验通过".encode("gbk") in decompress(raw)  # GBK in the stream, not UTF-8
    assert "校验通过".encode() not in decompress(raw)


def test_project_stream_and_name_map() -> None:
    ole = open_strict(build(MODULES))
    text = ole.openstream("PROJECT").read().decode("ascii")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert re.fullmatch(r'ID="\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}"', lines[0])
    assert lines[1:6] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Document=Sheet2/&H00000000",
        "Module=XlPerf",
        "Class=Counter",
    ]
    assert lines[6:9] == ['Name="VBAProject"', 'HelpContextID="0"', 'VersionCompatible32="393222000"']
    project_id = lines[0][4:-1]
    key = sum(project_id.encode()) & 0xFF
    values = dict(line.split("=", 1) for line in lines[9:12])
    assert decrypt(values["CMG"].strip('"')) == (2, key, b"\0\0\0\0")  # not protected
    assert decrypt(values["DPB"].strip('"')) == (2, key, b"\0")  # no password
    assert decrypt(values["GC"].strip('"')) == (2, key, b"\xff")  # visible
    assert "[Host Extender Info]\r\n&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n" in text
    workspace = text.split("[Workspace]\r\n", 1)[1]
    assert workspace == "".join(f"{m.name}=0, 0, 0, 0, C\r\n" for m in MODULES)
    name_map = ole.openstream("PROJECTwm").read()
    expected = b"".join(m.name.encode() + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in MODULES) + b"\0\0"
    assert name_map == expected


def test_decrypt_helper_reads_excel_written_values() -> None:
    """The decryption used above, checked on CMG/DPB/GC values Excel wrote (xlwings' quickstart.xlsm project)."""
    key = sum(b"{E2E0E410-BF04-4DC5-BDD2-D3FBBA8B7D37}") & 0xFF
    assert decrypt("A7A58C2B7CDD73E173E173E173E1") == (2, key, b"\0\0\0\0")
    assert decrypt("A2A089308531853185") == (2, key, b"\0")
    assert decrypt("9D9FB6314A2D4B2D4BD2") == (2, key, b"\xff")


def big_source(lines: int, seed: int) -> str:
    rng = random.Random(seed)
    words = ["total", "count", "金额", "预算", "执行率", "得分", "指标", "Value", "Range", "Cells", "备注"]
    out = []
    for i in range(lines):
        a, b = rng.sample(words, 2)
        out.append(f"    v{i} = {rng.randrange(10**9)} * {rng.random():.6f} ' {a}{b} {rng.randrange(10**6)}")
    return "Sub Big()\n" + "\n".join(out) + "\nEnd Sub\n"


def test_large_project_uses_several_chunks_mini_sectors_and_regular_sectors() -> None:
    modules = [
        Module("ThisWorkbook", "document", ""),
        *(Module(f"Sheet{i}", "document", "") for i in range(1, 13)),
        Module("Small", "standard", STANDARD_SOURCE),
        Module("Medium", "standard", big_source(80, 1)),  # > 4096 source bytes, still a mini stream
        Module("Big", "standard", big_source(700, 2)),  # compressed stream >= 4096: regular sectors
        Module("Counter", "class", CLASS_SOURCE),
    ]
    ole = check_project(modules)
    medium = ole.openstream("VBA/Medium").read()
    big = ole.openstream("VBA/Big").read()
    assert len(decompress(medium)) > 4096 and len(chunk_headers(medium)) >= 2
    assert len(medium) < 4096  # lives in the mini stream
    assert len(big) >= 4096 and len(chunk_headers(big)) > 5  # lives in regular sectors (FAT chain)
    assert ole.root.size > 512  # the mini stream spans several sectors
    assert len(fat_chain(ole, ole.root.isectStart)) == -(-ole.root.size // 512)
    big_entry = ole.direntries[ole._find("VBA/Big")]
    assert len(fat_chain(ole, big_entry.isectStart)) == -(-len(big) // 512)


def fat_chain(ole: olefile.OleFileIO, first: int) -> list[int]:
    chain = [first]
    while ole.fat[chain[-1]] != olefile.ENDOFCHAIN:
        chain.append(ole.fat[chain[-1]])
        assert len(chain) <= len(ole.fat)
    return chain


def test_other_code_page() -> None:
    modules = [Module("ThisWorkbook", "document", ""), Module("Module1", "standard", "' café\nSub A()\nEnd Sub\n")]
    check_project(modules, codepage=1252)


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ([Module("模块", "standard", "")], "not ASCII"),
        ([Module("1abc", "standard", "")], "identifier"),
        ([Module("A" * 32, "standard", "")], "identifier"),
        ([Module("Mod", "standard", ""), Module("MOD", "class", "")], "duplicate"),
        ([Module("Mod", "standard", 'Attribute VB_Name = "Mod"\nSub A()\nEnd Sub')], "Attribute VB_Name"),
        ([Module("Mod", "macro", "")], "kind"),  # type: ignore[arg-type]
        ([], "at least one"),
    ],
)
def test_invalid_modules_are_rejected(modules: list[Module], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(modules)


def test_text_outside_the_code_page_is_rejected() -> None:
    with pytest.raises(ValueError, match="code page 1252"):
        build([Module("Module1", "standard", "' 中文")], codepage=1252)
    with pytest.raises(ValueError, match="code page"):
        build([Module("Module1", "standard", "")], codepage=99999)
    with pytest.raises(ValueError, match="project name"):
        build([Module("Module1", "standard", "")], project_name="项目")


# ---------------------------------------------------------------- 4. LibreOffice imports and runs it

# Application Basic macro of a test-only LibreOffice profile: opens the workbook with macro execution allowed
# (MacroExecutionMode 4 = ALWAYS_EXECUTE_NO_WARN; a --convert-to load never runs macros), recalculates, and writes
# A1's value/error and A2's string as UTF-16 code units to the result file.
PROBE_BASIC = """Sub Main
    Dim result As String, text As String, i As Integer
    On Error GoTo Failed
    Dim args(1) As New com.sun.star.beans.PropertyValue
    args(0).Name = "MacroExecutionMode"
    args(0).Value = 4
    args(1).Name = "Hidden"
    args(1).Value = True
    doc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ("XL_PERF_XLSM")), "_blank", 0, args())
    doc.calculateAll()
    sheet = doc.Sheets.getByIndex(0)
    result = "A1=" & sheet.getCellByPosition(0, 0).Value & ";" & sheet.getCellByPosition(0, 0).getError()
    text = sheet.getCellByPosition(0, 1).String
    result = result & " A2="
    For i = 1 To Len(text)
        result = result & AscW(Mid(text, i, 1)) & ","
    Next i
    result = result & ";" & sheet.getCellByPosition(0, 1).getError()
    doc.close(True)
    GoTo Done
Failed:
    result = "basic-error=" & Err & " " & Error$
Done:
    f = FreeFile
    Open Environ("XL_PERF_VBA_RESULT") For Output As #f
    Print #f, result
    Close #f
    StarDesktop.terminate()
End Sub
"""


@pytest.fixture(scope="module")
def macro_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An .xlsm written by XlsxWriter around our vbaProject.bin: UDF formulas and a form button bound to a macro."""
    path = tmp_path_factory.mktemp("vba-xlsm") / "macros.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet()
    workbook.add_worksheet()
    workbook.set_vba_name("ThisWorkbook")
    worksheet.set_vba_name("Sheet1")
    workbook.worksheets()[1].set_vba_name("Sheet2")
    workbook.add_vba_project(io.BytesIO(build(MODULES)), is_stream=True)
    worksheet.write_formula("A1", "=XPTWICE(21)", None, 0)  # cached 0: only running the VBA gives 42
    worksheet.write_formula("A2", "=XPLABEL()", None, "")
    worksheet.insert_button("B2", {"macro": "Hello", "caption": "校验"})
    workbook.close()
    return path


def test_xlsm_package_carries_the_project_and_the_button_macro(macro_workbook: Path) -> None:
    with zipfile.ZipFile(macro_workbook) as package:
        assert package.read("xl/vbaProject.bin") == build(MODULES)
        assert 'codeName="ThisWorkbook"' in package.read("xl/workbook.xml").decode()
        assert "<x:FmlaMacro>[0]!Hello</x:FmlaMacro>" in package.read("xl/drawings/vmlDrawing1.vml").decode()
        assert "macroEnabled" in package.read("[Content_Types].xml").decode()


def test_libreoffice_imports_modules_and_binds_the_button(macro_workbook: Path, tmp_path: Path) -> None:
    """The project's converter (macros disabled) still imports the VBA source: the .ods carries every module as
    Basic, decoded from GBK through PROJECTCODEPAGE, and the button's event calls VBAProject.XlPerf.Hello."""
    require_tool("soffice")
    (ods,) = converter().convert([macro_workbook], "ods", tmp_path)
    with zipfile.ZipFile(ods) as package:
        names = set(package.namelist())
        for module in MODULES:
            assert f"Basic/VBAProject/{module.name}.xml" in names
        standard = package.read("Basic/VBAProject/XlPerf.xml").decode()
        assert "Option VBASupport 1" in standard
        assert "绩效自评助手：中文注释（GBK）" in standard and "校验通过" in standard
        assert 'script:moduleType="class"' in package.read("Basic/VBAProject/Counter.xml").decode()
        assert 'script:moduleType="document"' in package.read("Basic/VBAProject/ThisWorkbook.xml").decode()
        content = package.read("content.xml").decode()
    button = re.search(r"<form:button [^>]*>.*?</form:button>", content, re.S)
    assert button is not None
    assert 'form:label="校验"' in button.group(0)
    assert 'script:event-name="form:performaction"' in button.group(0)
    assert 'xlink:href="vnd.sun.star.script:VBAProject.XlPerf.Hello?language=Basic&amp;location=document"' in (
        button.group(0)
    )


def run_soffice(soffice: str, profile: Path, args: list[str], env: dict[str, str], timeout: float = 180) -> None:
    process = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(profile), "LC_ALL": "C.UTF-8", **env},
        start_new_session=True,
    )
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"soffice {' '.join(args)} did not finish in {timeout:g} s")


def run_probe(source: Path, basic: str, tmp_path: Path) -> str:
    """Run the Basic macro `basic` (which opens $XL_PERF_XLSM and writes $XL_PERF_VBA_RESULT) in a throw-away
    LibreOffice profile whose Standard.Module1 it becomes, against a fresh copy of `source`; return the result."""
    soffice = require_tool("soffice")
    profile = tmp_path / "profile"
    run_soffice(soffice, profile, ["--terminate_after_init"], {})
    probe = profile / "user" / "basic" / "Standard" / "Module1.xba"
    assert probe.is_file(), "LibreOffice did not create its user Basic library"
    probe.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        f'script:language="StarBasic">{escape(basic)}</script:module>\n',
        encoding="utf-8",
    )
    workbook = tmp_path / "workbook.xlsm"  # a fresh copy: no stale LibreOffice lock file next to it
    workbook.write_bytes(source.read_bytes())
    result = tmp_path / "result.txt"
    env = {"XL_PERF_XLSM": str(workbook), "XL_PERF_VBA_RESULT": str(result)}
    run_soffice(soffice, profile, ["macro:///Standard.Module1.Main"], env)
    assert result.is_file(), "the probe macro did not run"
    return result.read_text(encoding="ascii").strip()


def test_libreoffice_runs_the_vba_functions_in_cells(macro_workbook: Path, tmp_path: Path) -> None:
    """LibreOffice evaluates =XPTWICE(21) -> 42 and =XPLABEL() -> 校验通过 by running our VBA module (a Chinese
    string literal read from GBK). Runs in its own throw-away profile whose Standard.Module1 is the probe above."""
    codes = ",".join(str(ord(c)) for c in "校验通过")
    assert run_probe(macro_workbook, PROBE_BASIC, tmp_path) == f"A1=42;0 A2={codes},;0"
