"""A submission server for tests (aiosmtpd): STARTTLS required (with the given certificate), then
AUTH PLAIN/LOGIN required; messages are stored in a maildir.

Usage: python3 smtp_tls_auth.py PORT MAILDIR CERT KEY USER PASSWORD
"""

import asyncio
import mailbox
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        return "250 2.0.0 Ok: queued as TLS0001"


def main():
    port, maildir, cert, key, user, password = sys.argv[1:7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        # handled=False: aiosmtpd answers the failure (535) itself.
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Store(maildir),
        hostname="127.0.0.1",
        port=int(port),
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
