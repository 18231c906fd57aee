"""Avatars drawn from a user's initials, so that no admin page asks a third party (Gravatar) for one.

Wagtail would otherwise send an MD5 of every staff member's email to gravatar.com from each admin
page; a facility's data-protection officer cannot accept that. An avatar the user uploaded still wins.
"""

import hashlib
from urllib.parse import quote

# Background colours with white text at a contrast of at least 4.5:1.
_COLOURS = ("#1d4e89", "#7a3e9d", "#0f6b5b", "#a23b2a", "#5b4a14", "#2f5d1e", "#8a2859", "#37474f")


def initials_of(user) -> str:
    """One or two capital letters from the user's names, else from the username."""
    words = f"{getattr(user, 'first_name', '')} {getattr(user, 'last_name', '')}".split()
    if not words:
        words = [getattr(user, "username", "") or "?"]
    letters = [word[0] for word in words if word[0].isalnum()] or ["?"]
    return (letters[0] + (letters[-1] if len(letters) > 1 else "")).upper()


def initials_avatar_url(user) -> str:
    """A data: URL of an SVG circle with the user's initials, its colour fixed by the username."""
    initials = initials_of(user)
    digest = hashlib.sha256(str(getattr(user, "username", "")).encode()).digest()
    colour = _COLOURS[digest[0] % len(_COLOURS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<circle cx="50" cy="50" r="50" fill="{colour}"/>'
        '<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="system-ui, sans-serif" font-size="42" font-weight="600">{initials}</text></svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe="=:/,.()")
