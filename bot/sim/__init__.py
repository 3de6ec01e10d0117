"""Slack on loopback: an emulated Web API (`SlackEmulator`) and Slack's side of the
conversation (`SlackDriver`), so tests and rehearsals run the real bot without Slack."""

from bot.sim.driver import Response, SlackDriver
from bot.sim.server import Call, SlackEmulator
from bot.sim.workspace import Message

__all__ = ["Call", "Message", "Response", "SlackDriver", "SlackEmulator"]
