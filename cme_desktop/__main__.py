from cme_desktop.app import main

raise SystemExit(main())
