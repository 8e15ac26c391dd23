from safe_pip.cli import main

raise SystemExit(main())
