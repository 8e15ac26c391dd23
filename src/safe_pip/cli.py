"""Command line entry points (placeholder until wired)."""


def main(argv: list[str] | None = None) -> int:
    return 0


def uv_main(argv: list[str] | None = None) -> int:
    return 0
