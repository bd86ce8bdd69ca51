"""Real audio both ways between Chromium (fake media devices) and bots, through the relay.

Listening is judged by Chromium's own `getStats()` counters; speaking by what a listening
bot records, compared with what the browser's fake microphone itself produces.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from console.tracks import WavTrack
from server.room import ApproveRequest, InviteToSpeak
from tests.web.roomkit import (
    RATE_HZ,
    join_from_browser,
    open_room,
    page_until,
    rms_db,
    spectrum_peak_hz,
    speech_wav,
    wait_until,
)

STATS = "() => window.roomcast.stats()"

# Measured in the page: the strongest frequency of the fake microphone, max-held over 1.5 s
# (the fake device beeps, so one instant may be silence).
MIC_PEAK_JS = """
async () => {
  const stream = window.roomcast.micStream();
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  ctx.createMediaStreamSource(stream).connect(analyser);
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
  await ctx.close();
  return { peakHz: best * hzPerBin, hzPerBin, peakDb: held[best] };
}
"""


def test_a_browser_listener_hears_a_bot_speaker_and_sees_its_speaking_ring(
    relay, browsers, tmp_path: Path
) -> None:
    room = open_room(relay, title="Listening test")
    room.host_speaks(WavTrack(speech_wav(tmp_path)))
    page = browsers.new_page(room.url)
    join_from_browser(page, "Lena Listener")

    page_until(
        page, "async () => ((await window.roomcast.stats()).inbound?.packetsReceived || 0) > 10"
    )
    first = page.evaluate(STATS)["inbound"]
    page.wait_for_timeout(1500)
    second = page.evaluate(STATS)["inbound"]
    assert second["packetsReceived"] - first["packetsReceived"] >= 40, (first, second)
    assert second["totalAudioEnergy"] - first["totalAudioEnergy"] > 1e-4, (first, second)

    # The ring follows the relay's speaking flag: on during the sentence, off in the pause.
    host_tile = f'.stage-list li[data-user-id="{room.host.user_id}"]'
    page.wait_for_selector(f'{host_tile}[data-speaking="true"]', timeout=10_000)
    assert page.locator(f"{host_tile} .speaking-text").text_content() == ", speaking"
    page.wait_for_selector(f'{host_tile}[data-speaking="false"]', timeout=10_000)


def test_a_browser_on_stage_is_heard_by_a_listener_bot(relay, browsers) -> None:
    room = open_room(relay, title="Speaking test")
    listener = room.join_bot("Bo Listener", media=True)
    listener.start_media(send=False)
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Sam Speaker")

    page.get_by_role("button", name="Request to speak").click()
    wait_until(lambda: any(r.user_id == me for r in room.host.room.requests), what="request")
    room.host.send(ApproveRequest(me))

    mic_button = page.get_by_role("button", name="Turn microphone on")
    mic_button.wait_for()
    # On stage the browser offers again, now sending its (fake) microphone.
    page_until(
        page, "async () => ((await window.roomcast.stats()).outbound?.packetsSent || 0) > 20"
    )
    page.wait_for_timeout(1000)
    before = listener.heard()
    mic_button.click()
    page.get_by_role("button", name="Turn microphone off").wait_for()
    wait_until(lambda: not room.live().participants[me].muted, what="relay sees the mic open")
    start = listener.heard().size
    page.wait_for_timeout(2500)
    after = listener.heard()[start:]

    quiet = before[-RATE_HZ:]
    assert quiet.size == RATE_HZ, "the bot heard the room before the browser spoke"
    assert rms_db(quiet) < -60, f"muted stage member leaked: {rms_db(quiet):.1f} dBFS"
    assert after.size > 1.5 * RATE_HZ
    assert rms_db(after) > -50, f"the browser's microphone is not heard: {rms_db(after):.1f} dBFS"

    mic = page.evaluate(MIC_PEAK_JS)
    heard_peak = spectrum_peak_hz(after)
    tolerance = max(3 * mic["hzPerBin"], 0.03 * mic["peakHz"])
    assert abs(heard_peak - mic["peakHz"]) <= tolerance, (heard_peak, mic)


BLOCK_MIC = """
window.__blockMic = true;
if (navigator.mediaDevices) {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => window.__blockMic
    ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
    : real(constraints);
}
"""


def test_a_blocked_microphone_is_explained_and_can_be_retried(relay, browsers) -> None:
    room = open_room(relay, title="Mic trouble")
    page = browsers.new_page(room.url, init_script=BLOCK_MIC)
    me = join_from_browser(page, "Milo Mic")
    room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").click()

    problem = page.locator("#view").get_by_role("alert")
    expect(problem).to_contain_text("The microphone is blocked for this page")
    expect(problem).to_contain_text("address bar")
    expect(problem).to_contain_text("You can keep listening")
    page.get_by_role("button", name="Turn microphone on").click()
    page.wait_for_timeout(300)
    assert room.live().participants[me].muted, "no microphone: nothing was unmuted"
    assert page.evaluate("async () => (await window.roomcast.stats()).inbound !== null")

    page.evaluate("window.__blockMic = false")
    page.get_by_role("button", name="Try the microphone again").click()
    expect(problem).to_be_hidden()
    page_until(page, "async () => ((await window.roomcast.stats()).outbound?.packetsSent || 0) > 5")
    page.get_by_role("button", name="Turn microphone on").click()
    wait_until(lambda: not room.live().participants[me].muted, what="unmuted after the retry")


def test_a_browser_listener_whose_media_worker_is_killed_hears_again_by_itself(
    relay, browsers, tmp_path: Path
) -> None:
    """The relay tells the page its audio process restarted; the page offers again at once and
    the sound comes back with nobody pressing anything (DESIGN §10)."""
    import os
    import signal
    import time

    from server.app import MEDIA

    room = open_room(relay, title="Worker restart")
    room.host_speaks(WavTrack(speech_wav(tmp_path)))
    page = browsers.new_page(room.url)
    browsers.allow("WebSocket")  # nothing expected, but a cut socket must not fail the test
    me = join_from_browser(page, "Lena Listener")
    page_until(
        page, "async () => ((await window.roomcast.stats()).inbound?.packetsReceived || 0) > 10"
    )

    assert relay.app is not None
    pool = relay.app[MEDIA]

    def worker_pid() -> int:
        proxy = pool.rooms[room.room_id]
        return pool.pids()[proxy.placements[me]]

    victim = relay.call(worker_pid)
    page.wait_for_timeout(500)
    before = page.evaluate(STATS)["inbound"]["packetsReceived"]
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    # A new connection: its counters start again from zero (the old one's stop where they were).
    page_until(
        page,
        "async () => { const s = await window.roomcast.stats();"
        f" const n = s.inbound?.packetsReceived || 0; return n > 5 && n < {before}; }}",
        timeout_s=15,
        what="the page's audio back on a new connection",
    )
    back_s = time.monotonic() - killed_at
    assert back_s < 6.0, f"the page heard again only after {back_s:.1f} s"
    first = page.evaluate(STATS)["inbound"]
    page.wait_for_timeout(1000)
    second = page.evaluate(STATS)["inbound"]
    assert second["packetsReceived"] - first["packetsReceived"] >= 40, (first, second)
    assert relay.call(worker_pid) != victim, "the listener is on a live worker now"


def test_a_late_joiner_sees_who_is_talking_at_once(relay, browsers) -> None:
    """Someone who comes in mid-sentence sees the ring straight away: the relay says who is
    talking in the snapshot (and in a resume's reply), not only on the next flip (with a steady
    tone the ring used to never light for a late joiner)."""
    import time

    from console.tracks import ToneTrack

    room = open_room(relay, title="Late joiner")
    room.host_speaks(ToneTrack(440))
    host = room.host.user_id
    wait_until(lambda: host in relay.call(lambda: relay.hub.speaking_now(room.room_id)), 15)
    page = browsers.new_page(room.url)
    join_from_browser(page, "Lena Late")
    entered = time.monotonic()
    host_tile = f'.stage-list li[data-user-id="{host}"]'
    page.wait_for_selector(f'{host_tile}[data-speaking="true"]', timeout=5_000)
    assert time.monotonic() - entered < 0.5
