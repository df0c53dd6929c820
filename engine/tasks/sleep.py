"""io.kestra.plugin.core.flow.Sleep: waits on a timer, never in a running Lambda (decision 0004)."""

from __future__ import annotations

from datetime import timedelta

from engine.task_api import Duration, RunContext, WaitingTask, duration_property, task_type


@task_type("io.kestra.plugin.core.flow.Sleep")
class Sleep(WaitingTask):
    duration: Duration

    def wait_duration(self, ctx: RunContext) -> timedelta:
        return duration_property(ctx.render(self.duration, "duration"), "duration")
