"""`mlplat bootstrap aws|gcp|azure`: the state backend, the secrets key and the pipeline's identities."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from mlplat.app import EXIT_FAILED, EXIT_OK, Progress, app, err, fail

if TYPE_CHECKING:
    from mlplat.ops.azure import AzureClients
    from mlplat.ops.bootstrap import Check
    from mlplat.ops.gcp import GcpApis

bootstrap_app = typer.Typer(
    help="Create, or verify, what must exist before the first `pulumi up`.", no_args_is_help=True
)
app.add_typer(bootstrap_app, name="bootstrap")


@bootstrap_app.command("aws")
def bootstrap_aws(
    env: Annotated[
        str, typer.Option("--env", help="Environment (stack) this account serves: dev, prod, ...")
    ],
    bucket: Annotated[str, typer.Option("--bucket", help="State bucket name (globally unique)")],
    region: Annotated[str, typer.Option("--region", help="AWS region of the bucket and the key")],
    github_repo: Annotated[
        str, typer.Option("--github-repo", help="owner/name of the repository whose jobs deploy")
    ],
    kms_alias: Annotated[
        str | None,
        typer.Option(
            "--kms-alias", help="Alias of the environment's state key (default: alias/mlplat-<env>-state)"
        ),
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Strengthen an existing bucket or key that falls short (never touches objects)"
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be created; change nothing")
    ] = False,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS API endpoint (an emulator)"),
    ] = None,
) -> None:
    """Create, or verify, one environment's state bucket, KMS key, GitHub OIDC trust and job roles.

    Safe to rerun: it never deletes or weakens anything, and --fix never touches objects.

    Exit status: 0 ready (or --dry-run); 1 an existing bucket or key falls short (rerun with --fix) or an AWS call failed; 2 usage, credentials, or a bucket or key that cannot serve (taken, elsewhere, disabled).
    """
    _check_common(env, github_repo)
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        fail(f"--region {region!r} is not an AWS region name (e.g. us-east-1)")
    from mlplat.ops import AwsError, CredentialsError, account_id, aws_clients, describe
    from mlplat.ops.bootstrap import (
        BootstrapError,
        bootstrap_state_backend,
        check_bucket_name,
        default_alias,
        ensure_autoscaling_role,
        normalize_alias,
    )
    from mlplat.ops.identities import AwsTarget, ensure_identities
    from mlplat.ops.steps import Steps

    try:
        check_bucket_name(bucket)
        alias = normalize_alias(kms_alias or default_alias(env))
    except ValueError as error:
        fail(str(error))
    clients = aws_clients(("sts", "s3", "kms", "iam"), region=region, endpoint_url=endpoint_url)
    try:
        account = account_id(clients["sts"])
        partition = clients["sts"].get_caller_identity()["Arn"].split(":")[1]
    except CredentialsError as error:
        fail(str(error))

    with Progress(f"Bootstrapping {env} in AWS account {account}..."):
        try:
            backend = bootstrap_state_backend(
                clients["s3"],
                clients["kms"],
                bucket=bucket,
                region=region,
                alias=alias,
                fix=fix,
                dry_run=dry_run,
            )
            prerequisites = [ensure_autoscaling_role(clients["iam"], dry_run)]
            steps = Steps(dry_run)
            target = AwsTarget(env, github_repo, bucket, backend.key_arn, account, region, partition)
            roles = ensure_identities(clients["iam"], target, steps)
        except BootstrapError as error:
            fail(str(error))
        except AwsError as error:
            fail(f"an AWS call failed: {describe(error)}", EXIT_FAILED)
    if endpoint_url:
        err.print(f"note: ran against {endpoint_url}; the lines below address AWS itself.", highlight=False)
    weaker = [c for c in backend.checks if c.status == "weaker"]
    if weaker and not dry_run:
        from mlplat.ops import columns

        out = [f"Environment {env} in AWS account {account}, {region}:", ""]
        out.append(
            columns((c.status, c.subject, c.detail) for c in [*backend.checks, *prerequisites, *steps.checks])
        )
        out += [
            "",
            f"{len(weaker)} setting(s) fall short of the baseline and were left as they are. "
            "Rerun with --fix to strengthen them (no object is read, changed or deleted).",
        ]
        sys.stdout.write("\n".join(out) + "\n")
        raise typer.Exit(EXIT_FAILED)
    secrets = [(environment, "AWS_ROLE_ARN", arn) for environment, arn in roles.items()]
    secrets += [(environment, "AWS_REGION", region) for environment in roles]
    _report(
        f"Environment {env} in AWS account {account}, {region}:",
        [*backend.checks, *prerequisites, *steps.checks],
        dry_run=dry_run,
        backend_url=backend.backend_url,
        secrets_provider=backend.secrets_provider,
        env=env,
        cloud="aws",
        secrets=sorted(secrets),
    )


# --- every cloud: one environment per run (one account, project or subscription per environment recommended) ---


def _report(
    title: str,
    checks: Sequence[Check],
    *,
    dry_run: bool,
    backend_url: str,
    secrets_provider: str,
    env: str,
    cloud: str,
    secrets: Sequence[tuple[str, str, str]],
) -> None:
    """The checks, then (when nothing falls short) the pulumi lines and the GitHub secrets to set."""
    from mlplat.ops import columns
    from mlplat.ops.pipeline import CLUSTER_KIND

    out = [title, "", columns((c.status, c.subject, c.detail) for c in checks), ""]
    weaker = [c for c in checks if c.status == "weaker"]
    if weaker:
        out.append(f"{len(weaker)} setting(s) fall short and were left as they are; change them, then rerun.")
        sys.stdout.write("\n".join(out) + "\n")
        raise typer.Exit(EXIT_FAILED)
    if dry_run:
        planned = len([c for c in checks if c.status == "planned"])
        out.append(f"--dry-run: {planned} change(s) would be made; nothing was changed.")
        sys.stdout.write("\n".join(out) + "\n")
        raise typer.Exit(EXIT_OK)
    changed = len([c for c in checks if c.status in ("created", "fixed")])
    out.append(f"{changed} change(s) made." if changed else "Nothing to change.")
    cluster = f"{env}-{CLUSTER_KIND[cloud]}"  # type: ignore[index]
    out += [
        "",
        "Next, from the project directory:",
        "",
        f"  pulumi login '{backend_url}'",
        f"  pulumi stack init {env} --secrets-provider '{secrets_provider}'",
        f"  (cd clusters && pulumi stack init {cluster} --secrets-provider '{secrets_provider}')",
        "",
        "GitHub secrets (README: One-time setup), per GitHub environment:",
        "",
    ]
    out.append(columns(secrets))
    sys.stdout.write("\n".join(out) + "\n")
    raise typer.Exit(EXIT_OK)


def _check_common(env: str, github_repo: str) -> None:
    from mlplat.ops.pipeline import check_environment, check_repo

    try:
        check_environment(env)
        check_repo(github_repo)
    except ValueError as error:
        fail(str(error))


@bootstrap_app.command("gcp")
def bootstrap_gcp(
    project: Annotated[str, typer.Option("--project", help="The environment's project id")],
    env: Annotated[
        str, typer.Option("--env", help="Environment (stack) this project serves: dev, prod, ...")
    ],
    region: Annotated[
        str, typer.Option("--region", help="Region of the state bucket and key (e.g. us-central1)")
    ],
    github_repo: Annotated[
        str, typer.Option("--github-repo", help="owner/name of the repository whose jobs deploy")
    ],
    bucket: Annotated[
        str | None, typer.Option("--bucket", help="State bucket name (default: <project>-pulumi-state)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be created; change nothing")
    ] = False,
) -> None:
    """Create, or verify, one environment's state bucket, KMS key, GitHub federation and job identities.

    Exit status: 0 ready (or --dry-run); 1 something existing falls short or a Google call failed; 2 usage,
    credentials, rights or a name that cannot serve.
    """
    from mlplat.ops import gcp

    _check_common(env, github_repo)
    bucket = bucket or f"{project}-pulumi-state"
    try:
        gcp.check_project_id(project)
        gcp.check_bucket_name(bucket)
    except ValueError as error:
        fail(str(error))
    if not re.fullmatch(r"[a-z]+(-[a-z]+\d+)?", region):
        fail(f"--region {region!r} is not a GCP location (e.g. us-central1)")
    apis = _gcp_apis()
    target = gcp.GcpTarget(project, env, region, bucket, github_repo)
    with Progress(f"Bootstrapping {env} in project {project}..."):
        try:
            result = gcp.bootstrap_gcp(apis, target, dry_run=dry_run)
        except gcp.GcpError as error:
            fail(str(error))
        except Exception as error:  # googleapiclient.errors.HttpError and transport errors
            fail(f"a Google API call failed: {gcp.describe(error)}", EXIT_FAILED)
    provider = result.workload_identity_provider
    secrets = [
        (environment, "GCP_WORKLOAD_IDENTITY_PROVIDER", provider) for environment in result.service_accounts
    ] + [
        (environment, "GCP_SERVICE_ACCOUNT", email) for environment, email in result.service_accounts.items()
    ]
    secrets += [
        (environment, "PULUMI_BACKEND_URL", result.backend_url) for environment in result.service_accounts
    ]
    _report(
        f"Environment {env} in GCP project {project}:",
        result.checks,
        dry_run=dry_run,
        backend_url=result.backend_url,
        secrets_provider=result.secrets_provider,
        env=env,
        cloud="gcp",
        secrets=sorted(secrets),
    )


def _gcp_apis() -> GcpApis:
    """Google's clients from Application Default Credentials (tests replace this function)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    from mlplat.ops.gcp import GcpApis

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError:
        fail(
            "no Google credentials found: run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS, or run where a service account applies"
        )
    return GcpApis.connect(credentials=credentials)


