"""Operator settings of the OAI-PMH endpoint, with their defaults (see docs/operator.md).

Read at request time through django.conf.settings.
"""

from panlearn.settings.env import env_int, env_list, env_str

# The repository's name in Identify; empty: the site's name (PANLEARN_SITE_NAME).
PANLEARN_OAIPMH_REPOSITORY_NAME = env_str("PANLEARN_OAIPMH_REPOSITORY_NAME", "")
# The namespace of record identifiers, oai:<id>:course/<pk>; a domain name the repository owns, e.g.
# learn.example.org. Empty: the host the request came to (set it: identifiers must not change with the host).
PANLEARN_OAIPMH_REPOSITORY_ID = env_str("PANLEARN_OAIPMH_REPOSITORY_ID", "")
# Comma-separated addresses Identify gives harvesters to write to; empty: DJANGO_DEFAULT_FROM_EMAIL's address.
PANLEARN_OAIPMH_ADMIN_EMAILS = env_list("PANLEARN_OAIPMH_ADMIN_EMAILS", [])
# Records (or headers) per ListRecords / ListIdentifiers response; a resumption token asks for the next ones.
PANLEARN_OAIPMH_PAGE_SIZE = env_int("PANLEARN_OAIPMH_PAGE_SIZE", 100)
# Seconds a resumption token stays valid.
PANLEARN_OAIPMH_TOKEN_MAX_AGE = env_int("PANLEARN_OAIPMH_TOKEN_MAX_AGE", 24 * 60 * 60)
