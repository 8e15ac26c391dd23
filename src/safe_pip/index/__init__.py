"""Reading package indexes (PEP 691 JSON / PEP 503 HTML) with the installer's network settings."""
