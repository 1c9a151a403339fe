"""Progress of a running phase (rows done / total) in Django's cache, which every process shares, so the batch
page can poll it."""


from django.core.cache import cache

from scrm.models import CustomerImport

PROGRESS_TIMEOUT = 6 * 3600


def _progress_key(batch):
    return f"scrm:customer-import:{batch.organization_id}:{batch.pk}:progress"


def progress_set(batch, *, done, total):
    cache.set(_progress_key(batch), {"done": done, "total": total}, PROGRESS_TIMEOUT)


def customer_import_progress(batch):
    """Rows done and total of the batch's running phase, and the percentage; zeros before a worker reports."""
    figures = cache.get(_progress_key(batch)) or {}
    done, total = int(figures.get("done", 0)), int(figures.get("total", 0))
    if batch.status in {CustomerImport.Status.VALIDATED, CustomerImport.Status.APPLIED,
                        CustomerImport.Status.UNDONE}:
        done = total = max(total, batch.total_rows)
    percent = min(100, done * 100 // total) if total else 0
    return {"done": done, "total": total, "percent": percent, "step": percent - percent % 5}
