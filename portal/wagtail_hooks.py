"""Admin adjustments for offline intranets."""

from wagtail import hooks
from wagtail.admin.userbar import ContentCheckerItem

# Help-menu items that open pages on the public internet (unreachable on an intranet).
EXTERNAL_HELP_ITEMS = {"editor-guide"}


@hooks.register("construct_help_menu")
def remove_external_help_links(request, menu_items):
    menu_items[:] = [
        item for item in menu_items
        if item.name not in EXTERNAL_HELP_ITEMS and not item.name.startswith("whats-new")
    ]


@hooks.register("construct_wagtail_userbar")
def remove_content_checker_from_live_pages(request, items, page):
    """Staff see the userbar on public pages without the axe checker (it logged to the console)."""
    # Accessibility is checked by the e2e suite; the checker stays in the admin preview panel.
    if getattr(request, "in_preview_panel", False):
        return
    items[:] = [item for item in items if not isinstance(item, ContentCheckerItem)]
