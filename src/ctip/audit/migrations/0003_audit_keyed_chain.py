"""Re-chain the existing audit events under the HMAC key (decision 0023).

Events written before this migration carry an unkeyed SHA-256 chain. The migration first checks
that chain (an event already edited or removed stops it: investigate with the previous version's
``ctip audit verify`` first, or set ``CTIP_AUDIT_RECHAIN_ANYWAY=1`` to re-chain regardless, which
records nothing about the old damage), then signs every event again, in order, with the current
audit key (``ctip.audit.keys.load_keys``), and moves the chain head. The append-only triggers
are lifted for the duration of the migration's transaction only (and re-created in any case:
SQLite rebuilds the table to add the column, which drops them).
"""

import importlib
import os

from django.db import migrations, models

triggers = importlib.import_module("ctip.audit.migrations.0002_append_only")


def rechain(apps, schema_editor):
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.audit.keys import load_keys
    from ctip.audit.models import GENESIS_HASH, keyed_hash, legacy_hash

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "ChainHead")
    if not Event.objects.exists():
        # SQLite rebuilt the table for the new column, which dropped its triggers
        triggers.backwards(apps, schema_editor)
        triggers.forwards(apps, schema_editor)
        return
    problems = []
    expected = GENESIS_HASH
    for event in Event.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected or legacy_hash(event) != event.hash:
            problems.append(event.id)
        expected = event.hash
    if problems and os.environ.get("CTIP_AUDIT_RECHAIN_ANYWAY") != "1":
        raise RuntimeError(
            f"The audit trail is already broken at events {problems[:10]}: it is not re-chained "
            "under the key. Investigate with `ctip audit verify` of the previous version, then "
            "set CTIP_AUDIT_RECHAIN_ANYWAY=1 to re-chain it as it stands.")
    ring = load_keys()
    key_id, key = ring.current, ring.keys[ring.current]
    triggers.backwards(apps, schema_editor)
    prev = GENESIS_HASH
    for event in Event.objects.order_by("id").iterator(chunk_size=2000):
        event.prev_hash = prev
        event.key_id = key_id
        event.hash = keyed_hash(event, key)
        Event.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, key_id=key_id,
                                                 hash=event.hash)
        prev = event.hash
    triggers.forwards(apps, schema_editor)
    Head.objects.update_or_create(pk=1, defaults={"last_hash": prev,
                                                  "count": Event.objects.count()})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(rechain, migrations.RunPython.noop),
    ]
