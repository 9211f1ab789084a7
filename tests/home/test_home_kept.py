"""The staff home rendered once per set of the values it shows, its activity cards kept under
the data version of her units (decision 0092): every write that changes what a card shows is
on the next visit, whatever path made it; a write elsewhere does not throw her cards away; and
one officer's page is never another's."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.home.test_home import HOME, campaign_with_activity, page, section


def _without_token(html: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _participants(html: str) -> str:
    found = re.search(r"<dd>(\d+) / [^<]*</dd>\s*<dt>[^<]*</dt><dd>(\d+) / ", html)
    assert found, html
    return found.group(2)


def test_every_write_that_changes_the_activity_cards_is_on_the_next_visit(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    from ctip.outreach import actions as outreach
    from ctip.outreach.models import Activity
    from ctip.units.actions import update_unit

    campaign, activity = campaign_with_activity(tree, users, formats)
    officer = users["commune_officer"]
    client = client_for(officer)
    html = page(client)
    assert _participants(section(html, "campaigns")) == "40"
    assert _without_token(page(client)) == _without_token(html)  # the same page again

    # an action (its audit event and its roll-up row)
    second = outreach.create_activity(
        actor=officer, unit=tree.commune_a, date=timezone.localdate(),
        format=formats["meeting"], title="Buổi nói chuyện ở ấp Rạch Sen", campaign=campaign,
        participants_total=15)
    html = page(client)
    assert "Buổi nói chuyện ở ấp Rạch Sen" in section(html, "recent")
    assert _participants(section(html, "campaigns")) == "55"

    # a queryset update of a counted column, as an import or a script makes it (the triggers)
    Activity.objects.filter(pk=second.pk).update(participants_total=25)
    assert _participants(section(page(client), "campaigns")) == "65"

    # SQL, no model and no audit event at all (the triggers)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE outreach_activity SET participants_total = 0 WHERE id = %s",
                       [second.pk])
    assert _participants(section(page(client), "campaigns")) == "40"

    # a unit renamed, a campaign's targets set (audit events of writes)
    update_unit(actor=users["system_admin"], unit=tree.commune_a, name="Xã Đức Hòa Thượng")
    assert "Xã Đức Hòa Thượng" in section(page(client), "recent")
    outreach.set_targets(actor=users["province_officer"], campaign=campaign,
                         targets={tree.commune_a: (4, 120, 1)})
    assert "/ 120" in section(page(client), "campaigns")

    # the activity's own edit through the action (an audit event, no counted column)
    outreach.update_activity(actor=officer, activity=activity, title="Tiêu đề đã sửa")
    assert "Tiêu đề đã sửa" in section(page(client), "recent")


def test_a_visit_after_no_write_reads_no_activity(tree: Any, users: Any, formats: Any,
                                                  client_for: Any) -> None:
    """Kept: the second visit asks the data version, not the cards' targets and activities
    (the campaigns table is still read, for the campaign reports she owes)."""
    campaign_with_activity(tree, users, formats)
    client = client_for(users["commune_officer"])
    page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "outreach_campaigntarget" not in read and '"outreach_activity"' not in read, read
    assert "reports_activitymonth" in read  # the version was asked


def test_a_write_in_another_commune_keeps_her_cards(tree: Any, users: Any, formats: Any,
                                                    client_for: Any) -> None:
    from ctip.outreach import actions as outreach

    campaign_with_activity(tree, users, formats)
    client = client_for(users["commune_officer"])
    page(client)
    outreach.create_activity(actor=users["province_officer"], unit=tree.commune_b,
                             date=timezone.localdate(), format=formats["meeting"],
                             title="Ở phường khác")
    with CaptureQueriesContext(connection) as queries:
        html = page(client)
    assert "Ở phường khác" not in html
    assert '"outreach_activity"' not in " ".join(q["sql"] for q in queries.captured_queries)


def test_two_officers_with_different_scopes_never_share_a_page(tree: Any, users: Any,
                                                               formats: Any,
                                                               client_for: Any) -> None:
    from ctip.outreach import actions as outreach

    campaign_with_activity(tree, users, formats)
    outreach.create_activity(actor=users["province_officer"], unit=tree.commune_b,
                             date=timezone.localdate(), format=formats["meeting"],
                             title="Ở phường Tân An")
    commune = page(client_for(users["commune_officer"]))
    province = page(client_for(users["province_officer"]))
    assert "Ở phường Tân An" in section(province, "recent")
    assert "Ở phường Tân An" not in commune
    assert "Sinh hoạt chuyên đề phòng chống mua bán người" in section(commune, "recent")
    # and the commune officer's page again, after the province's was kept
    assert "Ở phường Tân An" not in page(client_for(users["commune_officer"]))


def test_the_home_is_sent_not_to_be_stored_and_with_her_own_token(users: Any,
                                                                  client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    first, second = client.get(HOME), client.get(HOME)
    assert first["Cache-Control"] == "no-store"
    tokens = [re.search(r'"X-CSRFToken": "([^"]+)"', r.content.decode()) for r in (first, second)]
    assert all(tokens) and tokens[0].group(1) != tokens[1].group(1)  # masked afresh
    assert "?" not in HOME and client.get(HOME + "?x=1").status_code == 200
