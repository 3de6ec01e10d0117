"""Thin Slack adapters, one module per surface; each exposes `register(app, deps)`."""

from bot.handlers import actions, channels, commands, home, messages, views

SURFACES = (commands, actions, views, messages, channels, home)
