"""The messages the JavaScript shows (hub/static/*.js call `hubT(text, {name: value})`), marked
for the catalogue; `/i18n/<locale>.js` serves them translated. `{name}` marks a value."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for the message catalogue (hub.i18n serves it translated)."""
    return message


JS_MESSAGES: tuple[str, ...] = (
    # thread.js
    N_("Former user"), N_("Message deleted"), N_("Edit"), N_("Delete"), N_("Edit your message of {time}"),
    N_("Delete your message of {time}"), N_("Seen by {names}"), N_("New messages"), N_("{name} is typing…"),
    N_("{names} are typing…"), N_("Catching up…"), N_("Offline — messages will be sent when the connection returns"),
    N_("Signed out — reload the page to sign in"), N_("Reconnecting…"), N_("Live"), N_("1 other online"),
    N_("{count} others online"), N_("Not sent: {reason}"), N_("Write something first."),
    N_("At most {count} characters."), N_("Sending…"), N_("Waiting for connection…"),
    N_("The hub answered {status}; try again."), N_("Could not reach the hub; check your connection and try again."),
    N_("Edit your message"), N_("Enter saves, Escape cancels, Shift+Enter adds a line."),
    N_("Delete this message? Everyone in the thread will see “Message deleted” instead."),
    N_("Could not load earlier messages; try again."), N_("via email"), N_("(edited)"), N_("Remove"), N_("Save"),
    N_("Cancel"),
    # milestones.js
    N_("recorded by {name}"), N_("a former user"), N_("The milestone was not recorded."),
    # local-time.js
    N_("{time} in {city}"), N_("{text}, working hours"), N_("{text}, outside working hours"),
    # documents.js
    N_("The file is too large."), N_("The upload failed (HTTP {status})."), N_("{file}: larger than the upload limit."),
    N_("{file}: uploaded"), N_("{file}: the connection failed."),
    N_("{ok} of {count} file(s) uploaded; {failed} failed (see below)."), N_("{ok} of {count} file(s) uploaded."),
    N_("Choose at least one file."), N_("Uploading {count} file(s)…"), N_("“Documents complete” recorded."),
    N_("Could not reach the hub; try again."),
    # message-facts.js
    N_("someone"), N_("Turned into a risk flag by {name}"), N_("Recorded as a milestone by {name}"), N_("Milestone"),
    N_("When it happened (your time)"), N_("Record"), N_("Refused."), N_("Make it a risk flag"),
    N_("Record as a milestone"),
    # risks.js
    N_("Could not resolve the flag; try again."),
    # profile.js
    N_("Your browser's time zone is {zone}."),
)
