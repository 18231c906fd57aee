"""Pure functions turning courses and lessons into Bioschemas JSON-LD, which TeSS and other catalogues
import: `Course` with its `CourseInstance` on a course page, `TrainingMaterial` on a lesson.

Each object names the profile it follows (`dct:conformsTo`) and carries that profile's minimum
properties (Bioschemas 1.0-RELEASE: Course and TrainingMaterial need name, description and keywords;
CourseInstance needs courseMode and location). A panlearn course is self-paced and online, so its one
instance is online and asynchronous, at the course's own address, with no dates.
"""

import json
from dataclasses import dataclass

from .vocabularies import TECHNIQUES_BY_KEY

PROFILE = "https://bioschemas.org/profiles/{}/1.0-RELEASE"
SPDX_URL = "https://spdx.org/licenses/{}.html"
PANET_SET = {"@type": "DefinedTermSet", "name": "PaNET", "url": "http://purl.org/pan-science/PaNET/PaNET.owl"}
CONTEXT = {"@vocab": "https://schema.org/", "dct": "http://purl.org/dc/terms/"}
# Said of every course and lesson, so that keywords are never empty even before a trainer adds any.
FIELD_KEYWORD = "photon and neutron science"


@dataclass(frozen=True)
class Link:
    name: str
    url: str


def conforms_to(profile: str) -> dict:
    return {"@id": PROFILE.format(profile), "@type": "CreativeWork"}


def licence_url(licence: str) -> str:
    """An SPDX licence as its URL; a licence that is not SPDX ("proprietary") as its text."""
    return SPDX_URL.format(licence) if licence and licence != "proprietary" else licence


def split_keywords(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def course_keywords(course) -> list[str]:
    """The trainer's keywords, then the course's technique and facility, each once (case-blind)."""
    facility = course.facility.name if course.facility_id else ""
    candidates = [*split_keywords(course.keywords), course.technique_label, facility, FIELD_KEYWORD]
    seen, keywords = set(), []
    for word in candidates:
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            keywords.append(word)
    return keywords


def technique_term(key: str) -> dict | None:
    technique = TECHNIQUES_BY_KEY.get(key)
    if technique is None:
        return None
    term = {"@type": "DefinedTerm", "name": technique.label, "inDefinedTermSet": PANET_SET}
    if technique.iri:
        term.update({"@id": technique.iri, "url": technique.iri, "termCode": technique.panet_id})
    return term


def person(instructor) -> dict:
    data = {"@type": "Person", "name": instructor.name}
    if instructor.orcid:
        data["@id"] = data["identifier"] = f"https://orcid.org/{instructor.orcid}"
    if instructor.affiliation:
        data["affiliation"] = {"@type": "Organization", "name": instructor.affiliation}
    return data


def _common(course, *, url: str) -> dict:
    """What a course and its lessons say alike."""
    data: dict = {
        "@context": CONTEXT,
        "url": url,
        "@id": url,
        "keywords": ", ".join(course_keywords(course)),
        "educationalLevel": course.get_level_display(),
        "license": licence_url(course.licence),
        "inLanguage": "en",
    }
    about = technique_term(course.technique)
    if about:
        data["about"] = about
    if course.facility_id:
        data["provider"] = {"@type": "Organization", "name": course.facility.name}
    return data


def course_json_ld(course, *, url: str, lessons: list[Link], instructors: list) -> dict:
    people = [person(instructor) for instructor in instructors]
    data = {
        **_common(course, url=url),
        "@type": "Course",
        "dct:conformsTo": conforms_to("Course"),
        "name": course.title,
        "description": course.summary or course.title,
        "timeRequired": f"PT{course.estimated_minutes}M",
        # Each part names its own node (@id = its page, as the lesson's JSON-LD does): a harvester merges them.
        "hasPart": [
            {"@type": "LearningResource", "@id": lesson.url, "name": lesson.name, "url": lesson.url}
            for lesson in lessons
        ],
        "hasCourseInstance": [
            {
                "@type": "CourseInstance",
                "dct:conformsTo": conforms_to("CourseInstance"),
                "courseMode": ["online", "asynchronous"],
                "location": {"@type": "VirtualLocation", "url": url},
                "url": url,
                "inLanguage": "en",
                **({"instructor": people} if people else {}),
            }
        ],
    }
    outcomes = [block.value for block in course.learning_outcomes if block.block_type == "outcome" and block.value]
    if outcomes:
        data["teaches"] = outcomes
    if people:
        data["creator"] = people
    return data


def lesson_json_ld(lesson, *, url: str, course, course_url: str, instructors: list) -> dict:
    data = {
        **_common(course, url=url),
        "@type": "LearningResource",
        "dct:conformsTo": conforms_to("TrainingMaterial"),
        "name": lesson.title,
        "description": lesson.summary or course.summary or lesson.title,
        "learningResourceType": "interactive lesson",
        "isPartOf": {"@type": "Course", "@id": course_url, "name": course.title, "url": course_url},
    }
    if instructors:
        data["author"] = [person(instructor) for instructor in instructors]
    return data


def script_json(data: dict) -> str:
    """JSON for a <script> element: no "</script>", "<!--" or "&" sequence inside can end or change it."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
