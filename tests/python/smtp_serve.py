"""What the tests' aiosmtpd servers share: serve a handler on loopback until interrupted."""

import asyncio

from aiosmtpd.controller import Controller


def serve(handler, port, **options):
    """Serves `handler` on 127.0.0.1:`port` (aiosmtpd Controller `options`) until the test kills
    the process (or Ctrl-C)."""
    controller = Controller(handler, hostname="127.0.0.1", port=int(port), **options)
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
