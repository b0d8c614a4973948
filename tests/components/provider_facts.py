"""Provider facts the component tests expect, copied from the providers' documents, not from the program.

A test that took these from the program's own constants would agree with a wrong constant.
"""

from __future__ import annotations

# Azure built-in role definition ids, the same in every tenant
# (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
AZURE_BUILT_IN_ROLES = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    "Azure Kubernetes Service RBAC Writer": "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}

# Private DNS zone of each private-link sub-resource the platform uses, Azure public cloud
# (learn.microsoft.com/azure/private-link/private-endpoint-dns).
AZURE_PRIVATE_DNS_ZONES = {
    "blob": "privatelink.blob.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
    "registry": "privatelink.azurecr.io",
    "amlApi": "privatelink.api.azureml.ms",
    "amlNotebooks": "privatelink.notebooks.azure.net",
}

# Interface endpoint service names in eu-west-1 (docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html;
# SageMaker Studio and notebooks: docs.aws.amazon.com/sagemaker/latest/dg/studio-interface-endpoint.html).
AWS_INTERFACE_ENDPOINT_SERVICES_EU_WEST_1 = {
    "sagemaker.api": "com.amazonaws.eu-west-1.sagemaker.api",
    "sagemaker.runtime": "com.amazonaws.eu-west-1.sagemaker.runtime",
    "sagemaker.featurestore-runtime": "com.amazonaws.eu-west-1.sagemaker.featurestore-runtime",
    "studio": "aws.sagemaker.eu-west-1.studio",
    "notebook": "aws.sagemaker.eu-west-1.notebook",
    "servicecatalog": "com.amazonaws.eu-west-1.servicecatalog",
    "sts": "com.amazonaws.eu-west-1.sts",
    "logs": "com.amazonaws.eu-west-1.logs",
    "monitoring": "com.amazonaws.eu-west-1.monitoring",
    "ecr.api": "com.amazonaws.eu-west-1.ecr.api",
    "ecr.dkr": "com.amazonaws.eu-west-1.ecr.dkr",
    "ec2": "com.amazonaws.eu-west-1.ec2",
    "eks": "com.amazonaws.eu-west-1.eks",
    "eks-auth": "com.amazonaws.eu-west-1.eks-auth",
    "autoscaling": "com.amazonaws.eu-west-1.autoscaling",
    "elasticloadbalancing": "com.amazonaws.eu-west-1.elasticloadbalancing",
    "kms": "com.amazonaws.eu-west-1.kms",
    "ssm": "com.amazonaws.eu-west-1.ssm",
}

# The Google APIs each part of the platform calls, by service name (cloud.google.com/service-usage/docs/enabled-service):
# GKE and its nodes, Vertex AI and Workbench, Artifact Registry, Cloud KMS, budgets with Pub/Sub alerts,
# logging and monitoring, IAM, Cloud Storage.
GCP_PLATFORM_APIS = {
    "compute.googleapis.com",
    "container.googleapis.com",
    "aiplatform.googleapis.com",
    "notebooks.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudkms.googleapis.com",
    "billingbudgets.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "iam.googleapis.com",
    "storage.googleapis.com",
}
