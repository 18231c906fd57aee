"""Pydantic models of xAPI 1.0.3 statements that enforce the data rules an LRS checks.

Strict by design (unknown properties are refused, as the spec requires of an LRS): the built-in
store validates what it receives with them, and every statement we build passes through them.
Attachments are outside what panlearn emits or stores.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_MAILTO = re.compile(r"^mailto:[^@\s:/]+@[^@\s/]+$")
_LANGUAGE = re.compile(r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
                       r"(?:-(?:[A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*(?:-[A-WYZa-wyz\d](?:-[A-Za-z\d]{2,8})+)*"
                       r"(?:-[Xx](?:-[A-Za-z\d]{1,8})+)?$|^[Xx](?:-[A-Za-z\d]{1,8})+$")  # fmt: skip
# ISO 8601: PnW alone, or years to seconds (weeks do not combine with other units).
_DURATION = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?!$)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
# RFC 3339's "unknown local offset", which xAPI forbids: -00:00, -0000, -00.
_UNKNOWN_OFFSET = re.compile(r"-00(?::?00)?$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0\.\d+$")


def _iri(value: str) -> str:
    if not _IRI.match(value):
        raise ValueError("must be an absolute IRI")
    scheme, _, rest = value.partition(":")
    if scheme.lower() in ("http", "https") and not rest.startswith("//"):
        raise ValueError("an http(s) IRI needs an authority")
    return value


def _mailto(value: str) -> str:
    if not _MAILTO.match(value):
        raise ValueError("must be a mailto: IRI")
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not an RFC 5646 language tag")
    return value


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError("must be an ISO 8601 duration")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp needs a time zone")
    return value


def _known_offset(value: Any) -> Any:
    if isinstance(value, str) and _UNKNOWN_OFFSET.search(value):
        raise ValueError("a timestamp's offset must not be -00:00 (unknown)")
    return value


IRI = Annotated[str, AfterValidator(_iri)]
Mailto = Annotated[str, AfterValidator(_mailto)]
LanguageTag = Annotated[str, AfterValidator(_language)]
LanguageMap = Annotated[dict[LanguageTag, str], Field(min_length=1)]
Duration = Annotated[str, AfterValidator(_duration)]
Timestamp = Annotated[datetime, BeforeValidator(_known_offset), AfterValidator(_aware)]
# JSON types as the spec has them: "true" is not a Boolean and "100" is not a Number.
Boolean = Annotated[bool, Strict()]
Number = Annotated[float, Strict()]
Extensions = dict[IRI, Any]


class XapiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def as_json(self) -> dict:
        """The statement as an LRS receives it: no nulls, timestamps and UUIDs as strings."""
        return self.model_dump(mode="json", exclude_none=True)


class Account(XapiModel):
    homePage: IRI
    name: str = Field(min_length=1)


class _Identified(XapiModel):
    name: str | None = None
    mbox: Mailto | None = None
    mbox_sha1sum: str | None = Field(default=None, pattern=_SHA1.pattern)
    openid: IRI | None = None
    account: Account | None = None

    def identifiers(self) -> list[str]:
        return [key for key in ("mbox", "mbox_sha1sum", "openid", "account") if getattr(self, key) is not None]


class Agent(_Identified):
    objectType: Literal["Agent"] | None = "Agent"

    @model_validator(mode="after")
    def _one_identifier(self):
        if len(self.identifiers()) != 1:
            raise ValueError("an Agent has exactly one of mbox, mbox_sha1sum, openid, account")
        return self


class Group(_Identified):
    objectType: Literal["Group"]
    member: list[Agent] | None = None

    @model_validator(mode="after")
    def _identified_or_members(self):
        count = len(self.identifiers())
        if count > 1:
            raise ValueError("a Group has at most one identifier")
        if count == 0 and not self.member:
            raise ValueError("an anonymous Group must list its members")
        return self


class Verb(XapiModel):
    id: IRI
    display: LanguageMap | None = None


class InteractionComponent(XapiModel):
    id: str = Field(min_length=1)
    description: LanguageMap | None = None


class ActivityDefinition(XapiModel):
    name: LanguageMap | None = None
    description: LanguageMap | None = None
    type: IRI | None = None
    moreInfo: IRI | None = None
    extensions: Extensions | None = None
    interactionType: (
        Literal["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing",
                "likert", "numeric", "other"] | None
    ) = None  # fmt: skip
    correctResponsesPattern: list[str] | None = None
    choices: list[InteractionComponent] | None = None
    scale: list[InteractionComponent] | None = None
    source: list[InteractionComponent] | None = None
    target: list[InteractionComponent] | None = None
    steps: list[InteractionComponent] | None = None

    @model_validator(mode="after")
    def _complete_interaction(self):
        lists = ("correctResponsesPattern", *INTERACTION_COMPONENT_LISTS)
        if self.interactionType is None and any(getattr(self, name) is not None for name in lists):
            raise ValueError("interaction properties need an interactionType")
        for name in INTERACTION_COMPONENT_LISTS:
            ids = [component.id for component in getattr(self, name) or ()]
            if len(set(ids)) != len(ids):
                raise ValueError(f"the ids of {name} must be unique")
        return self


INTERACTION_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


class Activity(XapiModel):
    objectType: Literal["Activity"] | None = "Activity"
    id: IRI
    definition: ActivityDefinition | None = None


class StatementRef(XapiModel):
    objectType: Literal["StatementRef"]
    id: UUID


def _object_type(default: str):
    def kind(value: Any) -> str:
        found = value.get("objectType") if isinstance(value, dict) else getattr(value, "objectType", None)
        return found or default

    return Discriminator(kind)


Actor = Annotated[Annotated[Agent, Tag("Agent")] | Annotated[Group, Tag("Group")], _object_type("Agent")]
SubObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")],
    _object_type("Activity"),
]


class Score(XapiModel):
    scaled: Number | None = Field(default=None, ge=-1, le=1)
    raw: Number | None = None
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError("score min must be less than max")
        if self.raw is not None and self.min is not None and self.raw < self.min:
            raise ValueError("score raw must not be below min")
        if self.raw is not None and self.max is not None and self.raw > self.max:
            raise ValueError("score raw must not exceed max")
        return self


class Result(XapiModel):
    score: Score | None = None
    success: Boolean | None = None
    completion: Boolean | None = None
    response: str | None = None
    duration: Duration | None = None
    extensions: Extensions | None = None


class ContextActivities(XapiModel):
    parent: list[Activity] | None = None
    grouping: list[Activity] | None = None
    category: list[Activity] | None = None
    other: list[Activity] | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_as_list(cls, data: Any) -> Any:
        # The spec lets a sender give one Activity where a list is meant; an LRS returns lists.
        if isinstance(data, dict):
            return {key: [value] if isinstance(value, dict) else value for key, value in data.items()}
        return data

    @model_validator(mode="after")
    def _not_empty(self):
        if all(getattr(self, name) is None for name in ("parent", "grouping", "category", "other")):
            raise ValueError("contextActivities needs at least one of parent, grouping, category, other")
        return self


def speaks_v2(info: ValidationInfo) -> bool:
    """Whether the statement came in an xAPI 2.0.0 request (the store passes the version as context)."""
    return bool(info.context) and str(info.context.get("xapi_version", "")).startswith("2.")


RelevantTypes = Annotated[list[IRI], Field(min_length=1)]


class ContextAgent(XapiModel):
    """xAPI 2.0.0 (Data 2.4.6): an agent that takes part in the context, and as what."""

    objectType: Literal["contextAgent"]
    agent: Agent
    relevantTypes: RelevantTypes | None = None


class ContextGroup(XapiModel):
    """xAPI 2.0.0 (Data 2.4.6): a group that takes part in the context, and as what."""

    objectType: Literal["contextGroup"]
    group: Group
    relevantTypes: RelevantTypes | None = None


class Context(XapiModel):
    registration: UUID | None = None
    instructor: Actor | None = None
    team: Group | None = None
    contextActivities: ContextActivities | None = None
    contextAgents: Annotated[list[ContextAgent], Field(min_length=1)] | None = None
    contextGroups: Annotated[list[ContextGroup], Field(min_length=1)] | None = None
    revision: str | None = None
    platform: str | None = None
    language: LanguageTag | None = None
    statement: StatementRef | None = None
    extensions: Extensions | None = None

    @model_validator(mode="after")
    def _version_2_properties(self, info: ValidationInfo):
        if (self.contextAgents is not None or self.contextGroups is not None) and not speaks_v2(info):
            raise ValueError("contextAgents and contextGroups are xAPI 2.0.0 (X-Experience-API-Version: 2.0.0)")
        return self


def _context_fits(context: Context | None, target) -> None:
    object_type = target.objectType or "Activity"
    if context and (context.platform or context.revision) and object_type != "Activity":
        raise ValueError("context platform and revision are only for Activities")


# A SHA-2 digest in hex: SHA-224, -256, -384 or -512 (Data 2.4.11).
SHA2 = Annotated[str, Field(pattern=r"^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")]


class Attachment(XapiModel):
    """Data 2.4.11: the data itself comes in a part of a multipart request (matched by sha2) or at fileUrl."""

    usageType: IRI
    display: LanguageMap
    description: LanguageMap | None = None
    contentType: Annotated[str, Strict(), Field(min_length=1)]
    length: Annotated[int, Strict(), Field(ge=0)]
    sha2: Annotated[SHA2, Strict()]
    fileUrl: IRI | None = None


class SubStatement(XapiModel):
    objectType: Literal["SubStatement"]
    actor: Actor
    verb: Verb
    object: SubObject
    result: Result | None = None
    context: Context | None = None
    timestamp: Timestamp | None = None

    @model_validator(mode="after")
    def _context_fits_object(self):
        _context_fits(self.context, self.object)
        return self


class Statement(XapiModel):
    id: UUID | None = None
    actor: Actor
    verb: Verb
    object: Annotated[
        Annotated[Activity, Tag("Activity")]
        | Annotated[Agent, Tag("Agent")]
        | Annotated[Group, Tag("Group")]
        | Annotated[StatementRef, Tag("StatementRef")]
        | Annotated[SubStatement, Tag("SubStatement")],
        _object_type("Activity"),
    ]
    result: Result | None = None
    context: Context | None = None
    timestamp: Timestamp | None = None
    stored: Timestamp | None = None
    authority: Actor | None = None
    version: str | None = None
    attachments: list[Attachment] | None = None

    @field_validator("version")
    @classmethod
    def _spoken_version(cls, value: str | None, info: ValidationInfo) -> str | None:
        # 1.0.x always; 2.0.x only in a 2.0.0 request (Data 2.4.10).
        if value is not None and not (_VERSION.match(value) or (speaks_v2(info) and _VERSION_2.match(value))):
            raise ValueError(f"version {value!r} is not one this request's xAPI version allows")
        return value

    @model_validator(mode="after")
    def _context_fits_object(self):
        _context_fits(self.context, self.object)
        if self.verb.id == VOIDED and self.object.objectType != "StatementRef":
            raise ValueError("a voiding statement's object must be a StatementRef")
        if isinstance(self.authority, Group) and (self.authority.identifiers() or len(self.authority.member) != 2):
            raise ValueError("a Group authority is anonymous, with two members (the OAuth consumer and the user)")
        return self


VOIDED = "http://adlnet.gov/expapi/verbs/voided"
