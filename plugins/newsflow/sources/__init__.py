"""Acquisition sources: feeds (RSS/Atom/OPML) and their polling policy."""
