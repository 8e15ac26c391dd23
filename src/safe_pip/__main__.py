from safe_pip.cli import run_safe_pip

run_safe_pip()
