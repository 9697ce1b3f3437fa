"""Starting moto with only the services the embedded engine uses, each of its models read once.

moto imports a service when a request first reaches it, but a few of its modules import other
services up front. The embedded engine's start (`LocalCloud`) calls `defer_unused_services`
before anything imports moto's Step Functions interpreter, whose factory of service tasks
imports moto's Batch for the `batch:submitJob` integration, and Batch imports all of EC2 (its
region and instance-type tables load at import): most of the engine's start, for an
integration stepthunk never compiles. Such a module is imported when a state machine first
uses it, not before.
"""

from __future__ import annotations

import functools
import gc
import importlib
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_SERVICE_TASKS = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
# Interpreter modules that import moto services stepthunk does not use -> the class the
# interpreter takes from each (it only ever instantiates it).
DEFERRED_MODULES = {f"{_SERVICE_TASKS}.state_task_service_batch": "StateTaskServiceBatch"}

_lock = threading.Lock()


def read_models_once() -> None:
    """moto reads a service's API model with a new loader each time (which first lists every
    model on disk) and the regions of each service from a session of its own (which reads
    botocore's endpoint data again): one loader, and boto3's default session, serve it here."""
    import boto3
    from moto.core import utils
    from moto.core.base_backend import AccountSpecificBackend

    utils.create_loader = functools.cache(utils.create_loader)  # type: ignore[attr-defined]
    AccountSpecificBackend.get_session = classmethod(  # type: ignore[method-assign,assignment]
        lambda cls: boto3._get_default_session()
    )


def defer_unused_services() -> None:
    """Stand in for each of DEFERRED_MODULES until the interpreter first instantiates its
    class (a no-op for a module already imported)."""
    with _lock:
        for module_name, class_name in DEFERRED_MODULES.items():
            if module_name not in sys.modules:
                stand_in = types.ModuleType(module_name, "Imported on first use")
                setattr(stand_in, class_name, _on_first_use(stand_in, class_name))
                sys.modules[module_name] = stand_in


def _on_first_use(stand_in: types.ModuleType, class_name: str) -> Callable[[], Any]:
    def instantiate() -> Any:
        with _lock:
            if sys.modules.get(stand_in.__name__) is stand_in:
                del sys.modules[stand_in.__name__]
            module = importlib.import_module(stand_in.__name__)
        return getattr(module, class_name)()

    return instantiate


@contextmanager
def long_lived() -> Iterator[None]:
    """Make objects that live as long as the process (moto's services, models and interpreter
    tables: most of the objects after a start), then leave them out of garbage collection:
    the collector would otherwise walk all of them again in every full collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()
