"""Reads of imports for the pages."""


from scrm.customers.imports.messages import FILE_NAMESPACE, ROW_NAMESPACE
from scrm.models import (
    CustomerImport,
    CustomerImportRowError,
)
from scrm.platform.coded import coded_render


def customer_import_list(*, organization, limit=20):
    """The organization's latest batches, for the import page."""
    return list(CustomerImport.objects.filter(organization=organization).select_related("created_by")[:limit])


def customer_import_get(*, organization, pk):
    """One batch of the organization (raises CustomerImport.DoesNotExist for another organization's)."""
    return CustomerImport.objects.select_related("created_by", "confirmed_by", "undone_by").get(
        organization=organization, pk=pk)


def customer_import_errors(*, batch, limit=None):
    """The batch's row errors as the reader should see them: row, column, message in the active language."""
    rows = CustomerImportRowError.objects.filter(batch=batch).order_by("row", "pk").values_list(
        "row", "column", "code", "params")
    rows = rows[:limit] if limit is not None else rows.iterator(chunk_size=2000)
    for row, column, code, params in rows:
        yield {"row": row, "column": column,
               "message": coded_render({"code": code, "params": params}, namespace=ROW_NAMESPACE)}


def customer_import_failure(batch):
    """Why the batch failed (or why its undo was refused), in the active language; "" when it did not."""
    if not batch.failure_code:
        return ""
    return coded_render({"code": batch.failure_code, "params": batch.failure_params}, namespace=FILE_NAMESPACE)


def customer_import_same_file(*, batch):
    """An earlier batch of the organization that imported the same file (same SHA-256), or None."""
    return (CustomerImport.objects.filter(organization_id=batch.organization_id, file_sha256=batch.file_sha256,
                                          status=CustomerImport.Status.APPLIED)
            .exclude(pk=batch.pk).order_by("-applied_at").first())
