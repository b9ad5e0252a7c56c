"""Keep what Zope and Plone print while the template loads (their start-up lines, once more
after every cold start) off the developer's terminal; give it back when the build fails.

The file descriptors themselves are swapped, not sys.stdout: the template's children
inherit descriptors 1 and 2, which are the terminal again by the time they are forked.
"""

import os
import sys
import tempfile

SHOWN_ON_FAILURE = 6000  # characters: the end of a traceback


class Quiet:
    def __enter__(self):
        self._flush()
        self.saved = (os.dup(1), os.dup(2))
        self.captured = tempfile.TemporaryFile()
        os.dup2(self.captured.fileno(), 1)
        os.dup2(self.captured.fileno(), 2)
        return self

    def __exit__(self, *exc_info):
        self._flush()
        for fd, saved in zip((1, 2), self.saved):
            os.dup2(saved, fd)
            os.close(saved)
        # Closed here: a child forked later would inherit it.
        self.captured.seek(0)
        self.text = self.captured.read().decode("utf-8", "replace")
        self.captured.close()
        return False

    def show_end(self) -> None:
        """Print the end of what was kept back: the traceback of a failed build."""
        text = self.text[-SHOWN_ON_FAILURE:]
        if text:
            sys.stderr.write(text)
            sys.stderr.flush()

    @staticmethod
    def _flush():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
