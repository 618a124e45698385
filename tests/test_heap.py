"""Long-running processes freeze what they made at startup, and only that."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from celery.signals import worker_process_init

from syndicate.heap import freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.peer: Node = self


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_startup_objects_are_frozen_and_garbage_is_not_kept(unfrozen: None) -> None:
    kept = Node()
    garbage = weakref.ref(Node())  # unreachable, but only a full collection can tell
    assert garbage() is not None
    freeze_startup_heap()
    assert garbage() is None
    assert gc.get_freeze_count() > 0
    assert not gc.is_tracked(kept) or kept not in gc.get_objects(generation=2)


def test_each_worker_process_freezes_its_heap_once_it_has_started(unfrozen: None) -> None:
    import workers.app  # noqa: F401  (connects the signal)

    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 0
