"""`mlplat preflight STACK`: GPU offerings, vCPU quotas and budget, checked in the account before a deploy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, EXIT_OK, Progress, app, fail, find_project_dir

if TYPE_CHECKING:
    from mlplat.ops.preflight import Preflight  # imported lazily at run time: boto3 is slow to load


@app.command()
def preflight(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.<stack>.yaml")],
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS API endpoint (an emulator)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable findings")] = False,
    endpoints: Annotated[
        list[str] | None,
        typer.Option("--endpoint", help="A cluster API (URL or host) that must answer from here; repeatable"),
    ] = None,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Check what would fail STACK's first deploy, and what would only stop its GPU pools scaling up.

    AWS: zones by zone id, Elastic IPs, VPCs, standard and GPU vCPU quotas, offerings per zone, budget.
    GCP and Azure: GPU and CPU quotas (through `gcloud` and `az`, signed in as you). --endpoint: DNS and
    TCP 443 to a cluster API from here.

    Exit status: 0 nothing would fail the deploy (warnings block scale-up only; unknown checks could not be made); 1 something would; 2 invalid settings, usage or credentials.
    """
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.engine.stackfile import load_stack_config

    try:
        config = load_stack_config(project_dir, stack)
        settings = load_settings(stack, config.config, config.secret_keys)
    except SettingsError as error:
        fail(str(error))

    from mlplat.ops import CredentialsError, account_id, aws_clients, columns
    from mlplat.ops.preflight import Preflight, check_budget, check_deploy_capacity, run_preflight

    region = settings.providers.aws_region
    if settings.settings.aws is None or region is None:
        result = Preflight(stack, None, None, tuple(check_budget(settings, None, "")))
    else:
        clients = aws_clients(
            ("sts", "ec2", "service-quotas", "budgets"), region=region, endpoint_url=endpoint_url
        )
        try:
            account = account_id(clients["sts"])
        except CredentialsError as error:
            fail(str(error))
        with Progress(f"Checking {stack} against AWS account {account}..."):
            result = run_preflight(
                settings,
                account=account,
                ec2=clients["ec2"],
                quotas=clients["service-quotas"],
                budgets=clients["budgets"],
            )
            capacity = check_deploy_capacity(settings, clients["ec2"], clients["service-quotas"])
            result = Preflight(result.stack, result.region, result.account, (*result.findings, *capacity))

    from mlplat.ops.cloud_quotas import gcp_and_azure_findings
    from mlplat.ops.reachability import check_endpoint

    extra = [*gcp_and_azure_findings(settings), *(check_endpoint(e) for e in endpoints or [])]
    result = Preflight(result.stack, result.region, result.account, (*result.findings, *extra))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        where = (
            f"AWS account {result.account}, {result.region}" if result.account else "no mlplat:aws section"
        )
        lines = [f"Preflight {stack} ({where}):", ""]
        lines.append(columns((f.status, f.check, f.subject, f.message) for f in result.findings))
        lines += ["", _summary(result)]
        sys.stdout.write("\n".join(lines) + "\n")
    raise typer.Exit(EXIT_FAILED if result.failed else EXIT_OK)


def _summary(result: Preflight) -> str:
    failing, unknown, warn = result.count("fail"), result.count("unknown"), result.count("warn")
    text = f"{result.count('ok')} ok, {warn} warning, {failing} failing, {unknown} unknown."
    if failing:
        text += " The deploy would fail: fix the failing checks first."
    elif warn:
        text += " The deploy would succeed; the warnings stop GPU pools scaling up (request the quotas now)."
    elif unknown:
        text += " Nothing known would fail the deploy; the unknown checks could not be made (see above)."
    else:
        text += " Nothing found that would fail the deploy."
    return text
