"""Run code right after a module is first imported, without importing it now.

``watch()`` switched on before PyMC is imported (``PYMC_DOCTOR_WATCH=1`` makes ``import pymc_doctor``
do so) must not import PyMC itself: that costs seconds, and the user may never sample. A finder put
first on ``sys.meta_path`` waits for the module: it finds the module's spec through the other finders,
as Python would, and wraps the ``exec_module`` of that spec's loader. Once the module has run, the
loader is as it was, the finder is gone from ``sys.meta_path`` and the callback runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.abc import MetaPathFinder

_waiting: dict[str, MetaPathFinder] = {}


class _Awaiting(MetaPathFinder):
    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        spec = _spec_from_the_others(self, fullname, path, target)
        loader = getattr(spec, "loader", None)
        if loader is not None and hasattr(loader, "exec_module"):
            _wrap(loader, self)
        return spec


def _spec_from_the_others(finder: MetaPathFinder, fullname: str, path, target):
    for other in list(sys.meta_path):
        find_spec = getattr(other, "find_spec", None)
        if other is finder or find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def _wrap(loader, finder: _Awaiting) -> None:
    execute = loader.exec_module

    def exec_module(module):
        try:
            execute(module)
        finally:
            del loader.exec_module  # the loader's own method again, whether or not the module ran
        # An import that failed leaves the finder waiting for the user's next try.
        cancel(finder.name)
        finder.then()

    # On the instance: that loader serves this one import, and the class is left alone.
    loader.exec_module = exec_module


def when_imported(name: str, then: Callable[[], None]) -> None:
    """Call ``then()`` once the top-level module ``name`` has been imported (at once if it already is)."""
    if name in sys.modules:
        then()
        return
    cancel(name)
    _waiting[name] = _Awaiting(name, then)
    sys.meta_path.insert(0, _waiting[name])


def waiting(name: str) -> bool:
    return name in _waiting


def cancel(name: str) -> None:
    """Stop waiting for ``name``: its finder leaves ``sys.meta_path``."""
    finder = _waiting.pop(name, None)
    if finder is not None and finder in sys.meta_path:
        sys.meta_path.remove(finder)
