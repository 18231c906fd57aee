"""The provider's users and the claims it releases about them (email_verified differs between them)."""

PASSWORD = "provider-password-7"
CLIENT_ID = "panlearn-test-client"
CLIENT_SECRET = "panlearn-test-client-secret"
REDIRECT_URI = "http://testserver/accounts/oidc/callback/"

PEOPLE = {
    # A new learner: verified email, no panlearn account yet.
    "alice": {"email": "alice@facility.example", "email_verified": True, "given_name": "Alice", "family_name": "Ray"},
    # A learner whose verified email matches an existing panlearn account.
    "ada": {"email": "ada@example.org", "email_verified": True, "given_name": "Ada", "family_name": "Lovelace"},
    # Claims someone else's address without the provider having verified it.
    "mallory": {"email": "victim@example.org", "email_verified": False, "given_name": "Mallory"},
    # A local user's own identity, with an address the provider has not verified: linked explicitly.
    "bob": {"email": "bob@example.org", "email_verified": False, "given_name": "Bob"},
}


def userinfo(claims: dict, user) -> dict:
    claims.update(PEOPLE.get(user.username, {}))
    claims["preferred_username"] = user.username
    return claims
