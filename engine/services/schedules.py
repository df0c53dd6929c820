"""Schedule triggers (spec part 1 §9.2): one execution per date, however often and by whatever a trigger is
woken.

A tick looks at one trigger: the dates from where it stands (`ScheduleState.next`) up to now, each through
its conditions (a date they skip is reported and passed over), and starts the first one the conditions let
through. Its execution is sent to the dispatcher as a StartExecution with an id derived from (flow,
trigger, date), so a tick delivered twice, a recovery racing a firing, or two overlapping deploys start one
execution, and a tick that dies between the send and its write only sends it again. Then the state moves
on, conditionally on the version read; a lost race reads again. One execution at a time: the next date
waits while it runs (the trigger is locked, as in Kestra), and its end sends a RELEASE tick, which starts
what came due meanwhile.

Missed dates (a disabled trigger, an outage, a flow update) are what `recoverMissedSchedules` decides:
ALL starts every one, one after the other; LAST only the latest; NONE none. A CLOCK tick woken for a date
later than where the trigger stands found missed dates; a RECOVER tick (the flow was saved, the trigger
enabled through the API) treats every past date as missed, as Kestra 1.3.4 does when a trigger is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from engine.creation.inputs import InvalidInputsError
from engine.creation.new_execution import new_execution
from engine.creation.schedule_view import ScheduleView
from engine.creation.trigger_states import extra, is_disabled, trigger_labels
from engine.executor.context import EngineContext
from engine.executor.events import StartExecution
from engine.expressions import ExpressionError
from engine.flow.model import Flow, Trigger
from engine.flow.schedule import (
    S3_POLLING_TYPES,
    Cron,
    Dates,
    Interval,
    OnDates,
    ScheduleError,
    dates_of,
    iso,
    recovery,
)
from engine.model.durations import parse_duration
from engine.model.ids import derived_id
from engine.ports import (
    Backfill,
    ConcurrentModificationError,
    ExecutionStore,
    MessageBus,
    ScheduleState,
    TriggerStateStore,
    TriggerWakes,
    Wake,
)
from engine.resources import NotFoundError
from engine.runtime.port_services import Scope
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.services.messages import Tick, TickMode
from engine.services.polling import poll, poll_s3
from engine.services.trigger_switch import TriggerSwitch

# Dates one tick goes through looking for one its conditions let pass; the next tick goes on from there.
MAX_LOOKS = 1000
MAX_CONFLICT_RETRIES = 8
_INSTANT = timedelta(microseconds=1)
_SOON = timedelta(minutes=1)
# A start still unseen by the store after this was lost (dead-lettered) or its execution deleted.
IN_FLIGHT = timedelta(minutes=15)


class ScheduleNotFoundError(NotFoundError):
    pass


class TickReport(Struct, frozen=True):
    started: str | None = None  # the execution started
    skipped: tuple[tuple[datetime, str], ...] = ()  # dates passed over, and why


class _Schedule(Struct, frozen=True):
    flow: Flow
    trigger: Trigger
    dates: Dates


class ScheduleService(Struct, frozen=True):
    catalog: FlowCatalog
    engine: EngineContext
    states: TriggerStateStore
    wakes: TriggerWakes
    bus: MessageBus
    store: ExecutionStore
    switch: TriggerSwitch

    def flow_saved(self, flow: Flow) -> None:
        """Wake the flow's enabled schedules at their dates, and look at each now: a new one starts from its
        next date, a changed or enabled one recovers what it missed."""
        now = self.engine.clock.now()
        schedules = [(t, d) for t in flow.triggers or () if (d := _dates(t)) is not None]
        awake = [Wake(t.id, _ahead(d, now)) for t, d in schedules if not (t.disabled or flow.disabled)]
        self.wakes.set(flow.namespace, flow.id, awake)
        self.recover(flow.namespace, flow.id, [wake.trigger_id for wake in awake])

    def flow_deleted(self, namespace: str, flow_id: str) -> None:
        self.wakes.set(namespace, flow_id, [])

    def recover(self, namespace: str, flow_id: str, trigger_ids: list[str]) -> None:
        self.switch.recover(namespace, flow_id, trigger_ids)

    def tick(self, tick: Tick) -> TickReport:
        schedule = self._schedule(tick.namespace, tick.flow_id, tick.trigger_id)
        if schedule is None or self._disabled(schedule):
            return TickReport()
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                report, state = self._tick(tick, schedule)
            except ConcurrentModificationError:
                continue
            self._wake_soon(tick, schedule, state)
            return report
        raise ConcurrentModificationError(f"schedule {tick.key}: too many concurrent ticks")

    def state(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState | None:
        return self.states.schedule(namespace, flow_id, trigger_id)

    def backfill(
        self,
        namespace: str,
        flow_id: str,
        trigger_id: str,
        *,
        start: datetime,
        end: datetime | None,
        inputs: dict[str, Any] | None = None,
        labels: tuple[tuple[str, str], ...] = (),
        paused: bool = False,
    ) -> ScheduleState:
        """Replay the past dates from `start` to `end` (now when None), one execution after the other."""
        schedule = self._require(namespace, flow_id, trigger_id)
        if isinstance(schedule.dates, Interval):
            raise ScheduleError(f"trigger '{trigger_id}' polls: only a schedule backfills")
        if end is not None and end < start:
            raise ScheduleError("a backfill must end after it starts")
        if start > self.engine.clock.now():
            raise ScheduleError("a backfill replays past dates: its start must be in the past")
        backfill = Backfill(self.engine.ids.new_id(), start, end, start, inputs or {}, labels, paused)

        def change(state: ScheduleState) -> ScheduleState:
            if state.backfill is not None:
                raise ScheduleError(f"trigger '{trigger_id}' is already backfilling")
            return replace(state, backfill=backfill)

        state = self._change(schedule, change)
        self._release(namespace, flow_id, trigger_id, f"backfill-{backfill.id}")
        return state

    def pause_backfill(self, namespace: str, flow_id: str, trigger_id: str, *, paused: bool) -> ScheduleState:
        schedule = self._require(namespace, flow_id, trigger_id)

        def change(state: ScheduleState) -> ScheduleState:
            if state.backfill is None:
                raise ScheduleError(f"trigger '{trigger_id}' has no backfill")
            return replace(state, backfill=replace(state.backfill, paused=paused))

        state = self._change(schedule, change)
        if not paused and state.backfill is not None:
            self._release(namespace, flow_id, trigger_id, f"unpause-{state.version}")
        return state

    def delete_backfill(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState:
        schedule = self._require(namespace, flow_id, trigger_id)
        return self._change(schedule, lambda state: replace(state, backfill=None))

    def unlock(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState:
        """Forget the execution the trigger waits for (it ended unseen, or never will)."""
        schedule = self._require(namespace, flow_id, trigger_id)
        state = self._change(schedule, lambda state: replace(state, execution_id=None))
        self._release(namespace, flow_id, trigger_id, f"unlock-{state.version}")
        return state

    def _tick(self, tick: Tick, schedule: _Schedule) -> tuple[TickReport, ScheduleState]:
        now = self.engine.clock.now()
        stored = self.states.schedule(tick.namespace, tick.flow_id, tick.trigger_id)
        state = stored or self._new(schedule, tick, now)
        if self._running(state, now):
            if stored is None:
                self._save(schedule, state)
            return TickReport(), state
        if state.backfill is not None and not state.backfill.paused:
            report, state = self._backfilling(schedule, state, now)
            if report is not None:
                self._save(schedule, state)
                return report, state
        state = self._recovered(schedule, state, tick, now)
        skipped: list[tuple[datetime, str]] = []
        view = self._view(schedule)
        date = state.next
        for _ in range(MAX_LOOKS):
            if date is None or date > now:
                break
            variables, reason = self._evaluate(schedule, view, date, late=now)
            if variables is not None:
                started = self._start(schedule, variables, _purpose(schedule, date))
                if started is not None:
                    following = schedule.dates.next(date)
                    state = replace(state, next=following, date=date, execution_id=started, started=now)
                    self._save(schedule, state)
                    return TickReport(started, tuple(skipped)), state
            skipped.append((date, reason or "the execution was refused"))
            date = schedule.dates.next(date)
        state = replace(state, next=date)
        if stored is None or state != stored:
            self._save(schedule, state)
        return TickReport(None, tuple(skipped)), state

    def _backfilling(
        self, schedule: _Schedule, state: ScheduleState, now: datetime
    ) -> tuple[TickReport | None, ScheduleState]:
        """Start the backfill's next date; (None, state without it) once it is done."""
        backfill = state.backfill
        assert backfill is not None
        end = min(backfill.end or now, now)
        view = self._view(schedule)
        skipped: list[tuple[datetime, str]] = []
        date = schedule.dates.next(backfill.current - _INSTANT)
        for _ in range(MAX_LOOKS):
            if date is None or date > end:
                return None, replace(state, backfill=None)
            variables, reason = self._evaluate(schedule, view, date)
            if variables is not None:
                purpose = f"backfill/{backfill.id}/{iso(date)}"
                started = self._start(schedule, variables, purpose, backfill)
                if started is not None:
                    following = schedule.dates.next(date)
                    moved = replace(backfill, current=following or end + _INSTANT)
                    return TickReport(started, tuple(skipped)), replace(
                        state, backfill=moved, execution_id=started, started=now
                    )
            skipped.append((date, reason or "the execution was refused"))
            date = schedule.dates.next(date)
        moved = replace(backfill, current=date or end + _INSTANT)
        return TickReport(None, tuple(skipped)), replace(state, backfill=moved)

    def _wake_soon(self, tick: Tick, schedule: _Schedule, state: ScheduleState) -> None:
        """A cron with seconds, or a polling interval under a minute, is woken every minute at most
        (EventBridge cannot say seconds): the tick wakes its next date itself when it comes within the
        minute."""
        dates, upcoming = schedule.dates, state.next
        sub_minute = (isinstance(dates, Cron) and dates.with_seconds) or (
            isinstance(dates, Interval) and dates.every < _SOON
        )
        if not sub_minute or upcoming is None:
            return
        if upcoming - self.engine.clock.now() <= _SOON:
            wake = Tick(tick.namespace, tick.flow_id, tick.trigger_id, TickMode.CLOCK, upcoming)
            self.bus.send([messages.schedule_tick(wake, f"at-{iso(upcoming)}", at=upcoming)])

    def _new(self, schedule: _Schedule, tick: Tick, now: datetime) -> ScheduleState:
        """Where a trigger seen for the first time starts: the date it was woken for, else the next one;
        the deprecated `backfill` property replays the dates from its `start` first."""
        dates = schedule.dates
        if tick.mode == TickMode.CLOCK and tick.scheduled is not None:
            state = ScheduleState(next=dates.next(tick.scheduled - _INSTANT))
        else:
            state = ScheduleState(next=dates.next(now))
        legacy = extra(schedule.trigger).get("backfill")
        if not isinstance(legacy, Mapping) or legacy.get("start") is None:
            return state
        start = _instant(legacy["start"], dates)
        end = _instant(legacy["end"], dates) if legacy.get("end") is not None else None
        if start >= now:
            return state
        backfill = Backfill(
            derived_id(
                f"{schedule.flow.namespace}.{schedule.flow.id}", f"legacy-backfill/{schedule.trigger.id}"
            ),
            start,
            end,
            start,
            dict(legacy.get("inputs") or {}),
            tuple((str(k), str(v)) for k, v in dict(legacy.get("labels") or {}).items()),
        )
        return replace(state, backfill=backfill)

    def _recovered(
        self, schedule: _Schedule, state: ScheduleState, tick: Tick, now: datetime
    ) -> ScheduleState:
        """The dates before `bound` nobody started are missed; `recoverMissedSchedules` says which go. A
        polling trigger evaluates its latest date alone."""
        if isinstance(schedule.dates, Interval):
            latest = schedule.dates.previous(now + _INSTANT)
            return replace(state, next=max(state.next, latest)) if state.next is not None else state
        if tick.mode == TickMode.RECOVER:
            bound = now + _INSTANT
        elif tick.mode == TickMode.CLOCK and tick.scheduled is not None:
            bound = min(tick.scheduled, now + _INSTANT)
        else:
            return state
        if state.next is None or state.next >= bound:
            return state
        match recovery(schedule.trigger.type, extra(schedule.trigger)):
            case "LAST":
                return replace(state, next=schedule.dates.previous(bound))
            case "NONE":
                return replace(state, next=schedule.dates.next(bound - _INSTANT))
        return state

    def _running(self, state: ScheduleState, now: datetime) -> bool:
        """The last execution started has not ended: still on its way to the dispatcher (sent less than
        IN_FLIGHT ago), or not terminated."""
        if state.execution_id is None:
            return False
        head = self.store.head(state.execution_id)
        if head is None:
            return state.started is not None and now - state.started < IN_FLIGHT
        return not head.state.terminated

    def _evaluate(
        self, schedule: _Schedule, view: ScheduleView, date: datetime, *, late: datetime | None = None
    ) -> tuple[dict[str, Any], None] | tuple[None, str]:
        """`trigger.*` of the execution for `date`, or why there is none: started at `late` it would be
        later than `lateMaximumDelay` allows (a backfill never is), a condition skips the date, a polling
        trigger's response does not satisfy it."""
        delay = extra(schedule.trigger).get("lateMaximumDelay")
        if late is not None and delay is not None and late > date + parse_duration(str(delay)):
            return None, f"later than its lateMaximumDelay {delay}"
        if isinstance(schedule.dates, Interval):
            if schedule.trigger.type in S3_POLLING_TYPES:
                execution_id = _execution_id(schedule.flow, _purpose(schedule, date))
                return poll_s3(schedule.flow, schedule.trigger, self.engine, execution_id)
            return poll(schedule.flow, schedule.trigger, self.engine)
        skipped = view.skipped_by(date)
        if skipped:
            return None, f"skipped by {', '.join(skipped)}"
        return view.trigger_variables(date), None

    def _start(
        self,
        schedule: _Schedule,
        variables: dict[str, Any],
        purpose: str,
        backfill: Backfill | None = None,
    ) -> str | None:
        """The execution `purpose` names, sent to the dispatcher to be created (once, whoever sends it: a
        tick that dies before it writes its state sends it again, and the dispatcher finds it there); None
        when its inputs or checks refuse it."""
        flow, trigger = schedule.flow, schedule.trigger
        engine = self.engine
        services = engine.port_services(Scope.of(flow.namespace, flow.id, "", variables))
        context = {**engine.config.variables(), "trigger": variables}
        execution_id = _execution_id(flow, purpose)
        revision = self.catalog.record(flow.namespace, flow.id).revision
        try:
            inputs = engine.renderer.render_value(extra(trigger).get("inputs") or {}, context, services)
            if backfill is not None:
                inputs = {**inputs, **engine.renderer.render_value(dict(backfill.inputs), context, services)}
            typed = engine.typed_inputs(flow, inputs)
        except (InvalidInputsError, ExpressionError):
            return None
        if engine.check(flow, revision, execution_id, typed).behavior != "CREATE_EXECUTION":
            return None
        labels = [
            ("system.from", "trigger"),
            *trigger_labels(trigger, variables, engine.renderer, services),
            *(backfill.labels if backfill is not None else ()),
        ]
        execution = new_execution(
            flow,
            revision,
            execution_id,
            engine.clock.now(),
            inputs=typed,
            labels=labels,
            trigger={"id": trigger.id, "type": trigger.type, "variables": variables},
        )
        self.bus.send([messages.start_execution(StartExecution(execution))])
        return execution_id

    def _view(self, schedule: _Schedule) -> ScheduleView:
        flow = schedule.flow
        engine = self.engine
        return ScheduleView(
            schedule.dates,
            list(extra(schedule.trigger).get("conditions") or ()),
            engine.renderer,
            engine.config.variables(),
            engine.port_services(Scope.of(flow.namespace, flow.id, "", None)),
        )

    def _schedule(self, namespace: str, flow_id: str, trigger_id: str) -> _Schedule | None:
        try:
            flow = self.catalog.graph(namespace, flow_id).flow
        except NotFoundError:
            return None
        for trigger in flow.triggers or ():
            dates = _dates(trigger)
            if trigger.id == trigger_id and dates is not None:
                return _Schedule(flow, trigger, dates)
        return None

    def _require(self, namespace: str, flow_id: str, trigger_id: str) -> _Schedule:
        schedule = self._schedule(namespace, flow_id, trigger_id)
        if schedule is None:
            raise ScheduleNotFoundError(f"Flow {flow_id} has no schedule trigger {trigger_id}")
        return schedule

    def _disabled(self, schedule: _Schedule) -> bool:
        flow = schedule.flow
        return flow.disabled or is_disabled(flow, schedule.trigger, self.states.disabled())

    def _change(self, schedule: _Schedule, change: Any) -> ScheduleState:
        flow, trigger = schedule.flow, schedule.trigger
        for _ in range(MAX_CONFLICT_RETRIES):
            state = self.states.schedule(flow.namespace, flow.id, trigger.id)
            state = state or ScheduleState(next=schedule.dates.next(self.engine.clock.now()))
            changed: ScheduleState = change(state)
            try:
                return replace(changed, version=self._save(schedule, changed))
            except ConcurrentModificationError:
                continue
        raise ConcurrentModificationError(
            f"schedule {flow.namespace}.{flow.id}.{trigger.id}: too many writers"
        )

    def _save(self, schedule: _Schedule, state: ScheduleState) -> int:
        flow = schedule.flow
        return self.states.save_schedule(flow.namespace, flow.id, schedule.trigger.id, state)

    def _release(self, namespace: str, flow_id: str, trigger_id: str, reason: str) -> None:
        tick = Tick(namespace, flow_id, trigger_id, TickMode.RELEASE)
        self.bus.send([messages.schedule_tick(tick, reason)])


def _dates(trigger: Trigger) -> Dates | None:
    # The flow was validated when saved: its schedules parse.
    return dates_of(trigger.type, extra(trigger))


def _ahead(dates: Dates, now: datetime) -> Dates:
    """What is left to wake: a list of dates loses the past ones."""
    return OnDates(tuple(d for d in dates.dates if d > now)) if isinstance(dates, OnDates) else dates


def _instant(value: Any, dates: Dates) -> datetime:
    """A date of the trigger's own properties: a date-time without an offset is in the trigger's zone."""
    date = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    zone = dates.zone if isinstance(dates, Cron) else UTC
    return date if date.tzinfo is not None else date.replace(tzinfo=zone)


def _purpose(schedule: _Schedule, date: datetime) -> str:
    return f"schedule/{schedule.trigger.id}/{iso(date)}"


def _execution_id(flow: Flow, purpose: str) -> str:
    """The execution a date of a trigger starts: the same for whoever evaluates it."""
    return derived_id(f"{flow.namespace}.{flow.id}", purpose)
