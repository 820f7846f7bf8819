"""Check the project's gettext catalogues.

Usage: `python -m tests.check_catalogue PROJECT.po [--overrides OVERRIDES.po]`.

- No catalogue may have empty or fuzzy entries.
- The project catalogue may not shadow Django's or an installed app's (Wagtail's) translation of
  the same msgid and context with a different msgstr: our LOCALE_PATHS win over every app's
  catalogue, so a context-free "Pages" -> "分页" would relabel Wagtail's sidebar. Project strings
  that coincide with theirs take a context (pgettext) or, when the meaning is the same, no entry.
- The overrides catalogue holds only translations Wagtail/Django lack: each entry must be one of
  their msgids (from the installed package's source-language catalogue) that their zh_Hans
  catalogue leaves untranslated. Once Wagtail translates one, the check asks for its removal.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import polib

Key = tuple[str | None, str]  # (msgctxt, msgid)


def problems(path: str) -> list[str]:
    """Empty and fuzzy entries of one catalogue."""
    catalogue = polib.pofile(path)
    found = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.values()):
                found.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            found.append(f"untranslated: {entry.msgid!r}")
    return found


def _text(entry: polib.POEntry) -> str:
    """The translation of an entry (the first plural form for plural entries)."""
    if entry.msgid_plural:
        return entry.msgstr_plural.get(0, "") if entry.msgstr_plural else ""
    return entry.msgstr


@dataclass(frozen=True)
class Upstream:
    """What Django and the installed apps ship, as Django merges it (first app wins)."""

    translated: dict[Key, tuple[str, str]]  # key -> (msgstr, catalogue path)
    known: dict[Key, str]  # every msgid of their source-language catalogues -> catalogue path


def _locale_dirs() -> list[Path]:
    """Django's own locale dir, then each installed app's, highest priority first."""
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        django.setup()
    dirs = [Path(app.path) / "locale" for app in apps.get_app_configs()]
    dirs.append(Path(django.__file__).parent / "conf" / "locale")
    return [d for d in dirs if d.is_dir()]


def upstream_catalogues(*, language: str = "zh_Hans") -> Upstream:
    """Load the `django` domain catalogues Django consults before falling back to ours."""
    translated: dict[Key, tuple[str, str]] = {}
    known: dict[Key, str] = {}
    for locale_dir in _locale_dirs():
        for lang, store in ((language, translated), ("en", None)):
            path = locale_dir / lang / "LC_MESSAGES" / "django.po"
            if not path.exists():
                continue
            for entry in polib.pofile(str(path)):
                if entry.obsolete or "fuzzy" in entry.flags:
                    continue
                key = (entry.msgctxt, entry.msgid)
                if store is None:
                    known.setdefault(key, str(path))
                elif _text(entry):
                    # Django merges app catalogues so that the first installed app wins.
                    store.setdefault(key, (_text(entry), str(path)))
    # A key translated upstream is a key of theirs even if no `en` catalogue lists it.
    for key, (_msgstr, path) in translated.items():
        known.setdefault(key, path)
    return Upstream(translated=translated, known=known)


def shadowed_entries(path: str, upstream: Upstream) -> list[str]:
    """Project entries that replace an upstream translation of the same msgid with another."""
    found = []
    for entry in polib.pofile(path):
        if entry.obsolete:
            continue
        theirs = upstream.translated.get((entry.msgctxt, entry.msgid))
        if theirs and theirs[0] != _text(entry):
            where = theirs[1].split("site-packages/")[-1]
            found.append(f"shadows {where}: {entry.msgid!r} -> ours {_text(entry)!r}, "
                         f"theirs {theirs[0]!r} (add a context or delete ours)")
    return found


def override_problems(path: str, upstream: Upstream, *, project: str | None = None) -> list[str]:
    """Override entries that are not (or no longer) translations Wagtail/Django lack."""
    found = []
    ours = set()
    if project:
        ours = {(e.msgctxt, e.msgid) for e in polib.pofile(project) if not e.obsolete}
    for entry in polib.pofile(path):
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if key in upstream.translated:
            found.append(f"upstream now translates {entry.msgid!r} as "
                         f"{upstream.translated[key][0]!r}: delete the override")
        elif key not in upstream.known:
            found.append(f"not a Django/Wagtail msgid: {entry.msgid!r} "
                         "(project strings belong in the project catalogue)")
        if key in ours:
            found.append(f"in both the project and the overrides catalogue: {entry.msgid!r}")
    return found


def main(argv: list[str]) -> int:
    args = list(argv)
    overrides = None
    if "--overrides" in args:
        at = args.index("--overrides")
        overrides = args[at + 1]
        del args[at:at + 2]
    if len(args) != 1:
        print(__doc__.splitlines()[2])
        return 2
    project = args[0]
    upstream = upstream_catalogues()
    checks = [(project, problems(project) + shadowed_entries(project, upstream))]
    if overrides:
        checks.append((overrides, problems(overrides)
                       + override_problems(overrides, upstream, project=project)))
    failed = False
    for path, found in checks:
        for line in found:
            print(line)
        print(f"{path}: {len(found)} problem(s)")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
