"""Write marks: the keys of the audit events that wrote something, set apart from the reads
by a trigger on the audit trail, so that a data version (``caching.data_version_at``) finds
the newest write by the primary key's index instead of testing the action of every event it
passes (decision 0093).

A data version looks for the newest write among the events of the newest ``AUDIT_WINDOW``
keys, and past them for the newest write anywhere. Tested on the trail itself, each event cost
a dozen ``LIKE`` comparisons: about a microsecond an event on SQLite, a millisecond for a window
of reads, on every dashboard, table, export and staff home. A mark is appended by the trigger
``ctip_audit_write_mark`` in the transaction of its event (a rolled-back event leaves none),
whatever wrote the event; ``rollups.rebuild`` puts the marks right from the trail and
``rollups.differences`` checks them. The trigger is installed in a short transaction of its
own, after the roll-ups' rebuild (``rollups.install``), so that the trail is never locked for
the length of a rebuild. The rule below is the one definition of a read: the
trigger's condition, the rebuild's and the check's are made from it.
"""

from __future__ import annotations

#: Audit events that change nothing a report counts: reads (views of a record, exports,
#: sign-ins), refusals (an outcome other than ``ok``), and the system's own bookkeeping (the
#: audit chain's checkpoints, keys rotated, reminders and digests sent, a backup taken, API
#: tokens, the public bulletin's pages), so that a scheduled job does not throw the kept pages
#: away (decision 0069). An action is a read when it starts with one of ``READ_PREFIXES``,
#: ends with one of ``READ_SUFFIXES``, holds one of ``READ_INFIXES`` or is one of
#: ``READ_ACTIONS``.
READ_PREFIXES = ("auth.", "report.public_release", "report.ctdc", "audit.", "keys.", "token.",
                 "cms.", "wagtail.")
READ_SUFFIXES = ("viewed",)
READ_INFIXES = ("export",)
READ_ACTIONS = ("report.reminders_sent", "situation.digest_sent", "backup.created",
                "person.duplicate_warned", "person.break_glass", "person.break_glass_reviewed")

#: A change of the tree (a unit created, renamed, moved): a write that concerns every unit.
TREE_PREFIX = "unit."

TABLE = "reports_writemark"
TRIGGER = "ctip_audit_write_mark"

#: The tables a kept duty reads, each with the SQL of a row's unit paths (``{row}`` is ``NEW`` or
#: ``OLD``; a constant for a table whose rows concern every unit: ``''`` is above the root,
#: relevant to each), and whether a row concerns the units below its own (``down``): a
#: campaign is run by the units below, a unit's name is shown on their pages; a situation or a
#: report concerns its unit and the units above it, which count and review it, and no unit
#: below. A row's stored path goes with its unit when the unit moves, or to the successor of a
#: unit merged, for the records handled there now (``org.paths.PLACES``, decision 0099); the
#: unit's path now is marked too, for a row written before that rule.
_CASE_PATH = "(SELECT unit_path FROM cases_supportcase WHERE id = {case})"
CHANGES: dict[str, tuple[tuple[str, ...], bool]] = {
    "cases_situation": (("{row}.handling_path", "{row}.unit_path",
                         "(SELECT path FROM org_unit WHERE id = {row}.handling_unit_id)"), False),
    "reports_report": (("{row}.unit_path",
                        "(SELECT path FROM org_unit WHERE id = {row}.unit_id)"), False),
    "reports_reporttype": (("''",), True),
    "outreach_campaign": (("{row}.unit_path",), True),
    "org_unit": (("{row}.path",), True),
    "org_unittype": (("''",), True),  # which units report: every unit's
    # a case manager's duties: a support case, its workers and follow-ups concern its unit
    # (the path stored on the case, which the lists read); an anonymisation request its
    # supervising unit; a break-glass flag the unit of the one who opened it, which her
    # reviewers above look at
    "cases_supportcase": (("{row}.unit_path",), False),
    "cases_supportcase_workers": ((_CASE_PATH.format(case="{row}.supportcase_id"),), False),
    "cases_followup": ((_CASE_PATH.format(case="{row}.case_id"),), False),
    "cases_anonymisationrequest": (("{row}.unit_path",), False),
    "cases_breakglass": (("{row}.actor_path",), False),
}
CHANGES_TABLE = "reports_changemark"
#: How many of the newest change marks ``rollups.compact`` keeps: a version reads only those
#: of the newest ``caching.AUDIT_WINDOW`` keys, and the newest of all.
CHANGES_KEPT = 20_000


