"""Write one htpasswd entry; the password comes on stdin so it never shows in `ps`.

usage: python htpasswd.py <file>|- <user> apr1|bcrypt     (- prints the line instead)

The one way this repository makes htpasswd lines: the sandbox (pypiserver, docker-registry)
and the test fixtures (src/ecosystems/oci/testing/registry-fixture.ts) both call this script
with the workspace venv's python, whose packages tools/setup.sh installs (VENV_EXTRAS).

apr1   (Apache MD5) is what pypiserver checks through passlib without extra packages.
bcrypt is the only scheme docker-registry (distribution) accepts; it comes from the `bcrypt`
package, pinned in tools/setup.sh and checked by the set-up's last step (tools/programs.js).
"""
import os
import sys


def bcrypt_hash(password: str) -> str:
    try:
        import bcrypt  # type: ignore
    except ImportError:
        sys.exit(
            "htpasswd.py: the Python package bcrypt is not installed in this interpreter "
            f"({sys.executable}); run `bash tools/setup.sh`, which installs it into .venv"
        )
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def apr1_hash(password: str) -> str:
    from passlib.hash import apr_md5_crypt

    return apr_md5_crypt.hash(password)


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[3] not in ("apr1", "bcrypt"):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    path, user, scheme = sys.argv[1:4]
    password = sys.stdin.read().strip()
    if not password:
        sys.exit("htpasswd.py: empty password on stdin")
    digest = {"apr1": apr1_hash, "bcrypt": bcrypt_hash}[scheme](password)
    line = f"{user}:{digest}\n"
    if path == "-":
        sys.stdout.write(line)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.write(line)


if __name__ == "__main__":
    main()
