"""The `format` parameter of GET statements (xAPI 1.0.3, Communication 2.1.3): pure functions.

- exact: the statements as stored;
- ids: Agents, Groups, Activities and Verbs reduced to what identifies them;
- canonical: every language map reduced to the one language that best fits Accept-Language.
"""

from collections.abc import Callable

IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")
FORMATS = ("exact", "ids", "canonical")


def shaper(format_: str | None, accept_language: str = "") -> Callable[[dict], dict]:
    """The function that gives a stored statement the asked format."""
    if format_ == "ids":
        return ids_only
    if format_ == "canonical":
        languages = accept_languages(accept_language)
        return lambda statement: canonical(statement, languages)
    return lambda statement: statement


def _agent_ids(agent: dict) -> dict:
    kept = {key: agent[key] for key in ("objectType", *IDENTIFIERS) if key in agent}
    if "member" in agent and not any(key in agent for key in IDENTIFIERS):  # an anonymous Group: its members
        kept["member"] = [_agent_ids(member) for member in agent["member"]]
    return kept


def _object_ids(target: dict) -> dict:
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        return {"id": target["id"]}
    if kind in ("Agent", "Group"):
        return _agent_ids(target)
    if kind == "SubStatement":
        return {**_statement_ids(target), "objectType": "SubStatement"}
    return target  # a StatementRef is its id already


def _context_ids(context: dict) -> dict:
    context = dict(context)
    for key in ("instructor", "team"):
        if key in context:
            context[key] = _agent_ids(context[key])
    if "contextActivities" in context:
        context["contextActivities"] = {
            kind: [{"id": activity["id"]} for activity in activities]
            for kind, activities in context["contextActivities"].items()
        }
    return context


def _statement_ids(statement: dict) -> dict:
    shaped = {**statement, "actor": _agent_ids(statement["actor"]), "verb": {"id": statement["verb"]["id"]}}
    shaped["object"] = _object_ids(statement["object"])
    if "context" in statement:
        shaped["context"] = _context_ids(statement["context"])
    if "authority" in statement:
        shaped["authority"] = _agent_ids(statement["authority"])
    return shaped


def ids_only(statement: dict) -> dict:
    return _statement_ids(statement)


def accept_languages(header: str) -> list[str]:
    """Accept-Language's tags, most wanted first ("*" and tags with q=0 left out)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]


def best_language(language_map: dict[str, str], languages: list[str]) -> str:
    """The key of the entry to keep: an exact match, then a match of the primary language (en for
    en-GB), in the order asked; else the map's first entry."""
    keys = {key.lower(): key for key in language_map}
    for tag in languages:
        if tag in keys:
            return keys[tag]
        primary = tag.split("-")[0]
        for lowered, key in keys.items():
            if lowered.split("-")[0] == primary:
                return key
    return next(iter(language_map))


LANGUAGE_MAPS = ("display", "name", "description")


def canonical(value, languages: list[str]):
    """Every language map (a verb's display, a definition's name and description, an interaction
    component's description) reduced to one language. Extensions are left as they are."""
    if isinstance(value, list):
        return [canonical(item, languages) for item in value]
    if not isinstance(value, dict):
        return value
    shaped = {}
    for key, item in value.items():
        if key == "extensions":
            shaped[key] = item
        elif key in LANGUAGE_MAPS and isinstance(item, dict) and item:
            chosen = best_language(item, languages)
            shaped[key] = {chosen: item[chosen]}
        else:
            shaped[key] = canonical(item, languages)
    return shaped
