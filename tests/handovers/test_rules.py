"""Each hand-over rule on its own (pure functions: no database)."""

from __future__ import annotations

from hub.handovers import rules
from hub.handovers.rules import Change, Holder, Person

STAFF = Person(1, 10, True)
LI = Person(2, 20, False)
ZHANG = Person(3, 20, False)  # Li Wei's colleague
JONAS = Person(4, 30, False)


def with_partner(partner: Person) -> Holder:
    return Holder("partner", partner.user_id, partner.organization_id)


def test_a_staff_message_that_mentions_a_partner_passes_the_ball_to_them():
    assert rules.after_message(None, STAFF, [LI]) == Change(with_partner(LI), "mention")
    assert rules.after_message(Holder("us"), STAFF, [JONAS, LI]) == Change(with_partner(JONAS), "mention")
    # Already theirs: nothing changes hands.
    assert rules.after_message(with_partner(LI), STAFF, [LI]) is None


def test_the_first_staff_message_after_a_partners_message_is_their_turn():
    owed = Holder("us", answered_by=LI)
    assert rules.after_message(owed, STAFF, []) == Change(with_partner(LI), "follow_up")
    # A second staff message while they hold it: still theirs.
    assert rules.after_message(with_partner(LI), STAFF, []) is None
    # Staff chatting while nobody is owed an answer: nobody is asked.
    assert rules.after_message(Holder("us"), STAFF, []) is None
    assert rules.after_message(None, STAFF, []) is None


def test_a_partner_message_brings_the_ball_back_to_us():
    assert rules.after_message(with_partner(LI), LI, []) == Change(Holder("us", answered_by=LI), "message")
    # A colleague of the same organisation answers for them.
    assert rules.after_message(with_partner(LI), ZHANG, []) == Change(Holder("us", answered_by=ZHANG), "message")
    # The first word on a shipment is a partner's: we owe the answer.
    assert rules.after_message(None, LI, []) == Change(Holder("us", answered_by=LI), "message")


def test_another_partners_message_does_not_answer_for_the_holder():
    assert rules.after_message(with_partner(LI), JONAS, []) is None


def test_a_partner_writing_while_the_ball_is_with_us_changes_whom_we_owe_not_the_holder():
    change = rules.after_message(Holder("us", answered_by=LI), JONAS, [])
    assert change == Change(Holder("us", answered_by=JONAS), "message", handed=False)
    assert rules.after_message(Holder("us", answered_by=LI), LI, []) is None


def test_a_staff_document_request_passes_the_ball_to_the_partner_it_is_meant_for():
    assert rules.after_document_request(Holder("us"), STAFF, LI) == Change(with_partner(LI), "document_request")
    assert rules.after_document_request(Holder("us"), STAFF, None) is None
    # A partner asking us for a document is their move done.
    assert rules.after_document_request(with_partner(JONAS), JONAS, None) == Change(
        Holder("us", answered_by=JONAS), "request")


def test_a_rejected_document_goes_back_to_its_partner_uploader():
    assert rules.after_review(Holder("us"), STAFF, LI, rejected=True) == Change(with_partner(LI), "document_rejected")
    assert rules.after_review(Holder("us"), STAFF, LI, rejected=False) is None
    assert rules.after_review(Holder("us"), STAFF, STAFF, rejected=True) is None
    # A broker's review is their answer.
    assert rules.after_review(with_partner(JONAS), JONAS, STAFF, rejected=False) == Change(
        Holder("us", answered_by=JONAS), "message")


def test_an_upload_or_a_milestone_by_the_partner_answers():
    assert rules.after_upload(with_partner(LI), LI) == Change(Holder("us", answered_by=LI), "upload")
    assert rules.after_upload(with_partner(LI), STAFF) is None
    assert rules.after_milestone(with_partner(LI), LI) == Change(Holder("us", answered_by=LI), "milestone")
    assert rules.after_milestone(with_partner(LI), STAFF) is None
