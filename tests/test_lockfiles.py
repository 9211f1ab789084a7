"""The lockfiles install in pip's hash-checking mode whatever is published after them
(``requirements/README.md``): a locked package that another locked package asks for with an
extra (WeasyPrint's ``fonttools[woff]``, Wagtail's ``willow[heif]``) is pinned with that extra,
and the packages the extra brings are locked too. Pinned without it, pip takes the other
package's ``fonttools[woff]>=4.59.2`` for an unpinned requirement as soon as a newer fonttools
is published, and ``bootstrap.py`` installs nothing (6 December 2026, fonttools 4.69.1)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[([^\]]+)\])?==(\S+)", re.M)


def pins(lockfile: Path) -> dict[str, set[str]]:
    """Each pinned package's name and the extras of its pin."""
    return {canonicalize_name(name): {e.strip() for e in extras.split(",")} if extras else set()
            for name, extras, _version in PIN.findall(lockfile.read_text())}


def asked_with_extras(locked: dict[str, set[str]]) -> dict[str, set[str]]:
    """The extras that the locked packages installed here ask of other locked packages."""
    wanted: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        if canonicalize_name(dist.metadata["Name"]) not in locked:
            continue
        for line in dist.requires or []:
            requirement = Requirement(line)
            if not requirement.extras or canonicalize_name(requirement.name) not in locked:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate(
                    {"extra": ""}):
                continue  # only with an extra of its own that nothing here asks for
            wanted.setdefault(canonicalize_name(requirement.name), set()).update(
                requirement.extras)
    return wanted


@pytest.mark.parametrize("name", ["lock.txt", "test.txt"])
def test_a_package_asked_for_with_an_extra_is_pinned_with_it(name: str) -> None:
    locked = pins(REQUIREMENTS / name)
    wanted = asked_with_extras(locked)
    assert {"fonttools", "willow"} <= set(wanted)  # WeasyPrint's and Wagtail's, at least
    missing = {package: sorted(extras - locked[package])
               for package, extras in wanted.items() if not extras <= locked[package]}
    assert not missing, f"pin these with their extras in requirements/{name}: {missing}"
    # what the extras bring is locked as well
    for package, extras in wanted.items():
        dist = importlib.metadata.distribution(package)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and any(
                    requirement.marker.evaluate({"extra": extra}) for extra in extras) and \
                    not requirement.marker.evaluate({"extra": ""}):
                assert canonicalize_name(requirement.name) in locked, (package, line)
