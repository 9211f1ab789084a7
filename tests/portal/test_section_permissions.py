"""Per-section permissions: a section belongs to a unit; editors and publishers whose role is
scoped to a commune write and approve in that commune's sections only, in the admin at /cms/;
the province's editors and publishers work everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission, WorkflowState

from ctip.accounts.actions import grant_role, revoke_role
from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment
from ctip.portal.models import ArticlePage, SectionGroups, SectionPage
from ctip.portal.permissions import (
    EDITORS,
    PUBLISHERS,
    TASK_NAME,
    WORKFLOW_NAME,
    ensure_groups,
)
from tests.conftest import Tree, make_user
from tests.portal.conftest import Bulletin, add_article, add_section
from tests.portal.test_workflow import admin_form, groups_of

pytestmark = pytest.mark.django_db


def give_unit(section: SectionPage, unit: Any) -> SectionPage:
    """What a publisher does in the section's editor: choose the unit, publish."""
    section.unit = unit
    section.save_revision().publish()
    return SectionPage.objects.get(pk=section.pk)


def rename(section: SectionPage, title: str) -> SectionPage:
    section.title = title
    section.save_revision().publish()
    return SectionPage.objects.get(pk=section.pk)


@pytest.fixture
def commune(tree: Tree, bulletin: Bulletin) -> dict[str, Any]:
    """Section 1 belongs to commune A; its editor and publisher are scoped to commune A."""
    section = give_unit(bulletin.section, tree.commune_a)
    return {
        "section": section,
        "editor": make_user("bientap_xa", Role.EDITOR, tree.commune_a),
        "publisher": make_user("xuatban_xa", Role.PUBLISHER, tree.commune_a),
    }


def edit_url(page: Any) -> str:
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def test_a_section_has_its_own_groups_and_workflow(bulletin: Bulletin) -> None:
    section = bulletin.section
    link = SectionGroups.objects.get(section=section)
    assert link.editors.name == f"{EDITORS} · {section.title}"
    assert link.publishers.name == f"{PUBLISHERS} · {section.title}"
    perms = {(p.group_id, p.permission.codename)
             for p in GroupPagePermission.objects.filter(page=section)}
    assert (link.editors.pk, "change_page") in perms
    assert (link.editors.pk, "publish_page") not in perms
    assert (link.publishers.pk, "publish_page") in perms
    # nothing of this section's groups on the other section or the home
    assert not GroupPagePermission.objects.filter(
        group__in=[link.editors, link.publishers]).exclude(page=section).exists()
    assert link.editors.permissions.filter(codename="access_admin").exists()

    workflow = section.get_workflow()
    assert workflow.name == f"{WORKFLOW_NAME} · {section.title}"
    task = workflow.tasks.get().specific
    assert task.name == f"{TASK_NAME} · {section.title}"
    assert set(task.groups.values_list("name", flat=True)) == {
        link.publishers.name, PUBLISHERS}
    assert bulletin.other_section.get_workflow() != workflow


def test_a_new_section_gets_groups_workflow_and_members(users: dict[str, Any],
                                                        bulletin: Bulletin) -> None:
    section = add_section(bulletin.home, "Hoạt động Hội")
    link = SectionGroups.objects.get(section=section)
    assert section.get_workflow().name == f"{WORKFLOW_NAME} · Hoạt động Hội"
    # the province's editor and publisher (no unit on the section = the province) are members
    assert groups_of(users["editor"]) >= {EDITORS, link.editors.name}
    assert link.publishers.name not in groups_of(users["editor"])
    assert groups_of(users["publisher"]) >= {PUBLISHERS, link.editors.name,
                                             link.publishers.name}
    assert groups_of(users["commune_officer"]) == set()


