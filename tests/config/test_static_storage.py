"""Production's static storage works each file's URL out once per process, the same URL the
manifest storage gives; a file missing from the manifest is still refused every time."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.storage import StaticStorage


@pytest.fixture
def manifest_dir(tmp_path, settings):
    settings.DEBUG = False
    (tmp_path / "staticfiles.json").write_text(json.dumps(
        {"paths": {"css/site.css": "css/site.0123456789ab.css"}, "version": "1.1"}))
    return tmp_path


def test_same_url_as_the_manifest_storage_worked_out_once(manifest_dir, monkeypatch):
    storage = StaticStorage(location=manifest_dir, base_url="/static/")
    plain = CompressedManifestStaticFilesStorage(location=manifest_dir, base_url="/static/")
    assert storage.url("css/site.css") == plain.url("css/site.css") == \
        "/static/css/site.0123456789ab.css"
    calls = []
    original = CompressedManifestStaticFilesStorage.url
    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url",
                        lambda self, name, force=False: calls.append(name) or original(
                            self, name, force))
    for _ in range(3):
        assert storage.url("css/site.css") == "/static/css/site.0123456789ab.css"
    assert calls == []


def test_a_file_missing_from_the_manifest_is_refused_every_time(manifest_dir):
    storage = StaticStorage(location=manifest_dir, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


def test_debug_works_the_url_out_each_time(manifest_dir, settings):
    settings.DEBUG = True
    storage = StaticStorage(location=manifest_dir, base_url="/static/")
    assert storage.url("css/site.css") == "/static/css/site.css"  # DEBUG: the file as it is
    assert storage._urls == {}
