"""An invitation-only demo course: a masterclass for users who already hold reflectometry beamtime.

Everyone sees it in the catalogue with the invitation-only prompt; the demo student has a pending
invitation (its link is printed with the demo's emails). Pure data, like the other course specs.
"""

LESSON_CONTRASTS = {
    "title": "Choosing the water contrasts",
    "slug": "choosing-the-water-contrasts",
    "summary": "Mixing H2O and D2O to match one layer and highlight another, computed before the beamtime.",
    "body": [
        (
            "text",
            "<p>A neutron reflectivity curve measured against one water is rarely enough to fix a model with a "
            "few layers: different profiles give the same curve. Measuring the same sample against several "
            "waters, and fitting all the curves with one set of shared layer parameters, removes most of that "
            "ambiguity. The waters are mixtures of H<sub>2</sub>O and D<sub>2</sub>O, whose scattering length "
            "densities (SLDs) are −0.56 and 6.36 × 10<sup>−6</sup> Å<sup>−2</sup>.</p>"
            "<p>The SLD of a mixture is linear in its volume fraction x of D<sub>2</sub>O, so the mixture that "
            "matches a material of SLD ρ is x = (ρ + 0.56) / 6.92. Matched to silicon (2.07), for instance, the "
            "substrate disappears from the curve and only the film on it reflects: x = 0.38.</p>",
        ),
        (
            "code_cell",
            {
                "code": (
                    "SLD_H2O, SLD_D2O = -0.56, 6.36  # 10⁻⁶ Å⁻²\n\n\n"
                    "def d2o_fraction_matching(sld):\n"
                    '    """The volume fraction of D2O whose mixture with H2O has this SLD."""\n'
                    "    return (sld - SLD_H2O) / (SLD_D2O - SLD_H2O)\n\n\n"
                    "for name, sld in [('silicon', 2.07), ('SiO2', 3.47), ('lipid tails', -0.4)]:\n"
                    "    print(f'{name:12s} matched by {100 * d2o_fraction_matching(sld):5.1f} % D2O')"
                ),
                "datasets": [],
                "setup_code": "",
                "read_only": False,
                "example_output": "",
            },
        ),
        (
            "callout",
            {
                "kind": "tip",
                "title": "Before you come",
                "body": "<p>Bring the three mixtures you plan to use, with their computed SLDs, to the "
                "instrument scientist's briefing: preparing them takes longer than measuring them.</p>",
            },
        ),
    ],
}

MASTERCLASS_COURSE = {
    "title": "Masterclass: planning a contrast-variation reflectometry experiment",
    "slug": "reflectometry-masterclass",
    "summary": (
        "For users with reflectometry beamtime: choosing the water contrasts for a co-refined fit. "
        "By invitation of the instrument team."
    ),
    "level": "advanced",
    "estimated_minutes": 30,
    "prerequisites": "<p>The course <em>Neutron reflectometry: from reflectivity curve to layer model</em>.</p>",
    "learning_outcomes": [
        "Compute the H2O/D2O mixture that matches a given scattering length density.",
        "Choose a set of contrasts that separates the layers of a model.",
    ],
    "technique": "reflectometry",
    "facility": "ANSTO",
    "instructors": [{"name": "Dr. Ada Example", "affiliation": "panlearn demo", "orcid": ""}],
    "licence": "CC-BY-4.0",
    "enrolment": "invitation",
    "lessons": [LESSON_CONTRASTS],
    "invited": ["student"],  # demo accounts with a pending invitation
}
