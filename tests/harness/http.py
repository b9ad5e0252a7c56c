"""HTTP to our servers: one GET, polling until the new code is served, a kept-alive client."""

import base64
import http.client
import time
import urllib.error
import urllib.request

# Waiting for one change to be served: a reload takes milliseconds, a restart seconds.
LIVE_TIMEOUT = 10.0
RESTART_TIMEOUT = 60.0
# While nothing listens yet, a connect loop without a pause would take a core from the
# Zope that is starting (the machine has two).
REFUSED_PAUSE = 0.01


def get(url, timeout=5, headers=None):
    """(status, body) of a GET on a connection of its own; raises OSError when nothing
    listens (urllib's URLError is one)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def first_served(get, path, expected, timeout, pause=0.0, refused=None):
    """Poll get(path) until a 200 response whose body holds expected has been read.

    Returns (time.monotonic() when it was read, or None after timeout seconds; the last
    response, or None). get returns (status, body) and raises OSError while nothing listens:
    then refused() is called, which may raise (e.g. Server.check_alive), and polling goes
    on after REFUSED_PAUSE; without refused, the OSError propagates. pause: between
    responses; the default, none, is a tight loop, as timing a save-to-live wants."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = get(path)
        except OSError:
            if refused is None:
                raise
            refused()
            time.sleep(REFUSED_PAUSE)
            continue
        status, body = last
        if status == 200 and expected in body:
            return time.monotonic(), last
        time.sleep(pause)
    return None, last


def served(server, path, expected, timeout=None, restarting=False, request_timeout=5, headers=None):
    """Seconds until server (a processes.Server) serves a 200 response holding expected at
    path; fails with the server's log after timeout seconds. request_timeout: of each GET
    (a request waits for the reload that runs: seconds, for a full ZCML reload of Plone).

    A reload never closes the port: a refused connection fails at once. restarting: the
    server may be (re)starting, so a refused connection is waited out as long as the server
    lives, and the timeout is a restart's."""
    if timeout is None:
        timeout = RESTART_TIMEOUT if restarting else LIVE_TIMEOUT
    started = time.monotonic()
    try:
        arrived, last = first_served(
            lambda path: server.get(path, timeout=request_timeout, headers=headers),
            path,
            expected,
            timeout,
            pause=REFUSED_PAUSE if restarting else 0.0,
            refused=server.check_alive if restarting else None,
        )
    except OSError as error:
        raise AssertionError(
            "%s: %s while waiting for %r; log:\n%s" % (path, error, expected, server.log()[-6000:])
        ) from error
    if arrived is None:
        status, body = last if last is not None else (None, "")
        raise AssertionError(
            "%s never served %r (last: %s %r); log:\n%s" % (path, expected, status, body[:300], server.log()[-6000:])
        )
    return arrived - started


class Client:
    """GET over one kept-alive connection, so that polling measures Zope, not connects."""

    def __init__(self, port, user=None):
        self.port = port
        self.headers = {}
        if user is not None:
            token = base64.b64encode(user.encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self._connection = None

    def get(self, path, timeout=10):
        """(status, body); raises OSError when nothing listens."""
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self._connection.request("GET", path, headers=self.headers)
                response = self._connection.getresponse()
                body = response.read().decode(errors="replace")
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, body

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None
