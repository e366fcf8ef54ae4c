import copy

import pytest
import yaml

from connector.config import DEFAULT_MAPPING
from connector.errors import ManifestError
from connector.schemas.manifest import load_manifest, parse_manifest

DOC = yaml.safe_load(DEFAULT_MAPPING.read_text(encoding="utf-8"))


def _with(change):
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


def test_shipped_manifest_loads_and_asks_aep_for_every_card_path():
    manifest = load_manifest(str(DEFAULT_MAPPING))
    fields = manifest.profile_fields()
    assert "identityMap" in fields and "segmentMembership" in fields
    assert "_acme.lifetimeValue" in fields and "person.name" in fields
    assert all(" " not in f for f in fields)
    assert [r.namespace for r in manifest.identity.candidates] == ["CRMID", "Email", "Email_LC_SHA256", "Phone_E.164"]


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.update(colour="blue"), "colour: Unknown field"),
    (lambda d: d["identity"].update(regoin="GB"), "identity.regoin: Unknown field"),
    (lambda d: d["card"][1]["fields"][1].update(fromat="percent"), "card.1.fields.1.fromat: Unknown field"),
    (lambda d: d["card"][1]["fields"][1].update(format="percentage"), "card.1.fields.1.format: Must be one of"),
    (lambda d: d["identity"]["candidates"].append({"from": "email", "namespace": "Fax"}),
     "identity.candidates: namespace(s) not declared under identity.namespaces: Fax"),
    (lambda d: d["identity"]["candidates"].append({"from": "fax", "namespace": "Email"}), "identity.candidates.4.from"),
    (lambda d: d["card"][0]["fields"].append({"key": "name", "path": "x.y", "label": "Dup"}),
     "card: card field keys must be unique: name"),
    (lambda d: d["writeback"].update(zendesk={"rules": [{"target": "ticket.tags", "value": "nope"}]}),
     "writeback: zendesk: value(s) not among the card field keys: nope"),
    (lambda d: d["writeback"]["zendesk"]["rules"].append({"target": "ticket.subject", "value": "name"}),
     "writeback.zendesk.value.rules.7.target"),
    (lambda d: d["writeback"]["zendesk"].update(notes=True), "writeback.zendesk.value.notes: Unknown field"),
    (lambda d: d.pop("identity"), "identity: Missing data for required field"),
    (lambda d: d.update(version=2), "version: Must be equal to 1"),
])
def test_invalid_manifest_names_the_offending_key(change, expected):
    with pytest.raises(ManifestError) as info:
        parse_manifest(_with(change), origin="m.yaml")
    assert info.value.message.startswith("m.yaml: ")
    assert expected in info.value.message


def test_manifest_file_errors_are_one_readable_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ncard: [\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"broken.yaml: not valid YAML at line \d+"):
        load_manifest(str(broken))
    with pytest.raises(ManifestError, match="cannot read mapping manifest"):
        load_manifest(str(tmp_path / "missing.yaml"))


def test_writeback_rules_are_parsed():
    manifest = load_manifest(str(DEFAULT_MAPPING))
    zendesk = manifest.writeback["zendesk"]
    assert zendesk.note is True and zendesk.marker_tag == "aep_enriched"
    rule = zendesk.rules[1]
    assert (str(rule.target), rule.value, rule.field_key, rule.policy) == (
        "ticket.custom_fields.360002", "churn_propensity.badge", "churn_propensity", "overwrite")
