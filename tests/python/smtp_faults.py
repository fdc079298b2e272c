"""An SMTP server for tests (aiosmtpd) that fails on request, by the recipient's local part:

temp-fail@...  -> 451 4.3.0 at RCPT (temporary)
perm-fail@...  -> 550 5.1.1 at RCPT (permanent)
slow@...       -> waits 30 s before answering DATA (a client's whole-send timeout fires first)
flaky@...      -> 451 at RCPT the first time an address is seen, accepted afterwards
reject-once@...-> 550 5.7.1 (policy, not the address) the first time, accepted afterwards
drop-once@...  -> the first time, the connection is cut at DATA without an answer (nothing stored);
                  accepted afterwards
hang@...       -> the first time, stores the message, then waits 20 s before answering DATA (a
                  client killed meanwhile never learns it was accepted); at once afterwards
linger...@...  -> (any local part starting "linger") stores the message, then waits 20 s before
                  answering DATA (several instances' sends caught in flight)
store-drop@... -> stores the message, then cuts the connection before answering DATA, every time
                  (the relay holds each copy; the client never learns it)
and, by the envelope sender:
idle421@...    -> a connection that already carried a message gets 421 at the next MAIL and is
                  closed (a relay closing idle pooled connections)
anything else  -> accepted and stored in the maildir

Usage: python3 smtp_faults.py PORT MAILDIR
"""

import asyncio
import mailbox
import sys

from smtp_serve import serve


class Faults:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)
        self.seen = set()
        self.dropped = set()
        self.hung = set()
        self.queued = 0x3A70000000

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("idle421@") and getattr(session, "carried", False):
            asyncio.get_event_loop().call_later(0.05, server.transport.close)
            return "421 4.4.2 idle connection closed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local == "temp-fail":
            return "451 4.3.0 mailbox busy, try again later"
        if local == "perm-fail":
            return "550 5.1.1 no such user"
        first = address not in self.seen
        self.seen.add(address)
        if local == "flaky" and first:
            return "451 4.4.1 greylisted, try again later"
        if local == "reject-once" and first:
            return "550 5.7.1 message refused by policy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.startswith("slow@") for r in envelope.rcpt_tos):
            await asyncio.sleep(30)
        dropping = [r for r in envelope.rcpt_tos if r.startswith("drop-once@") and r not in self.dropped]
        if dropping:
            self.dropped.update(dropping)
            server.transport.abort()
            return "421 4.4.2 connection dropped"
        if any(r.startswith("store-drop@") for r in envelope.rcpt_tos):
            self.box.add(envelope.original_content)
            server.transport.abort()
            return "421 4.4.2 connection dropped"
        if any(r.startswith("linger") for r in envelope.rcpt_tos):
            self.box.add(envelope.original_content)
            await asyncio.sleep(20)
            return "250 Message accepted for delivery"
        hanging = [r for r in envelope.rcpt_tos if r.startswith("hang@") and r not in self.hung]
        if hanging:
            # Stored first: the client may die before it hears the reply (a crash after the send).
            # Long enough for a busy test to see the copy and kill the client; the resend is quick.
            self.hung.update(hanging)
            self.box.add(envelope.original_content)
            await asyncio.sleep(20)
            return "250 Message accepted for delivery"
        self.box.add(envelope.original_content)
        session.carried = True
        # As Postfix answers: the queue id its delivery reports will name (X-Postfix-Queue-ID).
        self.queued += 1
        return f"250 2.0.0 Ok: queued as {self.queued:010X}"


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    serve(Faults(maildir), port)


if __name__ == "__main__":
    main()
