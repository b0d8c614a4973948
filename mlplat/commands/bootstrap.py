"""`mlplat bootstrap aws`: the S3 bucket and KMS key for Pulumi's self-managed state backend."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from mlplat.app import EXIT_FAILED, EXIT_OK, Progress, app, err, fail

DEFAULT_ALIAS = "alias/mlplat-pulumi-state"

bootstrap_app = typer.Typer(
    help="Create, or verify, what must exist before the first `pulumi up`.", no_args_is_help=True
)
app.add_typer(bootstrap_app, name="bootstrap")


@bootstrap_app.command("aws")
def bootstrap_aws(
    bucket: Annotated[str, typer.Option("--bucket", help="State bucket name (globally unique)")],
    region: Annotated[str, typer.Option("--region", help="AWS region of the bucket and the key")],
    kms_alias: Annotated[
        str, typer.Option("--kms-alias", help="Alias of the KMS key for state encryption and secrets")
    ] = DEFAULT_ALIAS,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Strengthen an existing bucket or key that falls short (never touches objects)"
        ),
    ] = False,
    github_repo: Annotated[
        str | None,
        typer.Option(
            "--github-repo",
            help="owner/name: also create the pipeline's OIDC provider and per-job roles, and print the "
            "GCP and Azure commands",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS API endpoint (an emulator)"),
    ] = None,
) -> None:
    """Create or verify the state bucket and KMS key, then print the `pulumi login` and `stack init` lines.

    Safe to rerun: it never deletes or weakens anything, and --fix never touches objects.

    Exit status: 0 ready; 1 an existing bucket or key falls short (rerun with --fix) or an AWS call failed; 2 usage, credentials, or a bucket or key that cannot serve (taken, elsewhere, disabled).
    """
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        fail(f"--region {region!r} is not an AWS region name (e.g. us-east-1)")
    from mlplat.ops import AwsError, CredentialsError, account_id, aws_clients, columns, describe
    from mlplat.ops.bootstrap import (
        BootstrapError,
        bootstrap_state_backend,
        check_bucket_name,
        normalize_alias,
    )

    try:
        check_bucket_name(bucket)
        alias = normalize_alias(kms_alias)
    except ValueError as error:
        fail(str(error))
    if github_repo is not None and not re.fullmatch(
        r"[A-Za-z0-9_.-]{1,39}/[A-Za-z0-9_.-]{1,100}", github_repo
    ):
        fail(f"--github-repo {github_repo!r} is not owner/name")
    clients = aws_clients(("sts", "s3", "kms", "iam"), region=region, endpoint_url=endpoint_url)
    try:
        account = account_id(clients["sts"])
    except CredentialsError as error:
        fail(str(error))

    with Progress(f"Bootstrapping s3://{bucket} in {region}..."):
        try:
            backend = bootstrap_state_backend(
                clients["s3"], clients["kms"], bucket=bucket, region=region, alias=alias, fix=fix
            )
        except BootstrapError as error:
            fail(str(error))
        except AwsError as error:
            fail(f"an AWS call failed: {describe(error)}", EXIT_FAILED)
    pipeline = None
    if github_repo is not None:
        from mlplat.ops.identities import ensure_identities

        with Progress("Creating the pipeline's identities..."):
            try:
                pipeline = ensure_identities(
                    clients["iam"],
                    repo=github_repo,
                    bucket=bucket,
                    key_arn=backend.key_arn,
                    account=account,
                    fix=fix,
                )
            except AwsError as error:
                fail(f"an AWS call failed: {describe(error)}", EXIT_FAILED)

    checks = [*backend.checks, *(pipeline.checks if pipeline else ())]
    weaker = [c for c in checks if c.status == "weaker"]
    out = [f"State backend in AWS account {account}, {region}:", ""]
    out.append(columns((c.status, c.subject, c.detail) for c in checks))
    out.append("")
    if weaker:
        out.append(
            f"{len(weaker)} setting(s) fall short of the baseline and were left as they are. "
            "Rerun with --fix to strengthen them (no object is read, changed or deleted)."
        )
        sys.stdout.write("\n".join(out) + "\n")
        raise typer.Exit(EXIT_FAILED)
    changed = len([c for c in checks if c.status in ("created", "fixed")])
    out.append(f"{changed} change(s) made." if changed else "Nothing to change.")
    out += ["", "Next, from the project directory:", ""]
    out += [f"  {line}" for line in backend.pulumi_commands(_stacks(Path.cwd()))]
    if pipeline is not None and github_repo is not None:
        from mlplat.ops.identities import other_clouds

        out += ["", "GitHub secrets (README: One-time setup):", ""]
        out += [f"  {secret}: {arn}" for secret, arn in pipeline.secrets.items()]
        out += [f"  PULUMI_BACKEND_URL (repository secret): {backend.backend_url}", ""]
        out += [
            "GCP and Azure, run with rights there ($PROJECT, $PROJECT_NUMBER, $STACK, $SUBSCRIPTION, ...):",
            "",
        ]
        out += [f"  {line}" if line else "" for line in other_clouds(github_repo)]
    sys.stdout.write("\n".join(out) + "\n")
    if endpoint_url:
        err.print(f"note: ran against {endpoint_url}; the lines above address AWS itself.", highlight=False)
    raise typer.Exit(EXIT_OK)


def _stacks(start: Path) -> list[str]:
    """The project's stacks (Pulumi.<stack>.yaml), or `dev` outside a project."""
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
            return stacks or ["dev"]
    return ["dev"]
