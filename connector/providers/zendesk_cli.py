"""``aep-connector zendesk …``: the webhook and trigger, the sidebar app package."""
from __future__ import annotations

import click

from connector.clikit import guarded, runtime


@click.group()
def zendesk() -> None:
    """Zendesk set-up: the webhook and trigger, the sidebar app package."""


@zendesk.command("install")
@click.option("--endpoint", required=True, help="Public URL of POST /zendesk/webhooks on this connector.")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
def zendesk_install(endpoint: str, dry_run: bool) -> None:
    """Create or update the webhook + "ticket created" trigger and store the signing secret."""
    def action() -> int:
        service = runtime().provider("zendesk")
        report = service.install(endpoint=endpoint, dry_run=dry_run)
        for step in report.steps:
            click.echo(("would " if dry_run else "") + step)
        return 0

    guarded(action)


@zendesk.command("package")
@click.option("--out", default="dist", show_default=True, help="Folder for the upload zip.")
def zendesk_package(out: str) -> None:
    """Build the Zendesk sidebar app's upload zip from manifests/zendesk."""
    from pathlib import Path

    from connector.packaging import package_zendesk_app

    click.echo(str(package_zendesk_app(Path(out))))
