"""Two facilities with a programme each, and recorded passes made directly (onboarding's own tests cover how
passes are earned; one test here goes through a real quiz)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from onboarding import services as onboarding
from onboarding.models import Programme, ProgrammeCompletion
from tests.factories import FacilityFactory, UserFactory


@pytest.fixture
def facility(db):
    return FacilityFactory(short_name="PDS", name="PaN Demo Source")


@pytest.fixture
def other_facility(db):
    return FacilityFactory(short_name="OTH", name="Other Source")


@pytest.fixture
def programme(facility):
    return Programme.objects.create(facility=facility, name="General safety", validity_months=12)


@pytest.fixture
def other_programme(other_facility):
    return Programme.objects.create(facility=other_facility, name="Radiation protection", validity_months=12)


@pytest.fixture
def holder(db):
    return UserFactory(username="lise", email="lise@example.org", first_name="Lise", last_name="Meitner-Łukasiewicz")


def complete(user, programme, *, passed_at=None, days=365) -> ProgrammeCompletion:
    passed_at = passed_at or timezone.now() - timedelta(days=1)
    return ProgrammeCompletion.objects.create(user=user, programme=programme, passed_at=passed_at,
                                              valid_until=passed_at + timedelta(days=days))  # fmt: skip


@pytest.fixture
def completion(holder, programme):
    return complete(holder, programme, passed_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC), days=365)


@pytest.fixture
def certificate(completion):
    return completion.certificate


@pytest.fixture
def staff(facility):
    user = UserFactory(username="pds-staff")
    onboarding.facility_staff_add(facility=facility, user=user)
    return user


@pytest.fixture
def other_staff(other_facility):
    user = UserFactory(username="oth-staff")
    onboarding.facility_staff_add(facility=other_facility, user=user)
    return user
