"""Write one htpasswd entry; the password comes on stdin so it never shows in `ps`.

usage: python htpasswd.py <file> <user> apr1|bcrypt

apr1   (Apache MD5) is what pypiserver checks through passlib without extra packages.
bcrypt is the only scheme docker-registry (distribution 2.8) accepts. passlib's bcrypt
needs the `bcrypt` package; without it the standard library's crypt (libxcrypt, $2b$)
produces the same format, which Go's bcrypt accepts.
"""
import os
import sys
import warnings


def bcrypt_hash(password: str) -> str:
    try:
        import bcrypt  # type: ignore

        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # removed in Python 3.13; fine on 3.11

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def apr1_hash(password: str) -> str:
    from passlib.hash import apr_md5_crypt

    return apr_md5_crypt.hash(password)


def main() -> None:
    path, user, scheme = sys.argv[1:4]
    password = sys.stdin.read().strip()
    if not password:
        sys.exit("htpasswd.py: empty password on stdin")
    digest = {"apr1": apr1_hash, "bcrypt": bcrypt_hash}[scheme](password)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.write(f"{user}:{digest}\n")


if __name__ == "__main__":
    main()
