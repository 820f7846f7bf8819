"""Fail when a gettext catalogue has empty or fuzzy entries.

Usage: `python -m tests.check_catalogue PATH.po`.
"""

import sys

import polib


def problems(path: str) -> list[str]:
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


if __name__ == "__main__":
    found = problems(sys.argv[1])
    for line in found:
        print(line)
    print(f"{sys.argv[1]}: {len(found)} empty or fuzzy entries")
    sys.exit(1 if found else 0)
