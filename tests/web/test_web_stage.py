"""Stage life from a browser: ask and withdraw, invitations, stepping down, recording
consent, and reactions seen by another browser."""

from __future__ import annotations

from playwright.sync_api import expect

from server.app import HUB
from server.room import (
    AcceptInvite,
    AskMode,
    AskToUnmute,
    Consent,
    DeclineInvite,
    DeclineRequest,
    InviteKind,
    InviteToCohost,
    InviteToSpeak,
    Reacted,
    Role,
    SetAskMode,
    SetConsent,
    StartRecording,
    StruckFromRecord,
)
from tests.web.roomkit import join_from_browser, open_room, wait_until


def test_ask_withdraw_accept_an_invitation_step_down_and_decline(relay, browsers) -> None:
    room = open_room(relay, title="Stage test")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Ada Audience")

    page.get_by_role("button", name="Request to speak").click()
    expect(page.locator("#view").get_by_text("You are first in line")).to_be_visible()
    wait_until(lambda: room.live().request_of(me) is not None, what="the request")
    page.get_by_role("button", name="Withdraw my request").click()
    expect(page.get_by_role("button", name="Request to speak")).to_be_visible()
    wait_until(lambda: room.live().request_of(me) is None, what="the withdrawal")

    room.host.send(InviteToSpeak(me))
    invitation = page.locator("#view").get_by_text("Hana Host invites you to speak on stage.")
    expect(invitation).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    wait_until(lambda: room.live().role_of(me) is Role.SPEAKER, what="on stage")
    mine = page.locator(f'.stage-list li[data-user-id="{me}"]')
    expect(mine).to_contain_text("Ada Audience (you)")
    expect(mine).to_contain_text("Mic off")
    expect(page.get_by_role("button", name="Turn microphone on")).to_be_visible()

    # A host may only ask; the browser's own click opens the microphone.
    room.host.send(AskToUnmute(me))
    asked = page.locator("#view").get_by_text("Hana Host asks you to turn your microphone on.")
    expect(asked).to_be_visible()
    page.get_by_role("button", name="Turn my microphone on").click()
    wait_until(lambda: not room.live().participants[me].muted, what="unmuted on request")
    expect(asked).to_be_hidden()
    expect(mine).to_contain_text("Mic on")

    page.get_by_role("button", name="Leave the stage").click()
    wait_until(lambda: room.live().role_of(me) is Role.LISTENER, what="back in the audience")
    expect(page.locator(f'.audience-list li[data-user-id="{me}"]')).to_be_visible()

    room.host.send(InviteToCohost(me))
    expect(page.locator("#view").get_by_text("invites you to be a co-host")).to_be_visible()
    page.get_by_role("button", name="Decline").click()
    wait_until(lambda: room.live().invite_for(me, InviteKind.COHOST) is None, what="declined")
    assert room.live().role_of(me) is Role.LISTENER

    # A declined request cools down: the button says why instead of failing at the relay.
    page.get_by_role("button", name="Request to speak").click()
    wait_until(lambda: room.live().request_of(me) is not None, what="asked again")
    room.host.send(DeclineRequest(me))
    expect(
        page.locator("#view").get_by_text("The hosts declined your request for now")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Request to speak")).to_have_attribute(
        "aria-disabled", "true"
    )


