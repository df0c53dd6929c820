"""What the `kite` commands share: exit codes, usage errors, the embedded stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.embedded.local import LocalKite

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# What the `local` extra installs: the deployed package has neither (decision 0011).
LOCAL_EXTRA = ("moto", "time_machine")


class UsageError(Exception):
    pass


def local_kite(*, fast_forward: bool) -> LocalKite:
    """The embedded stack, or a usage error saying how to install it."""
    try:
        from infra.embedded.local import LocalKite
    except ModuleNotFoundError as exc:
        if exc.name not in LOCAL_EXTRA:
            raise
        raise UsageError(
            f"this command needs the embedded stack ({exc.name}): pip install 'kite[local]'"
        ) from None
    return LocalKite(fast_forward=fast_forward)
