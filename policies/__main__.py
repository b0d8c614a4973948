"""Entry point the engine runs (`python -m pulumi.policy <address> .` in this folder): serve the pack.

Constructing `PolicyPack` starts the gRPC server, prints its port and blocks, so nothing else lives here.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import server
from policies.pack import PACK_NAME, POLICIES

server.install()
PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
