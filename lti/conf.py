"""Operator settings of the LTI 1.3 tool, with their defaults (see docs/operator.md).

Read at request or task time through django.conf.settings.
"""

from panlearn.settings.env import env_bool, env_int

# Days a rotated-out signing key stays in the JWKS, so that platforms holding a cached key set still
# verify messages signed just before the rotation.
PANLEARN_LTI_KEY_GRACE_DAYS = env_int("PANLEARN_LTI_KEY_GRACE_DAYS", 7)
# Tries to post one score to a platform before its delivery is marked failed (the admin lists it).
PANLEARN_LTI_SCORE_MAX_ATTEMPTS = env_int("PANLEARN_LTI_SCORE_MAX_ATTEMPTS", 5)
# Seconds before a failed score post is tried again; doubled at each try.
PANLEARN_LTI_SCORE_RETRY_SECONDS = env_int("PANLEARN_LTI_SCORE_RETRY_SECONDS", 60)
# Seconds an LTI launch keeps the session's cookies cross-site (SameSite=None) and the page frameable.
PANLEARN_LTI_FRAME_MAX_AGE = env_int("PANLEARN_LTI_FRAME_MAX_AGE", 8 * 60 * 60)
# Let platform URLs (key set, token, line items, rosters) be http:// on loopback or private addresses. Off:
# a launch or a platform's answer must not make the server call its own services. The LTI tests turn it on.
PANLEARN_LTI_ALLOW_PRIVATE_PLATFORMS = env_bool("PANLEARN_LTI_ALLOW_PRIVATE_PLATFORMS", False)
