"""Admin pages: scoring (registered with Wagtail hooks when imported)."""
