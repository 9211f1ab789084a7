"""How counts are read and shown, below the fact apps that show them (decision 0053).

- ``privacy``: the disclosure-control layer every count about people passes through
  (decision 0019);
- ``rollups``: which roll-up level answers a unit, and the roll-up tables as ``reports``
  provides them, so a fact app's page can read its totals without importing ``reports``.

It imports ``org`` and ``accounts`` only; ``reports`` builds the roll-ups and registers them
here (``ReportsConfig.ready``).
"""