def test_commune_editor_edits_only_in_her_section(commune: dict[str, Any], bulletin: Bulletin,
                                                  client_for: Any) -> None:
    editor = commune["editor"]
    section = commune["section"]
    assert groups_of(editor) == {f"{EDITORS} · {section.title}"}  # nothing bulletin-wide
    mine = bulletin.articles[0]
    theirs = ArticlePage.objects.child_of(bulletin.other_section).get()
    client = client_for(editor)

    assert client.get("/cms/").status_code == 200
    assert client.get(edit_url(mine)).status_code == 200
    response = client.post(edit_url(mine), admin_form("Bài đã sửa ở xã", mine.slug))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.draft_title == "Bài đã sửa ở xã" and mine.has_unpublished_changes
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", section.pk))
    assert client.get(add).status_code == 200

    # another section: Wagtail refuses, nothing is saved
    refused = client.get(edit_url(theirs))
    assert refused.status_code in (302, 403)
    revisions = theirs.revisions.count()
    response = client.post(edit_url(theirs), admin_form("Sửa trộm", theirs.slug))
    assert response.status_code in (302, 403)
    theirs.refresh_from_db()
    assert theirs.draft_title != "Sửa trộm" and theirs.revisions.count() == revisions
    add_there = reverse("wagtailadmin_pages:add",
                        args=("portal", "articlepage", bulletin.other_section.pk))
    client.post(add_there, admin_form("Bài lạc chỗ", "bai-lac-cho"))
    assert not ArticlePage.objects.filter(slug="bai-lac-cho").exists()
    # nor may she add a section at the home
    assert not bulletin.home.permissions_for_user(editor).can_add_subpage()


def submitted(section: SectionPage, title: str, editor: Any) -> tuple[ArticlePage, Any]:
    page = add_article(section, title, publish=False, user=editor)
    state = page.get_workflow().start(page, editor)
    return page, state


def approve(client: Client, page: ArticlePage, state: Any) -> Any:
    return client.post(reverse("wagtailadmin_pages:workflow_action",
                               args=(page.pk, "approve", state.current_task_state_id)),
                       {"comment": "Đồng ý đăng."})


def test_commune_publisher_approves_only_in_her_section(
        users: dict[str, Any], commune: dict[str, Any], bulletin: Bulletin,
        client_for: Any) -> None:
    publisher = commune["publisher"]
    mine, my_state = submitted(commune["section"], "Bài xã gửi duyệt", commune["editor"])
    theirs, their_state = submitted(bulletin.other_section, "Bài mục khác gửi duyệt",
                                    users["editor"])
    client = client_for(publisher)

    approve(client, theirs, their_state)
    theirs.refresh_from_db()
    their_state.refresh_from_db()
    assert not theirs.live and their_state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not theirs.permissions_for_user(publisher).can_publish()

    assert approve(client, mine, my_state).status_code in (200, 302)
    mine.refresh_from_db()
    my_state.refresh_from_db()
    assert mine.live and my_state.status == WorkflowState.STATUS_APPROVED

    # the commune editor cannot approve her own section's articles
    again, state = submitted(commune["section"], "Bài thứ hai", commune["editor"])
    approve(client_for(commune["editor"]), again, state)
    again.refresh_from_db()
    assert not again.live


def test_province_editor_and_publisher_still_work_everywhere(
        users: dict[str, Any], commune: dict[str, Any], bulletin: Bulletin,
        client_for: Any) -> None:
    editor, publisher = users["editor"], users["publisher"]
    for section in (commune["section"], bulletin.other_section):
        article = ArticlePage.objects.child_of(section).first()
        assert article.permissions_for_user(editor).can_edit()
        assert client_for(editor).get(edit_url(article)).status_code == 200
        page, state = submitted(section, f"Bài tỉnh ở {section.title}", editor)
        approve(client_for(publisher), page, state)
        page.refresh_from_db()
        assert page.live
    assert bulletin.home.permissions_for_user(editor).can_add_subpage()


def test_revoking_the_role_removes_the_groups(commune: dict[str, Any], tree: Tree) -> None:
    publisher = commune["publisher"]
    title = commune["section"].title
    assert groups_of(publisher) == {f"{EDITORS} · {title}", f"{PUBLISHERS} · {title}"}
    assignment = RoleAssignment.objects.active().get(user=publisher, role=Role.PUBLISHER)
    revoke_role(actor=None, assignment=assignment)
    assert groups_of(publisher) == set()
    grant_role(actor=None, user=publisher, role=Role.EDITOR, unit=tree.commune_a)
    assert groups_of(publisher) == {f"{EDITORS} · {title}"}


