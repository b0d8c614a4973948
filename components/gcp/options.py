"""Resource options shared by the GCP components."""

from __future__ import annotations

from typing import Any

import pulumi


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, **extra: Any
) -> pulumi.ResourceOptions:
    """Options for a component's child: parented, and waiting for whatever the component waits for.

    Pulumi does not pass a component's `depends_on` to its children, and GCP resources must wait for
    the project's APIs (`ProjectServices`), so every GCP component hands it down explicitly.
    """
    inherited = pulumi.ResourceOptions(parent=parent, depends_on=opts.depends_on if opts else None)
    # merge() adds `extra`'s depends_on to the inherited ones instead of replacing them.
    return pulumi.ResourceOptions.merge(inherited, pulumi.ResourceOptions(**extra))
