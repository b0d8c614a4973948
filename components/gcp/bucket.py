"""A GCS bucket that is private (UBLA, public access prevention enforced), CMEK-only, recoverable
(soft delete, versioning where it matters) and hard to destroy in prod."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp.options import child_options

_DAY_SECONDS = 86400
_RESTRICTED = "FullyRestricted"


@dataclass(frozen=True)
class SecureBucketArgs:
    project: str
    bucket_name: str  # globally unique, see components.common.naming ("gcs-bucket")
    location: str  # the region, like the key: CMEK keys must be co-located with the bucket
    kms_key_name: pulumi.Input[str]
    labels: Mapping[str, str]
    versioning: bool
    force_destroy: bool = False
    deletion_protection: bool = False
    soft_delete_days: int = 7
    noncurrent_version_days: int = 30
    noncurrent_versions_kept: int = 3


class SecureBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:gcp:SecureBucket", name, None, opts)
        if not 7 <= args.soft_delete_days <= 90:
            raise ValueError(f"soft_delete_days must be between 7 and 90, got {args.soft_delete_days}")
        self.bucket = gcp.storage.Bucket(
            name,
            gcp.storage.BucketArgs(
                project=args.project,
                name=args.bucket_name,
                location=args.location.upper(),
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                encryption=gcp.storage.BucketEncryptionArgs(
                    default_kms_key_name=args.kms_key_name,
                    # Objects may only be written with the platform key, never Google's or a caller-supplied one.
                    google_managed_encryption_enforcement_config=gcp.storage.BucketEncryptionGoogleManagedEncryptionEnforcementConfigArgs(
                        restriction_mode=_RESTRICTED
                    ),
                    customer_supplied_encryption_enforcement_config=gcp.storage.BucketEncryptionCustomerSuppliedEncryptionEnforcementConfigArgs(
                        restriction_mode=_RESTRICTED
                    ),
                ),
                versioning=gcp.storage.BucketVersioningArgs(enabled=args.versioning),
                soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                    retention_duration_seconds=args.soft_delete_days * _DAY_SECONDS
                ),
                lifecycle_rules=[
                    # Old versions go after a while, and never pile up beyond a few per object.
                    _delete_noncurrent(
                        gcp.storage.BucketLifecycleRuleConditionArgs(
                            days_since_noncurrent_time=args.noncurrent_version_days, with_state="ARCHIVED"
                        )
                    ),
                    _delete_noncurrent(
                        gcp.storage.BucketLifecycleRuleConditionArgs(
                            num_newer_versions=args.noncurrent_versions_kept, with_state="ARCHIVED"
                        )
                    ),
                    gcp.storage.BucketLifecycleRuleArgs(
                        action=gcp.storage.BucketLifecycleRuleActionArgs(
                            type="AbortIncompleteMultipartUpload"
                        ),
                        condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=7),
                    ),
                ],
                force_destroy=args.force_destroy,
                labels=dict(args.labels),
            ),
            # Deleting a prod bucket must be a deliberate two-step change.
            opts=child_options(
                self, opts, protect=args.deletion_protection, retain_on_delete=args.deletion_protection
            ),
        )
        self.bucket_name = self.bucket.name
        self.url = self.bucket.url
        self.register_outputs({"bucket_name": self.bucket_name, "url": self.url})


def _delete_noncurrent(
    condition: gcp.storage.BucketLifecycleRuleConditionArgs,
) -> gcp.storage.BucketLifecycleRuleArgs:
    return gcp.storage.BucketLifecycleRuleArgs(
        action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"), condition=condition
    )
