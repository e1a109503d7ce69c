"""SMB addresses and credentials, without a server: parsing, the UNC form, what prepare refuses."""

from __future__ import annotations

import argparse

import pytest

from scanner import smb
from scanner.smb import Address, Credentials, SmbAddressError, parse


def test_url_with_port_and_path() -> None:
    a = parse("smb://fileserver:4450/文档/2024//通知/")
    assert a == Address("fileserver", 4450, "文档", ("2024", "通知"))
    assert a.unc == "\\\\fileserver\\文档\\2024\\通知"
    assert a.url == "smb://fileserver:4450/文档/2024/通知"
    assert parse(a.url) == a


def test_url_defaults_to_port_445_and_keeps_the_user() -> None:
    a = parse("SMB://alice@host.example/share")
    assert (a.host, a.port, a.share, a.parts, a.user) == ("host.example", 445, "share", (), "alice")
    assert a.name == "share" and a.child("x.docx").unc == "\\\\host.example\\share\\x.docx"


def test_ipv6_literal() -> None:
    a = parse("smb://[fe80::1]:1445/s/a.txt")
    assert (a.host, a.port, a.share, a.parts) == ("fe80::1", 1445, "s", ("a.txt",))
    assert a.url == "smb://[fe80::1]:1445/s/a.txt"


def test_unc_path_uses_the_port_its_host_was_given() -> None:
    parse("smb://unc-port-host:10445/s")
    assert parse("\\\\unc-port-host\\s\\sub\\a.docx") == Address("unc-port-host", 10445, "s", ("sub", "a.docx"))
    assert parse("\\\\other-host\\s").port == 445


@pytest.mark.parametrize("text", ["smb://host", "smb://host/", "smb:///share", "\\\\host", "smb://h/s/../x",
                                  "smb://h:0/s", "smb://h:port/s", "smb://h:70000/s", "/local/path"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(SmbAddressError):
        parse(text)


def test_a_password_in_the_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(SmbAddressError) as err:
        parse("smb://alice:hunter2@host/share")
    assert "hunter2" not in str(err.value) and "DOCSCAN_SMB_PASSWORD" in str(err.value)


def test_is_smb() -> None:
    assert smb.is_smb("smb://h/s") and smb.is_smb("SMB://h/s") and smb.is_smb("\\\\h\\s")
    assert not smb.is_smb("/srv/smb/share") and not smb.is_smb("smb.txt") and not smb.is_smb("./smb://x")


def test_credentials_never_show_the_password() -> None:
    c = Credentials("alice", "s3cret-value", "CORP")
    assert "s3cret-value" not in repr(c) and "s3cret-value" not in str(c)
    assert c.username == "CORP\\alice" and Credentials("bob", "x").username == "bob"


def _args(*paths: str, **kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--cluster")
    smb.add_arguments(parser)
    extra = [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]
    return parser.parse_args([*paths, *extra])


def test_add_arguments_has_no_password_option() -> None:
    parser = argparse.ArgumentParser()
    smb.add_arguments(parser)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert {"--smb-user", "--smb-domain", "--smb-encrypt"} <= flags
    assert not any("pass" in flag for flag in flags)


def test_prepare_ignores_local_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(smb.ENV_PASSWORD, raising=False)
    assert smb.prepare(_args("/tmp", "report.docx")) is None


def test_prepare_needs_a_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(smb.ENV_USER, raising=False)
    assert "--smb-user" in smb.prepare(_args("smb://h/s"))


def test_prepare_without_password_and_without_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(smb.ENV_PASSWORD, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    problem = smb.prepare(_args("smb://h/s", smb_user="alice"))
    assert "DOCSCAN_SMB_PASSWORD" in problem


def test_prepare_refuses_a_cluster_scan() -> None:
    assert "--cluster" in smb.prepare(_args("smb://h/s", smb_user="a", cluster="tcp://sched:8786"))


def test_prepare_reports_a_bad_address() -> None:
    assert "hunter2" not in smb.prepare(_args("smb://a:hunter2@h/s"))
