# safe-pip environment variables, for shells and CI configuration.
#
# They override pyproject.toml [tool.safe-pip] and the user config file; command-line
# options override them. Empty values are ignored. Every line is commented out and shows
# the default: uncomment only what you want to change (setting a variable to its default
# still overrides what a project's pyproject.toml says).

# When a check cannot run (no advisory database, index unreachable):
# "closed" refuses to install (exit 3); "open" warns and continues.
# export SAFE_PIP_FAIL_MODE=closed

# Known vulnerabilities: block | warn
# export SAFE_PIP_VULNERABILITY=block

# Vulnerabilities with a CVSS score below this warn instead of block:
# any | low | medium | high | critical | a score 0-10 (unscored vulnerabilities meet it)
# export SAFE_PIP_MIN_SEVERITY=any

# Yanked files: warn | block
# export SAFE_PIP_YANKED=warn

# Hash mismatches (index-published, pinned with --hash, first seen): block | warn
# export SAFE_PIP_HASH_MISMATCH=block

# Direct URLs, local paths, VCS, editables, index files without a hash: warn | block
# export SAFE_PIP_UNVERIFIABLE=warn

# Warn when the advisory database is older than this many days; 0 disables.
# export SAFE_PIP_MAX_DB_AGE_DAYS=30

# Releases uploaded more recently than this are TOO-NEW (blocked): 36h, 2d, 1w; 0 disables.
# export SAFE_PIP_MIN_RELEASE_AGE=2d

# No upload time known for an artifact from a local source (file:// index, local --find-links)
# or from an index listed in SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME: warn | block | ignore
# export SAFE_PIP_UNKNOWN_UPLOAD_TIME=warn

# Index URLs (comma-separated) that publish no upload times; from any other remote index a
# file without one counts as too new (TOO-NEW)
# export SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME=

# avoid: steer the resolver to the newest allowed version; block: do not steer
# export SAFE_PIP_RESOLVE=avoid

# Refresh the advisory database before a check when its data is older than this; 0 disables.
# export SAFE_PIP_REFRESH_AFTER=4h

# When the refresh fails (offline): go on with a warning unless the malicious-package data
# is older than this, then the check cannot run (exit 3); 0 disables.
# export SAFE_PIP_MAX_MALWARE_AGE=7d

# 1/true/yes: every block becomes a warning, except malicious packages. 0/false/no: off.
# export SAFE_PIP_WARN_ONLY=0

# "block" | "warn": dependency confusion (a name served by several indexes, or by another
# index than the first time safe-pip saw it).
# export SAFE_PIP_CONFUSION=block

# What a wheel carries: "default" | "block" | "warn" (docs/package-contents.md).
# export SAFE_PIP_CONTENTS=default

# "warn" | "block": a name you typed that is close to a popular project's (TYPOSQUAT).
# export SAFE_PIP_TYPOSQUAT=warn

# "warn" | "block": PEP 740, this release has no attestation but earlier ones had.
# export SAFE_PIP_ATTESTATION_DROPPED=warn

# Comma-separated package names that must carry a valid PEP 740 attestation.
# export SAFE_PIP_REQUIRE_PROVENANCE=

# Seconds one index page, and all index pages of a run together, may take; then exit 3.
# export SAFE_PIP_REQUEST_DEADLINE=30
# export SAFE_PIP_RUN_DEADLINE=120

# Comma-separated package names whose vulnerability/yanked/unverifiable findings are
# ignored (added to the configured list; never malicious packages or hash mismatches).
# export SAFE_PIP_ALLOW=
# export SAFE_PIP_ALLOW="my-company-utils,my-other-lib"

# "ID:reason" entries separated by ";", added to the configured ignores. The reason is
# required. ID is an advisory id or any alias (CVE, GHSA), or a check id such as YANKED.
# export SAFE_PIP_IGNORE=
# export SAFE_PIP_IGNORE="PYSEC-2018-28:no redirects in our use;CVE-2023-32681:same issue"

# Where safe-pip keeps its files (defaults come from platformdirs):
# export SAFE_PIP_CACHE_DIR="$HOME/.cache/safe-pip"                # advisory DB, seen hashes
# export SAFE_PIP_CONFIG_FILE="$HOME/.config/safe-pip/config.toml"  # user config file
