"""Writes: an upload becomes a batch of validated rows; a confirmed batch becomes accounts, participants,
enrolments and emailed one-time links. Everything works on whole sets (a few queries per 500 rows), so
10,000 rows import in seconds; importing a row again changes nothing and sends nothing."""

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConfirmedEmail
from accounts.selectors import users_with_confirmed_email
from courses.models import Enrolment
from onboarding.models import Experiment, Participant
from onboarding.selectors import is_facility_staff
from tracking import interface as tracking
from tracking.identity import registration_for

from . import emails, parsing
from .models import BatchStatus, Invitation, InvitationBatch, InvitationRow, RowStatus
from .selectors import RequirementIndex

CHUNK = 500


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_may_manage(*, user, facility_id: int) -> None:
    if not is_facility_staff(user, facility_id):
        raise PermissionDenied("You are not staff of this facility.")


def _users_by_email(emails_: Iterable[str]) -> dict[str, list]:
    """Accounts by lower-cased confirmed email (a list, as the callers expect; one account per confirmed
    address). An unconfirmed address may have been typed by anyone at sign-up: it matches no row."""
    found: dict[str, list] = {}
    for chunk in chunks(sorted(set(emails_))):
        for user in users_with_confirmed_email(chunk).order_by("pk"):
            found.setdefault(user.email_lower, []).append(user)
    return found


def _experiments_by_proposal(facility_id: int) -> dict[str, Experiment]:
    experiments = Experiment.objects.filter(facility_id=facility_id).only(
        "pk", "facility_id", "proposal", "start_date", "instrument", "experiment_type", "title"
    )
    return {experiment.proposal.casefold(): experiment for experiment in experiments}


# -- upload and validation -----------------------------------------------------------------------


def _validate_against_database(*, facility_id: int, rows: list[parsing.CleanRow]) -> None:
    """Checks across the file and against the database: duplicates, experiments, accounts."""
    experiments = _experiments_by_proposal(facility_id)
    accounts = _users_by_email(row.email for row in rows if row.email)
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
    from .tasks import import_batch

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


# -- import --------------------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (last, "")


def _new_users(rows: list[InvitationRow], taken: set[str]) -> list:
    """Accounts for emails nobody uses yet: username = email (or email + a random suffix if taken),
    no usable password (the invitation link, or "forgotten your password", sets one)."""
    User = get_user_model()
    users = []
    for row in rows:
        username = row.email[:150]
        if username in taken:
            username = f"{row.email[:130]}-{uuid.uuid4().hex[:8]}"
        taken.add(username)
        first, last = _split_name(row.name)
        # What make_password(None) gives, without its slow character-by-character random string.
        password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        users.append(
            User(
                username=username,
                email=row.email,
                first_name=first[:150],
                last_name=last[:150],
                password=password,
                is_active=True,
            )
        )
    return users


def _taken_usernames(candidates: Iterable[str]) -> set[str]:
    User = get_user_model()
    taken: set[str] = set()
    for chunk in chunks(sorted(set(candidates))):
        taken |= set(
            User.objects.annotate(name_lower=Lower("username"))
            .filter(name_lower__in=chunk)
            .values_list("name_lower", flat=True)
        )
    return taken


def _fail(row: InvitationRow, message: str) -> None:
    row.status, row.errors = RowStatus.FAILED, [*row.errors, message]


