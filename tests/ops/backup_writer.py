"""A client writing through the actions while a backup runs (tests/ops/backup_cases.py).

Run as a script with the environment of the installation under test. It prints ``ACK i code``
once the i-th person is committed, and stops when the file named by its argument exists."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def name(i: int) -> str:
    return f"Nguyễn Thị Thử Nghiệm {i}"


def phone(i: int) -> str:
    return f"09{i:08d}"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
    import django

    django.setup()
    from ctip.cases import actions
    from ctip.org.models import Unit, UnitType
    from ctip.units.actions import create_unit

    stop = Path(sys.argv[1])
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    commune = Unit.objects.filter(name="Xã Thử Nghiệm").first()
    if commune is None:
        central = create_unit(actor=None, parent=None, name="Hội LHPN Việt Nam",
                              unit_type=UnitType.objects.get(code="central"))
        province = create_unit(actor=None, parent=central, name="Tỉnh Thử Nghiệm",
                               unit_type=UnitType.objects.get(code="province"), gso_code="80")
        commune = create_unit(actor=None, parent=province, name="Xã Thử Nghiệm",
                              unit_type=UnitType.objects.get(code="commune"), gso_code="27943")
    print("READY", flush=True)
    i = 0
    while not stop.exists() and i < limit:
        person = actions.create_person(actor=None, unit=commune, full_name=name(i),
                                       birth_year=1990 + i % 20, phone=phone(i))
        print(f"ACK {i} {person.code}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
