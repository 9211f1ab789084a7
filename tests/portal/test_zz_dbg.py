import datetime as dt, re
import pytest
from django.urls import reverse
from django.utils import timezone
from django.core.management import call_command
from tests.portal.conftest import add_article
from ctip.portal.models import ArticlePage

pytestmark = pytest.mark.django_db

def test_dbg(bulletin, users, client_for):
    soon = timezone.now() + dt.timedelta(hours=2)
    page = add_article(bulletin.section, "Tin hẹn giờ", publish=False)
    page.go_live_at = soon
    page.save_revision().publish()
    page.refresh_from_db()
    from wagtail.models import Revision
    print([(r.pk, r.approved_go_live_at) for r in Revision.objects.filter(object_id=str(page.pk))], page.latest_revision_id)
    Revision.objects.filter(pk=page.latest_revision_id).update(approved_go_live_at=timezone.now() - dt.timedelta(seconds=1))
    import io; out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    print("OUT", out.getvalue())
    page.refresh_from_db(); print("live", page.live)
    editor = client_for(users["editor"])
    edit = editor.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    body = edit.content.decode()
    print(re.findall(r"(?:>|\")([^<>\"]*(?:[ạảãáàâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ])[^<>\"]*)(?:<|\")", body)[:60])
