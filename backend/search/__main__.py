"""`python -m backend.search rebuild [--data-dir DIR]`: ask for the search index to be rebuilt from
the data. Safe while the server runs (its indexer starts the rebuild within seconds, with the
progress in Settings -> Search status); with the server stopped, it rebuilds at the next start."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .indexer import request_rebuild
from ..db import Database
from ..migrate import apply_migrations
from ..principal import system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.search")
    sub = parser.add_subparsers(dest="command", required=True)
    rebuild = sub.add_parser("rebuild", help="rebuild the search index from the data")
    rebuild.add_argument("--data-dir", default=os.environ.get("CRM_DATA_DIR", "./data"))
    args = parser.parse_args(argv)
    path = Path(args.data_dir).resolve() / "crm.db"
    if not path.exists():
        print(f"search: no database at {path} (is --data-dir right?)", file=sys.stderr)
        return 2
    db = Database(path)
    try:
        with db.read() as conn:
            apply_migrations(conn)  # an older data dir gets the search tables first
        request_rebuild(db, system("command line"), "python -m backend.search rebuild")
    finally:
        db.close()
    print("search: rebuild requested; a running server starts it within seconds, a stopped one at its next start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
