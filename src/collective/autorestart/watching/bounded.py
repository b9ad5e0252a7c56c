"""Apply a plan within a time bound, so that the user's code can neither freeze nor kill the
watcher: an import that blocks, or raises what is not an Exception, is reported and the
watcher goes on."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import Failure, describe
from collective.autorestart.watching.roots import under_roots

log = logging.getLogger("collective.autorestart")


class BoundedApplier:
    def __init__(self, applier, timeout: float, roots: tuple[str, ...]) -> None:
        self.applier = applier
        self.timeout = timeout
        self.roots = roots

    def apply(self, modules: tuple[str, ...], zcml: tuple[str, ...]) -> Outcome:
        outcomes: list[Outcome] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                outcomes.append(self.applier.apply(modules, zcml))
            except BaseException as error:  # noqa: B902 - KeyboardInterrupt at import, ...
                errors.append(error)

        # A daemon thread of its own: should it never return, the process can still exit.
        thread = threading.Thread(target=run, name="collective.autorestart reload", daemon=True)
        thread.start()
        thread.join(self.timeout or None)
        if thread.is_alive():
            return Outcome(hung=self._report_stuck(thread))
        if errors:
            failure = describe(errors[0], modules[0] if modules else "ZCML", self.roots)
            log.debug("the reload was aborted", exc_info=errors[0])
            return Outcome(aborted=failure)
        return outcomes[0]

    def _report_stuck(self, thread: threading.Thread) -> Failure:
        frame = sys._current_frames().get(thread.ident) if thread.ident is not None else None
        stack = traceback.extract_stack(frame) if frame is not None else traceback.StackSummary()
        ours = [entry for entry in stack if entry.filename.startswith(under_roots(self.roots))]
        where = ours[-1] if ours else (stack[-1] if stack else None)
        message = "the reload did not finish within %.1f s" % self.timeout
        failure = Failure(where.filename, where.lineno, message) if where else Failure("reload", None, message)
        log.error(
            "%s; it is stuck at %s, in:\n%s",
            message,
            "%s:%s" % (failure.filename, failure.line) if where else "an unknown place",
            "".join(stack.format()).rstrip(),
        )
        return failure
