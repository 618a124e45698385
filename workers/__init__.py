"""Celery: the app, thin tasks, and the helpers the web layer uses to enqueue after commit."""
