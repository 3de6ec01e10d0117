"""`setbot demo`: a whole Set cycle played by the real bot against the Slack emulator.

A facilitator deciding whether to adopt setbot sees it run a real Set before creating a
Slack app; CI runs the same story as a smoke test of every surface at once.
"""

from bot.demo.script import DemoStepFailed, run_demo

__all__ = ["DemoStepFailed", "run_demo"]