def test_the_consent_prompt_appears_when_recording_starts_and_no_is_honoured(
    relay, browsers
) -> None:
    room = open_room(relay, title="Recorded talk")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Cleo Consent")
    listener_page = browsers.new_page(room.url)
    join_from_browser(listener_page, "Lou Listener")
    room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").click()
    wait_until(lambda: room.live().role_of(me) is Role.SPEAKER, what="on stage")

    room.host.send(StartRecording())
    dialog = page.get_by_role("dialog", name="This room is being recorded")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("your voice is left out of the recording")
    # Focus starts on the answer that records nothing; answering is one key press.
    no = dialog.get_by_role("button", name="No, leave my voice out")
    expect(no).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    wait_until(
        lambda: room.live().recording.consents.get(me) is Consent.DECLINED,
        what="the relay has the no",
    )
    expect(
        page.locator("#view").get_by_text("Your voice is left out (you said no)")
    ).to_be_visible()
    # Everyone sees that the room is recorded, listeners too (and they are not asked).
    expect(
        listener_page.locator("#view").get_by_text("This room is being recorded.")
    ).to_be_visible()
    expect(listener_page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("button", name="Change my answer").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, record my voice").click()
    wait_until(
        lambda: room.live().recording.consents.get(me) is Consent.GRANTED, what="changed to yes"
    )
    ledger = [(e.user_id, e.consent) for e in room.live().recording.ledger if e.user_id == me]
    assert ledger == [(me, Consent.PENDING), (me, Consent.DECLINED), (me, Consent.GRANTED)]


def test_reactions_from_one_browser_float_in_another_and_are_rate_limited(relay, browsers) -> None:
    room = open_room(relay, title="Reactions")
    seen: list[str] = []
    room.host.client.on_event.append(
        lambda seq, event, _room: seen.append(event.emoji) if isinstance(event, Reacted) else None
    )
    sender = browsers.new_page(room.url)
    join_from_browser(sender, "Rita Reacts")
    watcher = browsers.new_page(room.url)
    join_from_browser(watcher, "Walt Watches")

    sender.get_by_role("button", name="React with wave").click()
    # An immediate second press is held back in the page (the relay allows one a second);
    # force: Playwright itself would wait for the aria-disabled button to be enabled again.
    fire = sender.get_by_role("button", name="React with fire")
    expect(fire).to_have_attribute("aria-disabled", "true")
    fire.click(force=True)
    floating = watcher.locator(".reaction-float")
    expect(floating.filter(has_text="👋")).to_have_count(1)
    expect(floating.filter(has_text="👋")).to_contain_text("Rita Reacts")
    sender.wait_for_timeout(1200)
    sender.get_by_role("button", name="React with heart").click()
    expect(floating.filter(has_text="❤️")).to_have_count(1)
    wait_until(lambda: len(seen) == 2, what="two reactions at the relay")
    assert seen == ["👋", "❤️"]


def test_a_browser_host_records_only_when_everyone_on_stage_agrees(relay, browsers) -> None:
    """All-party consent from the page (issue 14, item 6): the host picks it when starting,
    and the banner says nothing is written and whom it waits for, until everyone said yes."""
    room = open_room(relay, title="Everyone or nobody")
    sia = room.join_bot("Sia Speaker")
    room.host.send(InviteToSpeak(sia.user_id))
    sia.send(AcceptInvite(InviteKind.SPEAK))
    wait_until(lambda: room.live().role_of(sia.user_id) is Role.SPEAKER, what="Sia on stage")
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    view = page.locator("#view")
    view.get_by_role("button", name="Start recording").click()
    dialog = page.get_by_role("dialog", name="Start recording?")
    expect(dialog.get_by_role("button", name="Record those who agree")).to_be_focused()
    dialog.get_by_role("button", name="Only when everyone agrees").click()
    expect(dialog).to_be_hidden()
    wait_until(
        lambda: room.live().is_recording and room.live().recording.all_party,
        what="an all-party take",
    )
    banner = view.locator(".banner.recording")
    expect(banner).to_contain_text("You are recording this room; your voice is included.")
    expect(banner).to_contain_text("Nothing is written until everyone on stage says yes")
    expect(banner).to_contain_text("waiting for Sia Speaker")
    sia.send(SetConsent(True))
    expect(banner).not_to_contain_text("waiting for")
    expect(banner).to_contain_text("You are recording this room")


def test_in_a_followed_only_room_a_refused_listener_is_told_once_and_not_refused_again(
    relay, browsers
) -> None:
    """Issue 16, item 5: in "followed" mode a listener the host does not follow kept seeing
    "Request to speak" and got a refusal toast on every press; the card did not say the mode."""
    room = open_room(relay, title="Friends only", ask_mode="followed")
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    expect(page.locator("#view .badges")).to_contain_text("Speakers: people the host follows")
    join_from_browser(page, "Nora Newcomer")
    view = page.locator("#view")
    expect(view.get_by_text("only people the host follows can ask to speak")).to_be_visible()
    view.get_by_role("button", name="Request to speak").click()
    expect(page.locator("#toast")).to_be_visible()
    expect(view.get_by_role("button", name="Request to speak")).to_have_count(0)
    expect(view.get_by_text("the host does not follow you")).to_be_visible()
    # The host opens asking to everyone: she may ask again.
    room.host.send(SetAskMode(AskMode.EVERYONE))
    expect(view.get_by_role("button", name="Request to speak")).to_be_visible()


def test_the_host_hears_of_a_declined_invitation_and_the_invitee_of_an_expired_one(
    relay, browsers
) -> None:
    """Issue 16, item 5: nobody was told when an invitation was declined (host) or expired
    (invitee)."""
    room = open_room(relay, title="Invitations")
    host_page = browsers.new_page(room.made["host_url"])
    join_from_browser(host_page, "Hana Host")
    dee = room.join_bot("Dee Decliner")
    wait_until(lambda: dee.user_id in room.live().participants, what="Dee in")
    host_page.get_by_role("button", name="Options for Dee Decliner").click()
    host_page.get_by_role("dialog", name="Dee Decliner").get_by_role(
        "button", name="Invite to speak"
    ).click()
    wait_until(lambda: any(i.user_id == dee.user_id for i in room.live().invites), what="sent")
    dee.send(DeclineInvite(InviteKind.SPEAK))
    expect(host_page.locator("#toast")).to_have_text(
        "Dee Decliner declined the invitation to speak."
    )


def test_an_invitee_is_told_when_the_invitation_expires(relay, browsers) -> None:
    room = open_room(relay, title="Short invitations")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Iris Invitee")
    room.host.send(InviteToSpeak(me))
    expect(page.get_by_role("button", name="Accept")).to_be_visible()

    async def five_minutes_later() -> None:
        # The rules' clock, moved past the invitation's five minutes; the relay's own timer
        # then expires it as it would have.
        hub = relay.app[HUB]
        real = hub.log._clock
        hub.log._clock = lambda: real() + 400.0
        try:
            hub._expire(room.room_id)
        finally:
            hub.log._clock = real

    relay.run(five_minutes_later())
    expect(page.locator("#toast")).to_have_text(
        "The invitation expired. A host can invite you again."
    )
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)


