"""`python -m backend.backups restore-test --data-dir ./data`: prove the newest backup restores."""
import sys

from .store import main

sys.exit(main())
