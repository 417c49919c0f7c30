"""A throwaway PostgreSQL server for the tests, on the loopback only.

``python -m tools.test_postgres start`` makes sure a private cluster is running and prints
its URL (a superuser login made for the tests); ``env`` prints the same as a shell
``export CME_TEST_POSTGRES_URL=...``; ``stop`` stops it. ``make test`` calls ``start``, and
the test fixtures (tests/support/postgres.py) call ``ensure()`` themselves when run
without make.

The cluster lives in the temporary folder, one per user: ``initdb`` once (about two
seconds), then it keeps running between test runs. As root it runs as the ``postgres``
user (initdb refuses root). Durability is switched off (``fsync``), which is only
acceptable because every database in it is thrown away. It listens on 127.0.0.1 on a free
port, with SCRAM passwords and TLS (a certificate made here for ``localhost``, signed by a
test authority whose certificate is ``ca.crt`` beside the cluster), so the tests can use
``sslmode=verify-full`` as a council's server would be used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

#: The test superuser the cluster is made with.
USER = "cme_test"
#: The oldest PostgreSQL the application supports.
MIN_VERSION = 15
ENV = "CME_TEST_POSTGRES_URL"

MISSING = (
    "PostgreSQL {min}+ is needed for the tests and was not found (no initdb in "
    "/usr/lib/postgresql/*/bin, from pg_config or on PATH). Install it — Debian/Ubuntu: "
    "`sudo apt-get install postgresql`; Fedora: `sudo dnf install postgresql-server`; "
    "macOS: `brew install postgresql@15` — or set {env} to a PostgreSQL URL whose login "
    "may create databases."
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL to run the tests against, with what to do about it."""


def state_dir() -> Path:
    """Where the cluster, its port, password and certificates are kept."""
    if os.name == "nt":
        raise PostgresUnavailable(
            f"On Windows the tests do not start PostgreSQL themselves: set {ENV} to a "
            "PostgreSQL 15+ server whose login may create databases "
            "(postgresql://user:password@127.0.0.1:5432/postgres)."
        )
    return Path(tempfile.gettempdir()) / f"cme-test-postgres-{os.getuid()}"


def find_bin() -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), newest version first."""
    candidates: list[Path] = []
    for found in glob.glob("/usr/lib/postgresql/*/bin"):
        candidates.append(Path(found))
    for root in ("/opt/homebrew/opt", "/usr/local/opt"):
        candidates += [Path(p) / "bin" for p in glob.glob(f"{root}/postgresql@*")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    usable = [c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()]
    usable.sort(key=_version, reverse=True)
    if not usable or _version(usable[0]) < MIN_VERSION:
        raise PostgresUnavailable(MISSING.format(min=MIN_VERSION, env=ENV))
    return usable[0]


def _version(bindir: Path) -> int:
    try:
        out = subprocess.run(
            [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    digits = out.strip().rsplit(" ", 1)[-1].split(".")[0]
    return int(digits) if digits.isdigit() else 0


def _as_owner(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres user instead.
    if os.getuid() != 0:
        return args
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(
            "Running as root, the test server must run as the `postgres` user, which does "
            "not exist. Install the postgresql package, or run the tests as another user."
        ) from exc
    return ["runuser", "-u", "postgres", "--", *args]


def _chown(path: Path) -> None:
    if os.getuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    # Several test runs may start at once: one of them makes or starts the cluster.
    import fcntl

    with open(folder / "lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificates(folder: Path) -> None:
    """A test authority and a server certificate for localhost/127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CME test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.crt").write_bytes(ca.public_bytes(pem))
    (folder / "server.crt").write_bytes(cert.public_bytes(pem))
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    for name in ("ca.crt", "server.crt", "server.key"):
        _chown(folder / name)


def _initdb(bindir: Path, folder: Path) -> None:
    password = secrets.token_urlsafe(18)
    pwfile = folder / "password"
    pwfile.write_text(password)
    pwfile.chmod(0o600)
    _chown(pwfile)
    data = folder / "data"
    command = [
        str(bindir / "initdb"),
        "-D",
        str(data),
        f"--username={USER}",
        f"--pwfile={pwfile}",
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    ]
    result = subprocess.run(_as_owner(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {result.stderr.strip() or result.stdout}")
    _certificates(folder)
    conf = data / "postgresql.conf"
    with open(conf, "a") as fh:
        fh.write(
            "\n# The tests' throwaway cluster (tools/test_postgres.py)\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{folder}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 200\n"
            "ssl = on\n"
            f"ssl_cert_file = '{folder / 'server.crt'}'\n"
            f"ssl_key_file = '{folder / 'server.key'}'\n"
        )


def _running(bindir: Path, folder: Path) -> bool:
    status = subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "status"]),
        capture_output=True,
        check=False,
    )
    return status.returncode == 0


def _url(folder: Path) -> str:
    password = (folder / "password").read_text().strip()
    port = (folder / "port").read_text().strip()
    return f"postgresql://{USER}:{quote(password, safe='')}@127.0.0.1:{port}/postgres"


def ensure() -> str:
    """The URL of the running test server, made and started first when needed."""
    folder = state_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    _chown(folder)
    with _locked(folder):
        bindir = find_bin()
        if not (folder / "data" / "PG_VERSION").is_file():
            _initdb(bindir, folder)
        if not _running(bindir, folder):
            port = _free_port()
            (folder / "port").write_text(str(port))
            start = [
                str(bindir / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "server.log"),
                "-o",
                f"-p {port}",
                "-w",
                "-t",
                "60",
                "start",
            ]
            log = folder / "server.log"
            if not log.exists():
                log.touch()
                _chown(log)
            result = subprocess.run(_as_owner(start), capture_output=True, text=True, check=False)
            if result.returncode != 0:
                tail = log.read_text(errors="replace")[-800:]
                raise PostgresUnavailable(f"The test PostgreSQL did not start:\n{tail}")
        return _url(folder)


def stop() -> None:
    """Stop the test server, if it runs (its files are kept for the next run)."""
    folder = state_dir()
    if not (folder / "data" / "PG_VERSION").is_file():
        return
    bindir = find_bin()
    with _locked(folder):
        if _running(bindir, folder):
            subprocess.run(
                _as_owner(
                    [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"]
                ),
                capture_output=True,
                check=False,
            )


def ca_certificate() -> Path:
    """The test authority's certificate, for ``sslrootcert``."""
    return state_dir() / "ca.crt"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    action = args[0] if args else "start"
    try:
        if action == "start":
            print(os.environ.get(ENV) or ensure())
        elif action == "env":
            print(f"export {ENV}='{os.environ.get(ENV) or ensure()}'")
        elif action == "stop":
            stop()
        else:
            print("usage: python -m tools.test_postgres [start|env|stop]", file=sys.stderr)
            return 2
    except PostgresUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
