"""Region managers' grants move from guardian's generic tables (text object_pk) to the direct foreign-key tables.

Every grant on a region is copied with the region's organization, then removed from the generic table (guardian
reads the direct table once it exists, so a copy left behind would be a grant nobody sees or revokes). A grant on
a region deleted since granted nothing and is not copied. Backwards copies them back.
"""

from django.db import migrations

PAIRS = [("UserObjectPermission", "RegionUserObjectPermission", "user_id"),
         ("GroupObjectPermission", "RegionGroupObjectPermission", "group_id")]


def _region_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.filter(app_label="scrm", model="region").first()


def forwards(apps, schema_editor):
    region_type = _region_type(apps)
    if region_type is None:
        return  # a fresh database: no grant yet
    organizations = dict(apps.get_model("scrm", "Region").objects.values_list("pk", "organization_id"))
    for generic_name, direct_name, holder in PAIRS:
        generic = apps.get_model("guardian", generic_name)
        direct = apps.get_model("scrm", direct_name)
        grants = generic.objects.filter(content_type=region_type)
        direct.objects.bulk_create([
            direct(organization_id=organizations[int(grant.object_pk)], permission_id=grant.permission_id,
                   content_object_id=int(grant.object_pk), **{holder: getattr(grant, holder)})
            for grant in grants if int(grant.object_pk) in organizations
        ], ignore_conflicts=True)
        grants.delete()


def backwards(apps, schema_editor):
    region_type = _region_type(apps)
    if region_type is None:
        return
    for generic_name, direct_name, holder in PAIRS:
        generic = apps.get_model("guardian", generic_name)
        direct = apps.get_model("scrm", direct_name)
        generic.objects.bulk_create([
            generic(content_type=region_type, object_pk=str(grant.content_object_id),
                    permission_id=grant.permission_id, **{holder: getattr(grant, holder)})
            for grant in direct.objects.all()
        ], ignore_conflicts=True)
        direct.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("scrm", "0016_region_managers_through_direct_foreign_keys"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
