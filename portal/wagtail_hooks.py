"""Admin adjustments for offline intranets."""

from wagtail import hooks

# Help-menu items that open pages on the public internet (unreachable on an intranet).
EXTERNAL_HELP_ITEMS = {"editor-guide"}


@hooks.register("construct_help_menu")
def remove_external_help_links(request, menu_items):
    menu_items[:] = [
        item for item in menu_items
        if item.name not in EXTERNAL_HELP_ITEMS and not item.name.startswith("whats-new")
    ]
