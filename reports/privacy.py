"""Disclosure control: what a report may show of small groups. Pure functions over the
report document's rows (plain dicts of counts); no database, no Django.

Rules (k = settings.REPORTS_MIN_GROUP_SIZE, passed in):
- a row (region, institution, cohort, competence, month...) describing fewer than k
  students is suppressed whole (every figure becomes null);
- any count from 1 to k-1 is suppressed;
- complementary suppression: where a total is shown and exactly one of its parts is
  suppressed, the next smallest part is suppressed too, along every dimension shown
  (the siblings of a table column, the bands of a row), until nothing can be recovered
  by subtraction;
- averages and rates are suppressed with the count they are computed from.
"""

from __future__ import annotations

COUNT_FIELDS = ("enrolled", "active", "completed", "results")


def _suppress_cell(row: dict, name: str) -> bool:
    if name.startswith("band:"):
        band = next(b for b in row["bands"] if b["key"] == name[5:])
        if band["count"] is None:
            return False
        band["count"] = None
        return True
    if row[name] is None:
        return False
    row[name] = None
    return True


def _cell(row: dict, name: str):
    if name.startswith("band:"):
        return next(b for b in row["bands"] if b["key"] == name[5:])["count"]
    return row[name]


def _suppress_row(row: dict) -> None:
    row["suppressed"] = True
    for name in (*COUNT_FIELDS, "completion_rate", "average_level"):
        if name in row:
            row[name] = None
    for band in row["bands"]:
        band["count"] = None


def _size(row: dict) -> int:
    return row.get("enrolled", row["results"]) or 0


def suppress_table(rows: list[dict], total: dict | None, k: int, *, additive: bool) -> None:
    """Suppress in place. `additive`: the rows partition `total` (regions of a country),
    so a column must not leave exactly one suppressed part (competences and months do
    not add up, and are checked row by row only)."""
    # 1. primary: small groups and small counts
    for row in [*rows, *([total] if total else [])]:
        if row.get("suppressed"):
            continue
        if 0 < _size(row) < k:
            _suppress_row(row)
            continue
        for name in COUNT_FIELDS:
            value = row.get(name)
            if value is not None and 0 < value < k:
                row[name] = None
        for band in row["bands"]:
            if band["count"] is not None and 0 < band["count"] < k:
                band["count"] = None
    if total is not None and total.get("suppressed"):
        for row in rows:
            _suppress_row(row)
    # 2. complementary: whole rows first (keeps a table readable), then single cells
    if additive and total is not None and not total.get("suppressed"):
        hidden = [r for r in rows if r.get("suppressed")]
        shown = [r for r in rows if not r.get("suppressed")]
        if len(hidden) == 1 and shown:
            _suppress_row(min(shown, key=lambda r: (_size(r), r["key"])))
    columns = [name for name in COUNT_FIELDS if rows and name in rows[0]]
    columns += [f"band:{b['key']}" for b in (rows[0]["bands"] if rows else [])]
    # each cell as (row, the dict holding it, its key there), looked up once: a region's
    # table has hundreds of rows, and the loop below reads every cell on each pass
    cells: dict[str, list[tuple[dict, dict, str]]] = {name: [] for name in columns}
    for row in rows if additive and total is not None else []:
        bands = {band["key"]: band for band in row["bands"]}
        for name in columns:
            if name.startswith("band:"):
                cells[name].append((row, bands[name[5:]], "count"))
            else:
                cells[name].append((row, row, name))
    changed = True
    while changed:
        changed = False
        if additive and total is not None:
            for name in columns:
                if _cell(total, name) is None:
                    continue
                column = cells[name]
                hidden = sum(1 for _row, holder, key in column if holder[key] is None)
                if hidden == 1 and len(column) > 1:
                    _row, holder, key = min(
                        (cell for cell in column if cell[1][cell[2]] is not None),
                        key=lambda cell: (cell[1][cell[2]], cell[0]["key"]),
                    )
                    holder[key] = None
                    changed = True
        for row in [*rows, *([total] if total else [])]:
            if row["results"] is None:
                # one band per pass, as the columns above may take a complement meanwhile
                changed |= any(_suppress_cell(row, f"band:{b['key']}") for b in row["bands"])
                continue
            hidden = [b for b in row["bands"] if b["count"] is None]
            shown = [b for b in row["bands"] if b["count"] is not None]
            if len(hidden) == 1 and shown:
                victim = min(shown, key=lambda b: (b["count"], b["key"]))
                changed |= _suppress_cell(row, f"band:{victim['key']}")
    # 3. derived figures go with their counts
    for row in [*rows, *([total] if total else [])]:
        if row["results"] is None:
            row["average_level"] = None
        if "completion_rate" in row and (row["completed"] is None or row["enrolled"] is None):
            row["completion_rate"] = None
