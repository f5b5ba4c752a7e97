"""Trailing blocks that are not the article: recirculation, newsletters, credits (placeholder)."""

from __future__ import annotations


def trim_tail(paragraphs: list[str], repairs: list[str]) -> list[str]:
    return paragraphs
