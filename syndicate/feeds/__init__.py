"""Feeds: which articles belong where, how each format is written, and how they are stored."""
