from rillm.cli import main

raise SystemExit(main())
