import pytest

from connector.config import Settings, load_settings
from connector.errors import ConfigError

CREDS = {"CONNECTOR_AEP_CLIENT_ID": "id", "CONNECTOR_AEP_CLIENT_SECRET": "s3cret-value",
         "CONNECTOR_AEP_ORG_ID": "o@AdobeOrg"}


def test_defaults_point_at_adobe_and_no_secret_has_a_default():
    s = load_settings({})
    assert s.aep_ims_url == "https://ims-na1.adobelogin.com"
    assert s.aep_platform_url == "https://platform.adobe.io"
    assert s.aep_sandbox == "prod"
    assert s.aep_client_secret is None and s.api_keys == () and s.zendesk_webhook_secret is None


def test_values_are_converted():
    s = load_settings({**CREDS, "CONNECTOR_API_KEYS": "a, b,,c", "CONNECTOR_SANDBOX": "true",
                       "CONNECTOR_AEP_TIMEOUT": "2.5", "CONNECTOR_PROFILE_CACHE_TTL": "0"})
    assert s.api_keys == ("a", "b", "c") and s.sandbox is True and s.aep_timeout == 2.5
    assert s.profile_cache_ttl == 0


def test_missing_credentials_are_named():
    with pytest.raises(ConfigError) as info:
        load_settings({"CONNECTOR_AEP_CLIENT_ID": "id"}).require_aep()
    assert info.value.message == "missing setting(s): CONNECTOR_AEP_CLIENT_SECRET, CONNECTOR_AEP_ORG_ID"


@pytest.mark.parametrize("env, expected", [
    ({"CONNECTOR_AEP_TIMEOUT": "soon"}, "CONNECTOR_AEP_TIMEOUT: expected a number"),
    ({"CONNECTOR_SANDBOX": "maybe"}, "CONNECTOR_SANDBOX: expected a boolean"),
    ({"CONNECTOR_AEP_PLATFORM_URL": "http://platform.example.com"}, "must use https"),
    ({"CONNECTOR_AEP_IMS_URL": "ims.example.com"}, "expected an http(s) URL"),
    ({"CONNECTOR_AEP_SANDBOX": "Prod"}, "sandbox names are lower-case"),
    ({"CONNECTOR_MAPPING": "/nowhere.yaml"}, "CONNECTOR_MAPPING: no file at /nowhere.yaml"),
    ({"CONNECTOR_CA_BUNDLE": "/nowhere.pem"}, "CONNECTOR_CA_BUNDLE: no file"),
    ({"CONNECTOR_AEP_RETRIES": "-1"}, "must not be negative"),
    ({"CONNECTOR_SIDEBAR_RECORDS_PER_MINUTE": "0"}, "CONNECTOR_SIDEBAR_RECORDS_PER_MINUTE: must be at least 1"),
])
def test_invalid_settings_give_clear_messages(env, expected):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert expected in info.value.message


def test_http_is_allowed_for_local_emulators():
    assert load_settings({"CONNECTOR_AEP_PLATFORM_URL": "http://127.0.0.1:9000"}).aep_platform_url.startswith("http:")


def test_config_file_sets_keys_and_environment_wins(tmp_path):
    path = tmp_path / "connector.yaml"
    path.write_text("aep_sandbox: dev\nAPI_KEYS: [k1, k2]\naep_timeout: 3\n", encoding="utf-8")
    s = load_settings({"CONNECTOR_CONFIG_FILE": str(path), "CONNECTOR_AEP_TIMEOUT": "4"})
    assert (s.aep_sandbox, s.api_keys, s.aep_timeout) == ("dev", ("k1", "k2"), 4.0)
    path.write_text("aep_sandbx: dev\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'aep_sandbx'"):
        load_settings({"CONNECTOR_CONFIG_FILE": str(path)})


def test_secrets_stay_out_of_repr():
    s = Settings(aep_client_secret="s3cret-value", api_keys=("key-value",))
    assert "s3cret-value" not in repr(s) and "key-value" not in repr(s)


def test_settings_are_frozen_hashable_and_keep_provider_sections_when_copied():
    import copy
    import dataclasses
    import pickle

    s = Settings(zendesk_url="https://acme.zendesk.com", aep_timeout=3.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.zendesk_url = "https://evil.example"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.anything = 1  # type: ignore[attr-defined]
    assert hash(s) == hash(Settings(zendesk_url="https://acme.zendesk.com", aep_timeout=3.0))
    for twin in (dataclasses.replace(s, aep_timeout=4.0), s.replace(aep_timeout=4.0)):
        assert twin.zendesk_url == "https://acme.zendesk.com" and twin.aep_timeout == 4.0
    assert pickle.loads(pickle.dumps(s)) == s == copy.deepcopy(s)


def test_a_provider_section_written_without_postponed_annotations_converts_its_values():
    import dataclasses

    from connector import providers

    section = dataclasses.make_dataclass("PlugSettings", [("count", int, 1), ("on", bool, True), ("url", str, "")])
    section.problems = lambda self: []  # type: ignore[attr-defined]
    plug = type("Plug", (), {"name": "plug", "title": "Plug", "settings": section})()
    providers.register(plug)
    try:
        s = load_settings({"CONNECTOR_PLUG_COUNT": "3", "CONNECTOR_PLUG_ON": "false"})
        assert (s.plug_count, s.plug_on) == (3, False)
        with pytest.raises(ConfigError, match="CONNECTOR_PLUG_COUNT: expected a whole number"):
            load_settings({"CONNECTOR_PLUG_COUNT": "three"})
    finally:
        providers.unregister("plug")


def test_a_provider_whose_settings_would_shadow_the_connectors_is_refused():
    import dataclasses

    from connector import providers

    section = dataclasses.make_dataclass("ApiSettings", [("keys", str, "")])
    with pytest.raises(ValueError, match="api_keys"):
        providers.register(type("Api", (), {"name": "api", "title": "Api", "settings": section})())
    assert providers.get("api") is None
