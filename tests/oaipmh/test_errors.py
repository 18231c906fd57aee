"""Every error the protocol names, from raw requests: the code, and the request element the spec asks for."""

import pytest

from .conftest import OAI, REPOSITORY_ID, oai_id, parse

pytestmark = pytest.mark.django_db


def error_of(document) -> tuple[str, dict]:
    error = document.find(f"{OAI}error")
    assert error is not None and error.text, "an error with a message"
    request = document.find(f"{OAI}request")
    assert request.text == "http://testserver/oai/"
    return error.get("code"), dict(request.attrib)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"verb": "ListEverything"},
        {"verb": "identify"},
        {"verb": ["Identify", "Identify"]},
        {"metadataPrefix": "oai_dc"},
    ],
    ids=["missing", "unknown", "wrong-case", "repeated", "arguments-only"],
)
def test_bad_verb_echoes_no_arguments(oai, params):
    assert error_of(oai(params)) == ("badVerb", {})


@pytest.mark.parametrize(
    "params",
    [
        {"verb": "Identify", "metadataPrefix": "oai_dc"},
        {"verb": "ListRecords"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "format": "xml"},
        {"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]},
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": ""},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-03-01T09:00:00"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-03-01T09:00:00+01:00"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-03-01T09:00Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-01", "until": "2024-03-02T00:00:00Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-02", "until": "2024-03-01"},
        {"verb": "ListRecords", "resumptionToken": "abc", "metadataPrefix": "oai_dc"},
        {"verb": "ListSets", "resumptionToken": "abc", "set": "type"},
        {"verb": "GetRecord", "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "identifier": "oai:x:course/1"},
        {"verb": "ListMetadataFormats", "set": "type"},
    ],
    ids=[
        "identify-takes-none",
        "missing-prefix",
        "unknown-argument",
        "repeated-argument",
        "empty-argument",
        "month-13",
        "february-30",
        "not-a-date",
        "time-without-z",
        "time-with-offset",
        "time-without-seconds",
        "mixed-granularities",
        "from-after-until",
        "token-with-prefix",
        "list-sets-token-with-set",
        "get-record-without-identifier",
        "get-record-without-prefix",
        "formats-take-no-set",
    ],
)
def test_bad_argument_echoes_no_arguments(oai, params):
    assert error_of(oai(params)) == ("badArgument", {})


def test_cannot_disseminate_format(oai, records):
    assert error_of(oai(verb="ListRecords", metadataPrefix="marc21")) == (
        "cannotDisseminateFormat",
        {"verb": "ListRecords", "metadataPrefix": "marc21"},
    )
    course = oai_id(records.courses[0])
    code, request = error_of(oai(verb="GetRecord", identifier=course, metadataPrefix="oai_datacite"))
    assert code == "cannotDisseminateFormat"
    assert request == {"verb": "GetRecord", "identifier": course, "metadataPrefix": "oai_datacite"}


@pytest.mark.parametrize(
    "identifier",
    [
        f"oai:{REPOSITORY_ID}:course/999999",
        f"oai:{REPOSITORY_ID}:dataset/999999",
        "oai:elsewhere.example.org:course/1",
        f"oai:{REPOSITORY_ID}:lesson/1",
        f"oai:{REPOSITORY_ID}:course/01",
        "not an identifier",
    ],
)
def test_id_does_not_exist(oai, records, identifier):
    code, request = error_of(oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc"))
    assert (code, request["identifier"]) == ("idDoesNotExist", identifier)
    assert error_of(oai(verb="ListMetadataFormats", identifier=identifier))[0] == "idDoesNotExist"


def test_records_never_published_do_not_exist_and_withdrawn_ones_are_deleted(oai, records):
    for item in records.hidden:
        document = oai(verb="GetRecord", identifier=oai_id(item), metadataPrefix="oai_dc")
        if item not in records.deleted:  # the draft, the embargoed dataset
            assert error_of(document)[0] == "idDoesNotExist"
            assert error_of(oai(verb="ListMetadataFormats", identifier=oai_id(item)))[0] == "idDoesNotExist"
            continue
        (record,) = document.findall(f"{OAI}GetRecord/{OAI}record")
        assert record.find(f"{OAI}header").get("status") == "deleted"
        assert record.find(f"{OAI}metadata") is None
        assert record.findtext(f"{OAI}header/{OAI}datestamp") == f"{records.stamps[oai_id(item)]:%Y-%m-%dT%H:%M:%SZ}"
        formats = oai(verb="ListMetadataFormats", identifier=oai_id(item)).findall(f".//{OAI}metadataPrefix")
        assert [item.text for item in formats] == ["oai_dc"]
        code, _ = error_of(oai(verb="GetRecord", identifier=oai_id(item), metadataPrefix="oai_datacite"))
        assert code == "cannotDisseminateFormat"


@pytest.mark.parametrize(
    "arguments",
    [
        {"set": "facility:diamond"},  # only the embargoed dataset, never published, has it
        {"set": "technique:spectroscopy", "until": "2024-03-01"},  # only deleted records have it, stamped later
        {"set": "type:dataset", "metadataPrefix": "oai_datacite", "until": "2024-03-03"},  # no DOI until then
        {"set": "no-such-set"},
        {"until": "2024-02-29"},
        {"from": "2030-01-01T00:00:00Z"},
        {"metadataPrefix": "oai_datacite", "set": "type:course"},
    ],
)
def test_no_records_match(oai, records, arguments):
    for verb in ("ListRecords", "ListIdentifiers"):
        code, request = error_of(oai(verb=verb, **{"metadataPrefix": "oai_dc", **arguments}))
        assert code == "noRecordsMatch" and request["verb"] == verb


def test_the_widest_dates_are_answered(oai, records):
    arguments = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "0001-01-01", "until": "9999-12-31"}
    headers = oai(**arguments).findall(f"{OAI}ListIdentifiers/{OAI}header")
    assert {header.findtext(f"{OAI}identifier") for header in headers} == records.all_ids


def test_an_empty_repository_matches_no_records(oai):
    assert error_of(oai(verb="ListRecords", metadataPrefix="oai_dc"))[0] == "noRecordsMatch"


def first_token(oai, verb="ListRecords") -> str:
    document = oai(verb=verb, metadataPrefix="oai_dc")
    return document.find(f"{OAI}{verb}/{OAI}resumptionToken").text


def test_bad_resumption_tokens(oai, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 2
    token = first_token(oai)
    assert oai(verb="ListRecords", resumptionToken=token).find(f"{OAI}ListRecords") is not None

    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    code, request = error_of(oai(verb="ListRecords", resumptionToken=tampered))
    assert (code, request) == ("badResumptionToken", {"verb": "ListRecords", "resumptionToken": tampered})
    forged = token.replace(token.split(":")[0], token.split(":")[0][::-1], 1)
    assert error_of(oai(verb="ListRecords", resumptionToken=forged))[0] == "badResumptionToken"
    assert error_of(oai(verb="ListRecords", resumptionToken="garbage"))[0] == "badResumptionToken"
    # A token continues the list it began, and nothing else.
    assert error_of(oai(verb="ListIdentifiers", resumptionToken=token))[0] == "badResumptionToken"
    assert error_of(oai(verb="ListSets", resumptionToken=token))[0] == "badResumptionToken"
    oai_settings.PANLEARN_OAIPMH_TOKEN_MAX_AGE = -1  # every token is older than that
    assert error_of(oai(verb="ListRecords", resumptionToken=token))[0] == "badResumptionToken"


def test_a_list_in_parts_counts_and_ends_with_an_empty_token(oai, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 4
    total = len(records.all_ids)
    document, seen, cursors = oai(verb="ListIdentifiers", metadataPrefix="oai_dc"), [], []
    while True:
        listing = document.find(f"{OAI}ListIdentifiers")
        seen += [header.findtext(f"{OAI}identifier") for header in listing.findall(f"{OAI}header")]
        token = listing.find(f"{OAI}resumptionToken")
        assert token.get("completeListSize") == str(total)
        cursors.append(int(token.get("cursor")))
        if not token.text:
            assert token.get("expirationDate") is None
            break
        assert token.get("expirationDate").endswith("Z")
        document = oai(verb="ListIdentifiers", resumptionToken=token.text)
    assert cursors == list(range(0, total, 4)) and set(seen) == records.all_ids and len(seen) == total
    # A list that fits one response has no token at all.
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 100
    assert oai(verb="ListIdentifiers", metadataPrefix="oai_dc").find(f".//{OAI}resumptionToken") is None


def test_post_and_other_methods(client, records, oai_settings):
    document = parse(client.post("/oai/", {"verb": "GetRecord", "identifier": oai_id(records.courses[0]),
                                           "metadataPrefix": "oai_dc"}))  # fmt: skip
    assert document.find(f"{OAI}GetRecord/{OAI}record") is not None
    assert document.find(f"{OAI}request").get("verb") == "GetRecord"
    assert client.put("/oai/", "verb=Identify", content_type="application/x-www-form-urlencoded").status_code == 405


def test_text_is_escaped_and_stripped_of_what_xml_cannot_hold(client, oai, records):
    response = client.get("/oai/", {"verb": "GetRecord", "identifier": oai_id(records.courses[4]),
                                    "metadataPrefix": "oai_dc"})  # fmt: skip
    assert b"\x07" not in response.content and b"<3D>" not in response.content
    title = parse(response).find(".//{http://purl.org/dc/elements/1.1/}title").text
    assert title == 'Imaging <3D> & "tomography" at 10 °C'
    # What a request sent is escaped too, where it is echoed.
    request = oai(verb="GetRecord", identifier='<x a="1">&', metadataPrefix="oai_dc").find(f"{OAI}request")
    assert request.get("identifier") == '<x a="1">&'


def test_identifiers_default_to_the_host_of_the_request(client, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_REPOSITORY_ID = ""
    document = parse(client.get("/oai/", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                                          "set": "type:course"}))  # fmt: skip
    headers = document.findall(f".//{OAI}header/{OAI}identifier")
    courses = records.courses + records.deleted
    assert {header.text for header in headers} == {f"oai:testserver:course/{item.pk}" for item in courses}
