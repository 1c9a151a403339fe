"""Statement files dropped in a folder (STATEMENT_DROP_DIR), for channels that deliver by SFTP or a script:

    <dir>/<organization slug>/<channel code>/<file>.csv|zip|xlsx

Each file goes through `statement_import` like an upload (source "folder"), then is moved beside itself: to `done/`
when it was accepted (its import page tells the rest, refusals of its content included), or to `failed/` when it
was refused at once (the same file again, an unknown organization or channel, an empty file), with `<file>.txt`
saying why, a translatable message in the active language (the product's, Chinese, on a worker). A file still being
written is left for the next sweep: only files unchanged for `settle` seconds are taken. Organizations are listed by
slug (they are the tenants, not tenant rows); each file is imported in its organization's scope."""

import logging
import os
import shutil
import time
from pathlib import Path

from django.conf import settings

from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from settlement.errors import MSG_NO_ORGANIZATION, MSG_NO_PAYMENT_CHANNEL
from settlement.models import PaymentChannel, StatementImport
from settlement.statements.messages import StatementRefused
from settlement.statements.services import payment_channels_ensure, statement_import

logger = logging.getLogger(__name__)

EXTENSIONS = {".csv", ".zip", ".xlsx", ".txt"}
DONE, FAILED = "done", "failed"
SETTLE_SECONDS = 10


def _move(path, folder, reason=""):
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}-{int(time.time())}{path.suffix}"
    shutil.move(str(path), target)
    if reason:
        target.with_name(target.name + ".txt").write_text(reason + "\n", encoding="utf-8")
    return target


def statement_folder_sweep(*, root=None, settle=SETTLE_SECONDS, now=None):
    """Import every settled file of the drop folder; returns {"imported": [...ids], "failed": [...names]}."""
    root = Path(root if root is not None else settings.STATEMENT_DROP_DIR or "")
    outcome = {"imported": [], "failed": []}
    if not str(root) or not root.is_dir():
        return outcome
    now = now or time.time()
    for organization_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        organization = Organization.objects.filter(slug=organization_dir.name, is_active=True).first()
        for channel_dir in sorted(p for p in organization_dir.iterdir() if p.is_dir()):
            for path in sorted(p for p in channel_dir.iterdir() if p.is_file()):
                if path.suffix.lower() not in EXTENSIONS or now - path.stat().st_mtime < settle:
                    continue
                if organization is None:
                    reason = str(MSG_NO_ORGANIZATION % {"slug": organization_dir.name})
                    outcome["failed"].append(_move(path, FAILED, reason).name)
                    continue
                _import_one(organization, channel_dir.name, path, outcome)
    return outcome


def _import_one(organization, code, path, outcome):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        channel = PaymentChannel.objects.filter(code=code).first()
        if channel is None:
            outcome["failed"].append(_move(path, FAILED, str(MSG_NO_PAYMENT_CHANNEL % {"code": code})).name)
            return
        try:
            with open(path, "rb") as handle:
                row = statement_import(organization=organization, channel=channel, file=handle,
                                       file_name=os.path.basename(path), source=StatementImport.Source.FOLDER)
        except StatementRefused as refused:
            outcome["failed"].append(_move(path, FAILED, str(refused.message)).name)
            logger.info("dropped statement refused", extra={"file": path.name, "code": refused.code})
            return
    _move(path, DONE)
    outcome["imported"].append(row.pk)
