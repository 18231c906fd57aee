"""The one rule for who is staff of which facility: a FacilityStaff row (superusers count as staff of
every facility). Dashboards, the onboarding admin, certificates, invitations and the user office all
ask these functions."""

from django.db.models import QuerySet

from .models import Facility, FacilityStaff


def staff_facility_ids(user) -> set[int] | None:
    """The facilities a user is staff of; None means all of them (superusers)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return set()
    if user.is_superuser:
        return None
    return set(FacilityStaff.objects.filter(user=user).values_list("facility_id", flat=True))


def is_facility_staff(user, facility: Facility | int | None = None) -> bool:
    """Staff of `facility` (a Facility or its id), or of any facility when it is None."""
    ids = staff_facility_ids(user)
    if ids is None:
        return True
    if facility is None:
        return bool(ids)
    return (facility if isinstance(facility, int) else facility.pk) in ids


def facilities_staffed_by(user) -> QuerySet[Facility]:
    ids = staff_facility_ids(user)
    return Facility.objects.all() if ids is None else Facility.objects.filter(pk__in=ids)


def scoped_to_staff(queryset: QuerySet, user, *, facility_path: str) -> QuerySet:
    """Rows of the user's own facilities (`facility_path` leads from the model to its Facility)."""
    ids = staff_facility_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{facility_path}__in": ids})
