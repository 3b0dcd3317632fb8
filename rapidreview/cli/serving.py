"""Commands: serving (being written)."""

commands = []
