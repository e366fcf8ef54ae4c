"""``aep-connector check``: settings, manifest, then every configured remote service."""
from __future__ import annotations

from collections.abc import Callable

from connector import errors
from connector.core.writecheck import rule_problems
from connector.runtime import Runtime

OK, FAIL, INFO = "ok  ", "FAIL", "--  "


def run_checks(runtime: Runtime, *, echo: Callable[[str], None]) -> int:
    s = runtime.settings
    echo(f"{OK} settings: valid")
    echo(f"{OK} mapping manifest: {s.mapping}")
    failures = 0
    steps = [
        ("AEP token (IMS)", lambda: _token(runtime)),
        ("AEP merge policy", lambda: runtime.aep.default_merge_policy_id() or "none: lookups send no mergePolicyId"),
        ("AEP identity namespaces", lambda: _namespaces(runtime)),
        ("AEP audience names", lambda: f"{runtime.aep.preload_segments()} definitions cached"),
    ]
    zendesk = runtime.zendesk
    if zendesk is not None:
        steps += [("Zendesk API", lambda: f"authenticated as user {zendesk.me()}"),
                  ("Zendesk webhook secret", lambda: _webhook_secret(runtime))]
    for label, step in steps:
        try:
            echo(f"{OK} {label}: {step()}")
        except errors.ConnectorError as exc:
            failures += 1
            echo(f"{FAIL} {label}: {exc.message}")
    failures += salesforce_checks(runtime, echo=echo)
    for name, configured in (("Zendesk", s.zendesk_url), ("Salesforce", s.salesforce_instance_url)):
        if not configured:
            echo(f"{INFO} {name}: not configured")
    echo("all checks passed" if not failures else f"{failures} check(s) failed")
    return 0 if not failures else 1


def _webhook_secret(runtime: Runtime) -> str:
    if not runtime.zendesk_webhook_secret():
        raise errors.ConfigError("none: set CONNECTOR_ZENDESK_WEBHOOK_SECRET or run `aep-connector zendesk install`")
    return "configured"


def _token(runtime: Runtime) -> str:
    runtime.aep.auth.token()
    return f"issued by {runtime.settings.aep_ims_url}"


def _namespaces(runtime: Runtime) -> str:
    known = {str(n.get("code", "")).lower() for n in runtime.aep.list_namespaces()}
    wanted = list(runtime.manifest.identity.namespaces)
    missing = [code for code in wanted if code.lower() not in known]
    if missing:
        raise errors.ConnectorError(f"not defined in AEP sandbox {runtime.settings.aep_sandbox}: "
                                    f"{', '.join(missing)}")
    return f"all {len(wanted)} manifest namespaces exist"


def salesforce_checks(runtime: Runtime, *, echo: Callable[[str], None]) -> int:
    """The manifest's Salesforce write-back against the org's describe: one line per problem, naming the rule."""
    salesforce, spec = runtime.salesforce, runtime.manifest.writeback.get("salesforce")
    if salesforce is None or spec is None:
        return 0
    failures = 0
    objects = sorted({r.target.split(".", 1)[0] for r in spec.rules})
    for obj in objects:
        rules = [r for r in spec.rules if r.target.split(".", 1)[0] == obj]
        try:
            fields = salesforce.field_metadata(obj)
        except errors.ConnectorError as exc:
            echo(f"{FAIL} writeback.salesforce {obj}.*: {exc.message}")
            failures += 1
            continue
        problems = [(rule, problem) for rule in rules
                    for problem in rule_problems(runtime.manifest, rule, fields, crm="Salesforce")]
        for rule, problem in problems:
            echo(f"{FAIL} writeback.salesforce {rule.target} ({rule.value}): {problem}")
        failures += len(problems)
        if not problems:
            echo(f"{OK} writeback.salesforce {obj}: {len(rules)} field(s) exist, are updateable and fit their values")
    return failures