@transaction.atomic
def batch_import(*, batch_id: int, now: datetime | None = None) -> InvitationBatch | None:
    """Import a confirmed batch's valid rows: experiments, accounts, participants, enrolments and
    invitations, in bulk; the emails go out after the commit."""
    now = now or timezone.now()
    batch = (
        InvitationBatch.objects.select_for_update(of=("self",))
        .filter(pk=batch_id)
        .select_related("confirmed_by")
        .first()
    )
    if batch is None or batch.status != BatchStatus.CONFIRMED:
        return batch
    rows = list(batch.rows.filter(status=RowStatus.VALID).order_by("line"))

    # Experiments: a proposal the facility does not have yet is created from its first row.
    experiments = _experiments_by_proposal(batch.facility_id)
    missing: dict[str, Experiment] = {}
    for row in rows:
        key = row.proposal.casefold()
        if key not in experiments and key not in missing:
            missing[key] = Experiment(
                facility_id=batch.facility_id,
                proposal=row.proposal,
                start_date=row.start_date,
                title=row.title or f"Proposal {row.proposal}",
                instrument=row.instrument,
                experiment_type=row.experiment_type,
            )
    if missing:
        Experiment.objects.bulk_create(missing.values(), batch_size=CHUNK, ignore_conflicts=True)
        experiments = _experiments_by_proposal(batch.facility_id)

    # Accounts: matched by email without case, or created.
    accounts = _users_by_email(row.email for row in rows)
    firsts: dict[str, InvitationRow] = {}
    for row in rows:
        matches = accounts.get(row.email, [])
        if len(matches) > 1:
            _fail(row, "several accounts use this email")
        elif matches and not matches[0].is_active:
            _fail(row, "the account with this email is deactivated")
        elif not matches:
            firsts.setdefault(row.email, row)
    created_ids: set[int] = set()
    if firsts:
        taken = _taken_usernames(email[:150] for email in firsts)
        new_users = _new_users(list(firsts.values()), taken)
        get_user_model().objects.bulk_create(new_users, batch_size=CHUNK)
        # The facility vouches for the address of an account made for its invitation: confirmed, so that
        # the next import finds it (and nobody who typed that address at sign-up can confirm it later).
        for names in chunks(sorted(user.username for user in new_users)):
            made = get_user_model().objects.filter(username__in=names).only("pk", "email")
            ConfirmedEmail.objects.bulk_create(
                [ConfirmedEmail(user=user, email=user.email.lower(), how=ConfirmedEmail.FACILITY) for user in made],
                batch_size=CHUNK,
                ignore_conflicts=True,
            )
        fresh = _users_by_email(firsts)
        accounts.update(fresh)
        created_ids = {user.pk for users in fresh.values() for user in users}
    ok = [row for row in rows if row.status == RowStatus.VALID]
    for row in ok:
        row.account = accounts[row.email][0]
    user_ids = sorted({row.account.pk for row in ok})

    # Participants: added, or their role updated.
    experiment_ids = sorted({experiments[row.proposal.casefold()].pk for row in ok})
    existing: dict[tuple[int, int], Participant] = {}
    for chunk in chunks(user_ids):
        for participant in Participant.objects.filter(experiment_id__in=experiment_ids, user_id__in=chunk):
            existing[(participant.experiment_id, participant.user_id)] = participant
    new_participants, changed = [], []
    for row in ok:
        experiment = experiments[row.proposal.casefold()]
        participant = existing.get((experiment.pk, row.account.pk))
        if participant is None:
            new_participants.append(Participant(experiment=experiment, user=row.account, role=row.role))
        elif participant.role != row.role:
            participant.role = row.role
            changed.append(participant)
            row.notes = [*row.notes, "role updated"]
    Participant.objects.bulk_create(new_participants, batch_size=CHUNK, ignore_conflicts=True)
    Participant.objects.bulk_update(changed, ["role"], batch_size=CHUNK)

    # Enrolments in the courses of every programme each participant needs.
    index = RequirementIndex([batch.facility_id])
    wanted = {
        row.pk: index.course_ids(index.required(experiment=experiments[row.proposal.casefold()], role=row.role))
        for row in ok
    }
    course_ids = sorted({course_id for ids in wanted.values() for course_id in ids})
    enrolled: dict[tuple[int, int], bool] = {}
    if course_ids:
        for chunk in chunks(user_ids):
            for user_id, course_id, active in Enrolment.objects.filter(
                user_id__in=chunk, course_id__in=course_ids
            ).values_list("user_id", "course_id", "is_active"):
                enrolled[(user_id, course_id)] = active
    new_enrolments, reactivate, newly = [], [], {}
    for row in ok:
        newly[row.pk] = []
        for course_id in wanted[row.pk]:
            key = (row.account.pk, course_id)
            if key not in enrolled:
                new_enrolments.append(
                    Enrolment(
                        user=row.account,
                        course_id=course_id,
                        registration=registration_for(user_id=row.account.pk, course_id=course_id),
                    )
                )
            elif not enrolled[key]:
                reactivate.append(key)
            else:
                continue
            enrolled[key] = True
            newly[row.pk].append(course_id)
    Enrolment.objects.bulk_create(new_enrolments, batch_size=CHUNK, ignore_conflicts=True)
    for user_id, course_id in reactivate:
        Enrolment.objects.filter(user_id=user_id, course_id=course_id).update(is_active=True, updated_at=now)
    _forget_run_plans([row.account for row in ok if row.account.pk not in created_ids and newly[row.pk]])

    # Invitations: one per experiment and user; an existing one means the row was imported before.
    invited: set[tuple[int, int]] = set()
    for chunk in chunks(user_ids):
        invited |= set(
            Invitation.objects.filter(experiment_id__in=experiment_ids, user_id__in=chunk).values_list(
                "experiment_id", "user_id"
            )
        )
    invitations, tokens = [], {}
    expires = now + timedelta(days=settings.PANLEARN_INVITATIONS_LINK_DAYS)
    for row in ok:
        experiment = experiments[row.proposal.casefold()]
        if (experiment.pk, row.account.pk) in invited:
            row.notes = [*row.notes, "already invited: no new email"]
        else:
            token = secrets.token_urlsafe(32)
            tokens[token_hash(token)] = token
            invitations.append(
                Invitation(
                    experiment=experiment,
                    user=row.account,
                    row=row,
                    invited_by=batch.confirmed_by,
                    created_account=row.account.pk in created_ids,
                    enrolled_course_ids=newly[row.pk],
                    token_hash=token_hash(token),
                    expires_at=expires,
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=CHUNK, ignore_conflicts=True)
    inserted: dict[int, str] = {}
    for chunk in chunks(list(tokens)):
        for pk, hashed in Invitation.objects.filter(token_hash__in=chunk).values_list("pk", "token_hash"):
            inserted[pk] = tokens[hashed]
    _rows_done(rows)

    batch.status, batch.imported_at = BatchStatus.IMPORTED, now
    batch.imported_rows = len(ok)
    batch.save(update_fields=["status", "imported_at", "imported_rows"])
    transaction.on_commit(lambda: invitations_send(tokens=inserted, now=now))
    return batch


def _rows_done(rows: list[InvitationRow]) -> None:
    """Mark rows imported (or failed) with their notes: one UPDATE per distinct outcome, not per row
    (bulk_update's CASE over 10,000 rows takes half a minute)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        status = RowStatus.IMPORTED if row.status == RowStatus.VALID else row.status
        groups.setdefault((status, json.dumps([row.errors, row.notes])), []).append(row.pk)
    for (status, outcome), pks in groups.items():
        errors, notes = json.loads(outcome)
        for chunk in chunks(pks):
            InvitationRow.objects.filter(pk__in=chunk).update(status=status, errors=errors, notes=notes)


def _forget_run_plans(users: list) -> None:
    """New enrolments change what an existing user may run in lessons (a post_save does this for one row)."""
    from exercises.kernels import Who
    from exercises.selectors import bump_version

    for user in {user.pk: user for user in users}.values():
        bump_version("user", Who.of(user=user, session_key="").key)


# -- the one-time links --------------------------------------------------------------------------


def invitations_send(
    *, tokens: dict[int, str] | None = None, ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Email unsent invitations: those of `tokens` (id -> the raw token made with them; only its hash is
    stored), or the given `ids` with a fresh token each (a retry). A chunk whose mail fails is rolled
    back and stays unsent, for `invitations remind` to retry."""
    now = now or timezone.now()
    tokens = dict(tokens or {})
    pending_ids = sorted(set(tokens) | set(ids or ()))
    if not pending_ids:
        return 0
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    expires = now + timedelta(days=settings.PANLEARN_INVITATIONS_LINK_DAYS)
    index: RequirementIndex | None = None
    sent = 0
    connection = get_connection()
    for chunk in chunks(pending_ids, 200):
        with transaction.atomic():
            invitations = list(
                Invitation.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk, sent_at__isnull=True)
                .select_related("user", "experiment__facility", "row")
            )
            if not invitations:
                continue
            if index is None:
                index = RequirementIndex({invitation.experiment.facility_id for invitation in invitations})
            messages = []
            for invitation in invitations:
                token = tokens.get(invitation.pk)
                if token is None:  # a retry: the first token is gone with the email that failed
                    token = secrets.token_urlsafe(32)
                    invitation.token_hash, invitation.expires_at = token_hash(token), expires
                    Invitation.objects.filter(pk=invitation.pk).update(
                        token_hash=invitation.token_hash, expires_at=expires
                    )
                programmes = index.required(experiment=invitation.experiment, role=_role_of(invitation))
                messages.append(
                    emails.invitation_message(
                        invitation=invitation,
                        programmes=programmes,
                        link=base_url + reverse("invitations:accept", args=[token]),
                        base_url=base_url,
                    )
                )
            Invitation.objects.filter(pk__in=[invitation.pk for invitation in invitations]).update(sent_at=now)
            connection.send_messages(messages)
            sent += len(messages)
    return sent


