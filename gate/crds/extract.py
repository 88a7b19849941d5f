#!/usr/bin/env python3
"""Re-extracts the compact CRD schemas the gate embeds (run by hand only).

Usage: extract.py OUT_DIR CRD.yaml...

Writes one minified JSON file per CRD, named after the CRD
(`<plural>.<group>.json`), holding for every served version its group,
version, kind, scope and `openAPIV3Schema`. Descriptions, examples,
defaults and printer columns are dropped: the gate validates, it does not
document or default.
"""
import json
import os
import sys

import yaml

# Keywords the gate's validator reads; anything else is dropped.
KEEP = {
    "type", "properties", "required", "items", "additionalProperties",
    "enum", "nullable", "pattern", "format",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "minItems", "maxItems",
    "minProperties", "maxProperties",
    "oneOf", "anyOf", "allOf", "not",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
}


def compact(schema):
    """The schema with only the validating keywords, recursively."""
    if isinstance(schema, bool):
        return schema
    out = {}
    for key, value in schema.items():
        if key not in KEEP:
            continue
        if key == "properties":
            value = {name: compact(sub) for name, sub in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            value = compact(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            value = [compact(sub) for sub in value]
        out[key] = value
    return out


def versions(crd):
    spec = crd["spec"]
    for version in spec["versions"]:
        if not version.get("served", False):
            continue
        yield {
            "group": spec["group"],
            "version": version["name"],
            "kind": spec["names"]["kind"],
            "scope": spec["scope"],
            "schema": compact(version["schema"]["openAPIV3Schema"]),
        }


def main(out_dir, paths):
    for path in paths:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                name = crd["metadata"]["name"]
                served = list(versions(crd))
                with open(os.path.join(out_dir, name + ".json"), "w") as out:
                    json.dump(served, out, separators=(",", ":"), sort_keys=True)
                    out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
