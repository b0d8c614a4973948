"""The SageMaker workspace: VpcOnly, KMS, security groups everywhere, idle shutdown, least privilege, no root."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest

from components.aws import SageMakerWorkspace, SageMakerWorkspaceArgs
from components.aws.sagemaker import REVOKE_SUDO_SCRIPT
from tests.plans import Plan, record

TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
KEY = "arn:aws:kms:us-east-1:123456789012:key/sagemaker"
DATA_KEY = "arn:aws:kms:us-east-1:123456789012:key/data"
BUCKET = "arn:aws:s3:::mlplat-prod-data-abc"
DOMAIN = "aws:sagemaker/domain:Domain"
SG = "aws:ec2/securityGroup:SecurityGroup"
LCC = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig"

BASE = SageMakerWorkspaceArgs(
    domain_name="mlplat-prod",
    vpc_id="vpc-0123",
    vpc_cidr="10.20.0.0/16",
    subnet_ids=["subnet-a", "subnet-b"],
    kms_key_arn=KEY,
    bucket_arns=[BUCKET],
    data_kms_key_arns=[DATA_KEY],
    region="us-east-1",
    tags=TAGS,
    users=["alice", "bob"],
    idle_timeout_minutes=120,
    outbound="approvedOnly",
    s3_prefix_list_id="pl-63a5400a",
    retain_home_storage=True,
    deletion_protection=True,
)


def workspace(args: SageMakerWorkspaceArgs = BASE) -> Plan:
    return record(lambda: SageMakerWorkspace("ws", args), stack="prod")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return workspace()


@pytest.fixture(scope="module")
def dev() -> Plan:
    return workspace(
        replace(
            BASE,
            outbound="internet",
            retain_home_storage=False,
            deletion_protection=False,
            idle_timeout_minutes=60,
            users=[],
        )
    )


def domain(plan: Plan) -> dict[str, Any]:
    return plan.one(DOMAIN).inputs


def statements(plan: Plan) -> dict[str, dict[str, Any]]:
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_domain_is_vpc_only_with_iam_auth_in_the_private_subnets(prod: Plan) -> None:
    d = domain(prod)
    assert (d["appNetworkAccessType"], d["authMode"]) == ("VpcOnly", "IAM")
    assert (d["vpcId"], d["subnetIds"]) == ("vpc-0123", ["subnet-a", "subnet-b"])


def test_domain_storage_is_encrypted_with_the_sagemaker_key(prod: Plan) -> None:
    assert domain(prod)["kmsKeyId"] == KEY


def test_security_group_is_set_on_default_user_and_default_space_settings(prod: Plan) -> None:
    d = domain(prod)
    sg = prod.one(SG)
    for settings in ("defaultUserSettings", "defaultSpaceSettings"):
        assert len(d[settings]["securityGroups"]) == 1, settings
        assert sg.urn in prod.one(DOMAIN).property_dependencies[settings], settings


@pytest.mark.parametrize("settings", ["defaultUserSettings", "defaultSpaceSettings"])
def test_jupyterlab_idle_apps_shut_down_after_the_profile_timeout(prod: Plan, settings: str) -> None:
    idle = domain(prod)[settings]["jupyterLabAppSettings"]["appLifecycleManagement"]["idleSettings"]
    assert idle == {
        "lifecycleManagement": "ENABLED",
        "idleTimeoutInMinutes": 120,
        "minIdleTimeoutInMinutes": 60,
        "maxIdleTimeoutInMinutes": 120,
    }


def test_code_editor_idle_apps_shut_down_too(prod: Plan) -> None:
    idle = domain(prod)["defaultUserSettings"]["codeEditorAppSettings"]["appLifecycleManagement"][
        "idleSettings"
    ]
    assert idle["lifecycleManagement"] == "ENABLED"


def test_docker_access_is_off_and_calls_are_attributed_to_the_user_profile(prod: Plan) -> None:
    settings = domain(prod)["domainSettings"]
    assert settings["dockerSettings"] == {"enableDockerAccess": "DISABLED"}
    assert settings["executionRoleIdentityConfig"] == "USER_PROFILE_NAME"


def test_docker_access_is_on_only_when_asked() -> None:
    plan = workspace(replace(BASE, docker_access=True, users=[]))
    assert domain(plan)["domainSettings"]["dockerSettings"] == {"enableDockerAccess": "ENABLED"}


def test_root_is_revoked_by_a_default_lifecycle_config_for_jupyterlab_and_code_editor(prod: Plan) -> None:
    configs = {c.inputs["studioLifecycleConfigAppType"]: c for c in prod.of_type(LCC)}
    assert set(configs) == {"JupyterLab", "CodeEditor"}
    for config in configs.values():
        script = base64.b64decode(config.inputs["studioLifecycleConfigContent"]).decode()
        assert script == REVOKE_SUDO_SCRIPT
        assert "/etc/sudoers" in script and "gpasswd -d sagemaker-user sudo" in script
    d = domain(prod)
    deps = prod.one(DOMAIN).property_dependencies
    for settings, app in (
        ("defaultUserSettings", "jupyterLabAppSettings"),
        ("defaultUserSettings", "codeEditorAppSettings"),
        ("defaultSpaceSettings", "jupyterLabAppSettings"),
    ):
        app_settings = d[settings][app]
        assert len(app_settings["lifecycleConfigArns"]) == 1
        assert (
            app_settings["defaultResourceSpec"]["lifecycleConfigArn"]
            == app_settings["lifecycleConfigArns"][0]
        )
        assert {c.urn for c in configs.values()} & set(deps[settings])


def test_root_access_when_enabled_creates_no_lifecycle_config() -> None:
    plan = workspace(replace(BASE, root_access=True, users=[]))
    assert plan.of_type(LCC) == []
    assert "lifecycleConfigArns" not in domain(plan)["defaultUserSettings"]["jupyterLabAppSettings"]


def test_prod_keeps_home_storage_and_protects_the_domain(prod: Plan) -> None:
    d = prod.one(DOMAIN)
    assert d.inputs["retentionPolicy"] == {"homeEfsFileSystem": "Retain"}
    assert d.protect is True


def test_dev_deletes_home_storage_with_the_domain_and_does_not_protect_it(dev: Plan) -> None:
    d = dev.one(DOMAIN)
    assert d.inputs["retentionPolicy"] == {"homeEfsFileSystem": "Delete"}
    assert d.protect is False


def test_one_user_profile_per_user_with_the_role_and_security_group(prod: Plan) -> None:
    profiles = prod.of_type("aws:sagemaker/userProfile:UserProfile")
    assert [p.inputs["userProfileName"] for p in profiles] == ["alice", "bob"]
    for p in profiles:
        assert len(p.inputs["userSettings"]["securityGroups"]) == 1
        assert p.inputs["tags"]["studiouserid"] == p.inputs["userProfileName"]
        assert prod.one(DOMAIN).urn in p.property_dependencies["domainId"]


def test_security_group_admits_only_studio_apps_of_the_same_group(prod: Plan) -> None:
    ingress = prod.one(SG).inputs["ingress"]
    assert {(r["fromPort"], r["toPort"]) for r in ingress} == {(2049, 2049), (8192, 65535)}
    assert all(r["self"] is True and "cidrBlocks" not in r for r in ingress)


def test_approved_only_outbound_reaches_only_the_vpc_endpoints_s3_and_the_group(prod: Plan) -> None:
    egress = prod.one(SG).inputs["egress"]
    assert egress and all(r.get("cidrBlocks", []) in ([], ["10.20.0.0/16"]) for r in egress)
    assert any(r.get("prefixListIds") == ["pl-63a5400a"] and r["fromPort"] == 443 for r in egress)


def test_internet_outbound_opens_egress_through_the_nat(dev: Plan) -> None:
    (egress,) = dev.one(SG).inputs["egress"]
    assert egress["cidrBlocks"] == ["0.0.0.0/0"]


def test_execution_role_is_assumed_only_by_sagemaker_in_this_account(prod: Plan) -> None:
    role = prod.one("aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_execution_role_has_no_managed_full_access_policy(prod: Plan) -> None:
    assert prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_execution_role_reaches_only_the_platform_buckets_and_keys(prod: Plan) -> None:
    s = statements(prod)
    assert s["ListPlatformBuckets"]["Resource"] == [BUCKET]
    assert s["ReadWritePlatformObjects"]["Resource"] == [f"{BUCKET}/*"]
    assert s["UsePlatformKeys"]["Resource"] == [KEY, DATA_KEY]
    assert s["SageMakerInThisAccount"]["Resource"] == "arn:aws:sagemaker:us-east-1:123456789012:*"
    assert not any(a in ("*", "s3:*", "sagemaker:*", "kms:*") for st in s.values() for a in st["Action"])


def test_jobs_started_with_the_role_must_run_in_the_vpc_with_encrypted_volumes(prod: Plan) -> None:
    s = statements(prod)
    assert s["JobsRunInTheVpc"]["Effect"] == "Deny"
    assert s["JobsRunInTheVpc"]["Condition"] == {"Null": {"sagemaker:VpcSubnets": "true"}}
    assert s["JobVolumesUseAKey"]["Condition"] == {"Null": {"sagemaker:VolumeKmsKey": "true"}}


def test_role_can_pass_only_itself_only_to_sagemaker(prod: Plan) -> None:
    passing = statements(prod)["PassOnlyThisRoleOnlyToSageMaker"]
    assert passing["Resource"].startswith("arn:aws:iam::123456789012:role/ws-execution-")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    role = prod.one("aws:iam/role:Role")
    assert role.urn in prod.one("aws:iam/rolePolicy:RolePolicy").property_dependencies["policy"]


def test_every_taggable_resource_carries_the_platform_tags(prod: Plan) -> None:
    tagged = [r for r in prod.resources if r.type.startswith("aws:") and "tags" in r.inputs]
    assert len(tagged) >= 6
    assert all(TAGS.items() <= r.inputs["tags"].items() for r in tagged)


def test_idle_timeout_below_sagemakers_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 60 minutes"):
        SageMakerWorkspace("bad", replace(BASE, idle_timeout_minutes=30))
