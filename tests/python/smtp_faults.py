"""An SMTP server for tests (aiosmtpd) that fails on request, by the recipient's local part:

temp-fail@...  -> 451 4.3.0 at RCPT (temporary)
perm-fail@...  -> 550 5.1.1 at RCPT (permanent)
slow@...       -> waits 30 s before answering DATA (a client's whole-send timeout fires first)
anything else  -> accepted and stored in the maildir

Usage: python3 smtp_faults.py PORT MAILDIR
"""

import asyncio
import mailbox
import sys

from aiosmtpd.controller import Controller


class Faults:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local == "temp-fail":
            return "451 4.3.0 mailbox busy, try again later"
        if local == "perm-fail":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.startswith("slow@") for r in envelope.rcpt_tos):
            await asyncio.sleep(30)
        self.box.add(envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Faults(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
