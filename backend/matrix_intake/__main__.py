"""`python -m backend.matrix_intake`: run the intake bot with the settings in the environment."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys

from .config import ConfigError, from_env


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("nio").setLevel(logging.WARNING)
    try:
        settings = from_env()
    except ConfigError as error:
        print(f"matrix_intake: {error}", file=sys.stderr)
        return 2
    from .bot import Bot  # nio is needed only to run, not to report a bad setting

    async def run() -> None:
        bot = Bot(settings)
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await bot.run()
        finally:
            await bot._close()
            bot.state.close()
    try:
        asyncio.run(run())
    except asyncio.CancelledError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
