"""Syndicate: CMS webhooks in; feeds, cards and reviewed social posts out."""

__version__ = "0.1.0"