def test_a_speaker_strikes_their_last_minute_from_the_recording_notice(relay, browsers) -> None:
    """Strike from the record (issue 14 item 5): the notice offers it to whoever has been on
    stage in the take; a choice, a confirmation naming what happens, and a plain sentence once
    the relay has done it. Listeners are not offered it."""
    room = open_room(relay, title="Strike talk")
    struck: list[StruckFromRecord] = []
    room.host.client.on_event.append(
        lambda _seq, event, _room: (
            struck.append(event) if isinstance(event, StruckFromRecord) else None
        )
    )
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Sia Striker")
    listener_page = browsers.new_page(room.url)
    join_from_browser(listener_page, "Lou Listener")
    room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").click()
    wait_until(lambda: room.live().role_of(me) is Role.SPEAKER, what="on stage")
    room.host.send(StartRecording())
    page.get_by_role("dialog", name="This room is being recorded").get_by_role(
        "button", name="Yes, record my voice"
    ).click()
    wait_until(lambda: room.live().recording.consents.get(me) is Consent.GRANTED, what="yes")
    expect(
        listener_page.locator("#view").get_by_text("This room is being recorded.")
    ).to_be_visible()
    expect(listener_page.get_by_role("button", name="Strike from the record…")).to_be_hidden()

    page.get_by_role("button", name="Strike from the record…").click()
    choose = page.get_by_role("dialog", name="Strike from the record")
    expect(choose).to_contain_text("Nobody has to approve it.")
    for label in ("Last minute", "Last 5 minutes", "Last 15 minutes", "Since I joined"):
        expect(choose.get_by_role("button", name=label)).to_be_visible()
    choose.get_by_role("button", name="Last minute").click()
    confirm = page.get_by_role("dialog", name="Strike your last minute?")
    expect(confirm).to_contain_text("Your last minute will be removed from the recording")
    expect(confirm).to_contain_text("cannot be undone")
    assert struck == [], "nothing is sent before the confirmation"
    confirm.get_by_role("button", name="Strike it").click()
    expect(confirm).to_be_hidden()
    expect(
        page.locator("#toast").get_by_text("Your last minute was removed from the recording.")
    ).to_be_visible()
    wait_until(lambda: len(struck) == 1, what="the strike in the room's log")
    assert (struck[0].actor, struck[0].user_id, struck[0].span) == (me, me, "last_minute")


def test_a_browser_host_strikes_a_speakers_last_five_minutes_from_the_person_dialog(
    relay, browsers
) -> None:
    """The host's person dialog offers Strike from the record for a speaker during a take (and
    not before); the speaker hears of it in the room's log."""
    room = open_room(relay, title="Host strikes")
    sam = room.join_bot("Sam Speaker")
    seen: list[StruckFromRecord] = []
    sam.client.on_event.append(
        lambda _seq, event, _room: (
            seen.append(event) if isinstance(event, StruckFromRecord) else None
        )
    )
    room.host.send(InviteToSpeak(sam.user_id))
    sam.send(AcceptInvite(InviteKind.SPEAK))
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    options = page.get_by_role("button", name="Options for Sam Speaker")
    options.click()
    dialog = page.get_by_role("dialog", name="Sam Speaker")
    expect(dialog.get_by_role("button", name="Move to the audience")).to_be_visible()
    expect(dialog.get_by_role("button", name="Strike from the record…")).to_have_count(0)
    dialog.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="Start recording").click()
    page.get_by_role("dialog", name="Start recording?").get_by_role(
        "button", name="Record those who agree"
    ).click()
    wait_until(lambda: room.live().is_recording, what="the recording")
    sam.send(SetConsent(True))
    options.click()
    page.get_by_role("dialog", name="Sam Speaker").get_by_role(
        "button", name="Strike from the record…"
    ).click()
    choose = page.get_by_role("dialog", name="Strike from the record")
    expect(choose).to_contain_text("Remove Sam Speaker’s voice from this recording")
    expect(choose.get_by_role("button", name="Since they joined")).to_be_visible()
    choose.get_by_role("button", name="Last 5 minutes").click()
    confirm = page.get_by_role("dialog", name="Strike Sam Speaker’s last 5 minutes?")
    expect(confirm).to_contain_text("their track and the mix become silence")
    confirm.get_by_role("button", name="Strike it").click()
    expect(
        page.locator("#toast").get_by_text(
            "Sam Speaker’s last 5 minutes were removed from the recording."
        )
    ).to_be_visible()
    wait_until(lambda: len(seen) == 1, what="the strike reaches the speaker")
    assert (seen[0].user_id, seen[0].span) == (sam.user_id, "last_5_minutes")
    page.get_by_role("heading", name="Moderation log").click()
    expect(page.get_by_role("list", name="Moderation log")).to_contain_text(
        "Hana Host struck Sam Speaker’s last 5 minutes from the recording"
    )
