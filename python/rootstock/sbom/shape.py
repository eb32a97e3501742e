"""The shape of an SBOM's JSON as the readers (`sbom check`, `vulns`, `vendored`, `trust`) rely on it: which
format it claims, and that a field holding a list or an object holds one. A wrong value is named as it is
("bomFormat is 'cyclonedx'", "components: expected a list, got a string"), never read as absent or empty."""

from __future__ import annotations

from typing import Any


class ShapeError(ValueError):
    """A JSON document is not shaped like the SBOM format it claims (or claims none)."""


_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}


def json_type(value: object) -> str:
    """A JSON value's type in JSON's words: `a string`, `an object`, `null`."""
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def sbom_format(data: object) -> str:
    """`CycloneDX` or `SPDX`: the format a JSON document claims by its bomFormat or spdxVersion.

    Raises:
        ShapeError: it is not an object, its bomFormat is another value, or it claims neither format.
    """
    if not isinstance(data, dict):
        msg = f"the document is {json_type(data)}, not an object"
        raise ShapeError(msg)
    if "bomFormat" in data:
        if data["bomFormat"] != "CycloneDX":
            msg = f"bomFormat is {_shown(data['bomFormat'])}, expected 'CycloneDX'"
            raise ShapeError(msg)
        return "CycloneDX"
    if "spdxVersion" in data:
        return "SPDX"
    msg = "it has neither bomFormat (CycloneDX) nor spdxVersion (SPDX)"
    raise ShapeError(msg)


def array(obj: dict[str, Any], key: str, where: str = "") -> list[Any]:
    """obj[key] when it is a list; [] when absent.

    Raises:
        ShapeError: it holds something else; the message names the field (`where`, else key).
    """
    return _typed(obj, key, where, list)


def table(obj: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    """obj[key] when it is an object; {} when absent; as array."""
    return _typed(obj, key, where, dict)


def _typed(obj: dict[str, Any], key: str, where: str, kind: type) -> Any:
    value = obj.get(key)
    if value is None and key not in obj:
        return kind()
    if not isinstance(value, kind):
        msg = f"{where or key}: expected {json_type(kind())}, got {json_type(value)}"
        raise ShapeError(msg)
    return value


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) and len(value) <= 40 else json_type(value)
