"""The backup procedure of docs/operations.md end to end on PostgreSQL, with ``pg_dump`` and
``pg_restore`` (the tests are in ``backup_cases``; the same on SQLite: ``test_backup.py``)."""

from tests.ops.backup_cases import (  # noqa: F401  (collected here, with this file's `source`)
    source_fixture,
    test_backup_during_writes_restores_every_acknowledged_write,
    test_restore_refuses_before_writing_anything,
    test_the_worker_backs_up_daily_keeps_n_and_seals_for_a_public_key,
)

source = source_fixture("postgresql")
