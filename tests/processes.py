"""Test processes that start without paying the app's import again: a fork server that imported it once.

Tests that need real other processes (workers racing each other, processes creating one key
together) used to start each one as a fresh ``python``, which imports the whole app (~2 s of CPU
each, ~0.5 s idle). ``fresh_processes()`` gives multiprocessing's ``forkserver`` context: one
server process per test process imports ``PRELOAD`` once, then forks a child per process asked
for. A child is still a separate OS process with its own memory, its own app (``create_app`` in
the child), engine and connections; it only skips the imports. The preload list is the same for
every caller (the fork server is shared by the whole test process, started on first use).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = ["closerhub", "tests.integration.reminder_worker", "tests.integration.webhook_worker"]


def fresh_processes() -> BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
