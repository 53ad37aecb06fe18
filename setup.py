"""The optional C extensions; everything else about the package is in ``pyproject.toml``.

``dncguard._ledger._chainc``, the ledger's hash chain, links OpenSSL's libcrypto (the library
CPython's ``hashlib`` uses). ``dncguard._arraymemc`` keeps numpy's large freed blocks for reuse
while ``check`` and ``scrub`` run (``dncguard/_arraymem.py``); it needs Python's headers only.
Both are optional: where one cannot be built (no C compiler, no OpenSSL headers), the install
goes on without it; the ledger then chains entries in Python instead, writing the same bytes and
digests, more slowly, and numpy's arrays use the C library's allocator.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dncguard._ledger._chainc",
            ["src/dncguard/_ledger/_chainc.c"],
            libraries=["crypto"],
            optional=True,
        ),
        Extension("dncguard._arraymemc", ["src/dncguard/_arraymemc.c"], optional=True),
    ]
)
