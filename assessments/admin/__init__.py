"""The bureau's and the departments' admin pages for participation and assessment."""
