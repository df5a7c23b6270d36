"""Credentials for http(s) datasets: URL userinfo, DLTH_HTTP_AUTH, netrc, in that order; sent as
HTTP Basic; the password in no message, repr or cache path."""
from __future__ import annotations

import base64
import os
import urllib.parse

import pytest

from dlth import InputError, IoError, ManifestError, TicketDataset, TicketReader
from dlth.shard import _VERIFIED
from support.server import Server

USER, PASSWORD = "reader", "p@ss:w/rd%"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture()
def guarded(ts_datasets, monkeypatch, tmp_path):
    """A server that wants reader's password; no ambient credentials."""
    monkeypatch.delenv("DLTH_HTTP_AUTH", raising=False)
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _VERIFIED.clear()
    server = Server(ts_datasets["one"], auth=(USER, PASSWORD))
    yield server
    server.close()


def with_userinfo(url: str, user: str = USER, password: str = PASSWORD) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@{rest}"


def write_netrc(tmp_path, password: str, mode: int = 0o600) -> str:
    path = tmp_path / "netrc"
    path.write_text(f"machine 127.0.0.1\n  login {USER}\n  password {password}\n")
    path.chmod(mode)
    return str(path)


def leaks(text: str) -> bool:
    return any(secret in text for secret in (PASSWORD, urllib.parse.quote(PASSWORD, safe=""), BASIC.split()[1]))


def test_userinfo_in_the_url_is_sent_as_basic_auth_and_never_shown(guarded, tmp_path):
    url = with_userinfo(guarded.url + "/ok/")
    ds = TicketDataset(url, cache_dir=tmp_path / "c")
    assert ds[0]["id"] and guarded.auth_seen[-1] == BASIC
    store = ds.reader.stores[0]
    assert store.location == guarded.url.replace("://", "://***@") + "/ok/"
    assert not leaks(repr(store)) and not leaks(store.location) and not leaks(repr(store._client))
    assert not any(leaks(os.path.join(d, f)) for d, _, files in os.walk(tmp_path / "c") for f in files + [d])
    with pytest.raises(ManifestError) as err:
        TicketDataset(with_userinfo(guarded.url + "/nowhere/"), cache_dir=tmp_path / "c")
    assert str(err.value).startswith(guarded.url.replace("://", "://***@") + "/nowhere/manifest.json: HTTP 404")
    assert not leaks(str(err.value)) and not leaks(repr(err.value))


def test_a_refused_password_names_where_it_came_from_not_what_it_is(guarded, tmp_path):
    with pytest.raises(ManifestError, match=r"\*\*\*@127\.0\.0\.1:\d+/ok/manifest\.json: HTTP 401 Unauthorized \(credentials from the URL refused\)$") as err:
        TicketReader(with_userinfo(guarded.url + "/ok/", password="wrong-s3cret"), cache_dir=tmp_path)
    assert "wrong-s3cret" not in str(err.value)
    with pytest.raises(ManifestError, match=r"HTTP 401 Unauthorized \(no credentials sent: see DLTH_HTTP_AUTH or netrc\)$"):
        TicketReader(guarded.url + "/ok/", cache_dir=tmp_path)


def test_an_unreachable_host_with_userinfo_does_not_show_the_password(tmp_path):
    with pytest.raises(IoError) as err:
        TicketReader(with_userinfo("http://127.0.0.1:1/x/"), cache_dir=tmp_path, timeout=2)
    assert str(err.value).startswith("http://***@127.0.0.1:1/x/manifest.json: GET failed") and not leaks(str(err.value))
    for bad in (with_userinfo("ftp://host/x/"), with_userinfo("http:///x/")):
        with pytest.raises(ManifestError) as err:
            TicketReader(bad)
        assert "***@" in str(err.value) and not leaks(str(err.value))


# (URL userinfo, DLTH_HTTP_AUTH, netrc password) → who wins: the first one given.
PRECEDENCE = {
    "env": (None, PASSWORD, None, "ok"),
    "netrc": (None, None, PASSWORD, "ok"),
    "url over env": (PASSWORD, "wrong", None, "ok"),
    "url over env, url wrong": ("wrong", PASSWORD, None, "the URL"),
    "env over netrc": (None, PASSWORD, "wrong", "ok"),
    "env over netrc, env wrong": (None, "wrong", PASSWORD, "DLTH_HTTP_AUTH"),
}


@pytest.mark.parametrize("case", list(PRECEDENCE))
def test_credentials_precedence_url_then_environment_then_netrc(guarded, tmp_path, monkeypatch, case):
    url_password, env_password, netrc_password, outcome = PRECEDENCE[case]
    url = guarded.url + "/ok/" if url_password is None else with_userinfo(guarded.url + "/ok/", password=url_password)
    if env_password is not None:
        monkeypatch.setenv("DLTH_HTTP_AUTH", f"{USER}:{env_password}")
    if netrc_password is not None:
        monkeypatch.setenv("NETRC", write_netrc(tmp_path, netrc_password))
    if outcome == "ok":
        assert TicketDataset(url, cache_dir=tmp_path / "c")[0]["id"] and guarded.auth_seen[-1] == BASIC
    else:
        with pytest.raises(ManifestError, match=rf"HTTP 401 Unauthorized \(credentials from {outcome}"):
            TicketReader(url, cache_dir=tmp_path / "c")


def test_environment_and_netrc_credentials_leave_the_url_as_it_is(guarded, tmp_path, monkeypatch):
    monkeypatch.setenv("DLTH_HTTP_AUTH", f"{USER}:{PASSWORD}")
    assert TicketReader(guarded.url + "/ok/", cache_dir=tmp_path).stores[0].location == guarded.url + "/ok/"


def test_unusable_credential_sources_are_input_errors_without_the_secret(guarded, tmp_path, monkeypatch):
    monkeypatch.setenv("DLTH_HTTP_AUTH", "no-colon-s3cret")
    with pytest.raises(InputError, match=r"^DLTH_HTTP_AUTH must be user:password") as err:
        TicketReader(guarded.url + "/ok/", cache_dir=tmp_path)
    assert "s3cret" not in str(err.value)
    monkeypatch.delenv("DLTH_HTTP_AUTH")
    path = write_netrc(tmp_path, PASSWORD, mode=0o644)
    monkeypatch.setenv("NETRC", path)
    with pytest.raises(InputError, match=r"netrc: the netrc file holds a password but other users may read or change it"):
        TicketReader(guarded.url + "/ok/", cache_dir=tmp_path)
    (tmp_path / "netrc").write_text("machine 127.0.0.1 login reader password s3cret bogus-s3cret-token\n")
    with pytest.raises(InputError, match=r"netrc: netrc line \d+: cannot parse it$") as err:
        TicketReader(guarded.url + "/ok/", cache_dir=tmp_path)
    assert "s3cret" not in str(err.value)
    monkeypatch.setenv("NETRC", str(tmp_path / "missing"))
    with pytest.raises(InputError, match=r"missing: NETRC names no readable file"):
        TicketReader(guarded.url + "/ok/", cache_dir=tmp_path)
