"""Formula-safe spreadsheet cells, shared by every CSV and XLSX export and the goal-table template.

Plain Python with no Django imports, so the pure rules modules (casebook.rules) can use it too.
"""

# A cell starting with one of these is run as a formula by Excel, WPS and LibreOffice (CSV
# injection); tab and carriage return start a formula after a field separator in some readers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    """Text a spreadsheet would run as a formula, prefixed with ' (shown and stored as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_unsafe(value):
    """The original text of a cell that `cell_safe` neutralised (for files read back in)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value