def test_renaming_and_moving_a_section_keeps_things_right(
        commune: dict[str, Any], bulletin: Bulletin, tree: Tree) -> None:
    editor = commune["editor"]
    section = rename(commune["section"], "Tin từ cơ sở")
    assert groups_of(editor) == {f"{EDITORS} · Tin từ cơ sở"}
    assert section.get_workflow().name == f"{WORKFLOW_NAME} · Tin từ cơ sở"
    assert section.get_workflow().tasks.get().name == f"{TASK_NAME} · Tin từ cơ sở"

    # moved to commune B: commune A's editor loses it, commune B's editor gains it
    other_editor = make_user("bientap_phuong", Role.EDITOR, tree.commune_b)
    assert groups_of(other_editor) == set()
    section = give_unit(section, tree.commune_b)
    assert groups_of(editor) == set()
    assert groups_of(other_editor) == {f"{EDITORS} · Tin từ cơ sở"}
    article = ArticlePage.objects.child_of(section).first()
    assert article.permissions_for_user(other_editor).can_edit()
    assert not article.permissions_for_user(editor).can_edit()

    # moved within the tree (another position under the home): same groups, same rights
    section.move(bulletin.other_section, pos="left")
    section = SectionPage.objects.get(pk=section.pk)
    assert groups_of(other_editor) == {f"{EDITORS} · Tin từ cơ sở"}
    fresh = type(other_editor).objects.get(pk=other_editor.pk)  # Wagtail caches on the user
    assert ArticlePage.objects.child_of(section).first().permissions_for_user(fresh).can_edit()

    # two sections with the same title still get groups of their own
    twin = add_section(bulletin.home, "Tin từ cơ sở", slug="tin-tu-co-so-2")
    twin_editors = SectionGroups.objects.get(section=twin).editors.name
    assert twin_editors.startswith(f"{EDITORS} · Tin từ cơ sở")
    assert twin_editors != f"{EDITORS} · Tin từ cơ sở"
    assert groups_of(other_editor) == {f"{EDITORS} · Tin từ cơ sở"}


def test_restructuring_the_tree_moves_the_rights_with_it(
        commune: dict[str, Any], tree: Tree) -> None:
    from ctip.units.actions import merge_units, move_subtree

    title = commune["section"].title
    section_editors = f"{EDITORS} · {title}"
    far_editor = make_user("bientap_caobang", Role.EDITOR, tree.other_province)
    assert section_editors not in groups_of(far_editor)

    # commune A (the section's unit) moves under the other province: its editors cover it
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    assert section_editors in groups_of(far_editor)
    assert groups_of(commune["editor"]) == {section_editors}  # her own unit moved with it

    # commune A is merged into commune B: her grant is on a closed unit, so nothing is left
    tree.commune_b.refresh_from_db()
    move_subtree(actor=None, unit=tree.commune_b, new_parent=tree.other_province)
    merge_units(actor=None, sources=[tree.commune_a], into=tree.commune_b)
    assert groups_of(commune["editor"]) == set()
    assert groups_of(commune["publisher"]) == set()


def test_group_names_never_collide(bulletin: Bulletin) -> None:
    first = add_section(bulletin.home, "Tin tức", slug="tin-tuc")
    second = add_section(bulletin.home, f"Tin tức (#{first.pk})", slug="tin-tuc-2")
    third = add_section(bulletin.home, "Tin tức", slug="tin-tuc-3")
    rename(second, "Tin tức")
    names = [SectionGroups.objects.get(section=s).editors.name for s in (first, second, third)]
    assert len(set(names)) == 3 and all(n.startswith(f"{EDITORS} · Tin tức") for n in names)


def test_deleting_a_section_removes_its_groups(bulletin: Bulletin) -> None:
    link = SectionGroups.objects.get(section=bulletin.other_section)
    names = [link.editors.name, link.publishers.name]
    workflow = bulletin.other_section.get_workflow()
    bulletin.other_section.delete()
    assert not Group.objects.filter(name__in=names).exists()
    workflow.refresh_from_db()
    assert not workflow.active


def test_ensure_groups_is_idempotent(users: dict[str, Any], commune: dict[str, Any]) -> None:
    from wagtail.models import Workflow

    def counts() -> tuple[int, ...]:
        return (Group.objects.count(), GroupPagePermission.objects.count(),
                Workflow.objects.count(), SectionGroups.objects.count(),
                sum(u.groups.count() for u in users.values()))

    before = counts()
    ensure_groups()
    ensure_groups()
    assert counts() == before


