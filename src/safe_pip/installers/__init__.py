"""The installers safe-pip drives (pip and uv): planning, vetted installs, child processes."""
