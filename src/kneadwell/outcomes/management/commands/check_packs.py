"""`kneadwell manage check_packs [FOLDER]`: validate the clinic's instrument packs and list what is offered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kneadwell.outcomes.selectors import pack_status


class Command(BaseCommand):
    help = "Validate instrument packs (KNEADWELL_INSTRUMENT_PACK_DIR, or FOLDER) and list the instruments offered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        status = pack_status(Path(options["folder"]) if options["folder"] else None)
        for key, text in status.offered.items():
            self.stdout.write(f"offered: {key} — {text.title} ({text.pack}, {text.version})")
        for error in status.errors:
            self.stderr.write(f"refused: {error}")
        if status.errors:
            raise CommandError(f"{len(status.errors)} pack(s) refused: see above.")
