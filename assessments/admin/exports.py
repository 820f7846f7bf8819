"""Admin pages: exports (registered with Wagtail hooks when imported)."""
