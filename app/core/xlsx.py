"""Safe spreadsheet export and tolerant table reading (XLSX and CSV in any Chinese encoding)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from app.core.errors import DomainError

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A cell that starts with = + - @ (or a tab / CR) is prefixed with ' so that a
    spreadsheet never runs it as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence], *, exact: bool = False) -> bytes:
    """One sheet with a bold header row.

    By default every string that could start a formula is prefixed with ' (lists for
    people to read). With ``exact`` the text is kept as it is but every string cell is
    stored with the text type, which spreadsheets never evaluate: for files that must
    import back unchanged (the question bank).
    """
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([v if exact else neutralise(v) for v in row])
        if exact:
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    for i, _h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 20
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312).
    Strict decoding: GBK bytes almost never form valid UTF-8, so the order is safe."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV，或使用 .xlsx 文件")


def read_table(filename: str, data: bytes, *, max_rows: int, max_cols: int = 30) -> list[list[object]]:
    """Rows of a .xlsx or .csv upload, header first, as lists of raw cell values.

    XLSX formula cells come back as their formula text, never evaluated. Raises
    DomainError for an unknown type, an unreadable file or too many rows.
    """
    name = (filename or "").lower()
    if name.endswith(".csv"):
        text = decode_text(data)
        rows = [row[:max_cols] for row in csv.reader(io.StringIO(text))]
    elif name.endswith(".xlsx"):
        rows = _read_xlsx(data, max_rows=max_rows, max_cols=max_cols)
    else:
        raise DomainError("只接受 .xlsx 或 .csv 文件（旧版 .xls 请先另存为 .xlsx）")
    rows = [r for r in rows if any(v not in (None, "") and str(v).strip() for v in r)]
    if len(rows) > max_rows + 1:
        raise DomainError(f"文件行数过多：一次最多导入 {max_rows} 行")
    return rows


def _read_xlsx(data: bytes, *, max_rows: int, max_cols: int) -> list[list[object]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any parse failure is the same answer to the person
        raise DomainError("无法读取这个 Excel 文件：它可能已损坏，或不是 .xlsx 格式") from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(max_col=max_cols, values_only=True):
            rows.append(list(row))
            if len(rows) > max_rows + 1:
                break
        return rows
    except Exception:  # noqa: BLE001
        raise DomainError("读取 Excel 文件时出错：文件内容不完整或格式不正确") from None
    finally:
        wb.close()
