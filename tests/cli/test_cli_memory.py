"""The Arrow allocator the command line runs with (``dncguard.cli._common._arrow_memory``)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dncguard.cli._common import _arrow_memory


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow has no jemalloc")
def test_a_command_allocates_with_jemalloc_and_restores_the_default_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches of tens of megabytes are allocated and dropped again and again: jemalloc keeps
    their pages for the next batch, where the default hands them back to the system."""
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with _arrow_memory():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        assert len(pa.array(range(1000))) == 1000
    assert pa.default_memory_pool().backend_name == before


def test_an_allocator_the_user_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool().backend_name
    with _arrow_memory():
        assert pa.default_memory_pool().backend_name == before
    assert pa.default_memory_pool().backend_name == before


def test_the_default_is_restored_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with pytest.raises(ValueError, match="bad"), _arrow_memory():
        raise ValueError("bad")
    assert pa.default_memory_pool().backend_name == before
