"""Small controlled vocabularies for course metadata.

Techniques are a subset of PaNET, the photon and neutron experimental technique
ontology (https://doi.org/10.5281/zenodo.4806026); the key is what we store, the
IRI is what we export (xAPI, catalogue metadata), the label is what people read.
"""

from dataclasses import dataclass

from django.db import models

PANET_BASE = "http://purl.org/pan-science/PaNET/"


@dataclass(frozen=True)
class Technique:
    key: str
    label: str
    panet_id: str

    @property
    def iri(self) -> str:
        """The PaNET IRI, or "" for a term not (yet) mapped to PaNET."""
        return f"{PANET_BASE}{self.panet_id}" if self.panet_id else ""


TECHNIQUES: tuple[Technique, ...] = (
    Technique("reflectometry", "Reflectometry", "PaNET01121"),
    Technique("small-angle-scattering", "Small-angle scattering", "PaNET01124"),
    Technique("diffraction", "Diffraction", "PaNET01022"),
    Technique("spectroscopy", "Spectroscopy", "PaNET01125"),
    Technique("x-ray-fluorescence", "X-ray fluorescence", "PaNET01177"),
    Technique("absorption-spectroscopy", "Absorption spectroscopy", "PaNET01135"),
    Technique("inelastic-scattering", "Inelastic scattering", "PaNET01034"),
    Technique("imaging", "Imaging", "PaNET01106"),
)
TECHNIQUES_BY_KEY = {technique.key: technique for technique in TECHNIQUES}
TECHNIQUE_CHOICES = [(technique.key, technique.label) for technique in TECHNIQUES]


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class EnrolmentPolicy(models.TextChoices):
    OPEN = "open", "Open: anyone signed in may enrol"
    INVITATION = "invitation", "Invitation only"


LICENCE_CHOICES = [
    ("CC-BY-4.0", "Creative Commons Attribution 4.0"),
    ("CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0"),
    ("CC-BY-NC-4.0", "Creative Commons Attribution-NonCommercial 4.0"),
    ("CC0-1.0", "Creative Commons Zero 1.0 (public domain)"),
    ("proprietary", "All rights reserved"),
]


# The grading vocabulary: what an exercise and a course's grading policy may say. Here, in courses,
# because a course's policy fields use it and courses is below exercises.


class Disclosure(models.TextChoices):
    SHOW = "show", "Show result, message and output"
    PASS_FAIL = "pass_fail", "Passed or not only"
    HIDE_IF_PASSED = "hide_if_passed", "Show only when not passed"
    HIDE = "hide", "Hide entirely"
    INHERIT = "inherit", "Course default"

    @classmethod
    def explicit(cls) -> list[tuple[str, str]]:
        return [(value, label) for value, label in cls.choices if value != cls.INHERIT]


class LateMode(models.TextChoices):
    INHERIT = "", "Course default"
    PENALTY = "penalty", "Late penalty"
    LOCK = "lock", "Locked"


class Release(models.TextChoices):
    INHERIT = "", "Course default"
    YES = "yes", "Release after the deadline"
    NO = "no", "Never release"
