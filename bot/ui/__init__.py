"""Block Kit rendering: the one place that turns what a flow says into Slack layouts."""
