"""Which module registers each kind of import, so that a kind is loaded on first use.

An app names its kinds when it is ready (``declare("branches", "ctip.units.branch_import")``
in its ``AppConfig.ready``); the module itself, which reads spreadsheets (openpyxl, which loads
numpy: about half a second), is imported the first time the kind is asked for
(``pipeline.kind``), not at the start of every process: a worker, ``ctip check`` or
``ctip migrate`` that imports nothing never pays for it (decision 0072). This module imports
nothing of ctip's, so that ``ready`` stays light.
"""

from __future__ import annotations

from importlib import import_module

_MODULES: dict[str, str] = {}


def declare(name: str, module: str) -> None:
    """The kind ``name`` is registered by ``module`` (a dotted path), imported on first use."""
    _MODULES[name] = module


def load(name: str | None = None) -> None:
    """Import the module that registers ``name`` (every declared module without a name); a
    name nobody declared imports nothing (the caller then finds no kind)."""
    for kind_name, module in list(_MODULES.items()):
        if name is None or kind_name == name:
            import_module(module)
