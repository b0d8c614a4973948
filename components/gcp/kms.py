"""A regional key ring with one customer-managed key per purpose, rotated, and usable only by named agents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp.options import child_options

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
MAX_ROTATION_DAYS = 90
_DAY_SECONDS = 86400


@dataclass(frozen=True)
class KeysArgs:
    project: str
    location: str  # the region of the resources the keys protect (CMEK keys must be co-located)
    # purpose -> {grantee label: IAM member}; each member may encrypt and decrypt with that purpose's key.
    purposes: Mapping[str, Mapping[str, pulumi.Input[str]]]
    labels: Mapping[str, str]
    rotation_days: int = MAX_ROTATION_DAYS
    destroy_scheduled_days: int = 30
    deletion_protection: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.rotation_days <= MAX_ROTATION_DAYS:
            raise ValueError(
                f"rotation_days must be between 1 and {MAX_ROTATION_DAYS}, got {self.rotation_days}"
            )


class Keys(pulumi.ComponentResource):
    key_ring_id: pulumi.Output[str]
    key_ids: dict[str, pulumi.Output[str]]  # purpose -> projects/.../cryptoKeys/<key>, what CMEK fields take

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:gcp:Keys", name, None, opts)
        # Key material cannot be recovered once destroyed: protect keys wherever data is protected.
        keep = child_options(self, opts, protect=args.deletion_protection)
        # Cloud KMS never deletes key rings or keys, so their names are left to autonaming: each create
        # gets a fresh suffix, and a stack destroyed and deployed again does not collide with its old keys.
        self.key_ring = gcp.kms.KeyRing(
            f"{name}-ring", gcp.kms.KeyRingArgs(project=args.project, location=args.location), opts=keep
        )
        self.keys: dict[str, gcp.kms.CryptoKey] = {}
        for purpose, grantees in args.purposes.items():
            key = gcp.kms.CryptoKey(
                f"{name}-{purpose}",
                gcp.kms.CryptoKeyArgs(
                    key_ring=self.key_ring.id,
                    purpose="ENCRYPT_DECRYPT",
                    rotation_period=f"{args.rotation_days * _DAY_SECONDS}s",
                    destroy_scheduled_duration=f"{args.destroy_scheduled_days * _DAY_SECONDS}s",
                    version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
                        algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level="SOFTWARE"
                    ),
                    labels={**args.labels, "purpose": purpose},
                ),
                opts=keep,
            )
            self.keys[purpose] = key
            for grantee, member in grantees.items():
                gcp.kms.CryptoKeyIAMMember(
                    f"{name}-{purpose}-{grantee}",
                    gcp.kms.CryptoKeyIAMMemberArgs(
                        crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER, member=member
                    ),
                    opts=child_options(self, opts),
                )
        self.key_ring_id = self.key_ring.id
        self.key_ids = {purpose: key.id for purpose, key in self.keys.items()}
        self.register_outputs({"key_ring_id": self.key_ring_id, "key_ids": self.key_ids})
