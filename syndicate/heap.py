"""Keep the garbage collector's full collections short in long-running processes.

A web or worker process holds a couple of hundred thousand objects made at startup (modules,
classes, functions, settings) that live as long as it does. A full collection walks all of
them, and under load the objects of requests in flight survive the young collections often
enough to set one off every second or so: each stopped a web process for about 60 ms, which
was the whole tail of the webhook latency. Frozen once startup is done, those objects are never
walked again, and a full collection takes a few milliseconds.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect whatever is garbage now (it must not be kept for good), then freeze the rest.
    A collection asked for while another thread's is under way does nothing, so automatic
    collections are held off meanwhile, and the one that may have been running is followed
    by a second."""
    automatic = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        gc.collect()
        gc.freeze()
    finally:
        if automatic:
            gc.enable()
