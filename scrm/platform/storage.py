"""Files that no row names: stored by a transaction that then rolled back, or left by a row deleted since."""

from datetime import timedelta

from scrm.platform.tenancy import tenant_scope

ORPHAN_GRACE = timedelta(hours=1)  # a file younger than this may belong to a transaction still open


def storage_orphans_delete(*, model, field="file", folder, organization_id, now, grace=ORPHAN_GRACE):
    """Delete the files directly in `folder` of `model.<field>`'s storage that no row of `model` names, once older
    than `grace`; returns how many. The folder holds one organization's files (`<kind>/<organization id>/...`), so
    its rows are read in that organization's scope: no lift of the guard. Through the storage API (a local folder
    or an object store alike); a folder that does not exist holds nothing."""
    storage = model._meta.get_field(field).storage
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    names = {f"{folder}/{name}" for name in files}
    with tenant_scope(organization_id):
        known = set(model.objects.filter(**{f"{field}__in": names}).values_list(field, flat=True))
    deleted = 0
    for name in sorted(names - known):
        if storage.get_modified_time(name) <= now - grace:
            storage.delete(name)
            deleted += 1
    return deleted


def organization_folders(storage, folder):
    """[(organization id, its folder)] of the `<folder>/<organization id>/` folders in `storage`; a folder not
    named by an id is no organization's and is left alone."""
    try:
        names, _files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [(int(name), f"{folder}/{name}") for name in sorted(names) if name.isdigit()]
