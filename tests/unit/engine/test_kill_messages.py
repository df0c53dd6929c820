"""A kill's continuation through its message: the cursor (task run, batch iteration) survives the queue."""

from __future__ import annotations

import json

import pytest

from engine.executor.events import Kill, Notify
from engine.services import messages


@pytest.mark.parametrize("event", [Kill(), Kill(cascade=False), Kill(after=(3, 0)), Kill(after=(3, 17))])
def test_a_kill_decodes_as_it_was_sent(event: Kill) -> None:
    sent = messages.kill("e1", cascade=event.cascade, after=event.after)
    body = json.loads(json.dumps(sent.body))  # as the queue carries it
    assert messages.decode_event(body) == ("e1", event)


def test_each_continuation_is_its_own_message() -> None:
    keys = {
        messages.notify(Notify("e1", Kill(after=cursor), "k")).dedup_id for cursor in [(3, 0), (3, 1), (4, 0)]
    }
    assert len(keys) == 3


def test_a_continuation_sent_before_batches_had_cursors_still_reads() -> None:
    body = {"kind": "Kill", "executionId": "e1", "after": 5}
    assert messages.decode_event(body) == ("e1", Kill(after=(5, 0)))
