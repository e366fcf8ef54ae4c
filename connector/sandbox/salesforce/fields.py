"""Field metadata of the Salesforce emulator: the SFDX package the customer deploys plus the standard
fields the emulator knows, as ``describe`` returns it and as record writes are checked against it.

The custom fields are read from ``objects/*/fields/*.field-meta.xml`` (defusedxml) at run time, so a
field changed in the package changes what the emulator accepts. ``sfdx_objects_dir`` is the one place
that decides where the package lives.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from defusedxml.ElementTree import parse

from connector.bundled import manifest_path

MD = "{http://soap.sforce.com/2006/04/metadata}"
SOURCE_OBJECTS = ("salesforce", "force-app", "main", "default", "objects")
# SFDX <type> → describe type (reference §6.2)
XML_TYPES = {"Text": "string", "LongTextArea": "textarea", "TextArea": "textarea", "Currency": "currency",
             "Number": "double", "Percent": "percent", "DateTime": "datetime", "Date": "date",
             "Checkbox": "boolean", "Picklist": "picklist", "Email": "email", "Phone": "phone"}
SOAP_TYPES = {"string": "xsd:string", "textarea": "xsd:string", "picklist": "xsd:string", "email": "xsd:string",
              "phone": "xsd:string", "currency": "xsd:double", "double": "xsd:double", "percent": "xsd:double",
              "datetime": "xsd:dateTime", "date": "xsd:date", "boolean": "xsd:boolean", "id": "tns:ID",
              "reference": "tns:ID"}


@dataclass(frozen=True)
class SfField:
    name: str
    type: str  # describe type: id, reference, string, textarea, picklist, email, phone, double, currency…
    label: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    picklist: tuple[tuple[str, str, bool], ...] = ()  # (value, label, active)
    restricted: bool = False
    updateable: bool = True
    createable: bool = True
    nillable: bool = True
    custom: bool = False
    external_id: bool = False

    def describe(self) -> dict:
        return {"name": self.name, "label": self.label, "type": self.type, "soapType": SOAP_TYPES[self.type],
                "length": self.length, "byteLength": self.length * 3, "precision": self.precision,
                "scale": self.scale, "digits": 0, "custom": self.custom, "externalId": self.external_id,
                "updateable": self.updateable, "createable": self.createable, "nillable": self.nillable,
                "calculated": False, "unique": False, "defaultValue": None,
                "restrictedPicklist": self.restricted,
                "picklistValues": [{"value": v, "label": lbl, "active": active, "defaultValue": False,
                                    "validFor": None} for v, lbl, active in self.picklist]}


def _ref(name: str, label: str, **kw) -> SfField:
    return SfField(name, "reference", label, length=18, **kw)


_READ_ONLY: dict = {"updateable": False, "createable": False, "nillable": False}
_PERSON = (SfField("FirstName", "string", "First Name", length=40),
           SfField("LastName", "string", "Last Name", length=80, nillable=False),
           SfField("Email", "email", "Email", length=80), SfField("Phone", "phone", "Business Phone", length=40))
STANDARD: dict[str, tuple[SfField, ...]] = {
    "Contact": (SfField("Id", "id", "Contact ID", length=18, **_READ_ONLY), *_PERSON),
    "Lead": (SfField("Id", "id", "Lead ID", length=18, **_READ_ONLY), *_PERSON[:2],
             SfField("Company", "string", "Company", length=255, nillable=False), *_PERSON[2:]),
    "Case": (SfField("Id", "id", "Case ID", length=18, **_READ_ONLY), _ref("ContactId", "Contact ID"),
             SfField("Subject", "string", "Subject", length=255),
             SfField("Status", "picklist", "Status", length=255, nillable=False,
                     picklist=(("New", "New", True), ("Working", "Working", True),
                               ("Escalated", "Escalated", True), ("Closed", "Closed", True)))),
}
TRAILING = (_ref("LastModifiedById", "Last Modified By ID", **_READ_ONLY),)


def sfdx_objects_dir() -> Path:
    """The SFDX package's ``objects`` folder: in the source tree, or the copy inside the wheel."""
    return manifest_path(*SOURCE_OBJECTS)


def parse_field(path: Path) -> SfField:
    root = parse(str(path)).getroot()

    def text(tag: str, default: str = "") -> str:
        found = root.find(MD + tag)
        return (found.text or default) if found is not None else default

    kind = XML_TYPES[text("type")]
    values = tuple((v.findtext(MD + "fullName") or "", v.findtext(MD + "label") or "",
                    (v.findtext(MD + "isActive") or "true") == "true")
                   for v in root.iter(MD + "value"))
    length = int(text("length", "0")) or (255 if kind == "picklist" else 0)
    return SfField(name=text("fullName"), type=kind, label=text("label", text("fullName")), length=length,
                   precision=int(text("precision", "0")), scale=int(text("scale", "0")), picklist=values,
                   restricted=root.findtext(f"{MD}valueSet/{MD}restricted") == "true",
                   custom=True, external_id=text("externalId") == "true",
                   nillable=text("required") != "true")


@lru_cache(maxsize=4)
def load_schema(objects_dir: Path | None = None) -> dict[str, dict[str, SfField]]:
    """Object → field name → metadata, for Contact, Lead and Case (standard fields, then the package's)."""
    base = objects_dir or sfdx_objects_dir()
    if not base.is_dir():
        raise FileNotFoundError(f"the SFDX package's objects folder is missing: {base}")
    schema: dict[str, dict[str, SfField]] = {}
    for obj, standard in STANDARD.items():
        custom = [parse_field(p) for p in sorted((base / obj / "fields").glob("*.field-meta.xml"))]
        schema[obj] = {f.name: f for f in (*standard, *custom, *TRAILING)}
    return schema


def describe(obj: str, schema: dict[str, dict[str, SfField]], prefix: str) -> dict:
    """``GET /sobjects/{obj}/describe`` (the parts a client reads)."""
    return {"name": obj, "label": obj, "keyPrefix": prefix, "custom": False, "createable": True,
            "updateable": True, "queryable": True, "fields": [f.describe() for f in schema[obj].values()]}


def with_field(schema: dict[str, dict[str, SfField]], obj: str, name: str, **changes) -> dict:
    """A copy of ``schema`` with one field changed (tests: a read-only field, an inactive value…)."""
    fields = dict(schema[obj])
    fields[name] = replace(fields[name], **changes)
    return {**schema, obj: fields}
