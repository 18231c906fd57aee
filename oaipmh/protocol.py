"""OAI-PMH 2.0 itself: verbs and their arguments, errors, datestamps, identifiers, resumption tokens.

Nothing here knows courses or datasets; see https://www.openarchives.org/OAI/openarchivesprotocol.html.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.http import QueryDict

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DAY_FORMAT = "%Y-%m-%d"
SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DATESTAMP_FORMS = (
    (re.compile(r"\d{4}-\d\d-\d\d"), DAY_FORMAT, True),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), SECONDS_FORMAT, False),
)
TOKEN_SALT = "panlearn.oaipmh.resumption"


class OAIError(Exception):
    """An error the protocol names: answered as <error code="...">, never as an HTTP error."""

    code = ""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadVerb(OAIError):
    code = "badVerb"


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


@dataclass(frozen=True)
class Verb:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    exclusive: str = ""  # an argument that must come alone (the resumption token)


LIST_ARGUMENTS = Verb(required=("metadataPrefix",), optional=("from", "until", "set"), exclusive="resumptionToken")
VERBS: dict[str, Verb] = {
    "Identify": Verb(),
    "ListMetadataFormats": Verb(optional=("identifier",)),
    "ListSets": Verb(exclusive="resumptionToken"),
    "ListIdentifiers": LIST_ARGUMENTS,
    "ListRecords": LIST_ARGUMENTS,
    "GetRecord": Verb(required=("identifier", "metadataPrefix")),
}


@dataclass(frozen=True)
class OAIRequest:
    verb: str
    arguments: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.arguments.get(name)


def request_parse(params: QueryDict) -> OAIRequest:
    """The verb and its arguments, checked against the verb's signature (badVerb, badArgument)."""
    verbs = params.getlist("verb")
    if not verbs:
        raise BadVerb("The verb argument is missing.")
    if len(verbs) > 1:
        raise BadVerb("The verb argument is repeated.")
    verb = VERBS.get(verbs[0])
    if verb is None:
        raise BadVerb(f"{verbs[0]!r} is not an OAI-PMH verb.")
    arguments: dict[str, str] = {}
    allowed = {*verb.required, *verb.optional, verb.exclusive} - {""}
    for name, values in params.lists():
        if name == "verb":
            continue
        if name not in allowed:
            raise BadArgument(f"{verbs[0]} takes no argument {name!r}.")
        if len(values) > 1:
            raise BadArgument(f"The argument {name!r} is repeated.")
        if not values[0]:
            raise BadArgument(f"The argument {name!r} is empty.")
        arguments[name] = values[0]
    if verb.exclusive and verb.exclusive in arguments:
        if len(arguments) > 1:
            raise BadArgument(f"{verb.exclusive} is an exclusive argument: it comes alone with the verb.")
    else:
        missing = [name for name in verb.required if name not in arguments]
        if missing:
            raise BadArgument(f"{verbs[0]} needs the argument {missing[0]!r}.")
    return OAIRequest(verb=verbs[0], arguments=arguments)


# Datestamps


def datestamp_format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(SECONDS_FORMAT)


@dataclass(frozen=True)
class Datestamp:
    """A `from` or `until` as given, in either granularity the repository supports."""

    text: str
    moment: datetime
    day: bool

    @classmethod
    def parse(cls, text: str, name: str) -> "Datestamp":
        for pattern, fmt, day in DATESTAMP_FORMS:
            if pattern.fullmatch(text):
                try:
                    return cls(text, datetime.strptime(text, fmt).replace(tzinfo=UTC), day)
                except ValueError:  # well formed, but no such day or time (2024-02-30, 25:00:00)
                    break
        raise BadArgument(f"{name} {text!r} is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ).")

    @property
    def end(self) -> datetime | None:
        """The first moment after this datestamp (`until` is inclusive at its own granularity); None after
        the last day a datetime can hold."""
        try:
            return self.moment + (timedelta(days=1) if self.day else timedelta(seconds=1))
        except OverflowError:
            return None


@dataclass(frozen=True)
class ListQuery:
    """The selective harvest a ListRecords or ListIdentifiers asks for, kept in its resumption tokens."""

    metadata_prefix: str
    set_spec: str | None = None
    since: Datestamp | None = None
    until: Datestamp | None = None

    @classmethod
    def from_arguments(cls, arguments: dict[str, str]) -> "ListQuery":
        since = Datestamp.parse(arguments["from"], "from") if "from" in arguments else None
        until = Datestamp.parse(arguments["until"], "until") if "until" in arguments else None
        if since and until:
            if since.day != until.day:
                raise BadArgument("from and until must have the same granularity.")
            if since.moment > until.moment:
                raise BadArgument("from is later than until.")
        return cls(arguments["metadataPrefix"], arguments.get("set"), since, until)

    def as_arguments(self) -> dict[str, str]:
        arguments = {"metadataPrefix": self.metadata_prefix, "set": self.set_spec}
        arguments.update({"from": self.since and self.since.text, "until": self.until and self.until.text})
        return {name: value for name, value in arguments.items() if value}


# Identifiers


def identifier_make(repository_id: str, kind: str, pk: int) -> str:
    return f"oai:{repository_id}:{kind}/{pk}"


def identifier_parse(identifier: str, repository_id: str, kinds) -> tuple[str, int]:
    """(kind, pk) of one of this repository's identifiers; idDoesNotExist for anything else."""
    match = re.fullmatch(rf"oai:{re.escape(repository_id)}:([a-z]+)/([1-9][0-9]{{0,17}})", identifier)
    if not match or match[1] not in kinds:
        raise IdDoesNotExist(f"{identifier!r} is not an identifier of this repository.")
    return match[1], int(match[2])


# Resumption tokens


@dataclass(frozen=True)
class Resumption:
    """Where a list stopped: after the record with key `after` (datestamp, kind rank, pk), `cursor` delivered."""

    verb: str
    query: ListQuery
    after: tuple[datetime, int, int]
    cursor: int

    def dumps(self) -> str:
        """Signed (tamper-evident) and timestamped, so it expires; compressed, so it stays short and opaque."""
        stamp, rank, pk = self.after
        payload = {"v": self.verb, "q": self.query.as_arguments(), "a": [stamp.isoformat(), rank, pk], "c": self.cursor}
        return signing.dumps(payload, salt=TOKEN_SALT, compress=True)

    @classmethod
    def loads(cls, token: str, *, verb: str, max_age: int) -> "Resumption":
        try:
            payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
            stamp, rank, pk = payload["a"]
            resumption = cls(
                verb=payload["v"],
                query=ListQuery.from_arguments(payload["q"]),
                after=(datetime.fromisoformat(stamp), int(rank), int(pk)),
                cursor=int(payload["c"]),
            )
        except signing.SignatureExpired as error:
            raise BadResumptionToken("The resumption token has expired: start the list again.") from error
        except (signing.BadSignature, OAIError, ValueError, TypeError, KeyError) as error:
            raise BadResumptionToken("The resumption token is not one this repository issued.") from error
        if resumption.verb != verb:
            raise BadResumptionToken(f"The resumption token continues {resumption.verb}, not {verb}.")
        return resumption
