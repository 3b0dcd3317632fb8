"""Commands: inspect (being written)."""

commands = []