@bootstrap_app.command("azure")
def bootstrap_azure(
    subscription: Annotated[str, typer.Option("--subscription", help="The environment's subscription id")],
    env: Annotated[
        str, typer.Option("--env", help="Environment (stack) this subscription serves: dev, prod, ...")
    ],
    location: Annotated[str, typer.Option("--location", help="Azure region of the state (e.g. westeurope)")],
    github_repo: Annotated[
        str, typer.Option("--github-repo", help="owner/name of the repository whose jobs deploy")
    ],
    storage_account: Annotated[
        str | None,
        typer.Option("--storage-account", help="State storage account (default: mlplat<env><hash>)"),
    ] = None,
    key_vault: Annotated[
        str | None,
        typer.Option("--key-vault", help="Key Vault for the secrets key (default: mlplat-<env>-<hash>)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be created; change nothing")
    ] = False,
) -> None:
    """Create, or verify, one environment's providers, state storage, Key Vault key and job identities.

    Exit status: 0 ready (or --dry-run); 1 something existing falls short or an Azure call failed; 2 usage,
    credentials, rights or a name that cannot serve.
    """
    from mlplat.ops import azure

    _check_common(env, github_repo)
    if not re.fullmatch(r"[a-z]+[a-z0-9]*", location):
        fail(f"--location {location!r} is not an Azure region name (e.g. westeurope)")
    target = azure.AzureTarget(
        subscription, env, location, github_repo, storage_account or "", key_vault or ""
    )
    try:
        azure.check_names(target)
    except ValueError as error:
        fail(str(error))
    clients = _azure_clients(subscription)
    with Progress(f"Bootstrapping {env} in subscription {subscription}..."):
        try:
            result = azure.bootstrap_azure(clients, target, dry_run=dry_run)
        except azure.AzureError as error:
            fail(str(error))
        except Exception as error:  # azure.core.exceptions.AzureError and transport errors
            fail(f"an Azure call failed: {azure.describe(error)}", EXIT_FAILED)
    secrets: list[tuple[str, str, str]] = []
    for environment, (client_id, object_id) in result.identities.items():
        secrets += [
            (environment, "AZURE_CLIENT_ID", client_id),
            (environment, "AZURE_TENANT_ID", result.tenant_id),
            (environment, "AZURE_SUBSCRIPTION_ID", subscription),
            (environment, "PULUMI_BACKEND_URL", result.backend_url),
            (environment, "AZURE_STORAGE_ACCOUNT", target.account),
        ]
        if environment.endswith("-aks"):
            secrets.append((environment, "object id (mlplat:azure cluster deployer)", object_id))
    _report(
        f"Environment {env} in Azure subscription {subscription}:",
        result.checks,
        dry_run=dry_run,
        backend_url=result.backend_url,
        secrets_provider=result.secrets_provider,
        env=env,
        cloud="azure",
        secrets=secrets,
    )


def _azure_clients(subscription: str) -> AzureClients:
    """ARM clients from DefaultAzureCredential (az login, environment, managed identity; tests replace this)."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    from mlplat.ops.azure import AzureClients

    try:
        return AzureClients.connect(DefaultAzureCredential(), subscription)
    except ClientAuthenticationError:
        fail(
            "no Azure credentials found: run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/... for a service principal)"
        )
