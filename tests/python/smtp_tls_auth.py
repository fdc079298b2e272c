"""A submission server for tests (aiosmtpd): STARTTLS required (with the given certificate), then
AUTH PLAIN/LOGIN required; messages are stored in a maildir.

Usage: python3 smtp_tls_auth.py PORT MAILDIR CERT KEY USER PASSWORD
"""

import mailbox
import ssl
import sys

from aiosmtpd.smtp import AuthResult, LoginPassword
from smtp_serve import serve


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

    serve(
        Store(maildir),
        port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )


if __name__ == "__main__":
    main()
