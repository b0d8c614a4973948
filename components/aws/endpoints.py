"""The AWS interface endpoints the platform can create: settings names and their service names.

Plain data (no SDK import), shared by the settings model and the network component.
"""

from __future__ import annotations

from typing import Literal, get_args

InterfaceEndpoint = Literal[
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "studio",
    "notebook",
    "servicecatalog",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "ec2",
    "eks",
    "eks-auth",
    "autoscaling",
    "elasticloadbalancing",
    "kms",
    "ssm",
]
INTERFACE_ENDPOINT_NAMES: tuple[str, ...] = get_args(InterfaceEndpoint)

# Interface endpoint name (as in settings) -> service name; most follow com.amazonaws.<region>.<name>.
_SERVICE_NAME_OVERRIDES = {
    "studio": "aws.sagemaker.{region}.studio",
    "notebook": "aws.sagemaker.{region}.notebook",
}


def endpoint_service_name(endpoint: str, region: str) -> str:
    """'sts' -> 'com.amazonaws.us-east-1.sts'; 'studio' -> 'aws.sagemaker.us-east-1.studio'."""
    if endpoint not in INTERFACE_ENDPOINT_NAMES:
        raise ValueError(f"unknown interface endpoint {endpoint!r}")
    template = _SERVICE_NAME_OVERRIDES.get(endpoint, "com.amazonaws.{region}." + endpoint)
    return template.format(region=region)
