"""xAPI's Agents and Activities resources (1.0.3, Communication 2.4 and 2.5): what the store knows of
an agent (as a Person) and of an activity (its definition, gathered from the statements about it)."""

import json

from django.db.models import Q, QuerySet
from pydantic import TypeAdapter, ValidationError

from ..models import StoreClient
from ..xapi.models import IRI, Agent
from .selectors import readable_by

_IRI = TypeAdapter(IRI)
# Activity definition properties that are language maps: the languages of every statement add up.
LANGUAGE_MAPS = ("name", "description")


class DefinitionRequestInvalid(Exception):
    """Answered 400."""


def _only(params: dict, name: str) -> str:
    if set(params) != {name} or not params[name]:
        raise DefinitionRequestInvalid(f"give {name}, and nothing else")
    return params[name]


def person_of(params: dict) -> dict:
    """The Person object of `agent`: every identifier property as a list (Communication 2.4.s5). The
    store keeps no links between identifiers, so the Person holds the agent's own."""
    try:
        agent = Agent.model_validate(json.loads(_only(params, "agent"))).as_json()
    except (ValueError, ValidationError, RecursionError) as error:
        raise DefinitionRequestInvalid("agent must be an Agent object in JSON, with exactly one identifier") from error
    person = {"objectType": "Person"}
    for key in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            person[key] = [agent[key]]
    return person


def activity_of(params: dict, *, client) -> dict:
    """The Activity object with everything the statements the caller may read say of its definition
    (voided ones aside, and only from those who may define activities): language maps merged, the other
    properties as the latest statement gives them."""
    activity_id = _only(params, "activityId")
    try:
        _IRI.validate_python(activity_id)
    except ValidationError as error:
        raise DefinitionRequestInvalid("activityId must be an IRI") from error
    definition: dict = {}
    for payload in _statements_about(activity_id, client).values_list("payload", flat=True).iterator(chunk_size=500):
        target = payload.get("object", {})
        if target.get("objectType", "Activity") != "Activity" or target.get("id") != activity_id:
            continue
        for key, value in target.get("definition", {}).items():
            if key in LANGUAGE_MAPS or key == "extensions":
                definition[key] = {**definition.get(key, {}), **value}
            else:
                definition[key] = value
    activity = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return activity


def _statements_about(activity_id: str, client) -> QuerySet:
    """The live statements about the activity that may define it: panlearn's own, and those of clients
    with the `define` scope (Communication 4.2); read in chunks, however many there are."""
    definers = [row.pk for row in StoreClient.objects.all() if row.may(StoreClient.DEFINE)]
    statements = readable_by(client).filter(object_iri=activity_id, voided=False)
    # In stored order by pk, which the (object_iri, id) index gives without a sort.
    return statements.filter(Q(client__isnull=True) | Q(client_id__in=definers)).order_by("pk")
