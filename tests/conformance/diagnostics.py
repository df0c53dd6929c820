"""Errors Kite's Lambda handlers log while a case runs.

On moto an exception in a handler is logged and the message retried, so a case only shows its effect (an
execution stuck in CREATED). The runner collects those exceptions to name the cause in the FAIL line, and
keeps them out of its own output.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator

# The handlers' loggers (aws_lambda_powertools uses the service name) and the pump's.
_LOGGERS = ("kite-dispatcher", "kite-worker", "infra.embedded.pump")


class _Collect(logging.Handler):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            location = _innermost(error)
            text = f"{text} (at {location})" if location else text
        else:
            text = record.getMessage()[:300]
        if text not in self.errors:
            self.errors.append(text)


def _innermost(error: BaseException) -> str:
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return ""
    code = trace.tb_frame.f_code
    path = code.co_filename
    return f"{path[path.find('kite/') :] if 'kite/' in path else path}:{trace.tb_lineno}"


@contextlib.contextmanager
def handler_errors() -> Iterator[list[str]]:
    """Collect (and silence) what the handlers log at ERROR while the block runs."""
    errors: list[str] = []
    collect = _Collect(errors)
    # The handler modules attach their own stderr handler when first imported: import them before.
    for module in ("functions.dispatcher", "functions.worker"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate))
        logger.handlers = [collect]
        logger.propagate = False
    try:
        yield errors
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate
