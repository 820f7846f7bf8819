"""Admin pages: dashboards (registered with Wagtail hooks when imported)."""
