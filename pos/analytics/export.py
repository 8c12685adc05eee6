"""Reports as JSON, CSV and XLSX (openpyxl) — for the CLI and the reports screen.

CSV of a whole report is "long": one row per figure, ``section,key,metric,value``
(a sheet-less format any spreadsheet or script can pivot); CSV of one table is
that table with a header row. XLSX has one sheet per table. Money stays in
integer fen in every format (columns end in ``_fen``); XLSX adds a yuan column
beside each fen column so a manager reads yuan."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any, Iterable, TextIO

from pos.analytics.reports import Table

KEY_COLUMNS = {"by_day": 1, "by_hour": 1, "cashiers": 1, "tiers": 1, "tier_moves": 3, "rfm_cells": 3, "groups": 1,
               "value": 1, "score_ranges": 2, "abc": 1, "churn": 1, "members": 1}


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(jsonable(data), ensure_ascii=False, indent=2)


def long_rows(tables: Iterable[Table]) -> list[list[Any]]:
    """section, key, metric, value — one row per figure of every table."""
    rows: list[list[Any]] = []
    for t in tables:
        if t.columns[-1] == "value" and len(t.columns) == 2:  # metric/value tables
            rows += [[t.name, "", r[0], _cell(r[1])] for r in t.rows]
            continue
        k = KEY_COLUMNS.get(t.name, 1)
        for r in t.rows:
            key = "|".join(str(x) for x in r[:k])
            rows += [[t.name, key, c, _cell(v)] for c, v in zip(t.columns[k:], r[k:])]
    return rows


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else v


def write_csv(tables: list[Table], out: TextIO, *, table: str | None = None) -> None:
    """A whole report in long form, or one table (by name, or the only one) as it is."""
    w = csv.writer(out, lineterminator="\n")
    if table is None and len(tables) == 1:
        table = tables[0].name
    if table is not None:
        t = next((t for t in tables if t.name == table), None)
        if t is None:
            raise KeyError(f"no table {table!r}; one of {', '.join(t.name for t in tables)}")
        w.writerow(t.columns)
        w.writerows([[_cell(v) for v in r] for r in t.rows])
        return
    w.writerow(["section", "key", "metric", "value"])
    w.writerows(long_rows(tables))


def csv_text(tables: list[Table], *, table: str | None = None) -> str:
    buf = io.StringIO()
    write_csv(tables, buf, table=table)
    return buf.getvalue()


def save_csv(tables: list[Table], path: str | Path, *, table: str | None = None) -> Path:
    """UTF-8 with a BOM, so Excel on a Chinese Windows opens it as UTF-8."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        write_csv(tables, f, table=table)
    return path


def save_xlsx(tables: list[Table], path: str | Path, *, title: str = "") -> Path:
    """One sheet per table; fen columns get a yuan column beside them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.name[:31])
        cols: list[tuple[str, int, bool]] = []  # header, source index, as yuan
        for i, c in enumerate(t.columns):
            cols.append((c, i, False))
            if c.endswith("_fen"):
                cols.append((c[:-4] + "_yuan", i, True))
        is_metric = t.columns[-1] == "value" and len(t.columns) == 2
        if is_metric:
            cols = [("metric", 0, False), ("value", 1, False), ("yuan", 1, True)]
        ws.append([h for h, _, _ in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in t.rows:
            out = []
            for h, i, as_yuan in cols:
                v = r[i]
                if as_yuan:
                    fen_row = (str(r[0]).endswith("_fen") if is_metric else True)
                    v = round(v / 100, 2) if fen_row and isinstance(v, int) and not isinstance(v, bool) else None
                elif isinstance(v, (dict, list)):
                    v = json.dumps(v, ensure_ascii=False)
                elif isinstance(v, float):
                    v = round(v, 6)
                out.append(v)
            ws.append(out)
        for i, (h, _, _) in enumerate(cols, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(h) + 2))
        ws.freeze_panes = "A2"
    if title:
        wb.properties.title = title
    wb.save(path)
    return path
