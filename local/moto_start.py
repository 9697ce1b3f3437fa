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
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from local.moto_patches import replace

# The moto this engine's patches were written against, when the project's requirements cannot
# be read (a source tree that was never installed).
PINNED_MOTO = "5.2.5"


class MotoVersionMismatch(RuntimeError):
    """The installed moto is not the one the embedded engine patches."""


def check_moto_version(installed: str | None = None) -> None:
    """Refuse to start on a moto other than the pinned one: the engine patches its internals
    (classes, private methods, their signatures), which any release may change."""
    from importlib import metadata

    pinned = _pinned_moto()
    installed = installed or metadata.version("moto")
    if installed != pinned:
        raise MotoVersionMismatch(
            f"The embedded engine needs moto {pinned}, whose internals it patches; moto "
            f"{installed} is installed. Reinstall the project's pinned dependencies "
            f"(pip install 'moto=={pinned}', or make again)"
        )


def _pinned_moto() -> str:
    """The version this project's requirements pin moto to (pyproject.toml)."""
    import re
    from importlib import metadata

    try:
        requirements = metadata.requires("stepthunk") or []
    except metadata.PackageNotFoundError:
        return PINNED_MOTO
    for requirement in requirements:
        found = re.fullmatch(r"moto(\[[^\]]*\])?==([^;\s]+)", requirement.split(";")[0].strip())
        if found:
            return found.group(2)
    return PINNED_MOTO


_SERVICE_TASKS = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
# Interpreter modules that import moto services stepthunk does not use -> the class the
# interpreter takes from each (it only ever instantiates it).
DEFERRED_MODULES = {f"{_SERVICE_TASKS}.state_task_service_batch": "StateTaskServiceBatch"}

_lock = threading.Lock()


def read_models_once() -> None:
    """moto reads a service's API model with a new loader each time (which first lists every
    model on disk) and the regions of each service from a session of its own (which reads
    botocore's endpoint data again): one loader, and boto3's default session, serve it here.
    And before loading a model, a loader checks that its service is known by listing every
    service that has a model of that kind (a tenth of a second for the four kinds a start
    reads): the check looks at that service's directory alone (see KnownServices)."""
    import boto3
    from botocore.loaders import Loader
    from moto.core import utils
    from moto.core.base_backend import AccountSpecificBackend

    replace(utils, "create_loader", functools.cache(utils.create_loader))  # type: ignore[attr-defined]
    replace(
        AccountSpecificBackend,
        "get_session",
        classmethod(lambda cls: boto3._get_default_session()),
    )
    listed = Loader.list_available_services

    def known_services(loader: Loader, type_name: str) -> Any:
        return KnownServices(loader, type_name, listed)

    replace(Loader, "list_available_services", known_services)


class KnownServices(Sequence[str]):
    """The services a botocore loader has models of `type_name` for, sorted, as its
    `list_available_services` answers; listed only when read as a list, since a test of
    one name (`name in services`) looks at that name's directory alone, as listing them all
    would look at it."""

    def __init__(self, loader: Any, type_name: str, listed: Callable[[Any, str], list[str]]):
        self._loader = loader
        self._type_name = type_name
        self._listed = listed

    @functools.cached_property
    def _names(self) -> list[str]:
        return self._listed(self._loader, self._type_name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name or os.sep in name or name.startswith("."):
            return name in self._names
        exists = self._loader.file_loader.exists
        for path in self._loader._potential_locations():
            directory = os.path.join(path, name)
            if os.path.isdir(directory) and any(
                exists(os.path.join(directory, version, self._type_name))
                for version in os.listdir(directory)
            ):
                return True
        return False

    def __getitem__(self, index: Any) -> Any:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]


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
