"""Visit instructions in the words people read.

The tailoring engine names each instruction with a key (`loose_clothing`, `arrive_early`, ...); the
pages, the patient portal and the messages sent before a visit all say it with these words. Pure
(no Django), so any layer from planning up may use it: the notifications app must not import the
web interface to word a reminder.
"""

from __future__ import annotations

from collections.abc import Iterable

# Visit instructions (tailoring keys) as the front desk says them and the patient reads them.
INSTRUCTION_WORDS = {
    "loose_clothing": "Wear loose-fitting clothing or active-wear: the plan includes stretches.",
    "side_lying": "You will lie on your side for the massage, with pillows for support.",
    "lymphatic_proximal": "Around the injury the therapist uses only light strokes above it, to help the swelling go down.",
    "bring_referral": "Bring the doctor's referral, or a copy of it, to the first visit.",
    "arrive_early": "Arrive a little early for the first visit, to go over the health questions.",
    "spot_work_timing": "This is a short session booked next to your chiropractor or physical therapy visit.",
}


def instruction_words(keys: Iterable[str]) -> list[str]:
    """Each instruction key in words; an unknown key is shown as it is rather than dropped."""
    return [INSTRUCTION_WORDS.get(key, key) for key in keys]
