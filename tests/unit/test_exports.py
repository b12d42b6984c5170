"""Downloads partners open in their own tools: the XLSX reads back in openpyxl exactly, text
stays text, and the same rows always give the same bytes."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from openpyxl import load_workbook

from tourhub.publish.exports import csv_bytes, xlsx_bytes

NAMES = ["id", "name", "code", "count", "share", "ok", "day", "at", "note"]
ROWS = [{"id": "a-1", "name": "<script>&\"景区\"</script>", "code": "0571", "count": 12, "share": Decimal("97.5"),
         "ok": True, "day": date(2026, 11, 29), "at": datetime(2026, 11, 29, 8, 0, tzinfo=timezone(timedelta(hours=8))),
         "note": "bell\x07here"},
        {"id": "a-2", "name": "Plain", "code": None, "count": 0, "share": Decimal("0"), "ok": False,
         "day": None, "at": None, "note": ""}]


def test_xlsx_reads_back_with_text_kept_as_text():
    sheet = load_workbook(io.BytesIO(xlsx_bytes("t", NAMES, ROWS))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == NAMES
    assert rows[1][:6] == ["a-1", "<script>&\"景区\"</script>", "0571", 12, 97.5, True]
    assert rows[1][8] == "bell\ufffdhere"
    assert rows[2][2] is None and rows[2][5] is False


def test_xlsx_dates_are_dates_in_china_time_under_a_frozen_header_in_fitted_columns():
    """A partner sorts and filters by date in Excel: dates are Excel dates, not text; times are in
    China time (Excel has no time zones; the CSV keeps +08:00)."""
    sheet = load_workbook(io.BytesIO(xlsx_bytes("t", NAMES, ROWS))).worksheets[0]
    day, at = sheet["G2"], sheet["H2"]
    assert day.is_date and day.value == datetime(2026, 11, 29) and day.number_format == "yyyy-mm-dd"
    assert at.is_date and at.value == datetime(2026, 11, 29, 8, 0) and at.number_format == "yyyy-mm-dd hh:mm:ss"
    utc = [{"at": datetime(2026, 11, 29, 0, 30, tzinfo=UTC)}]
    in_utc = load_workbook(io.BytesIO(xlsx_bytes("t", ["at"], utc))).worksheets[0]["A2"]
    assert in_utc.value == datetime(2026, 11, 29, 8, 30)
    year_only = [{"published": "2019"}]       # a date known only to the year stays the year
    assert load_workbook(io.BytesIO(xlsx_bytes("t", ["published"], year_only))).worksheets[0]["A2"].value == "2019"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABH"}
    assert 8 <= widths["A"] < widths["B"] <= 60 and widths["H"] >= 19


def test_the_same_rows_give_the_same_bytes():
    assert xlsx_bytes("t", NAMES, ROWS) == xlsx_bytes("t", NAMES, ROWS)
    assert csv_bytes(NAMES, ROWS) == csv_bytes(NAMES, ROWS)
    assert csv_bytes(NAMES, ROWS, excel=True).startswith(b"\xef\xbb\xbf")
