"""Key specs from the key map (cockpit.keymap, plain data) as Textual bindings."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType

from cockpit.keymap import KeySpec


def bindings_for(specs: Iterable[KeySpec]) -> list[BindingType]:
    """One Textual binding per spec, with its id (so [keys] can rebind it) and its footer group."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=spec.show,
            id=spec.id,
            tooltip=spec.palette,
            group=Binding.Group(spec.group, compact=True) if spec.group else None,
        )
        for spec in specs
    ]
