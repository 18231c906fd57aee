"""Two facilities (PDS, ours; OTH, theirs), programmes, users with passes in various states, an experiment
with participants, and an API token for PDS."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from onboarding import services as onboarding
from onboarding.models import Programme, ProgrammeCompletion, ProgrammeRequirement
from tests.factories import FacilityFactory, UserFactory
from useroffice import tokens


def complete(user, programme, *, ends_in_days: int) -> ProgrammeCompletion:
    until = timezone.now() + timedelta(days=ends_in_days)
    return ProgrammeCompletion.objects.create(user=user, programme=programme, passed_at=until - timedelta(days=365),
                                              valid_until=until)  # fmt: skip


@pytest.fixture
def world(db):
    pds = FacilityFactory(short_name="PDS", name="PaN Demo Source")
    oth = FacilityFactory(short_name="OTH", name="Other Source")
    safety = Programme.objects.create(facility=pds, name="General safety")
    chem = Programme.objects.create(facility=pds, name="Chemistry lab")
    theirs = Programme.objects.create(facility=oth, name="Their safety")
    ProgrammeRequirement.objects.create(programme=safety)  # everyone
    ProgrammeRequirement.objects.create(programme=chem, experiment_type="chemistry lab")
    users = {name: UserFactory(username=name, first_name=name.title(), last_name="Tester")
             for name in ("ada", "bob", "cyd", "dee", "eve")}  # fmt: skip
    complete(users["ada"], safety, ends_in_days=200)  # valid
    complete(users["ada"], chem, ends_in_days=10)  # expiring soon
    complete(users["bob"], safety, ends_in_days=-5)  # expired
    complete(users["cyd"], safety, ends_in_days=300)
    complete(users["eve"], theirs, ends_in_days=300)  # another facility's
    experiment = onboarding.experiment_create(facility=pds, proposal="PDS-2031-042", title="Beamtime",
                                              start_date=date(2031, 1, 1), experiment_type="chemistry lab")  # fmt: skip
    for name in ("ada", "bob", "dee"):
        onboarding.participant_add(experiment=experiment, user=users[name])
    return {"pds": pds, "oth": oth, "safety": safety, "chem": chem, "theirs": theirs, "users": users}


@pytest.fixture
def token(world):
    return tokens.token_create(facility=world["pds"], name="User office portal")[1]


@pytest.fixture
def api(client, token):
    def get(params=None, *, auth=f"Bearer {token}", path="/api/useroffice/v1/validity/"):
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        return client.get(path, params or {}, **headers)

    return get
