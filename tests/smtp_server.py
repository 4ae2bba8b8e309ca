"""Real SMTP servers for tests (aiosmtpd `Controller`s on 127.0.0.1), in the four shapes the
outbox must handle, capturing what each receives.

    with SmtpServer("starttls") as smtp:
        srv = start_server(**smtp.env())          # a CRM server that sends through it
        ...
        (got,) = smtp.messages                    # Received: raw bytes, envelope, session flags
        got.envelope_to, got.message["Subject"], got.tls, got.authenticated

Modes:
- "plain": no TLS, no AUTH (SMTP_SECURITY=none).
- "starttls": a self-signed certificate, `require_starttls=True`, `auth_required=True`,
  `auth_require_tls=True`; AUTH accepts only `smtp.username` / `smtp.password`.
- "tls": implicit TLS from the first byte (the Controller's `ssl_context`), AUTH required as for
  starttls (aiosmtpd's `auth_require_tls` only knows STARTTLS, so it is off here: the whole
  connection is TLS already).
- "refuse": plain, and the handler answers 550 to every RCPT and DATA (nothing is captured).

The certificate (RSA 2048, one day, CN=localhost with SANs localhost and 127.0.0.1) is made with
the `cryptography` package into a temporary directory; `smtp.cert_path` is its PEM file.
How the client trusts it:
- in this process, `smtp.client_context()` is an SSLContext that trusts exactly that certificate
  (pass it as `SmtpTransport(..., ssl_context=...)`);
- a CRM server process is given `SSL_CERT_FILE=<cert_path>` by `env()`: OpenSSL reads that
  variable when `ssl.create_default_context()` loads the default trust store, so the server
  verifies the test certificate exactly as it verifies a real relay's, with no test-only code path
  in the CRM. (It replaces the system bundle for that process only; tests reach no other TLS host.)

aiosmtpd cannot start on port 0 (the Controller checks start-up by connecting to `self.port`), so
a free port is picked first.
"""
from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from helpers import free_port

MODES = ("plain", "starttls", "tls", "refuse")
SECURITY = {"plain": "none", "starttls": "starttls", "tls": "tls", "refuse": "none"}


@dataclass
class Received:
    """One message as the server took it."""
    envelope_from: str         # MAIL FROM
    envelope_to: list[str]     # every accepted RCPT TO
    raw: bytes
    tls: bool                 # the session was encrypted (STARTTLS or implicit TLS)
    authenticated: bool       # AUTH succeeded on the session
    login: str | None         # the user name AUTH accepted
    smtputf8: bool = False
    mail_options: list[str] = field(default_factory=list)

    @property
    def message(self) -> EmailMessage:
        """The message parsed strictly as modern mail (email.policy.default)."""
        return BytesParser(policy=policy.default).parsebytes(self.raw)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server.mode == "refuse":
            return "550 5.7.1 Relaying denied: this test server refuses every recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.mode == "refuse":
            return "550 5.7.1 Message refused by the test server"
        transport = server.transport
        tls = bool(session.ssl) or (transport is not None and transport.get_extra_info("ssl_object") is not None)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self.server.lock:
            self.server.messages.append(Received(
                envelope_from=envelope.mail_from, envelope_to=list(envelope.rcpt_tos),
                raw=bytes(envelope.original_content or envelope.content), tls=tls, authenticated=bool(session.authenticated), login=login,
                smtputf8=bool(envelope.smtp_utf8), mail_options=list(envelope.mail_options)))
        return "250 OK: queued"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 in one of MODES; a context manager (start/stop)."""

    def __init__(self, mode: str = "plain", username: str = "crm-mailer", password: str = "relay-pass-7",
                 sender: str = "crm@fund.example"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode, self.username, self.password, self.sender = mode, username, password, sender
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[Received] = []
        self.auth_attempts: list[tuple[str, bool]] = []   # (user name, accepted)
        self.lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="vcrm-smtp-"))
        self.cert_path: Path | None = None
        self._controller: Controller | None = None

    @property
    def tls(self) -> bool:
        return self.mode in ("starttls", "tls")

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        accepted = user == self.username and auth_data.password.decode("utf-8", "replace") == self.password
        with self.lock:
            self.auth_attempts.append((user, accepted))
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    def start(self) -> "SmtpServer":
        options: dict = {}
        if self.tls:
            self.cert_path, key_path = make_certificate(self._dir)
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_context.load_cert_chain(self.cert_path, key_path)
            options.update(authenticator=self._authenticate, auth_required=True)
            if self.mode == "starttls":
                options.update(tls_context=server_context, require_starttls=True, auth_require_tls=True)
            else:
                options.update(ssl_context=server_context, auth_require_tls=False)
                # AUTH on a connection that is TLS from the first byte, which aiosmtpd's warning
                # (written for STARTTLS) does not know about. Set here, not at import: pytest
                # restores the filters after collection and after each test.
                warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS",
                                        category=UserWarning)
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                      server_hostname="localhost", **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """A client SSLContext trusting this server's certificate (and nothing else)."""
        context = ssl.create_default_context(cafile=str(self.cert_path) if self.cert_path else None)
        return context

    def env(self, **overrides) -> dict:
        """SMTP_* settings of a CRM server that sends through this server (plus SSL_CERT_FILE,
        for the TLS modes, so that server trusts the test certificate); `overrides` win."""
        env = {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_SECURITY": SECURITY[self.mode],
               "SMTP_FROM": self.sender, "SMTP_USERNAME": "", "SMTP_PASSWORD": ""}
        if self.tls:
            env.update(SMTP_USERNAME=self.username, SMTP_PASSWORD=self.password, SSL_CERT_FILE=str(self.cert_path))
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def settings(self, **overrides):
        """The same as `backend.config.SmtpSettings` (for an in-process SmtpTransport)."""
        from backend.config import SmtpSettings
        env = self.env(**overrides)
        return SmtpSettings(host=env["SMTP_HOST"], port=int(env["SMTP_PORT"]), security=env["SMTP_SECURITY"],
                            username=env["SMTP_USERNAME"], password=env["SMTP_PASSWORD"], sender=env["SMTP_FROM"])
