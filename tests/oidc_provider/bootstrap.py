"""Create the provider's database: tables, a signing key, the panlearn client and the people."""

import django


def main() -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType

    from .people import CLIENT_ID, CLIENT_SECRET, PASSWORD, PEOPLE, REDIRECT_URI

    call_command("migrate", verbosity=0, interactive=False)
    call_command("creatersakey", verbosity=0)
    client = Client.objects.create(
        name="panlearn",
        client_type="confidential",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        jwt_alg="RS256",
        require_consent=False,
        reuse_consent=True,
    )
    client.redirect_uris = [REDIRECT_URI]
    client.scope = ["openid", "email", "profile"]
    client.save()
    client.response_types.add(ResponseType.objects.get(value="code"))
    for username, claims in PEOPLE.items():
        User.objects.create_user(username=username, email=claims["email"], password=PASSWORD)


if __name__ == "__main__":
    main()