def is_read(action: str, outcome: str) -> bool:
    """The rule in Python, as the SQL below applies it (for tests and for reading). Actions are
    written in lower case (a test holds every action the code records to it): SQLite's
    ``LIKE`` ignores case, PostgreSQL's does not."""
    return (outcome != "ok" or action in READ_ACTIONS or action.startswith(READ_PREFIXES)
            or action.endswith(READ_SUFFIXES) or any(x in action for x in READ_INFIXES))


def _literal(text: str) -> str:
    if "'" in text:
        raise ValueError(f"an action named in the rule holds a quote: {text!r}")
    return f"'{text}'"


def _like(column: str, pattern: str) -> str:
    return f"{column} LIKE {_literal(pattern)} ESCAPE '\\'"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def read_sql(row: str) -> str:
    """The rule as an SQL condition on the audit row ``row`` (``NEW`` in the trigger)."""
    action = f"{row}.action"
    terms = [f"{row}.outcome <> 'ok'",
             f"{action} IN ({', '.join(_literal(a) for a in READ_ACTIONS)})",
             *(_like(action, _escaped(p) + "%") for p in READ_PREFIXES),
             *(_like(action, "%" + _escaped(s)) for s in READ_SUFFIXES),
             *(_like(action, "%" + _escaped(x) + "%") for x in READ_INFIXES)]
    return "(" + " OR ".join(terms) + ")"


def tree_sql(row: str) -> str:
    return "(" + _like(f"{row}.action", _escaped(TREE_PREFIX) + "%") + ")"


def fresh_sql() -> str:
    """The marks the trail holds, as a SELECT in the table's column order."""
    return (f"SELECT a.id, a.unit_path, {tree_sql('a')} FROM audit_auditevent a "
            f"WHERE NOT {read_sql('a')}")


def trigger(vendor: str) -> tuple[str, str, str, list[str], list[str]]:
    """The trigger, in the form of ``rollups._triggers``: table, event, condition, statements
    and locks. A mark already at the event's key (left by hand, or by a restore of some tables)
    is replaced, never in the way: an audited action must not fail for a derived table."""
    values = f"VALUES (NEW.id, NEW.unit_path, {tree_sql('NEW')})"
    insert = (f"INSERT INTO {TABLE} (id, unit_path, tree) {values} ON CONFLICT (id) DO UPDATE "
              "SET unit_path = EXCLUDED.unit_path, tree = EXCLUDED.tree"
              if vendor == "postgresql" else
              f"INSERT OR REPLACE INTO {TABLE} (id, unit_path, tree) {values}")
    return ("audit_auditevent", "AFTER INSERT", f"NOT {read_sql('NEW')}", [insert], [])


def refill_sql(vendor: str) -> list[str]:
    """The marks put right from the trail (``rollups.rebuild``): those that name no write of
    the trail (or another path) removed, the missing ones added; the others are left as they
    are, so a rebuild rewrites nothing of a table that was right, and no version moves (a mark
    is its event's key). Neither statement locks the trail: an event committing meanwhile has
    its mark from the trigger, which the second passes over."""
    right = (f"SELECT 1 FROM audit_auditevent a WHERE a.id = {TABLE}.id AND NOT {read_sql('a')} "
             f"AND a.unit_path = {TABLE}.unit_path AND {tree_sql('a')} = {TABLE}.tree")
    missing = f"{fresh_sql()} AND NOT EXISTS (SELECT 1 FROM {TABLE} m WHERE m.id = a.id)"
    insert = ("INSERT INTO" if vendor == "postgresql" else "INSERT OR IGNORE INTO")
    conflict = " ON CONFLICT (id) DO NOTHING" if vendor == "postgresql" else ""
    return [f"DELETE FROM {TABLE} WHERE NOT EXISTS ({right})",
            f"{insert} {TABLE} (id, unit_path, tree) {missing}{conflict}"]


