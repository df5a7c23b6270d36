"""Credentials for http(s) datasets, and URLs as they may be shown.

Where a request's credentials come from, first found wins:

1. the URL's userinfo, ``https://user:password@host/...`` (percent-encoded);
2. the environment variable ``DLTH_HTTP_AUTH`` = ``user:password``, for every http(s) dataset URL
   without userinfo (keeps the password out of the process list);
3. the netrc file (``$NETRC``, which must exist, else ``~/.netrc`` if present): the entry of the
   URL's host (case-insensitive, without the port), else its ``default`` entry; refused when the
   file is not private to this user (``chmod 600``).

They are sent as HTTP Basic authorization. A password never appears in a message, a repr or a
cache path: a URL that carried userinfo is shown as ``scheme://***@host/...``."""
from __future__ import annotations

import base64
import netrc
import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from .errors import InputError

AUTH_ENV = "DLTH_HTTP_AUTH"
NETRC_ENV = "NETRC"
FROM_URL = "the URL"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    source: str  # where they came from, for messages: "the URL", "DLTH_HTTP_AUTH", "netrc file …"

    def header(self) -> Dict[str, str]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode("utf-8")).decode("ascii")
        return {"Authorization": f"Basic {token}"}


def redact(url: str) -> str:
    """``url`` with any userinfo replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def split_userinfo(parts: urllib.parse.SplitResult) -> Tuple[str, Optional[Credentials]]:
    """(netloc without userinfo, the userinfo's credentials if any)."""
    if "@" not in parts.netloc:
        return parts.netloc, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return host, Credentials(urllib.parse.unquote(user), urllib.parse.unquote(password), FROM_URL)


def from_env() -> Optional[Credentials]:
    """``DLTH_HTTP_AUTH`` split at its first colon, or None when unset or empty."""
    value = os.environ.get(AUTH_ENV)
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise InputError(f"{AUTH_ENV} must be user:password (a non-empty user, a colon, the password)")
    return Credentials(user, password, AUTH_ENV)


def netrc_path() -> Tuple[str, bool]:
    """The netrc file to read and whether it must exist: ``$NETRC`` (must), else ``~/.netrc``."""
    named = os.environ.get(NETRC_ENV)
    if named:
        return named, True
    return os.path.join(os.path.expanduser("~"), ".netrc"), False


def _lookup(parsed: netrc.netrc, host: str) -> Optional[Tuple[str, str]]:
    """(login, password) of ``host``'s entry (case-insensitive), else of ``default``, else None."""
    for machine, (login, _, password) in parsed.hosts.items():
        if machine.lower() == host.lower():
            return login or "", password or ""
    entry = parsed.hosts.get("default")
    return None if entry is None else (entry[0] or "", entry[2] or "")


def _exposed(path: str) -> bool:
    """Whether a netrc file is not private to this user (POSIX; never elsewhere)."""
    if not hasattr(os, "getuid"):
        return False
    st = os.stat(path)
    return st.st_uid != os.getuid() or bool(st.st_mode & 0o077)


def from_netrc(host: Optional[str]) -> Optional[Credentials]:
    path, required = netrc_path()
    if not os.path.isfile(path):
        if required:
            raise InputError(f"{NETRC_ENV} names no readable file", path)
        return None
    if not host:
        return None
    try:
        hit = _lookup(netrc.netrc(path), host)
    except netrc.NetrcParseError as err:  # its message may quote a token (a password): the line only
        raise InputError(f"netrc line {err.lineno}: cannot parse it", path) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the netrc file ({getattr(err, 'strerror', None) or type(err).__name__})", path) from None
    if hit is None:
        return None
    if _exposed(path):
        raise InputError("the netrc file holds a password but other users may read or change it (chmod 600, owned by you)", path)
    return Credentials(hit[0], hit[1], f"netrc file {path}")


def resolve(parts: urllib.parse.SplitResult) -> Tuple[str, Optional[Credentials]]:
    """(netloc to request, credentials by precedence: URL userinfo > DLTH_HTTP_AUTH > netrc)."""
    netloc, creds = split_userinfo(parts)
    return netloc, creds or from_env() or from_netrc(parts.hostname)
