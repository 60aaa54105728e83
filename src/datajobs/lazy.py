"""Package faces that import on first use: a wing's public name loads its module only when asked for."""

from __future__ import annotations

from importlib import import_module


def lazy_face(package: str, homes: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for a package whose public names live in its modules.

    ``homes`` maps each public name to the module of ``package`` that defines it (a name equal to its
    module's name is the module itself). Importing one module of the wing then loads nothing else.
    """
    namespace = import_module(package).__dict__

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"{package}.{homes[name]}")
        value = module if homes[name] == name else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__
