"""Which xAPI version a request speaks (Communication 3.3): 1.0.x and 2.0.0 (IEEE 9274.1.1) side by side.

The store answers in the version asked: its X-Experience-API-Version header, and the rules a statement
or a document write is held to (contextAgents and contextGroups, the statement's version property,
concurrency on the State resource, no alternate request syntax in 2.0.0). A request that names no
version it speaks is refused in the latest. Statements stored under either version read back under
both, as they were accepted.
"""

import re

V1 = "1.0.3"
V2 = "2.0.0"
LATEST = V2
SPOKEN = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]  # what the About resource lists
_V1 = re.compile(r"^1\.0(?:\.\d+)?$")
_V2 = re.compile(r"^2\.0(?:\.0)?$")


def requested(header: str) -> str | None:
    """The version the store answers a request in, from its X-Experience-API-Version; None if it speaks
    no such version."""
    header = header.strip()
    if _V1.match(header):
        return V1
    if _V2.match(header):
        return V2
    return None


def is_v2(version: str) -> bool:
    return version == V2


def statement_default(version: str) -> str:
    """The version property the store gives a statement that has none."""
    return V2 if is_v2(version) else "1.0.0"
