"""Benchmark legacy input: old addresses resolved, and legacy-font tables read.

(a) Every pre-2025 commune of Long An and Tây Ninh (280), written three ways (full, without
    accents, abbreviated), resolved to today's units by ``org.legacy_addresses`` against an
    installed Tây Ninh tree: the first call (the package's tables are read) and the others.
(b) ``core.spreadsheets.read_table`` over N generated activity rows typed in TCVN3, VNI and
    Unicode: detection and conversion of the legacy fonts against the Unicode baseline.

Builds a throwaway SQLite database (migrate, then ``units import --province 80``); nothing else
is touched. Run from the repository root: ``.venv/bin/python benchmarks/legacy/run.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]



def _addresses() -> list[str]:
    from ctip.core.text import fold
    from ctip.org.legacy_addresses import abbreviated, old_communes

    out = []
    for province, district, commune in old_communes("80") + old_communes("72"):
        out.append(f"{commune}, {district}, {province}")
        out.append(fold(f"{commune}, {district}, {province}"))
        out.append(", ".join(abbreviated(x) for x in (commune, district, province)))
    return out


def bench_addresses() -> dict[str, Any]:
    from ctip.org.legacy_addresses import _data, resolve_address

    start = time.perf_counter()
    _data()
    load = time.perf_counter() - start
    addresses = _addresses()
    times, statuses = [], {"exact": 0, "ambiguous": 0, "unknown": 0}
    for address in addresses:
        start = time.perf_counter()
        answer = resolve_address(address)
        times.append(time.perf_counter() - start)
        statuses[answer.status] += 1
    return {"addresses": len(addresses), "load_s": load,
            "p50_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
            "total_s": sum(times), **statuses}


def bench_fonts(rows: int) -> dict[str, float]:
    from ctip.core.legacy_fonts import TCVN3, VNI, from_unicode
    from ctip.core.spreadsheets import read_table
    from ctip.outreach.activity_import import KIND

    header = ["Ngày", "Đơn vị", "Hình thức", "Tên hoạt động", "Số nữ", "Số nam", "Tổng số"]
    row = ["17/07/2025", "Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An",
           "Sinh hoạt định kỳ chi, tổ hội, câu lạc bộ",
           "Tuyên truyền phòng, chống mua bán người ở ấp", 20, 5, 25]
    results = {}
    for name in ("unicode", TCVN3, VNI):
        def encode(text: str, name: str = name) -> str:
            return from_unicode(text, name)

        table_rows: list[tuple[int, list[object]]] = [(1, [encode(h) for h in header])]
        table_rows += [(n, [encode(v) if isinstance(v, str) else v for v in row])
                       for n in range(2, rows + 2)]
        start = time.perf_counter()
        table = read_table(iter(table_rows), KIND.spec, max_rows=rows)
        results[name] = time.perf_counter() - start
        assert len(table.rows) == rows and (table.encoding or "unicode") == name
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000,
                        help="rows of the generated table for (b), default 100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctip-bench-legacy-") as data_dir:
        _common.load_script("outreach").configure_django(None, data_dir)
        from django.core.management import call_command

        from ctip.units.provinces import import_province

        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        import_province(actor=None, code=80)
        print(f"database built in {time.perf_counter() - start:.1f}s")
        result = bench_addresses()
        print(f"(a) {result['addresses']} old addresses: tables read in {result['load_s']:.2f}s; "
              f"p50 {result['p50_ms']:.2f} ms, max {result['max_ms']:.1f} ms, "
              f"all {result['total_s']:.2f}s; exact {result['exact']}, "
              f"ambiguous {result['ambiguous']}, unknown {result['unknown']}")
        fonts = bench_fonts(args.rows)
        base = fonts["unicode"]
        for name, seconds in fonts.items():
            print(f"(b) {args.rows} rows {name:8}: {seconds:.2f}s ({seconds / base:.2f}x)")


if __name__ == "__main__":
    main()
