"""An upload becomes a batch of validated rows; the facility's staff confirm it (it is imported in the
background, `importing.batch_import`) or discard it."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from facilities.selectors import is_facility_staff

from . import parsing
from .models import BatchStatus, InvitationBatch, InvitationRow, RowStatus
from .selectors import CHUNK, experiments_by_proposal, users_by_email
from .tasks import import_batch


def check_may_manage(*, user, facility_id: int) -> None:
    if not is_facility_staff(user, facility_id):
        raise PermissionDenied("You are not staff of this facility.")


def _validate_against_database(*, facility_id: int, rows: list[parsing.CleanRow]) -> None:
    """Checks across the file and against the database: duplicates, experiments, accounts."""
    experiments = experiments_by_proposal(facility_id)
    accounts = users_by_email(row.email for row in rows if row.email)
    seen: dict[tuple[str, str], int] = {}
    new_experiments: dict[str, parsing.CleanRow] = {}
    for row in rows:
        if row.email and row.proposal:
            key = (row.email, row.proposal.casefold())
            if key in seen:
                row.errors.append(f"duplicate of line {seen[key]} (same email and proposal)")
            else:
                seen[key] = row.line
        matches = accounts.get(row.email, [])
        if len(matches) > 1:
            row.errors.append("several accounts use this email; ask an administrator to merge them")
        elif matches and not matches[0].is_active:
            row.errors.append("the account with this email is deactivated")
        elif row.email:
            row.notes.append("existing account" if matches else "new account")
        if not row.proposal or row.start_date is None:
            continue
        experiment = experiments.get(row.proposal.casefold())
        if experiment is not None:
            if experiment.start_date != row.start_date:
                row.errors.append(
                    f"experiment {experiment.proposal} starts on {experiment.start_date:%Y-%m-%d}, "
                    f"not {row.start_date:%Y-%m-%d}"
                )
            continue
        first = new_experiments.setdefault(row.proposal.casefold(), row)
        if first is row:
            row.notes.append("new experiment")
        elif first.start_date != row.start_date:
            row.errors.append(f"start date differs from line {first.line} for the same proposal")


@transaction.atomic
def batch_create(
    *, facility, uploaded_by, data: bytes, filename: str = "", now: datetime | None = None
) -> InvitationBatch:
    """Read and check an upload, and keep it (file problems, or every row with its errors) for the
    report. Nothing else is written until the batch is confirmed."""
    now = now or timezone.now()
    check_may_manage(user=uploaded_by, facility_id=facility.pk)
    batch = InvitationBatch(facility=facility, uploaded_by=uploaded_by, filename=filename[:255])
    if len(data) > settings.PANLEARN_INVITATIONS_MAX_BYTES:
        limit = settings.PANLEARN_INVITATIONS_MAX_BYTES // (1024 * 1024)
        batch.file_errors = [f"The file is larger than {limit} MiB: split it."]
        batch.save()
        return batch
    try:
        rows = parsing.read_rows(data, today=timezone.localdate(now), max_rows=settings.PANLEARN_INVITATIONS_MAX_ROWS)
    except parsing.FileRejected as error:
        batch.file_errors = [str(error)]
        batch.save()
        return batch
    _validate_against_database(facility_id=facility.pk, rows=rows)
    batch.total_rows = len(rows)
    batch.valid_rows = sum(1 for row in rows if not row.errors)
    batch.save()
    InvitationRow.objects.bulk_create(
        [
            InvitationRow(
                batch=batch,
                line=row.line,
                email=row.email,
                name=row.name,
                proposal=row.proposal,
                start_date=row.start_date,
                role=row.role,
                title=row.title,
                instrument=row.instrument,
                experiment_type=row.experiment_type,
                errors=row.errors,
                notes=[] if row.errors else row.notes,
                status=RowStatus.INVALID if row.errors else RowStatus.VALID,
            )
            for row in rows
        ],
        batch_size=CHUNK,
    )
    return batch


@transaction.atomic
def batch_confirm(*, batch: InvitationBatch, user) -> InvitationBatch:
    """The staff member has seen the report: import the valid rows (in the background)."""
    check_may_manage(user=user, facility_id=batch.facility_id)
    updated = InvitationBatch.objects.filter(pk=batch.pk, status=BatchStatus.PENDING, valid_rows__gt=0).update(
        status=BatchStatus.CONFIRMED, confirmed_by=user, confirmed_at=timezone.now()
    )
    batch.refresh_from_db()
    if updated:
        transaction.on_commit(lambda: import_batch.enqueue(batch.pk))
    return batch


def batch_discard(*, batch: InvitationBatch, user) -> InvitationBatch:
    check_may_manage(user=user, facility_id=batch.facility_id)
    InvitationBatch.objects.filter(pk=batch.pk, status=BatchStatus.PENDING).update(status=BatchStatus.DISCARDED)
    batch.refresh_from_db()
    return batch
