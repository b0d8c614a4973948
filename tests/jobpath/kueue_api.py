"""The part of Kueue's v1beta1 API the platform uses, as JSON Schema, from the CRDs shipped in the kueue
chart at the pinned version (kubernetes-sigs/kueue v0.13.4, charts/kueue/templates/crd/): field names,
types, enums, required fields and list limits, including the CEL rules on flavor tolerations. Fields the
platform never sets are allowed but not described; an unknown field is refused, as the API server prunes
(drops) it silently."""

from __future__ import annotations

from typing import Any

KUEUE_CHART_VERSION = "0.13.4"
_EFFECT = {"type": "string", "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9.]+([a-zA-Z]{1,2})?$"}]}
_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": _STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "labels": _STRING_MAP},
}


def _object(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "kueue.x-k8s.io/v1beta1"},
            "kind": {"type": "string"},
            "metadata": _METADATA,
            "spec": {"type": "object", "additionalProperties": False, **spec},
        },
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "ResourceFlavor": _object(
        {
            "properties": {
                "nodeLabels": {**_STRING_MAP, "maxProperties": 8},
                "nodeTaints": {
                    "type": "array",
                    "maxItems": 8,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["key", "effect"],
                        "properties": {
                            "key": {"type": "string"},
                            "value": {"type": "string"},
                            "effect": _EFFECT,
                        },
                    },
                },
                "tolerations": {
                    "type": "array",
                    "maxItems": 8,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "key": {"type": "string"},
                            "operator": {"type": "string", "enum": ["Equal", "Exists"]},
                            "value": {"type": "string"},
                            "effect": _EFFECT,
                            "tolerationSeconds": {"type": "integer"},
                        },
                        # CEL rules: no key means operator Exists; Exists takes no value.
                        "allOf": [
                            {
                                "if": {"not": {"required": ["key"]}},
                                "then": {
                                    "required": ["operator"],
                                    "properties": {"operator": {"const": "Exists"}},
                                },
                            },
                            {
                                "if": {
                                    "required": ["operator"],
                                    "properties": {"operator": {"const": "Exists"}},
                                },
                                "then": {"not": {"required": ["value"]}},
                            },
                        ],
                    },
                },
                "topologyName": {"type": "string"},
            }
        }
    ),
    "ClusterQueue": _object(
        {
            "properties": {
                "namespaceSelector": _SELECTOR,
                "queueingStrategy": {"type": "string", "enum": ["StrictFIFO", "BestEffortFIFO"]},
                "cohort": {"type": "string"},
                "stopPolicy": {"type": "string", "enum": ["None", "Hold", "HoldAndDrain"]},
                "preemption": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "withinClusterQueue": {
                            "type": "string",
                            "enum": ["Never", "LowerPriority", "LowerOrNewerEqualPriority"],
                        },
                        "reclaimWithinCohort": {"type": "string", "enum": ["Never", "LowerPriority", "Any"]},
                        "borrowWithinCohort": {"type": "object"},
                    },
                },
                "resourceGroups": {
                    "type": "array",
                    "maxItems": 16,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["coveredResources", "flavors"],
                        "properties": {
                            "coveredResources": {
                                "type": "array",
                                "maxItems": 16,
                                "items": {"type": "string"},
                            },
                            "flavors": {
                                "type": "array",
                                "maxItems": 16,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["name", "resources"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "resources": {
                                            "type": "array",
                                            "maxItems": 16,
                                            "items": {
                                                "type": "object",
                                                "additionalProperties": False,
                                                "required": ["name", "nominalQuota"],
                                                "properties": {
                                                    "name": {"type": "string"},
                                                    "nominalQuota": _QUANTITY,
                                                    "borrowingLimit": _QUANTITY,
                                                    "lendingLimit": _QUANTITY,
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            }
        }
    ),
    "LocalQueue": _object(
        {
            "required": ["clusterQueue"],
            "properties": {
                "clusterQueue": {"type": "string"},
                "stopPolicy": {"type": "string", "enum": ["None", "Hold", "HoldAndDrain"]},
            },
        }
    ),
}
