"""ccxt without the other ~100 exchanges: the live cockpit loads only the venues it talks to.

``import ccxt`` (and ``ccxt.pro``) runs package ``__init__`` files that import every exchange class ccxt
ships: measured here at ~90 MB resident and ~0.5 s. The cockpit uses five. ``install()`` puts package
objects for ``ccxt``, ``ccxt.async_support`` and ``ccxt.pro`` in ``sys.modules`` that carry what those
``__init__`` files re-export from ``ccxt.base`` (errors, precision constants, ``Exchange``, version) and
load an exchange module the first time its name is looked up. The exchange modules themselves are ccxt's
own, unchanged, so every request and parse still runs the real ccxt code.

Like ccxt's ``__init__`` (``from ccxt.async_support.binance import binance``), a package attribute named
after an exchange is its class, not its module: ccxt's own modules rely on that
(``import ccxt.async_support.binanceusdm as binanceusdmRest`` is then called).

If ccxt is already imported (tests import it whole), ``install()`` leaves it alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

_PACKAGES = ("ccxt", "ccxt.async_support", "ccxt.pro")


class _LazyPackage(types.ModuleType):
    """A ccxt package without its ``__init__``: exchanges load on first lookup, bound as their class."""

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system binds a loaded submodule on its package; ccxt's __init__ rebinds the name to
        # the class inside, and so does this.
        if isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            cls = getattr(value, name, None)
            if isinstance(cls, type):
                value = cls
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        full = f"{self.__name__}.{name}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        return self.__dict__[name]


def install() -> bool:
    """Put the lean packages in place; False when ccxt was already imported (then it is used as is)."""
    if any(name in sys.modules for name in _PACKAGES):
        return False
    spec = importlib.util.find_spec("ccxt")  # locates the package without running its __init__
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("ccxt is not installed", name="ccxt")
    root = Path(spec.origin).parent
    packages: dict[str, _LazyPackage] = {}
    for name in _PACKAGES:
        package = _LazyPackage(name)
        folder = root.joinpath(*name.split(".")[1:])
        package.__path__ = [str(folder)]
        package.__file__ = str(folder / "__init__.py")
        package.__package__ = name
        sys.modules[name] = packages[name] = package
    packages["ccxt"].async_support = packages["ccxt.async_support"]
    packages["ccxt"].pro = packages["ccxt.pro"]
    try:
        _reexport(packages)
    except BaseException:
        for name in _PACKAGES:
            sys.modules.pop(name, None)
        raise
    return True


def _reexport(packages: dict[str, _LazyPackage]) -> None:
    """What the three ``__init__`` files give besides the exchanges."""
    errors = importlib.import_module("ccxt.base.errors")
    precision = importlib.import_module("ccxt.base.decimal_to_precision")
    sync_base = importlib.import_module("ccxt.base.exchange")
    precise = importlib.import_module("ccxt.base.precise")
    shared = {name: getattr(errors, name) for name in errors.__all__}
    shared.update({name: getattr(precision, name) for name in precision.__all__})
    shared.update(__version__=sync_base.__version__, Precise=precise.Precise)
    for package in packages.values():
        for name, value in shared.items():
            setattr(package, name, value)
    packages["ccxt"].Exchange = sync_base.Exchange
    async_base = importlib.import_module("ccxt.async_support.base.exchange")
    packages["ccxt.async_support"].Exchange = async_base.Exchange
    packages["ccxt.pro"].Exchange = async_base.Exchange
