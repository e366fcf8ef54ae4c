"""``aep-connector check`` validates the manifest's Salesforce write-back against the org's describe."""
from __future__ import annotations

import os

from click.testing import CliRunner

from connector.cli import main
from connector.config import DEFAULT_MAPPING
from connector.sandbox.salesforce.fields import with_field


def run_check(s, mapping=None):
    env = {k: None for k in os.environ if k.startswith("CONNECTOR_")} | {
        "CONNECTOR_AEP_IMS_URL": s.aep_ims_url, "CONNECTOR_AEP_PLATFORM_URL": s.aep_platform_url,
        "CONNECTOR_AEP_CLIENT_ID": s.aep_client_id, "CONNECTOR_AEP_CLIENT_SECRET": s.aep_client_secret,
        "CONNECTOR_AEP_ORG_ID": s.aep_org_id, "CONNECTOR_SALESFORCE_INSTANCE_URL": s.salesforce_instance_url,
        "CONNECTOR_SALESFORCE_CLIENT_ID": s.salesforce_client_id,
        "CONNECTOR_SALESFORCE_CLIENT_SECRET": s.salesforce_client_secret, "CONNECTOR_CA_BUNDLE": s.ca_bundle,
        "CONNECTOR_DATABASE_URL": s.database_url, "CONNECTOR_QUEUE_URL": s.queue_url}
    if mapping:
        env["CONNECTOR_MAPPING"] = str(mapping)
    return CliRunner().invoke(main, ["check"], env=env)


def test_the_shipped_manifest_fits_the_shipped_package(sfsettings, sf):
    result = run_check(sfsettings)
    assert result.exit_code == 0, result.output
    for obj, count in (("Case", 4), ("Contact", 6), ("Lead", 6)):
        assert f"ok   writeback.salesforce {obj}: {count} field(s) exist, are updateable" in result.stdout
    assert len(sf.world.calls("/describe")) == 3  # one describe per object the manifest writes


def test_check_names_missing_read_only_and_ill_fitting_targets(sfsettings, sf, tmp_path):
    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    text = text.replace("{target: Contact.AEP_Audiences__c,", "{target: Contact.AEP_Audience__c,")
    text = text.replace("{target: Lead.AEP_Last_Enriched__c, value: enriched_at,",
                        "{target: Lead.AEP_Last_Enriched__c, value: lifetime_value,")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text, encoding="utf-8")
    sf.world.schema = with_field(sf.world.schema, "Contact", "AEP_Profile_Id__c", updateable=False)
    risk = sf.world.schema["Case"]["AEP_Churn_Risk__c"]
    sf.world.schema = with_field(sf.world.schema, "Case", "AEP_Churn_Risk__c",
                                 picklist=tuple((v, lbl, v != "medium") for v, lbl, _ in risk.picklist))
    result = run_check(sfsettings, mapping)
    assert result.exit_code == 1, result.output
    fails = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert fails == [
        "FAIL writeback.salesforce Case.AEP_Churn_Risk__c (churn_propensity.badge): Salesforce picklist "
        "AEP_Churn_Risk__c has no active value for churn_propensity.badge 'medium'",
        "FAIL writeback.salesforce Contact.AEP_Audience__c (audiences): Salesforce has no field AEP_Audience__c on "
        "Contact (or the integration user cannot see it)",
        "FAIL writeback.salesforce Contact.AEP_Profile_Id__c (profile_id): Salesforce says AEP_Profile_Id__c is not "
        "updateable (read-only, or no edit access for the integration user)",
        "FAIL writeback.salesforce Lead.AEP_Last_Enriched__c (lifetime_value): Salesforce says AEP_Last_Enriched__c "
        "is a date-time field; lifetime_value is a number",
    ]
    assert result.stdout.strip().endswith("4 check(s) failed")
