"""The optional C speed-up of the ledger's hash chain (``dncguard._ledger._chainc``).

Everything else about the package is in ``pyproject.toml``. The extension links OpenSSL's
libcrypto (the library CPython's ``hashlib`` uses). It is optional: where it cannot be built (no
C compiler, no OpenSSL headers), the install goes on without it and the ledger chains entries in
Python instead, writing the same bytes and digests, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dncguard._ledger._chainc",
            ["src/dncguard/_ledger/_chainc.c"],
            libraries=["crypto"],
            optional=True,
        )
    ]
)
