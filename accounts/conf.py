"""Operator settings of sign-in through a PaN identity provider (see docs/operator.md, "Sign-in with a PaN identity").

One OpenID Connect provider: UmbrellaID, EOSC AAI, or a facility's Keycloak. Off until both a client id and
either an issuer or an authorization endpoint are set.
"""

from panlearn.settings.env import env_bool, env_int, env_str

# The provider's issuer URL; its /.well-known/openid-configuration supplies any endpoint not set below.
PANLEARN_OIDC_ISSUER = env_str("PANLEARN_OIDC_ISSUER").rstrip("/")
# Explicit endpoints, for a provider without discovery (each overrides the discovered one).
PANLEARN_OIDC_AUTHORIZATION_ENDPOINT = env_str("PANLEARN_OIDC_AUTHORIZATION_ENDPOINT")
PANLEARN_OIDC_TOKEN_ENDPOINT = env_str("PANLEARN_OIDC_TOKEN_ENDPOINT")
PANLEARN_OIDC_USERINFO_ENDPOINT = env_str("PANLEARN_OIDC_USERINFO_ENDPOINT")
PANLEARN_OIDC_JWKS_URI = env_str("PANLEARN_OIDC_JWKS_URI")
# The client registered with the provider (redirect URI: <PANLEARN_BASE_URL>/accounts/oidc/callback/).
PANLEARN_OIDC_CLIENT_ID = env_str("PANLEARN_OIDC_CLIENT_ID")
PANLEARN_OIDC_CLIENT_SECRET = env_str("PANLEARN_OIDC_CLIENT_SECRET")
# Scopes asked for; panlearn reads sub, email, email_verified, name, given_name, family_name, preferred_username.
PANLEARN_OIDC_SCOPES = env_str("PANLEARN_OIDC_SCOPES", "openid email profile")
# Shown on the button: "Log in with <name>".
PANLEARN_OIDC_DISPLAY_NAME = env_str("PANLEARN_OIDC_DISPLAY_NAME", "PaN identity")
# Algorithm the provider signs ID tokens with (RS256 or ES256: keys from the JWKS; HS256: the client secret).
PANLEARN_OIDC_SIGN_ALGO = env_str("PANLEARN_OIDC_SIGN_ALGO", "RS256")
# Send the client secret as HTTP basic auth (client_secret_basic) instead of in the form (client_secret_post).
PANLEARN_OIDC_TOKEN_USE_BASIC_AUTH = env_bool("PANLEARN_OIDC_TOKEN_USE_BASIC_AUTH", False)
# Proof Key for Code Exchange (S256). Leave on unless the provider rejects it.
PANLEARN_OIDC_USE_PKCE = env_bool("PANLEARN_OIDC_USE_PKCE", True)
# Create an account for a new identity (off: only identities already linked, or verified emails, sign in).
PANLEARN_OIDC_CREATE_USERS = env_bool("PANLEARN_OIDC_CREATE_USERS", True)
# Seconds to wait for the provider (discovery, token, keys, userinfo).
PANLEARN_OIDC_TIMEOUT = env_int("PANLEARN_OIDC_TIMEOUT", 10)

# Budgets against guessing and mail floods (accounts/throttle.py): failed sign-ins per account and per client
# address in 15 minutes (then even the right password waits), sign-up and password-reset requests per address
# per hour, certificate look-ups per address per minute.
PANLEARN_SIGNIN_FAILURES_PER_ACCOUNT = env_int("PANLEARN_SIGNIN_FAILURES_PER_ACCOUNT", 5)
PANLEARN_SIGNIN_FAILURES_PER_ADDRESS = env_int("PANLEARN_SIGNIN_FAILURES_PER_ADDRESS", 30)
PANLEARN_SIGNUPS_PER_ADDRESS_PER_HOUR = env_int("PANLEARN_SIGNUPS_PER_ADDRESS_PER_HOUR", 20)
PANLEARN_PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int("PANLEARN_PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 5)
PANLEARN_EMAIL_CONFIRMATIONS_PER_ACCOUNT_PER_HOUR = env_int("PANLEARN_EMAIL_CONFIRMATIONS_PER_ACCOUNT_PER_HOUR", 3)
PANLEARN_CERTIFICATE_LOOKUPS_PER_ADDRESS_PER_MINUTE = env_int("PANLEARN_CERTIFICATE_LOOKUPS_PER_ADDRESS_PER_MINUTE", 30)

# Accounts that reach the admin (staff, trainers, facility staff) confirm each sign-in with a code from an
# authenticator app before their first admin page (accounts/second_factor.py). Off only where nobody's
# grades or clearances are real: the demo, and tests other than the gate's own.
PANLEARN_STAFF_MFA = env_bool("PANLEARN_STAFF_MFA", True)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("PANLEARN_OTP_ISSUER", "panlearn")
