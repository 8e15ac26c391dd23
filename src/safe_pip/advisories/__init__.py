"""The advisory database: OSV records, version matching, CVSS, the SQLite store and its updates."""