def differences_sql() -> str:
    """How many marks are wrong or missing against the trail: 0 when right."""
    kept = f"SELECT id, unit_path, tree FROM {TABLE}"
    return (f"SELECT (SELECT COUNT(*) FROM ({fresh_sql()} EXCEPT {kept}) x) "
            f"+ (SELECT COUNT(*) FROM ({kept} EXCEPT {fresh_sql()}) y)")


def _paths(row: str, columns: tuple[str, ...]) -> list[str]:
    return [c.format(row=row) for c in columns]


#: The advisory lock every transaction that appends a change mark holds, shared, from its first
#: mark until it ends (PostgreSQL): a data version read while one is held is not settled
#: (``caching.settled``). The two keys spell "ctip" and "mark".
WRITING_LOCK = (0x63746970, 0x6D61726B)


def writing_sql() -> str:
    """Whether another transaction holding ``WRITING_LOCK`` is running (PostgreSQL): one that
    has appended a mark and not yet committed. Marks are numbered when written, not when
    committed: while it runs, a mark written after its own may be committed and read, and the
    newest mark would not change when it commits. The reader's own marks, if any, it sees;
    an advisory lock is its database's (another database of the server is another system)."""
    classid, objid = WRITING_LOCK
    return ("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND "
            f"classid = {classid} AND objid = {objid} AND objsubid = 2 AND granted "
            "AND pid <> pg_backend_pid() AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))")


def change_triggers(vendor: str = "sqlite"
                    ) -> dict[str, tuple[str, str, str, list[str], list[str]]]:
    """The change marks' triggers (``CHANGES``), in the form of ``rollups._triggers``: after
    each insert, update and delete of a row, its unit paths (an update's old and new ones, each
    once) appended to ``CHANGES_TABLE``. On PostgreSQL the transaction first takes
    ``WRITING_LOCK``, shared (writers never wait for each other); SQLite has one writer at a
    time, whose marks are committed in the order they are numbered."""
    locks = ([f"PERFORM pg_advisory_xact_lock_shared({WRITING_LOCK[0]}, {WRITING_LOCK[1]})"]
             if vendor == "postgresql" else [])
    triggers: dict[str, tuple[str, str, str, list[str], list[str]]] = {}
    for table, (columns, down) in CHANGES.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")),
                            ("DELETE", ("OLD",))):
            paths = [p for row in rows for p in _paths(row, columns)]
            union = " UNION ".join(f"SELECT {p} AS unit_path" for p in dict.fromkeys(paths))
            insert = (f"INSERT INTO {CHANGES_TABLE} (unit_path, down) SELECT unit_path, "
                      f"{'TRUE' if down else 'FALSE'} FROM ({union}) changed "
                      "WHERE unit_path IS NOT NULL")  # a unit deleted has no path now
            name = f"ctip_change_{table}_{event[:3].lower()}"
            triggers[name] = (table, f"AFTER {event}", "", [insert], locks)
    return triggers


def everything_sql(vendor: str) -> list[str]:
    """A change mark that concerns every unit (its path ``''`` is above the root), appended as
    the triggers append theirs: on PostgreSQL under ``WRITING_LOCK``, shared."""
    lock = ([f"SELECT pg_advisory_xact_lock_shared({WRITING_LOCK[0]}, {WRITING_LOCK[1]})"]
            if vendor == "postgresql" else [])
    return [*lock, f"INSERT INTO {CHANGES_TABLE} (unit_path, down) VALUES ('', TRUE)"]


def prune_sql() -> str:
    """The change marks far behind the newest removed (``CHANGES_KEPT``)."""
    return (f"DELETE FROM {CHANGES_TABLE} WHERE id < "
            f"(SELECT MAX(id) FROM {CHANGES_TABLE}) - {CHANGES_KEPT}")
