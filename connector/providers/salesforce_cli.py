"""``aep-connector salesforce …``: bulk enrichment of existing records."""
from __future__ import annotations

import click

from connector.clikit import EXIT_FAILURE, guarded, runtime


@click.group()
def salesforce() -> None:
    """Salesforce: bulk enrichment of existing records."""


@salesforce.command("backfill")
@click.option("--object", "obj", type=click.Choice(["Contact", "Lead"]), required=True)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 50_000))
def salesforce_backfill(obj: str, limit: int) -> None:
    """Enrich existing Contacts or Leads: one query and one sObject Collections call per 200 records."""
    def action() -> int:
        service = runtime().provider("salesforce")
        counts = service.backfill(obj, limit=limit)
        click.echo(f"{counts['records']} {obj} record(s) read, {counts['written']} written, {counts['failed']} refused")
        return 0 if not counts["failed"] else EXIT_FAILURE

    guarded(action)
