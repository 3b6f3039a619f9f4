"""What every part of the guard shares: the limits, the Chinese messages, and the one way to refuse a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xl_perf.errors import BadInputError, Location

MIB = 1024 * 1024
# Size of the blocks parts are inflated and scanned in; parts up to this size are checked in one block. A module
# attribute read at each use (never imported by name), so tests can make it small to cut streams anywhere.
CHUNK = 1 * MIB


@dataclass(frozen=True)
class Limits:
    """Thresholds for `inspect` and `read_in_child`. The defaults suit budget self-evaluation workbooks."""

    max_file_bytes: int = 50 * MIB
    max_uncompressed_bytes: int = 300 * MIB
    max_ratio: float = 100.0  # per entry, uncompressed / compressed (for entries > 1 MB uncompressed)
    max_entries: int = 10_000
    max_rows: int = 100_000  # per sheet, from <dimension ref> and from the largest cell reference present
    max_cols: int = 1_000
    # per sheet, rows x columns of the area from A1 to its farthest cell: readers hold that whole rectangle in
    # memory (python-calamine ~40 bytes a cell), so one cell at ALL20000 costs as much as 20 million filled ones
    max_cells: int = 4_000_000
    memory_bytes: int = 1024 * MIB  # address-space cap of the child process
    timeout_s: float = 60.0


# ---------------------------------------------------------------------------------------------------------------
# Messages (Chinese, shown to the user as is)
# ---------------------------------------------------------------------------------------------------------------

SAVE_AS_XLSX = "请在 Excel/WPS 中打开后另存为 .xlsx 再试"
MSG_EMPTY = "文件为空（0 字节），不是有效的 .xlsx 工作簿"
MSG_NOT_REGULAR = "不是普通文件（可能是设备、管道或其他特殊文件），已拒绝读取"
MSG_CORRUPT = "不是 .xlsx 工作簿，可能已损坏或被截断"
MSG_ENCRYPTED = "工作簿已加密（设置了打开密码），请在 Excel/WPS 中取消密码后另存为 .xlsx 再试"
MSG_XLS = "这是旧版 .xls 文件，请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_ET = "这是 WPS 表格 .et 文件，请在 WPS 中另存为 .xlsx 后重试"
MSG_OLE_OTHER = (
    "这是 OLE 复合文档（旧版 Office 格式，例如 .xls、WPS .et 或 .doc），不是 .xlsx 工作簿，"
    "请在 Excel/WPS 中另存为 .xlsx 后重试"
)
MSG_PLAIN_ZIP = "不是 .xlsx 工作簿：这是普通的 zip 压缩包（缺少 [Content_Types].xml）；如果里面装的是工作簿，请先解压"
MSG_NO_WORKBOOK = "不是 .xlsx 工作簿：缺少 xl/workbook.xml"
MSG_XLSB = "这是 .xlsb（二进制工作簿）文件，请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_DOCX = "不是工作簿：这是 Word 文档（.docx）"
MSG_PPTX = "不是工作簿：这是 PowerPoint 演示文稿（.pptx）"
MSG_ODF = "这是 OpenDocument 文件（如 WPS/LibreOffice 的 .ods），请在 Excel/WPS 中另存为 .xlsx 后重试"
MSG_ENTITY = "文件含有不允许的 XML 实体声明（内部部件 {part}），可能是恶意构造的文件，已拒绝读取"
MSG_CHILD_CRASH = "读取工作簿时读取程序异常退出（可能是文件损坏或格式异常），已安全中止"
MSG_TIMEOUT = "读取超时（超过 {seconds:g} 秒），已中止；文件可能过大或格式异常"
MSG_TEXT = "不是 .xlsx 工作簿：这是文本文件（如 CSV 或制表符分隔的文本），" + SAVE_AS_XLSX
MSG_HTML = "不是 .xlsx 工作簿：这是网页（HTML）文件（常见于系统导出的“伪 Excel”文件），" + SAVE_AS_XLSX
MSG_XML = "不是 .xlsx 工作簿：这是 XML 文件（可能是 Excel 2003 XML 表格），" + SAVE_AS_XLSX
MSG_MHT = "不是 .xlsx 工作簿：这是网页归档（MHT）文件，" + SAVE_AS_XLSX


def bad(path: Path, message: str, sheet: str | None = None) -> BadInputError:
    """The refusal of `path` (and `sheet`, where the trouble is in one) with a Chinese `message`."""
    return BadInputError(message, Location(file=str(path), sheet=sheet))


def size_text(n: float) -> str:
    if n >= 1024 * MIB:
        return f"{n / (1024 * MIB):.1f} GB"
    if n >= MIB:
        return f"{n / MIB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} 字节"


DEFAULT_LIMITS = Limits()
