"""Building the XML: namespaces, and elements whose text and attributes are always escaped and legal.

ElementTree escapes markup (&, <, >, quotes); `clean` also drops what XML 1.0 cannot carry at all
(control characters, lone surrogates), which a title pasted from elsewhere may hold.
"""

import re
from xml.etree import ElementTree as ET

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
DC = "http://purl.org/dc/elements/1.1/"
DATACITE = "http://datacite.org/schema/kernel-4"
DATACITE_SCHEMA = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# The prefixes written out; OAI-PMH's own namespace is the default one, as harvesters expect to see it.
PREFIXES = {"": OAI, "oai_dc": OAI_DC, "dc": DC, "datacite": DATACITE, "oai-identifier": OAI_IDENTIFIER, "xsi": XSI}
for _prefix, _uri in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value) -> str:
    return NOT_XML.sub("", str(value))


def qname(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def schema_location(namespace: str, schema: str) -> dict[str, str]:
    return {qname(XSI, "schemaLocation"): f"{namespace} {schema}"}


def _attributes(attributes: dict | None) -> dict[str, str]:
    return {name: clean(value) for name, value in (attributes or {}).items() if value is not None}


def root(namespace: str, tag: str, attributes: dict | None = None) -> ET.Element:
    return ET.Element(qname(namespace, tag), _attributes(attributes))


def sub(parent: ET.Element, namespace: str, tag: str, text=None, attributes: dict | None = None) -> ET.Element:
    """A child element; `text` None leaves it empty, attributes whose value is None are left out."""
    node = ET.SubElement(parent, qname(namespace, tag), _attributes(attributes))
    if text is not None:
        node.text = clean(text)
    return node


def serialize(document: ET.Element) -> bytes:
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)
