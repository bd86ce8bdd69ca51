"""Broadcast mode in Chromium: the relay sends a browser listener to the room's LL-HLS stream,
and the page plays it (hls.js over Media Source Extensions, vendored by `make`), says so, and
still follows the stage over its WebSocket.

Measured here first (Debian's Chromium 156): MSE accepts both `audio/mp4; codecs="opus"` and
`"mp4a.40.2"`, so the stream's Opus-in-fMP4 plays; the tone's energy is read with WebAudio
from the very <audio> element the page plays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console.tracks import ToneTrack
from server.room import SetBroadcastMode
from tests.web.roomkit import join_from_browser, open_room, page_until
from tests.web.webrig import RelayThread

# The strongest frequency the page hears from its <audio> element, max-held over 1.5 s.
AUDIO_PEAK_JS = """
async () => {
  const el = document.querySelector('audio.room-audio');
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  const source = ctx.createMediaElementSource(el);
  source.connect(analyser);
  analyser.connect(ctx.destination);
  await ctx.resume();
  const bins = new Float32Array(analyser.frequencyBinCount);
  const held = new Float32Array(analyser.frequencyBinCount).fill(-Infinity);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 50));
    analyser.getFloatFrequencyData(bins);
    for (let k = 0; k < bins.length; k++) held[k] = Math.max(held[k], bins[k]);
  }
  const hzPerBin = ctx.sampleRate / analyser.fftSize;
  let best = 0;
  for (let k = Math.ceil(50 / hzPerBin); k < held.length; k++) if (held[k] > held[best]) best = k;
  return { peakHz: best * hzPerBin, hzPerBin, peakDb: held[best] };
}
"""


@pytest.fixture(scope="module")
def hls_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayThread]:
    if not (Path(__file__).parents[2] / "server/web/vendor/hls.min.js").is_file():
        pytest.skip("hls.js is not vendored: run `make venv` (installer/vendor-web.sh)")
    folder = tmp_path_factory.mktemp("hls-relay")
    running = RelayThread(folder, hls_dir=folder / "hls", hls_linger_s=2.0, webrtc_seats=1)
    yield running
    running.close()


NOTE = "This room is broadcast: listeners hear it a few seconds late."


def test_in_broadcast_mode_a_browser_listener_hears_the_room_over_hls(
    hls_relay: RelayThread, browsers
) -> None:
    """The host turns broadcast mode on (the room rules' command, as the console's toggle
    sends it): a listener already in sees the note at once; one who opens the link after sees
    it on the card, joins, hears the room over HLS, and the page says so."""
    room = open_room(hls_relay, title="Broadcast test")
    room.host_speaks(ToneTrack(440))
    early = browsers.new_page(room.url)
    join_from_browser(early, "Wes Early")
    expect(early.get_by_text("Listening over WebRTC")).to_be_visible(timeout=20_000)
    expect(early.get_by_text(NOTE)).to_be_hidden()
    room.host.send(SetBroadcastMode(True))
    expect(early.get_by_text(NOTE)).to_be_visible(timeout=10_000)
    expect(early.get_by_text("Listening over WebRTC")).to_be_visible()  # new listeners only

    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    expect(page.get_by_text("Broadcast: heard a few seconds late")).to_be_visible()
    join_from_browser(page, "Lena Listener")
    expect(page.get_by_text(NOTE)).to_be_visible(timeout=10_000)

    expect(page.get_by_text(re.compile(r"^Listening over HLS"))).to_be_visible(timeout=20_000)
    assert page.evaluate("window.roomcast.listening") == "hls"
    # The element's clock runs: the stream plays, not just loads.
    start = page_until(
        page, "document.querySelector('audio.room-audio').currentTime > 0.5 && "
        "document.querySelector('audio.room-audio').currentTime", 20, "HLS playback to start",
    )  # fmt: skip
    page_until(
        page,
        f"document.querySelector('audio.room-audio').currentTime > {start + 1.5}",
        10,
        "HLS playback to advance",
    )
    heard = page.evaluate(AUDIO_PEAK_JS)
    assert abs(heard["peakHz"] - 440) <= 2 * heard["hzPerBin"], heard
    assert heard["peakDb"] > -60, heard
    # It says how far behind the room it is, from the segments' wall-clock times.
    expect(page.get_by_text(re.compile(r"^Listening over HLS, ~\d+ s behind$"))).to_be_visible(
        timeout=10_000
    )
    delay_s = page.evaluate("window.roomcast.hlsDelaySeconds()")
    assert delay_s is not None and 0 < delay_s < 10, delay_s
    print(f"\nHLS listener in Chromium (hls.js): {delay_s:.1f} s behind the room")

    # The stage still shows over the WebSocket: the host on stage, speaking.
    host_tile = f'.stage-list li[data-user-id="{room.host.user_id}"]'
    page.wait_for_selector(f'{host_tile}[data-speaking="true"]', timeout=10_000)

    # It heartbeats (p is 1 in a small room), and is counted once: joined and on HLS.
    page_until(page, "window.roomcast.hlsHeartbeats >= 1", 10, "a heartbeat")
    page_until(
        page,
        f"""async () => {{
          const s = await (await fetch('/hls/{room.room_id}/state.json', {{cache: 'no-store'}})).json();
          return s.listeners.hls === 1 && s.listeners.joined === 2 && s.listeners.total === 2;
        }}""",
        10,
        "the relay to count the page's heartbeat once",
    )
    expect(page.locator(".badge.listener-count")).to_have_text("2 listeners")


def test_past_the_webrtc_seats_a_listener_hears_hls(hls_relay: RelayThread, browsers) -> None:
    """One WebRTC seat per room here: the first listener takes it, the second gets HLS."""
    room = open_room(hls_relay, title="Seats test")
    room.host_speaks(ToneTrack(440))
    first = browsers.new_page(room.url)
    join_from_browser(first, "Wes Listener")
    expect(first.get_by_text("Listening over WebRTC")).to_be_visible(timeout=20_000)
    page_until(
        first, "async () => ((await window.roomcast.stats()).inbound?.packetsReceived || 0) > 10"
    )
    second = browsers.new_page(room.url)
    join_from_browser(second, "Hal Listener")
    expect(second.get_by_text(re.compile(r"^Listening over HLS"))).to_be_visible(timeout=20_000)
    page_until(
        second, "document.querySelector('audio.room-audio').currentTime > 1", 20, "HLS playback"
    )


def test_a_browser_host_turns_broadcast_mode_on_and_off(hls_relay: RelayThread, browsers) -> None:
    room = open_room(hls_relay, title="Page broadcast")
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    turn_on = page.get_by_role("button", name="Turn broadcast mode on")
    expect(turn_on).to_be_visible(timeout=10_000)
    expect(page.get_by_text(NOTE)).to_be_hidden()
    turn_on.click()
    expect(page.get_by_text(NOTE)).to_be_visible(timeout=10_000)
    turn_off = page.get_by_role("button", name="Turn broadcast mode off")
    expect(turn_off).to_be_visible()
    card_says = f"async () => (await (await fetch('/api/rooms/{room.room_id}')).json()).broadcast"
    assert page_until(page, card_says, 5, "the card to say broadcast") is True
    turn_off.click()
    expect(page.get_by_text(NOTE)).to_be_hidden(timeout=10_000)
    expect(page.get_by_role("button", name="Turn broadcast mode on")).to_be_visible()
