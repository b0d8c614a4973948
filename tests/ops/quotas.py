"""Service Quotas answers for EC2 vCPU quotas, in the shapes AWS returns (moto only emulates ServiceCode "vpc").

Stubber checks every response here against botocore's model of the service, so a misspelt or
misplaced field fails the test that uses it.
"""

from __future__ import annotations

from typing import Any

from tests.ops.conftest import ACCOUNT, REGION

QUOTA_NAMES = {
    "L-DB2E81BA": ("Running On-Demand G and VT instances", "G/OnDemand"),
    "L-417A185B": ("Running On-Demand P instances", "P/OnDemand"),
    "L-3819A6DF": ("All G and VT Spot Instance Requests", "G/Spot"),
    "L-7212CCBC": ("All P4, P3 and P2 Spot Instance Requests", "P/Spot"),
    "L-C4BD4855": ("All P5 Spot Instance Requests", "P5/Spot"),
}


def _quota(code: str, value: float, *, arn_account: str) -> dict[str, Any]:
    name, usage_class = QUOTA_NAMES[code]
    return {
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "QuotaArn": f"arn:aws:servicequotas:{REGION}:{arn_account}:ec2/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "UsageMetric": {
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {
                "Class": usage_class,
                "Resource": "vCPU",
                "Service": "EC2",
                "Type": "Resource",
            },
            "MetricStatisticRecommendation": "Maximum",
        },
    }


def applied_quota(code: str, value: float) -> dict[str, Any]:
    """GetServiceQuota: the value applied to this account."""
    return {"Quota": {**_quota(code, value, arn_account=ACCOUNT), "QuotaAppliedAtLevel": "ACCOUNT"}}


def default_quota(code: str, value: float) -> dict[str, Any]:
    """GetAWSDefaultServiceQuota: the default, with no account in the ARN."""
    return {"Quota": _quota(code, value, arn_account="")}


def asked(code: str) -> dict[str, str]:
    return {"ServiceCode": "ec2", "QuotaCode": code}
