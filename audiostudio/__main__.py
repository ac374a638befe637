from audiostudio.cli import main

raise SystemExit(main())
