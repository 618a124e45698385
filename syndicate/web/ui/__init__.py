"""The review app: server-rendered pages for the social team, each form CSRF-protected."""
