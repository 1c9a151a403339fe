"""Customer import and export files move from database columns into Django's storage: each stored blob is written to
a file under its organization's folder, and only then are the columns dropped."""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models

import scrm.models.imports

# model name -> (folder, field that names the extension)
_FILES = {"CustomerImport": ("imports", "file_kind"), "CustomerExport": ("exports", "file_format")}


def blobs_to_files(apps, schema_editor, *, storage=None):
    """Write every non-empty `content` to storage and name the file in `file` (no tenant scope in migrations).
    A row is read one at a time: a blob may be 20 MB. Returns how many files were written."""
    storage = storage or default_storage
    written = 0
    for model_name, (folder, extension_field) in _FILES.items():
        model = apps.get_model("scrm", model_name)
        rows = model._base_manager.exclude(content=b"").filter(file="").order_by("pk")
        for pk in rows.values_list("pk", flat=True):
            row = model._base_manager.only("organization_id", extension_field, "content").get(pk=pk)
            name = f"{folder}/{row.organization_id}/{uuid.uuid4().hex}.{getattr(row, extension_field)}"
            name = storage.save(name, ContentFile(bytes(row.content)))
            model._base_manager.filter(pk=pk).update(file=name, content=b"")
            written += 1
    return written


def files_to_blobs(apps, schema_editor, *, storage=None):
    """The way back: read each named file into `content` (the files stay, in case the way back is left again)."""
    storage = storage or default_storage
    for model_name in _FILES:
        model = apps.get_model("scrm", model_name)
        for pk, name in model._base_manager.exclude(file="").values_list("pk", "file"):
            with storage.open(name, "rb") as handle:
                model._base_manager.filter(pk=pk).update(content=handle.read(), file="")


class Migration(migrations.Migration):

    dependencies = [
        ("scrm", "0013_customertag_unique_leads_with_organization"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerimport",
            name="file",
            field=models.FileField(blank=True, editable=False, max_length=255,
                                   upload_to=scrm.models.imports.customer_import_path, verbose_name="file"),
        ),
        migrations.AddField(
            model_name="customerexport",
            name="file",
            field=models.FileField(blank=True, editable=False, max_length=255,
                                   upload_to=scrm.models.imports.customer_export_path, verbose_name="file"),
        ),
        # The way back needs the columns to accept the rows while it fills them.
        migrations.AlterField(
            model_name="customerimport",
            name="content",
            field=models.BinaryField(default=b"", editable=False, verbose_name="file content"),
        ),
        migrations.RunPython(blobs_to_files, files_to_blobs),
        migrations.RemoveField(model_name="customerimport", name="content"),
        migrations.RemoveField(model_name="customerexport", name="content"),
    ]
