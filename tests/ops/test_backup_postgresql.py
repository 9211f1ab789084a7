"""The backup procedure of docs/operations.md end to end on PostgreSQL, with ``pg_dump`` and
``pg_restore`` (the tests are in ``backup_cases``; the same on SQLite: ``test_backup.py``).
Marked ``postgresql``: CI runs it in its PostgreSQL run, where the installation's database is a
copy of the run's migrated test database; so it is marked ``django_db`` too, which keeps it in
that run and starts it with the files that use the database, not last (``tests/conftest.py``,
decision record 0088)."""

import pytest

from tests.ops.backup_cases import (  # noqa: F401  (collected here, with this file's `source`)
    source_fixture,
    test_backup_during_writes_restores_every_acknowledged_write,
    test_restore_refuses_before_writing_anything,
    test_the_worker_backs_up_daily_keeps_n_and_seals_for_a_public_key,
)

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

source = source_fixture("postgresql")
