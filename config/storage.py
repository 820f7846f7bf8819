"""Static files storage: WhiteNoise's compressed manifest storage, each URL worked out once.

The manifest is read when the process starts and does not change while it runs, so a static
file's URL is the same on every page; working it out again (manifest lookup, URL joining and
quoting) was a tenth of the exam page's template time, five files a page (issue 12)."""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force or settings.DEBUG:  # DEBUG serves files as they change
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            # A file missing from the manifest raises here, every time, as before.
            found = self._urls[name] = super().url(name)
        return found
