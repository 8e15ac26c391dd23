"""Process exit codes. These are a public interface: keep them stable."""

OK = 0  # installed / checked, possibly with warnings
BLOCKED = 1  # a finding was blocked by policy; nothing was installed
USAGE = 2  # bad command line, configuration or input file
CANNOT_CHECK = 3  # the checks could not run (no database, index unreachable, pip failed)
INSTALL_FAILED = 4  # every check passed, but the installer's own install step failed
INTERRUPTED = 130  # Ctrl-C
