"""The bulletin home as the root of the default site, the editors' and publishers' groups with
their Wagtail permissions, and the publishers as approvers of the moderation workflow."""

from django.db import migrations


def seed(apps, schema_editor):
    # a migration's function: it imports the app's code when it runs, not when the graph loads
    from ctip.portal.permissions import ensure_groups
    from ctip.portal.setup import ensure_bulletin

    ensure_bulletin(apps)
    ensure_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
