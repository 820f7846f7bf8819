"""In-app notifications: what the header's unread count and the notification list show."""
