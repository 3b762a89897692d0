"""SMTP through aiosmtplib: one connection reused for a run, every failure classified.

aiosmtplib has no retries of its own (and its timeout is per operation), so the outbox
decides from :class:`SendError`:

- ``session`` — a configuration or connection problem that every message would meet the
  same way: cannot connect (refused, timeout), TLS, login (AUTH fails, or a 530/534/535/538
  reply: log in or STARTTLS first), or the server refusing our sender (any 5xx to MAIL FROM
  but 552 and 5.3.x, which are about the message's size). The run stops and the outbox
  leaves the rows as they were; ``str()`` names the setting to fix;
- ``retry`` — 4xx replies, timeouts and dropped connections during one message: try it again
  later;
- neither — a 5xx refusing this message (550 no such user at RCPT TO, 552 too big, 554 at
  DATA): marked failed for staff.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import aiosmtplib


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # none | starttls | tls
    timeout: float
    mail_from: str
    ca_file: str | None = None
    helo_name: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig:
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=password.get_secret_value() if password is not None else None,
            security=settings.smtp_security,
            timeout=settings.smtp_timeout,
            mail_from=settings.mail_from,
            ca_file=settings.smtp_ca_file or None,
            helo_name=settings.smtp_helo_name or None,
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:  # never show the password
        return f"SmtpConfig({self.where}, security={self.security}, user={self.username!r})"


class SendError(Exception):
    """Why a message was not accepted. ``str()`` is one Japanese line for staff."""

    def __init__(self, message: str, *, retry: bool, session: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.session = session


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _tls_context(config: SmtpConfig) -> ssl.SSLContext | None:
    if config.security == "none":
        return None
    return ssl.create_default_context(cafile=config.ca_file) if config.ca_file else None


_ENHANCED = re.compile(r"\s*[245]\.(\d{1,3})\.\d{1,3}\b")  # RFC 3463: 5.7.0, 5.1.8, ...
_LOGIN_CODES = {530, 534, 535, 538}  # RFC 4954, RFC 3207: log in / STARTTLS first


def _login_error(config: SmtpConfig, code: int, message: str) -> SendError:
    """A server asking for login or TLS, whatever command it answered."""
    reply = f"{code} {message}".strip()
    if code == 538 or "TLS" in message.upper():
        text = (
            f"SMTPサーバー {config.where} がSTARTTLSを求めています（{reply}）。"
            "HOSHO_SMTP_SECURITY=starttls（または tls）を設定してください"
        )
    elif code == 530:
        text = (
            f"SMTPサーバー {config.where} がログインを求めています（{reply}）。"
            "HOSHO_SMTP_USERNAME・HOSHO_SMTP_PASSWORD を設定してください"
        )
    else:
        text = (
            f"SMTPの認証に失敗しました（{config.where}: {reply}）。"
            "HOSHO_SMTP_USERNAME・HOSHO_SMTP_PASSWORD・HOSHO_SMTP_SECURITY を確認してください"
        )
    return SendError(text, retry=True, session=True)


def _classify_reply(
    config: SmtpConfig, code: int, message: str, what: str, *, sender: bool = False
) -> SendError:
    """``sender``: the reply to MAIL FROM, whose only content is our own address (and the
    message size): refused for any other reason, every message would be refused alike."""
    enhanced = _ENHANCED.match(message)
    if code in _LOGIN_CODES:
        return _login_error(config, code, message)
    if 400 <= code < 500:
        return SendError(f"SMTPサーバーの一時エラー {code}（{what}）: {message}", retry=True)
    about_size = code == 552 or (enhanced is not None and enhanced.group(1) == "3")
    if sender and not about_size:
        return SendError(
            f"SMTPサーバーが差出人 {config.mail_from} を受け付けません（{code} {message}）。"
            "HOSHO_MAIL_FROM とログインの設定（HOSHO_SMTP_USERNAME）を確認してください",
            retry=True,
            session=True,
        )
    return SendError(f"SMTPサーバーが拒否しました {code}（{what}）: {message}", retry=False)


class SmtpClient:
    """``async with SmtpClient(config) as c: await c.send(msg)`` — connects on first use,
    reconnects after a dropped connection, quits at the end."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: aiosmtplib.SMTP | None = None
        self.connections = 0  # how many times we connected (for tests and the bench)

    async def __aenter__(self) -> SmtpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            smtp.close()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        self._drop()
        c = self.config
        smtp = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.security == "tls",
            start_tls=c.security == "starttls",
            tls_context=_tls_context(c),
            timeout=c.timeout,
            local_hostname=c.helo_name,
        )
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise SendError(
                f"SMTPの認証に失敗しました {exc.code}（{c.where}、ユーザー {c.username}）。"
                "HOSHO_SMTP_USERNAME・HOSHO_SMTP_PASSWORD を確認してください",
                retry=True,
                session=True,
            ) from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            smtp.close()
            raise SendError(
                f"SMTPサーバー {c.where} とのTLSを確立できません（{_reason(exc)}）。"
                "HOSHO_SMTP_SECURITY・HOSHO_SMTP_CA_FILE を確認してください",
                retry=True,
                session=True,
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            smtp.close()
            error = _classify_reply(c, exc.code, exc.message, "接続")
            raise SendError(str(error), retry=True, session=True) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLError):
                raise SendError(
                    f"SMTPサーバー {c.where} とのTLSを確立できません（{_reason(cause)}）。"
                    "HOSHO_SMTP_SECURITY・HOSHO_SMTP_CA_FILE を確認してください",
                    retry=True,
                    session=True,
                ) from exc
            raise SendError(
                f"SMTPサーバー {c.where} に接続できません（{_reason(exc)}）",
                retry=True,
                session=True,
            ) from exc
        self._smtp = smtp
        self.connections += 1
        return smtp

    async def send(self, message: EmailMessage | bytes, *, recipients: list[str]) -> None:
        """Send one message (built, or as the bytes kept at issue time); raises
        :class:`SendError` (classified) when not accepted."""
        smtp = await self._connect()
        try:
            if isinstance(message, bytes):
                await smtp.sendmail(self.config.mail_from, recipients, message)
            else:
                await smtp.send_message(
                    message, sender=self.config.mail_from, recipients=recipients
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            first = exc.recipients[0] if exc.recipients else None
            message_text = first.message if first else ""
            code = max(codes) if codes else 550
            if any(400 <= x < 500 for x in codes):
                code = min(codes)
            raise _classify_reply(self.config, code, message_text, "宛先") from exc
        except aiosmtplib.SMTPSenderRefused as exc:
            raise _classify_reply(
                self.config, exc.code, exc.message, "差出人", sender=True
            ) from exc
        except aiosmtplib.SMTPDataError as exc:
            raise _classify_reply(self.config, exc.code, exc.message, "本文") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:
                self._drop()
            raise _classify_reply(self.config, exc.code, exc.message, "送信") from exc
        except (TimeoutError, aiosmtplib.SMTPTimeoutError) as exc:
            self._drop()
            raise SendError(
                f"SMTPサーバー {self.config.where} の応答がありません（{self.config.timeout:g}秒）",
                retry=True,
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._drop()
            raise SendError(
                f"送信中にSMTPサーバー {self.config.where} との接続が切れました（{_reason(exc)}）",
                retry=True,
            ) from exc
