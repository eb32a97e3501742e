"""Identifiers derived from content, so that the same SBOM always gets the same serial number and namespace."""

from __future__ import annotations

import hashlib
import uuid

from rootstock.sbom.model import Sbom

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "rootstock:sbom")


def content_digest(sbom: Sbom) -> str:
    """A sha256 over everything the SBOM says (subject, components with usage and evidence, findings)."""
    return hashlib.sha256(repr(sbom).encode()).hexdigest()


def content_uuid(sbom: Sbom) -> uuid.UUID:
    """A name-based UUID (version 5) of the SBOM's content digest: equal content, equal serial number."""
    return uuid.uuid5(_NAMESPACE, content_digest(sbom))
