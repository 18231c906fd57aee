"""Importing a confirmed batch: accounts, participants, enrolments and emailed one-time links, on whole sets
(a few queries per 500 rows), so 10,000 rows import in seconds; importing a row again changes nothing and
sends nothing."""

import json
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.mail import get_connection
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConfirmedEmail
from courses.models import Enrolment
from courses.services import enrolments_bulk_apply
from onboarding.models import Experiment, Participant
from tracking.identity import registration_for

from . import emails
from .links import token_hash
from .models import BatchStatus, InvitationBatch, InvitationRow, ParticipantInvitation, RowStatus
from .selectors import CHUNK, RequirementIndex, chunks, experiments_by_proposal, users_by_email


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
    experiments = _add_missing_experiments(batch, rows)
    created_ids = _match_or_create_accounts(rows)
    ok = [row for row in rows if row.status == RowStatus.VALID]
    _add_or_update_participants(ok, experiments)
    newly_enrolled = _enrol_in_required_courses(batch, ok, experiments, created_ids, now)
    tokens = _create_invitations(batch, ok, experiments, created_ids, newly_enrolled, now)
    _rows_done(rows)
    batch.status, batch.imported_at = BatchStatus.IMPORTED, now
    batch.imported_rows = len(ok)
    batch.save(update_fields=["status", "imported_at", "imported_rows"])
    transaction.on_commit(lambda: invitations_send(tokens=tokens, now=now))
    return batch


def _add_missing_experiments(batch: InvitationBatch, rows: list[InvitationRow]) -> dict[str, Experiment]:
    """The facility's experiments by proposal (casefolded); a proposal it does not have yet is created from
    its first row."""
    experiments = experiments_by_proposal(batch.facility_id)
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
    if not missing:
        return experiments
    Experiment.objects.bulk_create(missing.values(), batch_size=CHUNK, ignore_conflicts=True)
    return experiments_by_proposal(batch.facility_id)


def _match_or_create_accounts(rows: list[InvitationRow]) -> set[int]:
    """Set each row's account, matched by email without case or created; a row whose email several
    accounts or a deactivated one use fails. Returns the ids of the accounts created."""
    accounts = users_by_email(row.email for row in rows)
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
        fresh = users_by_email(firsts)
        accounts.update(fresh)
        created_ids = {user.pk for users in fresh.values() for user in users}
    for row in rows:
        if row.status == RowStatus.VALID:
            row.account = accounts[row.email][0]
    return created_ids


def _add_or_update_participants(rows: list[InvitationRow], experiments: dict[str, Experiment]) -> None:
    """Each row's account joins its experiment with its role, or has its role updated."""
    experiment_ids = sorted({experiments[row.proposal.casefold()].pk for row in rows})
    existing: dict[tuple[int, int], Participant] = {}
    for chunk in chunks(sorted({row.account.pk for row in rows})):
        for participant in Participant.objects.filter(experiment_id__in=experiment_ids, user_id__in=chunk):
            existing[(participant.experiment_id, participant.user_id)] = participant
    new_participants, changed = [], []
    for row in rows:
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


def _enrol_in_required_courses(
    batch: InvitationBatch,
    rows: list[InvitationRow],
    experiments: dict[str, Experiment],
    created_ids: set[int],
    now: datetime,
) -> dict[int, list[int]]:
    """Enrol each row's account in the courses of every programme its role in its experiment needs, through
    the courses service (which tells the run-plan cache). Returns the course ids newly enrolled, by row id."""
    index = RequirementIndex([batch.facility_id])
    wanted = {
        row.pk: index.course_ids(index.required(experiment=experiments[row.proposal.casefold()], role=row.role))
        for row in rows
    }
    course_ids = sorted({course_id for ids in wanted.values() for course_id in ids})
    enrolled: dict[tuple[int, int], bool] = {}
    if course_ids:
        for chunk in chunks(sorted({row.account.pk for row in rows})):
            for user_id, course_id, active in Enrolment.objects.filter(
                user_id__in=chunk, course_id__in=course_ids
            ).values_list("user_id", "course_id", "is_active"):
                enrolled[(user_id, course_id)] = active
    new_enrolments, reactivate, newly = [], [], {}
    for row in rows:
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
    # New accounts have no run plan to forget: only existing ones are named as changed.
    changed = [row.account for row in rows if row.account.pk not in created_ids and newly[row.pk]]
    enrolments_bulk_apply(create=new_enrolments, reactivate=reactivate, users=changed, now=now)
    return newly


def _create_invitations(
    batch: InvitationBatch,
    rows: list[InvitationRow],
    experiments: dict[str, Experiment],
    created_ids: set[int],
    newly_enrolled: dict[int, list[int]],
    now: datetime,
) -> dict[int, str]:
    """One invitation per experiment and account, with a one-time link; an existing one means the row was
    imported before and sends nothing. Returns the raw token of each invitation created, by its id (only
    the hash is stored)."""
    experiment_ids = sorted({experiments[row.proposal.casefold()].pk for row in rows})
    invited: set[tuple[int, int]] = set()
    for chunk in chunks(sorted({row.account.pk for row in rows})):
        invited |= set(
            ParticipantInvitation.objects.filter(experiment_id__in=experiment_ids, user_id__in=chunk).values_list(
                "experiment_id", "user_id"
            )
        )
    invitations, tokens = [], {}
    expires = now + timedelta(days=settings.PANLEARN_INVITATIONS_LINK_DAYS)
    for row in rows:
        experiment = experiments[row.proposal.casefold()]
        if (experiment.pk, row.account.pk) in invited:
            row.notes = [*row.notes, "already invited: no new email"]
            continue
        token = secrets.token_urlsafe(32)
        tokens[token_hash(token)] = token
        invitations.append(
            ParticipantInvitation(
                experiment=experiment,
                user=row.account,
                row=row,
                invited_by=batch.confirmed_by,
                created_account=row.account.pk in created_ids,
                enrolled_course_ids=newly_enrolled[row.pk],
                token_hash=token_hash(token),
                expires_at=expires,
            )
        )
    ParticipantInvitation.objects.bulk_create(invitations, batch_size=CHUNK, ignore_conflicts=True)
    inserted: dict[int, str] = {}
    for chunk in chunks(list(tokens)):
        for pk, hashed in ParticipantInvitation.objects.filter(token_hash__in=chunk).values_list("pk", "token_hash"):
            inserted[pk] = tokens[hashed]
    return inserted


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
                ParticipantInvitation.objects.select_for_update(of=("self",))
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
                    ParticipantInvitation.objects.filter(pk=invitation.pk).update(
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
            for invitation in invitations:
                invitation.sent_at, invitation.sent_to = now, invitation.user.email.strip().lower()
            ParticipantInvitation.objects.bulk_update(invitations, ["sent_at", "sent_to"])
            connection.send_messages(messages)
            sent += len(messages)
    return sent


def _role_of(invitation: ParticipantInvitation) -> str:
    if invitation.row is not None and invitation.row.role:
        return invitation.row.role
    participant = Participant.objects.filter(experiment_id=invitation.experiment_id, user_id=invitation.user_id).first()
    return participant.role if participant else ""
