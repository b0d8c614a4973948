"""Monthly cost of a plan from the price catalog: idle (nothing running) and peak (every pool full).

A resource type with a fixed cost and no price is reported as not estimated, never as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from ruamel.yaml import YAML

from mlplat.engine.recording import RecordedResource

_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"


@dataclass(frozen=True)
class CostItem:
    urn: str
    type: str
    name: str
    cloud: str
    idle_monthly: float
    peak_monthly: float
    basis: str


@dataclass(frozen=True)
class NotEstimated:
    urn: str
    type: str
    name: str
    reason: str


@dataclass
class CostEstimate:
    currency: str
    items: list[CostItem] = field(default_factory=list)
    not_estimated: list[NotEstimated] = field(default_factory=list)

    def total(self, cloud: str | None = None) -> tuple[float, float]:
        chosen = [i for i in self.items if cloud is None or i.cloud == cloud]
        return round(sum(i.idle_monthly for i in chosen), 2), round(sum(i.peak_monthly for i in chosen), 2)

    @property
    def clouds(self) -> list[str]:
        return sorted({i.cloud for i in self.items})


@cache
def prices() -> dict[str, Any]:
    return YAML(typ="safe").load(_PRICES.read_text())


def _price(cloud: str, region: str, key: str) -> float | None:
    entry = prices().get(cloud, {}).get(region, {}).get(key)
    return None if entry is None else float(entry["price"])


Estimator = Callable[[dict[str, Any], str], tuple[float, float, str] | None]


def _hourly(key: str, what: str) -> Estimator:
    def estimate(_inputs: dict[str, Any], region: str) -> tuple[float, float, str] | None:
        hourly = _price("aws", region, key)
        if hourly is None:
            return None
        monthly = hourly * prices()["hoursPerMonth"]
        return monthly, monthly, f"{what} ${hourly}/h"

    return estimate


def _monthly(key: str, what: str) -> Estimator:
    def estimate(_inputs: dict[str, Any], region: str) -> tuple[float, float, str] | None:
        monthly = _price("aws", region, key)
        if monthly is None:
            return None
        return monthly, monthly, f"{what} ${monthly}/month"

    return estimate


# Types with a cost that does not depend on usage. Usage-priced types (storage, logs, requests) are left out.
ESTIMATORS: dict[str, Estimator] = {
    "aws:ec2/natGateway:NatGateway": _hourly("natGatewayHourly", "NAT gateway"),
    "aws:ec2/eip:Eip": _hourly("publicIpv4Hourly", "public IPv4 address"),
    "aws:kms/key:Key": _monthly("kmsKeyMonthly", "customer managed key"),
}


def estimate(resources: Sequence[RecordedResource], regions: dict[str, str]) -> CostEstimate:
    """`regions` maps a cloud to the stack's region for it (e.g. {"aws": "us-east-1"})."""
    result = CostEstimate(currency=prices()["currency"])
    for r in resources:
        estimator = ESTIMATORS.get(r.type)
        if estimator is None:
            continue
        cloud = r.type.split(":")[0]
        region = regions.get(cloud, "")
        found = estimator(json_format.MessageToDict(r.inputs), region)
        if found is None:
            result.not_estimated.append(
                NotEstimated(r.urn, r.type, r.name, f"no {cloud} price for {region!r}")
            )
            continue
        idle, peak, basis = found
        result.items.append(CostItem(r.urn, r.type, r.name, cloud, round(idle, 2), round(peak, 2), basis))
    return result
