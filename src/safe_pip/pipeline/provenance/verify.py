"""Verify a PEP 740 provenance object against a distribution file, offline.

``pypi-attestations`` (the ``provenance`` extra) checks each attestation's Sigstore bundle:
the certificate chains to the Sigstore trust root, the transparency-log inclusion proof, the
signature over the in-toto statement, the statement's subject (file name and sha256 of
*this* file), and that the certificate's identity is the Trusted Publisher the provenance
names. ``offline=True``: no network at verification time -- the trust root is the one
sigstore-python ships (or last refreshed into its cache by an online sigstore run); it is
kept fresh by upgrading the extra (``pip install -U 'safe-pip-guard[provenance]'``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

EXTRA_HINT = "install the provenance extra: pip install 'safe-pip-guard[provenance]'"
# Fields that name where a release is built; a change of any of them is PUBLISHER-CHANGED.
# (A GitHub environment may change between releases without a change of repository.)
_NOT_IDENTITY = ("environment", "claims")


class ProvenanceUnavailable(Exception):
    """The ``provenance`` extra (pypi-attestations) is not installed."""


class InvalidProvenance(Exception):
    """The provenance does not verify against the file; the message says why."""


@dataclass(frozen=True)
class Publisher:
    """A Trusted Publisher as a provenance object names it: its kind and fields."""

    fields: tuple[tuple[str, str], ...]  # ("kind", "GitHub"), ("repository", "o/r"), ...

    @property
    def identity(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in self.fields if k not in _NOT_IDENTITY)

    def describe(self) -> str:
        values = dict(self.fields)
        kind = values.pop("kind", "?")
        return f"{kind} " + " ".join(f"{k}={v}" for k, v in sorted(values.items()))

    def to_values(self) -> tuple[str, ...]:
        return tuple(f"{key}={value}" for key, value in self.fields)

    @classmethod
    def from_values(cls, values: tuple[str, ...]) -> Publisher:
        return cls(tuple(tuple(value.split("=", 1)) for value in values if "=" in value))  # type: ignore[misc]


def available() -> bool:
    """Whether the ``provenance`` extra is installed, without importing it (pypi-attestations
    and sigstore take ~0.5 s to import: only a file that has provenance pays that)."""
    from importlib.util import find_spec

    return find_spec("pypi_attestations") is not None


def verify_provenance(document: bytes, path: Path) -> list[Publisher]:
    """The publishers whose attestations of ``path`` verify; ``InvalidProvenance`` when the
    document is malformed, names another file, or any attestation fails to verify."""
    try:
        from pydantic import ValidationError
        from pypi_attestations import Distribution, Provenance
    except ImportError as exc:
        raise ProvenanceUnavailable(EXTRA_HINT) from exc
    try:
        provenance = Provenance.model_validate_json(document)
    except ValidationError as exc:
        raise InvalidProvenance(f"not a PEP 740 provenance object ({_first_error(exc)})") from None
    try:
        distribution = Distribution.from_file(path)
    except (OSError, ValidationError) as exc:
        raise InvalidProvenance(f"cannot read {path.name} ({exc})") from None
    if not provenance.attestation_bundles:
        raise InvalidProvenance("the provenance holds no attestation")
    publishers: list[Publisher] = []
    with _quiet_sigstore():
        for bundle in provenance.attestation_bundles:
            for attestation in bundle.attestations:
                try:
                    attestation.verify(bundle.publisher, distribution, offline=True)
                except Exception as exc:  # pypi-attestations and sigstore raise many kinds
                    reason = " ".join(str(exc).split()) or type(exc).__name__
                    raise InvalidProvenance(reason[:300]) from None
            publishers.append(_publisher(bundle.publisher))
    return publishers


def _publisher(model: object) -> Publisher:
    dump = model.model_dump()  # type: ignore[attr-defined]
    fields = [("kind", str(dump.pop("kind", "?")))]
    fields += sorted((str(k), str(v)) for k, v in dump.items() if v is not None and k != "claims")
    return Publisher(tuple(fields))


def _first_error(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


@contextmanager
def _quiet_sigstore() -> Iterator[None]:
    """sigstore logs "TUF repository is loaded in offline mode" at every verification."""
    logger = logging.getLogger("sigstore")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
