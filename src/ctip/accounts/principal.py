"""Who is signed in, without a query per request (decision 0060).

Every signed-in request needs the user, her confirmed second-step devices (is this session
verified? has she a device at all?) and her grants (may she see identities, and so must she
use the second step?). Read from the database that was three queries before the view. Here
the three are kept together as one snapshot in the cache that every ``ctip serve`` process
shares (with her home unit, which the pages name: decision 0066), marked with two versions:

- the user's own version, changed by any save or deletion of the user, of one of her role
  assignments or of one of her devices (the model signals below; ``grant_role``,
  ``revoke_role``, ``set_active``, the password changes and the enrolment all save through
  them);
- the tree's version, changed by any save or deletion of a unit and by every restructuring
  (``units_restructured``: a move rewrites paths with one UPDATE), because a grant carries its
  unit's path, name and whether it is open.

A request reads the snapshot and both versions in one round trip and uses the snapshot only if
it was made under the versions current now; otherwise it reads the database and keeps a new
one. A version is a random token, not a counter, so a version lost by the cache can never come
back to an old snapshot's value. The version changes at once and again once the transaction
commits: a request that read the rows before the commit made its snapshot under the older
version, which no request uses any more. A removed role therefore stops working on the very
next request, in every process. A revocation the cache refuses to record fails with the
write; a change that takes nothing away (the time of a sign-in, a code used on a confirmed
device) is saved anyway, so signing in works while the cache is down (decision 0069); a cache
that does not answer a read is passed over for the database.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import grants_of
from ctip.org.models import Unit
from ctip.org.signals import units_restructured

log = logging.getLogger(__name__)

PREFIX = "ctip.principal."
TREE_VERSION = PREFIX + "tree"


def shape() -> int:
    """What a snapshot was made by: the fields of a user and of her home unit (a pickled user
    of other fields is not used), and what each role may do (her grants carry their roles'
    capabilities: a release that narrows a role must not leave anyone the old rights for the
    hour a snapshot lasts)."""
    fields = ",".join(f.attname for model in (User, Unit) for f in model._meta.concrete_fields)
    roles = ";".join(f"{role}:{','.join(sorted(caps))}"
                     for role, caps in sorted(ROLE_CAPABILITIES.items()))
    return zlib.crc32(f"{fields}|{roles}".encode())


SHAPE = shape()  # once per process: a release starts new processes
SNAPSHOT_SECONDS = 3600  # a snapshot unused for an hour is dropped; the versions are kept
DEVICES_ATTR = "_ctip_devices"


def _version_key(user_id: Any) -> str:
    return f"{PREFIX}v.{user_id}"


def _snapshot_key(user_id: Any) -> str:
    return f"{PREFIX}s.{SHAPE}.{user_id}"


def _new_version(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)


def _change(key: str, revocation: bool = True) -> None:
    """A new version now and again after the commit. A revocation the cache refuses fails the
    change (it must not look done while another server still serves the old grants); a change
    that takes nothing away (``revocation=False``: the time of a sign-in, a code's use on a
    device) is recorded anyway, the kept snapshot at worst showing the time before."""
    try:
        _new_version(key)
    except Exception:
        if revocation:
            raise
        log.warning("cache refused a version; the change takes nothing away", exc_info=True)
    transaction.on_commit(lambda: _new_version(key), robust=True)


def user_changed(user_id: Any, revocation: bool = True) -> None:
    """Every kept snapshot of this user is stale from now on, in every process."""
    _change(_version_key(user_id), revocation)


def tree_changed() -> None:
    """Every kept snapshot is stale from now on: a grant's unit may have moved or closed."""
    _change(TREE_VERSION)


def _current(found: dict[str, Any], key: str) -> str | None:
    version = found.get(key)
    if version is None:  # never set, or lost by the cache: start one (another may win)
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version  # type: ignore[no-any-return]


def _load(user_id: Any) -> User | None:
    try:
        # her home unit with her: every page names it, and any change to a unit makes every
        # snapshot stale (the tree's version)
        user = User._default_manager.select_related("home_unit").get(pk=user_id)
    except User.DoesNotExist:
        return None
    setattr(user, DEVICES_ATTR, list(devices_for_user(user, confirmed=True)))
    grants_of(user)  # kept on the user as ``_ctip_grants``
    return user


