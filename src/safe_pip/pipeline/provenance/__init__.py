"""Publisher provenance (PEP 740): who published a file, compared with the first time.

``verify.py`` verifies a provenance object against the downloaded file with
``pypi-attestations`` (the optional ``provenance`` extra, imported only here and only when an
index serves provenance), offline, against the Sigstore trust root that ships with
sigstore-python; ``check.py`` fetches the provenance the index links each file to and turns
the outcome and the project's first-seen publisher (``pipeline.project_history``) into
``PUBLISHER-CHANGED``, ``ATTESTATION-DROPPED``, ``ATTESTATION-INVALID`` and
``PROVENANCE-MISSING`` findings.
"""
