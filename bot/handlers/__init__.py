"""Thin Slack adapters, one module per surface; each exposes `register(app, deps)`."""

from bot.handlers import channels, commands, home, messages

SURFACES = (commands, messages, channels, home)
