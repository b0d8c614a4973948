"""Operations against a live AWS account (or an emulator): bootstrap the state backend, preflight capacity.

The logic takes boto3 clients, so tests hand it moto- or Stubber-backed ones; `aws_clients` builds
the real ones from the standard credential chain, honouring an endpoint URL for emulators.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

# A few quick retries: an operator waits at the terminal, and emulators answer 5xx for what they lack.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=30)

AwsError = (BotoCoreError, ClientError)


def aws_clients(
    services: Iterable[str], *, region: str, endpoint_url: str | None = None
) -> dict[str, BaseClient]:
    """One client per service from the standard credential chain (env, profile, SSO, instance role)."""
    session = boto3.Session(region_name=region)
    return {
        service: session.client(service, endpoint_url=endpoint_url or None, config=_CONFIG)
        for service in services
    }


def error_code(error: BaseException) -> str:
    return error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""


def describe(error: BaseException) -> str:
    """One line for a boto error: `AccessDeniedException: ...`, `HTTP 500`, or botocore's own message."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(
            info.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "error")
        )
        code = f"HTTP {code}" if code.isdigit() else code
        message = " ".join(str(info.get("Message", "")).split())
        if message.startswith("<"):  # an HTML error page (a proxy, an emulator), not an AWS message
            message = ""
        message = message if len(message) <= 200 else message[:197] + "..."
        return f"{code}: {message}" if message else code
    return " ".join(str(error).split()) or type(error).__name__


class CredentialsError(Exception):
    """No usable AWS credentials: a setup problem, reported in one line."""


def account_id(sts: BaseClient) -> str:
    """The caller's account; fails fast, before any other call, when credentials are missing or refused."""
    try:
        return sts.get_caller_identity()["Account"]
    except NoCredentialsError:
        raise CredentialsError(
            "no AWS credentials found: set AWS_PROFILE (or run `aws sso login`), export "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance or task role applies"
        ) from None
    except ClientError as error:
        raise CredentialsError(f"AWS did not accept these credentials: {describe(error)}") from None
    except BotoCoreError as error:
        raise CredentialsError(f"cannot reach AWS STS to check the credentials: {describe(error)}") from None


def columns(rows: Iterable[Sequence[str]], indent: str = "  ") -> str:
    """Rows as aligned plain-text columns (the last one free), readable in a terminal and in CI logs."""
    rows = [list(r) for r in rows]
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        indent + "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in rows
    )
