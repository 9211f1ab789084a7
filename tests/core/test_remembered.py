"""What a process remembers of the shared cache (``core.remembered``, decision 0101): the staff
home's cards, read once from the shared cache under all they were made from, are not asked for
again by the same process; a write still shows on the next visit (a new version, a new key);
what is remembered ends after ``SECONDS`` and with the shared cache emptied."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core.cache import caches
from django.utils import timezone

from ctip.core import remembered
from ctip.core.remembered import Remembered
from tests.home.test_home import campaign_with_activity, page, section
from tests.home.test_home_kept import _participants


def test_a_value_is_remembered_for_its_seconds_then_forgotten() -> None:
    clock = [1000.0]
    table = Remembered(seconds=10, size=3)
    with mock.patch.object(remembered, "_clock", lambda: clock[0]):
        table.keep(("a", 1), "first")
        assert table.get(("a", 1)) == "first"
        assert table.get(("a", 2)) is None  # another version: another key
        clock[0] += 9.9
        assert table.get(("a", 1)) == "first"
        clock[0] += 0.2
        assert table.get(("a", 1)) is None
        for n in range(5):  # at most three, the oldest dropped first
            table.keep(n, n)
        assert [table.get(n) for n in range(5)] == [None, None, 2, 3, 4]
        remembered.forget_all()
        assert [table.get(n) for n in range(5)] == [None] * 5


def _home_reads(client: Any) -> list[str]:
    """The keys of the shared cache the home page reads in one visit."""
    shared = caches["default"]
    read: list[str] = []
    original = shared.get

    def get(key: str, *args: Any, **kwargs: Any) -> Any:
        read.append(key)
        return original(key, *args, **kwargs)

    with mock.patch.object(shared, "get", get):
        page(client)
    return [key for key in read if key.startswith("home:")]


def test_the_second_visit_asks_the_shared_cache_nothing_for_her_cards(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    from ctip.outreach import actions as outreach

    campaign, _activity = campaign_with_activity(tree, users, formats)
    officer = users["commune_officer"]
    client = client_for(officer)
    assert _home_reads(client)  # made, or read from the shared cache, on the first visit
    assert _home_reads(client) == []  # then remembered
    outreach.create_activity(
        actor=officer, unit=tree.commune_a, date=timezone.localdate(),
        format=formats["meeting"], title="Buổi nói chuyện ở ấp Rạch Sen", campaign=campaign,
        participants_total=15)
    html = page(client)  # a write: a new version, the cards made again
    assert "Buổi nói chuyện ở ấp Rạch Sen" in section(html, "recent")
    assert _participants(section(html, "campaigns")) == "55"


def test_another_process_sees_what_this_one_made_through_the_shared_cache(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """A second server (here: this process with nothing remembered) takes the cards from the
    shared cache, not from the database."""
    campaign_with_activity(tree, users, formats)
    client = client_for(users["commune_officer"])
    first = page(client)
    remembered.forget_all()
    reads = _home_reads(client)
    assert reads and all(caches["default"].get(key) is not None for key in reads)
    assert section(page(client), "campaigns") == section(first, "campaigns")


def test_after_its_seconds_the_process_reads_the_shared_cache_again(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    """A write no trigger sees (the cards' ``CARDS_TIMEOUT``) shows once the shared cache has
    dropped the cards and the process's ``SECONDS`` have passed."""
    from ctip.outreach.models import Activity

    _campaign, activity = campaign_with_activity(tree, users, formats)
    client = client_for(users["commune_officer"])
    clock = [1000.0]
    with mock.patch.object(remembered, "_clock", lambda: clock[0]):
        page(client)
        Activity.objects.filter(pk=activity.pk).update(title="Đổi tên bằng tay")  # no trigger
        caches["default"].clear()  # the shared entry's lifetime over
        clock[0] += remembered.SECONDS - 1
        assert "Đổi tên bằng tay" not in section(page(client), "recent")  # still remembered
        clock[0] += 2  # SECONDS after it was read, however often it was used since
        assert "Đổi tên bằng tay" in section(page(client), "recent")
