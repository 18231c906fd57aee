"""A real OpenID Connect provider (django-oidc-provider) that the PaN identity tests run in a second process."""
