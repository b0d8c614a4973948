"""Log Analytics for every log the platform keeps, and a workspace-based Application Insights for Azure ML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

# Log Analytics keeps data for 30 to 730 days on the interactive tier.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 730


@dataclass(frozen=True)
class MonitoringArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    log_analytics_name: str
    app_insights_name: str
    tags: Mapping[str, str]
    retention_days: int = 90
    deletion_protection: bool = False


class Monitoring(pulumi.ComponentResource):
    log_analytics_workspace_id: pulumi.Output[str]
    app_insights_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:Monitoring", name, None, opts)
        retention = min(max(args.retention_days, MIN_RETENTION_DAYS), MAX_RETENTION_DAYS)
        self.log_analytics = azure_native.operationalinsights.Workspace(
            f"{name}-logs",
            azure_native.operationalinsights.WorkspaceArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                workspace_name=args.log_analytics_name,
                sku=azure_native.operationalinsights.WorkspaceSkuArgs(
                    name=azure_native.operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
                ),
                retention_in_days=retention,
                features=azure_native.operationalinsights.WorkspaceFeaturesArgs(
                    # Readers see the logs of resources they may read, not the whole workspace.
                    enable_log_access_using_only_resource_permissions=True,
                    disable_local_auth=True,
                ),
                tags=dict(args.tags),
            ),
            # Audit logs are evidence: keep them when the stack goes.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.deletion_protection, retain_on_delete=args.deletion_protection
            ),
        )
        # Keyword arguments, not ComponentArgs: azure-native's *Args path passes `resource_name` twice.
        self.app_insights = azure_native.applicationinsights.Component(
            f"{name}-appi",
            opts=pulumi.ResourceOptions(parent=self),
            resource_group_name=args.resource_group_name,
            location=args.location,
            resource_name_=args.app_insights_name,
            kind="web",
            application_type=azure_native.applicationinsights.ApplicationType.WEB,
            # Workspace-based: telemetry lands in Log Analytics with its retention and access model.
            ingestion_mode=azure_native.applicationinsights.IngestionMode.LOG_ANALYTICS,
            workspace_resource_id=self.log_analytics.id,
            tags=dict(args.tags),
        )
        self.log_analytics_workspace_id = self.log_analytics.id
        self.app_insights_id = self.app_insights.id
        self.register_outputs(
            {
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                "app_insights_id": self.app_insights_id,
            }
        )
