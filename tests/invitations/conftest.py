"""Two facilities; ours has a general safety programme (everyone) and a chemistry one (principal
investigators only), each with one course; a staff member for each facility."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from onboarding import services as onboarding
from tests.factories import FacilityFactory, UserFactory
from tests.onboarding.conftest import make_course, make_quiz

TODAY = date(2030, 3, 1)
NOW = timezone.make_aware(datetime(2030, 3, 1, 9, 0))
HEADER = "email,name,proposal,start_date,role\n"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


@pytest.fixture
def facility(db):
    return FacilityFactory(short_name="PDS", name="PaN Demo Source")


@pytest.fixture
def other_facility(db):
    return FacilityFactory(short_name="OTH", name="Other Source")


@pytest.fixture
def safety(catalogue):
    quiz = make_quiz("Safety quiz")
    return make_course(catalogue, "Safety induction", quiz), quiz


@pytest.fixture
def chemistry(catalogue):
    quiz = make_quiz("Chemistry quiz")
    return make_course(catalogue, "Chemistry lab", quiz), quiz


@pytest.fixture
def programmes(facility, safety, chemistry):
    general = onboarding.programme_create(
        facility=facility,
        name="General safety",
        courses=[(*safety, 80)],
        requirements=[{"role": "", "instrument": "", "experiment_type": ""}],
    )
    chem = onboarding.programme_create(
        facility=facility,
        name="Chemistry",
        courses=[(*chemistry, 80)],
        requirements=[{"role": "principal_investigator", "instrument": "", "experiment_type": ""}],
    )
    return general, chem


@pytest.fixture
def staff(facility):
    user = UserFactory(username="office", email="office@pds.example")
    onboarding.facility_staff_add(facility=facility, user=user)
    return user


@pytest.fixture
def other_staff(other_facility):
    user = UserFactory(username="theirs", email="office@oth.example")
    onboarding.facility_staff_add(facility=other_facility, user=user)
    return user
