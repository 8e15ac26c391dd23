"""Real files with their real PEP 740 attestations, for the provenance tests.

The sdist of ``pypi-attestations`` ships such pairs under ``test/assets/`` (a wheel published
from CircleCI with its ``.provenance``, sdists with GitHub and Google provenance). It is
downloaded once at test setup with ``pip download`` from the configured index and kept in a
cache directory outside the repository (``SAFE_PIP_TEST_DOWNLOADS``, else
``~/.cache/safe-pip-test-downloads``); the tests themselves stay offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

PYPI_ATTESTATIONS_SDIST = "pypi-attestations==0.0.31"
CIRCLECI_WHEEL = "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl"
CIRCLECI_NAME = "circleci-sign-publish-example"
CIRCLECI_VERSION = "0.0.1.dev137"
OTHER_PROVENANCE = "pypi_attestations-0.0.19.tar.gz.provenance"  # attests another file


class AssetsUnavailable(Exception):
    pass


def downloads_dir() -> Path:
    configured = os.environ.get("SAFE_PIP_TEST_DOWNLOADS")
    return Path(configured) if configured else Path.home() / ".cache" / "safe-pip-test-downloads"


def attestation_assets() -> Path:
    """The ``test/assets`` directory of the pypi-attestations sdist (downloaded once)."""
    root = downloads_dir() / "pypi-attestations-0.0.31"
    assets = root / "assets"
    if (assets / CIRCLECI_WHEEL).is_file():
        return assets
    root.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            PYPI_ATTESTATIONS_SDIST,
            "-d",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    sdists = sorted(root.glob("pypi_attestations-*.tar.gz"))
    if result.returncode != 0 or not sdists:
        raise AssetsUnavailable(f"pip download {PYPI_ATTESTATIONS_SDIST} failed: {result.stderr}")
    partial = root / "assets.partial"
    partial.mkdir(exist_ok=True)
    with tarfile.open(sdists[0]) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) == 4 and parts[1:3] == ["test", "assets"] and member.isfile():
                source = archive.extractfile(member)
                assert source is not None
                (partial / parts[3]).write_bytes(source.read())
    partial.replace(assets)
    return assets