def test_admin_page_search_ignores_accents(users: dict[str, Any], bulletin: Bulletin,
                                           client_for: Any) -> None:
    client = client_for(users["publisher"])
    for query in ("bai so", "Bài số", "hoi bao tin"):
        response = client.get(reverse("wagtailadmin_pages:search"), {"q": query})
        assert response.status_code == 200
        text = response.content.decode()
        if query == "hoi bao tin":
            assert "Hỏi: báo tin có phải nói tên không?" in text
        else:
            assert "Bài số 1: cảnh giác lời mời việc làm" in text
    nothing = client.get(reverse("wagtailadmin_pages:search"), {"q": "khongcogiday"})
    assert "Bài số 1" not in nothing.content.decode()


def test_the_data_migration_gives_existing_sections_their_groups(
        users: dict[str, Any], commune: dict[str, Any], bulletin: Bulletin) -> None:
    """An installation from before per-section groups: the migration's ``ensure_groups``,
    run with the historical models, creates them and puts the role holders in."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    links = SectionGroups.objects.all()
    Group.objects.filter(pk__in=[*links.values_list("editors_id", flat=True),
                                 *links.values_list("publishers_id", flat=True)]).delete()
    assert not SectionGroups.objects.exists()
    state = MigrationLoader(connection).project_state(("portal", "0004_section_groups"))
    ensure_groups(state.apps)

    title = commune["section"].title
    assert SectionGroups.objects.count() == SectionPage.objects.count() == 2
    assert groups_of(commune["editor"]) == {f"{EDITORS} · {title}"}
    assert groups_of(users["publisher"]) == {
        EDITORS, PUBLISHERS, f"{EDITORS} · {title}", f"{PUBLISHERS} · {title}",
        f"{EDITORS} · {bulletin.other_section.title}",
        f"{PUBLISHERS} · {bulletin.other_section.title}"}
    task = commune["section"].get_workflow().tasks.get().specific
    assert set(task.groups.values_list("name", flat=True)) == {
        f"{PUBLISHERS} · {title}", PUBLISHERS}


def section_form(section: SectionPage, unit: Any, **extra: str) -> dict[str, str]:
    """What the section's editor posts."""
    return {"title": section.title, "slug": section.slug, "intro": section.intro,
            "unit": str(unit.pk) if unit else "", "seo_title": "", "search_description": "",
            "go_live_at": "", "expire_at": "", "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0", "comments-MIN_NUM_FORMS": "0",
            "comments-MAX_NUM_FORMS": "1000", **extra}


def test_only_a_publisher_over_both_units_hands_a_section_over(
        users: dict[str, Any], commune: dict[str, Any], tree: Tree,
        client_for: Any) -> None:
    section = commune["section"]
    page = client_for(commune["publisher"]).get(edit_url(section)).content.decode()
    assert "Đơn vị phụ trách chuyên mục" in page or "đơn vị phụ trách chuyên mục" in page
    refused = client_for(commune["publisher"]).post(
        edit_url(section), section_form(section, tree.commune_b, **{"action-publish": "1"}))
    assert refused.status_code == 200
    assert "Chỉ người xuất bản của cả đơn vị hiện tại và đơn vị mới" in refused.content.decode()
    section.refresh_from_db()
    assert section.unit == tree.commune_a
    # her own changes that keep the unit go through
    kept = client_for(commune["publisher"]).post(
        edit_url(section), section_form(section, tree.commune_a, intro="Tin của xã.",
                                        **{"action-publish": "1"}))
    assert kept.status_code == 302
    section.refresh_from_db()
    assert section.intro == "Tin của xã."

    other_editor = make_user("bientap_phuong", Role.EDITOR, tree.commune_b)
    done = client_for(users["publisher"]).post(
        edit_url(section), section_form(section, tree.commune_b, **{"action-publish": "1"}))
    assert done.status_code == 302
    section.refresh_from_db()
    assert section.unit == tree.commune_b
    assert groups_of(other_editor) == {f"{EDITORS} · {section.title}"}
    assert groups_of(commune["editor"]) == set()