def _role_of(invitation: Invitation) -> str:
    if invitation.row is not None and invitation.row.role:
        return invitation.row.role
    participant = Participant.objects.filter(experiment_id=invitation.experiment_id, user_id=invitation.user_id).first()
    return participant.role if participant else ""


def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.filter(token_hash=token_hash(token)).select_related("user", "experiment__facility").first()
    )


def invitation_problem(invitation: Invitation | None, *, now: datetime | None = None) -> str:
    """Why the link does not work ("" when it does)."""
    now = now or timezone.now()
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return "expired"
    return ""


def link_signs_in(invitation: Invitation) -> bool:
    """The link itself signs in only an account the import made and nobody has signed in to since
    (it has no password yet); any other account signs in as usual first."""
    user = invitation.user
    return (
        invitation.created_account
        and user.last_login is None
        and user.is_active
        and not user.is_staff
        and not user.is_superuser
    )


@transaction.atomic
def invitation_use(*, invitation: Invitation, user, now: datetime | None = None) -> bool:
    """Spend the link (once) for its own user; the enrolments it made are recorded as xAPI `registered`."""
    now = now or timezone.now()
    if user.pk != invitation.user_id:
        raise PermissionDenied("This invitation is for another account.")
    updated = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now)
    if not updated:
        return False
    invitation.used_at = now
    enrolments = Enrolment.objects.filter(user=user, course_id__in=invitation.enrolled_course_ids, is_active=True)
    with tracking.batch():
        for enrolment in enrolments.select_related("course"):
            tracking.enrolled(enrolment=enrolment)
    return True


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
