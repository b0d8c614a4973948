"""Diagnostic settings: a resource's logs sent to the platform's Log Analytics workspace."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_azure_native as azure_native


def send_logs(
    name: str,
    *,
    resource_uri: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    categories: Sequence[str] = (),
    category_group: str = "allLogs",
) -> azure_native.monitor.DiagnosticSetting:
    """Named categories when given (some resources' full log set is too costly), else a category group."""
    logs = (
        [azure_native.monitor.DiagnosticsLogSettingsArgs(enabled=True, category=c) for c in categories]
        if categories
        else [azure_native.monitor.DiagnosticsLogSettingsArgs(enabled=True, category_group=category_group)]
    )
    return azure_native.monitor.DiagnosticSetting(
        name,
        azure_native.monitor.DiagnosticSettingArgs(
            resource_uri=resource_uri,
            name="mlplat-logs",
            workspace_id=workspace_id,
            logs=logs,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
