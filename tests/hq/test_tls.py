"""HQ over TLS (issue #13, item 6), with real self-signed certificates made by ``openssl``
and a real uvicorn serving TLS on 127.0.0.1: a lane pins HQ's certificate at enrolment
and trusts nothing else; a different certificate is refused with a clear message that
names both fingerprints (never "offline"); a CA file works too; plain http is refused for
a network address at both ends."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from counter.errors import CounterError
from counter.sync.upstream import certificate_fingerprint as fingerprint
from db.credentials import token_path
from db.engine import DB_FILENAME, open_database
from db.hq_client import HqClient, HqUntrusted
from db.hq_tls import HqTrust, TlsSetupError
from db.queries import read_settings
from db.sync import Syncer, enrol, sync_config
from hq import access, schema as hs
from hq.serve import RunningHq, check_transport, start_in_thread, tls_fingerprint
from tests.hq.conftest import reset_hq


def make_cert(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (EC P-256), made by openssl."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN=counter-hq-{name}",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_hqs(
    pg_url: str, hq_engine: Engine, reference_data: dict[str, object], tmp_path: Path
) -> Iterator[tuple[RunningHq, RunningHq, Path, Path]]:
    """Two TLS servers over the same HQ database: ``a`` with the real certificate, ``b``
    with another one (a replaced certificate, or someone in the way)."""
    reset_hq(hq_engine, reference_data)
    cert_a, key_a = make_cert(tmp_path, "a")
    cert_b, key_b = make_cert(tmp_path, "b")
    a = start_in_thread(pg_url, pool_size=3, certfile=str(cert_a), keyfile=str(key_a))
    b = start_in_thread(pg_url, pool_size=3, certfile=str(cert_b), keyfile=str(key_b))
    try:
        yield a, b, cert_a, cert_b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def store_copy(demo_template: Path, tmp_path: Path) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
        return folder

    return make


def test_pinned_certificate_is_accepted_and_another_refused(
    tls_hqs: tuple[RunningHq, RunningHq, Path, Path], hq_engine: Engine, store_copy: Callable[[str], Path]
) -> None:
    a, b, cert_a, cert_b = tls_hqs
    pin_a = tls_fingerprint(str(cert_a))
    assert pin_a == fingerprint(cert_a.read_text()) and pin_a != tls_fingerprint(str(cert_b))
    assert a.url.startswith("https://127.0.0.1:")
    folder = store_copy("lane")
    db = open_database(folder)
    try:
        code = access.new_enrol_code(hq_engine, "S01", "T01")
        # a fingerprint that is not HQ's: refused before the code is sent (it stays unused)
        with pytest.raises(TlsSetupError, match="nothing was sent"):
            enrol(db.write, a.url, code, fingerprint=tls_fingerprint(str(cert_b)))
        with pytest.raises(TlsSetupError, match="fingerprint is needed"):
            enrol(db.write, a.url, code)
        with hq_engine.connect() as conn:
            assert conn.execute(select(hs.enrol_codes.c.used_at)).scalar() is None
        assert sync_config(db.read) is None and not token_path(folder).exists()

        config = enrol(db.write, a.url, code, fingerprint=pin_a.lower().replace(":", ""))
        assert config.trust is not None and config.trust.sha256 == pin_a
        kept = read_settings(db.read)["sync"]
        assert kept["trust"]["sha256"] == pin_a and "token" not in kept
        assert sync_config(db.read) == config

        # every connection checks the pinned certificate: the right HQ works over TLS
        client = config.client()
        try:
            syncer = Syncer(db.write, db.read, client, config)
            status = syncer.cycle()
            assert status.online and not status.problem, status
            assert syncer.acked_seq() > 0
        finally:
            client.close()

        # the same lane reaching a server with another certificate: refused, and said so
        other = HqClient(b.url, config.token, trust=config.trust)
        try:
            with pytest.raises(HqUntrusted) as untrusted:
                other.head()
            message = untrusted.value.message
            assert untrusted.value.status == 495 and untrusted.value.error == "untrusted_hq"
            assert pin_a in message and tls_fingerprint(str(cert_b)) in message
            assert "Nothing was sent" in message and "enrol this terminal again" in message
            syncer = Syncer(db.write, db.read, other, config)
            status = syncer.cycle()
            assert "certificate is not the one this terminal trusts" in status.describe()
            assert "offline" not in status.describe()
        finally:
            other.close()
        # without any trust set up, a self-signed HQ is refused too (system CAs only)
        bare = HqClient(a.url, config.token)
        try:
            with pytest.raises(HqUntrusted):
                bare.head()
        finally:
            bare.close()
    finally:
        db.dispose()


def test_a_ca_file_is_the_other_way_to_trust_hq(
    tls_hqs: tuple[RunningHq, RunningHq, Path, Path], hq_engine: Engine, store_copy: Callable[[str], Path]
) -> None:
    a, b, cert_a, _ = tls_hqs
    db = open_database(store_copy("lane"))
    try:
        config = enrol(db.write, a.url, access.new_enrol_code(hq_engine, "S01", "T02"), ca_file=str(cert_a))
        assert config.trust == HqTrust(ca_file=str(cert_a))
        client = config.client()
        try:
            assert client.head()[0] == 0  # enrolled, nothing pushed yet: HQ answered over verified TLS
        finally:
            client.close()
        other = HqClient(b.url, config.token, trust=config.trust)
        try:
            with pytest.raises(HqUntrusted, match="signed by the CA in"):
                other.head()
        finally:
            other.close()
    finally:
        db.dispose()


def test_plain_http_only_on_loopback(store_copy: Callable[[str], Path]) -> None:
    db = open_database(store_copy("lane"))
    try:
        with pytest.raises(TlsSetupError, match="plain http"):
            enrol(db.write, "http://192.0.2.10:8765", "ABCD-EFGH-JKLM")
    finally:
        db.dispose()
    with pytest.raises(CounterError, match="plain http on 0.0.0.0"):
        check_transport("0.0.0.0", None, None)
    with pytest.raises(CounterError, match="both --certfile and --keyfile"):
        check_transport("0.0.0.0", "cert.pem", None)
    assert check_transport("127.0.0.1", None, None) is None
    assert check_transport("0.0.0.0", None, None, allow_plain_http=True) is None
