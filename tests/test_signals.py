"""Every domain signal that is sent has a subscriber once the app is built, or a reason here
why nobody listens yet; a new signal without either fails this test."""

from __future__ import annotations

import blinker

import hub.signals

#: Signals sent with no subscriber on purpose, and why.
NOT_SUBSCRIBED: dict[str, str] = {}


def _signals() -> dict[str, blinker.NamedSignal]:
    return {value.name: value for value in vars(hub.signals).values() if isinstance(value, blinker.NamedSignal)}


def test_every_signal_has_a_subscriber_or_a_reason(app):
    signals = _signals()
    assert {"message-posted", "milestone-recorded", "participant-added", "participant-removed",
            "password-reset-requested"} <= set(signals)
    for name, signal in signals.items():
        if name in NOT_SUBSCRIBED:
            assert not signal.receivers, f"{name} has a subscriber now: take it out of NOT_SUBSCRIBED"
        else:
            assert signal.receivers, f"{name} is sent but nobody subscribes to it"

