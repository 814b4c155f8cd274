"""Validates FHIR R4 Bundles written by il2care with an independent library (fhir.resources, R4B models).

Usage: python3 validate.py FILE... ; prints one line per file and exits non-zero on the first invalid one.
The tests run it with the Python of a virtual environment they make once under the cargo target directory
(target/tmp/fhir-validator-fhir.resources-8.3.0, see crates/il2care_web/tests/it/fhir_validator.rs).
Checks the Bundle and then every entry's resource against its own model, that no element is null, an
empty string, an empty list or an empty object, and that every extension has a value (FHIR forbids both).
Reads files only; writes nothing.
"""

import json
import sys

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle


def empty_elements(value, path):
    """Yields the path of every null or empty element."""
    if value is None or value == "" or value == [] or value == {}:
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from empty_elements(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from empty_elements(child, f"{path}[{index}]")


def valueless_extensions(value, path):
    """Yields the path of every extension with neither a value[x] nor nested extensions (FHIR ext-1)."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("extension", "modifierExtension") and isinstance(child, list):
                for index, extension in enumerate(child):
                    has_value = any(name.startswith("value") for name in extension) or "extension" in extension
                    if not has_value:
                        yield f"{path}.{key}[{index}]"
            yield from valueless_extensions(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from valueless_extensions(child, f"{path}[{index}]")


def validate(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    empty = list(empty_elements(data, "Bundle"))
    if empty:
        raise ValueError(f"null or empty elements: {empty[:5]}")
    valueless = list(valueless_extensions(data, "Bundle"))
    if valueless:
        raise ValueError(f"extensions without a value: {valueless[:5]}")
    Bundle.model_validate(data)
    kinds = {}
    for index, entry in enumerate(data.get("entry", [])):
        resource = entry["resource"]
        kind = resource["resourceType"]
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except Exception as error:
            raise ValueError(f"entry[{index}] {kind}: {error}") from error
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def main():
    if len(sys.argv) < 2:
        print("usage: validate.py FILE...", file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        try:
            kinds = validate(path)
        except Exception as error:
            print(f"INVALID {path}: {error}")
            return 1
        print(f"valid {path}: {json.dumps(kinds, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