def signed_in_user(user_id: Any) -> User | None:
    """The user with her devices and grants, from the cache when nothing changed since."""
    keys = [_snapshot_key(user_id), _version_key(user_id), TREE_VERSION]
    try:
        found = cache.get_many(keys)
        versions = (_current(found, keys[1]), _current(found, keys[2]))
    except Exception:  # noqa: BLE001  (the database answers when the cache does not)
        log.warning("cache not answering; reading the signed-in user", exc_info=True)
        return _load(user_id)
    snapshot = found.get(keys[0])
    if snapshot is not None and None not in versions and snapshot[0] == versions:
        return snapshot[1]  # type: ignore[no-any-return]
    user = _load(user_id)
    if user is not None and None not in versions:
        try:
            cache.set(keys[0], (versions, user), SNAPSHOT_SECONDS)
        except Exception:  # noqa: BLE001  (not kept: the next request reads again)
            log.warning("cache refused the signed-in user's snapshot", exc_info=True)
    return user


def has_device(user: Any) -> bool:
    """Whether ``user`` has a confirmed second-step device (the snapshot's, when it has one)."""
    devices = getattr(user, DEVICES_ATTR, None)
    return bool(devices) if devices is not None else user_has_device(user)


def session_device(user: Any, persistent_id: str) -> Device | None:
    """The snapshot's device with this persistent id; ``None`` without a snapshot too."""
    for device in getattr(user, DEVICES_ATTR, None) or ():
        if device.persistent_id == persistent_id:
            return device  # type: ignore[no-any-return]
    return None


class Backend(ModelBackend):
    """Django's model backend, the signed-in user read through :func:`signed_in_user`."""

    def get_user(self, user_id: Any) -> User | None:
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


#: The fields of a user whose save takes nothing away: Django's record of the sign-in.
BOOKKEEPING = frozenset({"last_login"})


def _user_saved(sender: Any, instance: User, update_fields: Any = None,
                **kwargs: Any) -> None:
    # a deletion (no ``update_fields``) and every save of other fields may revoke
    user_changed(instance.pk, revocation=not (update_fields and update_fields <= BOOKKEEPING))


def _assignment_saved(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    user_changed(instance.user_id)


#: Set on a device before its save: it was stored and confirmed already.
WAS_CONFIRMED = "_ctip_was_confirmed"


def _device_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Device) and instance.pk is not None:
        setattr(instance, WAS_CONFIRMED, type(instance).objects.filter(
            pk=instance.pk, confirmed=True).exists())


def _device_saved(sender: Any, instance: Any, signal: Any = None, **kwargs: Any) -> None:
    if isinstance(instance, Device):  # every kind of device, TOTP and any added later
        # Only a device that was confirmed before its save and still is (a code used: its
        # counter, its throttle) changes nothing a snapshot holds. A new or newly confirmed
        # device adds the second step to her sign-in, and a deleted or unconfirmed one takes
        # it away: the snapshots must change, as for a revocation, or the save fails.
        kept = (signal is post_save and not kwargs.get("created")
                and getattr(instance, WAS_CONFIRMED, False)
                and bool(getattr(instance, "confirmed", False)))
        user_changed(instance.user_id, revocation=not kept)


def _unit_saved(sender: Any, **kwargs: Any) -> None:
    tree_changed()


def connect() -> None:
    """Listen for every change a snapshot depends on (``AccountsConfig.ready``)."""
    for signal in (post_save, post_delete):
        signal.connect(_user_saved, sender=User, dispatch_uid=f"principal-user-{signal}")
        signal.connect(_assignment_saved, sender=RoleAssignment,
                       dispatch_uid=f"principal-role-{signal}")
        signal.connect(_device_saved, dispatch_uid=f"principal-device-{signal}")
        signal.connect(_unit_saved, sender=Unit, dispatch_uid=f"principal-unit-{signal}")
    pre_save.connect(_device_saving, dispatch_uid="principal-device-pre_save")
    units_restructured.connect(_unit_saved, dispatch_uid="principal-tree")
    # a data migration writes roles and units with update() or SQL, which send no signal:
    # after every migrate no snapshot made before it is used
    post_migrate.connect(_migrated, dispatch_uid="principal-migrated")


def _migrated(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", None) == "accounts":  # sent for every app: once a migrate
        tree_changed()
