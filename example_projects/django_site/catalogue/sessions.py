"""Django's cache-backed sessions, degrading to "no session" while the cache is down.

Django's ``backends.cache.SessionStore.create`` tries 10,000 session keys and
then raises ``RuntimeError`` when every ``add`` fails, which is what a cache
that is down answers with fail-open (``IGNORE_EXCEPTIONS``): every page that
starts a session would be a 500. Here a few tries are enough to tell a key
collision from an outage; after them the page is served without a stored
session (a visitor's "recently viewed" list starts afresh) instead.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import CreateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

TRIES = 3


class SessionStore(CacheSessionStore):
    def create(self) -> None:
        for _ in range(TRIES):
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        # The cache refused every new key: it is down. No session this time.
        self._session_key = None
        self.modified = False
