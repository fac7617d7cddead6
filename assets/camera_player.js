// Camera cells play live video from the relay over WHEP (RFC 9725).
//
// Every element with [data-camera-id] inside a .cw-camera tile gets a player. A
// player shows 连接中 until the first frame is presented, 信号中断 when frames stop
// for STALL_MS (the relay keeps the session while it reconnects the camera, so the
// picture comes back by itself), and starts over with backoff when the session
// fails. Cells that are not visible release their stream. For tests and
// diagnostics each cell exposes data-state and data-frames (frames presented).
(function () {
  "use strict";

  const STALL_MS = 3000;
  const PROBE_MS = 1000; // frames stopped this long: ask the relay about our session
  const WATCH_MS = 500;
  // The first retry is quick: a relay restarted by its supervisor is back in about a
  // second; a camera or relay that stays away is asked less and less often.
  const BACKOFF_MS = [300, 1000, 2000, 4000, 8000, 15000];
  // No packet for this long after ICE said "disconnected": the relay is gone (a
  // restart, a crash), not a camera reconnecting (that keeps the session connected).
  const DISCONNECT_MS = 1000;

  // A token for this camera, for this signed-in person, valid a minute: from the
  // wall's server (same origin, session cookie), never a shared secret in the page.
  // With several relay nodes the grant also names the node that relays the camera
  // (null: the tile's own relay).
  async function grantToken(cameraId) {
    const id = encodeURIComponent(cameraId);
    const grant = await fetch(`/video/token?camera=${id}`, { credentials: "same-origin" });
    if (!grant.ok) throw new Error(`token ${grant.status}`);
    return grant.json();
  }

  function relayOf(grant, fallback) {
    return (grant.relay || fallback).replace(/\/$/, "");
  }

  class Player {
    constructor(cell) {
      this.cell = cell;
      this.video = cell.querySelector("video");
      this.label = cell.querySelector(".cw-camera__state");
      this.tile = cell.closest(".cw-camera");
      this.pc = null;
      this.session = null;
      this.frames = 0;
      this.lastFrame = 0;
      this.failures = 0;
      this.retry = null;
      this.probing = false;
      this.probedAt = 0;
      this.running = false;
      this.video.muted = true;
      this.video.playsInline = true;
      this.watch = setInterval(() => this.check(), WATCH_MS);
    }

    setState(state) {
      if (this.cell.dataset.state === state) return;
      this.cell.dataset.state = state;
      const text = state === "lost" ? this.tile.dataset.labelLost : this.tile.dataset.labelConnecting;
      if (this.label && state !== "playing") this.label.textContent = text;
    }

    async start() {
      if (this.running) return;
      this.running = true;
      clearTimeout(this.retry);
      this.setState(this.frames > 0 ? "lost" : "connecting");
      try {
        await this.negotiate();
      } catch (err) {
        console.info("citywall camera", this.cell.dataset.cameraId, "retry:", String(err));
        this.fail();
      }
    }

    async negotiate() {
      const pc = new RTCPeerConnection({ iceServers: [] });
      this.pc = pc;
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.ontrack = (event) => {
        this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
        this.video.play().catch(() => {});
        this.countFrames();
      };
      pc.onconnectionstatechange = () => {
        if (pc !== this.pc) return;
        if (pc.connectionState === "failed") this.fail();
        if (pc.connectionState === "disconnected") {
          setTimeout(() => {
            if (pc === this.pc && pc.connectionState === "disconnected") this.fail();
          }, DISCONNECT_MS);
        }
      };
      const id = encodeURIComponent(this.cell.dataset.cameraId);
      // The token and the offer at the same time: neither waits for the other.
      // No waiting for ICE gathering: the relay learns our address from our checks.
      const [grant] = await Promise.all([
        grantToken(this.cell.dataset.cameraId),
        pc.createOffer().then((offer) => pc.setLocalDescription(offer)),
      ]);
      const base = relayOf(grant, this.tile.dataset.relay);
      this.base = base;
      this.token = grant.token;
      const response = await fetch(`${base}/whep/${id}?stream=${this.cell.dataset.stream}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/sdp",
          Authorization: `Bearer ${this.token}`,
        },
        body: pc.localDescription.sdp,
      });
      if (response.status !== 201) throw new Error(`WHEP ${response.status}`);
      const location = response.headers.get("Location");
      // base may be a path on this origin (/relay, behind the reverse proxy).
      this.session = location ? new URL(location, new URL(base + "/", window.location.href)).href : null;
      const answer = await response.text();
      if (pc !== this.pc) return; // stopped meanwhile
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
    }

    /* Another camera in this cell. A playing session is switched at the relay: same
     * connection, no new offer, ICE or DTLS; the old picture stays until the new one
     * arrives. Anything else (not connected yet, refused) starts over. Switches run
     * one after the other: each needs the session's address the previous one gave. */
    retarget(cameraId) {
      this.cell.dataset.cameraId = cameraId;
      // Until the relay has switched, frames are the old camera's: none counted.
      this.frameBase = Number.MAX_SAFE_INTEGER;
      this.frames = 0;
      this.cell.dataset.frames = "0";
      this.switching = (this.switching || Promise.resolve()).then(() => this.switchTo(cameraId));
    }

    async switchTo(cameraId) {
      if (this.cell.dataset.cameraId !== cameraId) return; // a newer camera is queued
      const switchable = this.session && this.pc && this.pc.connectionState === "connected";
      if (!switchable) {
        this.restart();
        return;
      }
      const session = this.session;
      try {
        const grant = await grantToken(cameraId);
        const token = grant.token;
        if (relayOf(grant, this.tile.dataset.relay) !== this.base) {
          this.restart(); // another relay node has this camera: a session there
          return;
        }
        const url = new URL(session);
        url.pathname += "/switch";
        url.search = `?camera=${encodeURIComponent(cameraId)}&stream=${this.cell.dataset.stream}`;
        const response = await fetch(url, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}` },
        });
        if (response.status !== 200) throw new Error(`switch ${response.status}`);
        if (this.session !== session) return; // restarted meanwhile: a new session
        const location = response.headers.get("Location");
        this.session = location ? new URL(location, session).href : session;
        this.token = token;
        if (this.cell.dataset.cameraId !== cameraId) return; // the next switch follows
        // Frames counted from here are the new camera's.
        this.frameBase = this.presented;
        this.frames = 0;
        this.lastFrame = performance.now();
        this.cell.dataset.frames = "0";
      } catch (err) {
        console.info("citywall camera", cameraId, "switch failed, reconnecting:", String(err));
        if (this.cell.dataset.cameraId === cameraId) this.restart();
      }
    }

    restart() {
      this.stop();
      this.frames = 0;
      this.frameBase = 0;
      this.presented = 0;
      this.cell.dataset.frames = "0";
      this.setState("connecting");
      if (this.visible) this.start();
    }

    countFrames() {
      const video = this.video;
      if (!video.requestVideoFrameCallback) return;
      const onFrame = (_now, meta) => {
        this.presented = meta.presentedFrames;
        this.frames = Math.max(0, meta.presentedFrames - (this.frameBase || 0));
        if (this.frames === 0) {
          if (this.video === video && this.running) video.requestVideoFrameCallback(onFrame);
          return;
        }
        this.lastFrame = performance.now();
        this.cell.dataset.frames = String(this.frames);
        this.failures = 0;
        this.setState("playing");
        if (this.video === video && this.running) video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }

    check() {
      // Never a frame yet: ask the relay why, now and then (a camera it cannot play).
      if (this.running && !this.presented && this.session) this.probe();
      // After a switch frames count from 0 again, but the stall clock runs on: a new
      // camera that never sends shows 信号中断, not the old camera's frozen picture.
      if (!this.running || !this.presented) return;
      const silent = performance.now() - this.lastFrame;
      if (silent > PROBE_MS) this.probe();
      if (silent > STALL_MS) this.setState("lost");
      if (this.cell.dataset.state === "playing") return;
      // Frames stopped: the camera is reconnecting upstream. If our own session is
      // gone too, start a new one.
      const state = this.pc ? this.pc.connectionState : "closed";
      if (state === "failed" || state === "closed" || state === "disconnected") this.fail();
    }

    /* Frames stopped: does the relay still hold our session? Gone (the relay was
     * restarted: 404) or unreachable: start over now instead of waiting for ICE to
     * give up. Held: the camera is reconnecting upstream, the picture comes back. */
    probe() {
      const now = performance.now();
      if (!this.session || this.probing || now - this.probedAt < PROBE_MS) return;
      this.probing = true;
      this.probedAt = now;
      const pc = this.pc;
      fetch(this.session, { headers: { Authorization: `Bearer ${this.token}` } })
        .then(async (response) => {
          if (response.status === 404) return true;
          if (response.ok && !this.presented) this.explain(await response.json());
          return false;
        })
        .catch(() => true)
        .then((gone) => {
          this.probing = false;
          if (gone && pc === this.pc && this.running) this.fail();
        });
    }

    /* The relay says the camera's stream is offline, and why: in words on the cell
     * (H.265 gets its own, with what to do), not 连接中 forever. */
    explain(status) {
      if (!status || status.state !== "offline" || !status.reason) return;
      const reason = String(status.reason);
      const hevc = /\b(hevc|h265)\b/i.test(reason);
      const text = hevc ? this.tile.dataset.labelHevc : this.tile.dataset.labelCannot + reason.replace(/^\S+: /, "");
      this.cell.dataset.state = "unplayable";
      this.cell.dataset.reason = reason;
      if (this.label) this.label.textContent = text;
    }

    fail() {
      this.stop();
      this.setState(this.frames > 0 ? "lost" : "connecting");
      const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
      this.failures += 1;
      this.retry = setTimeout(() => this.start(), delay);
    }

    stop() {
      this.running = false;
      clearTimeout(this.retry);
      const pc = this.pc;
      this.pc = null;
      if (this.session) {
        // End the session first, then the connection: closed first, the relay would
        // drop the session by itself and answer our DELETE with 404.
        fetch(this.session, {
          method: "DELETE",
          headers: { Authorization: `Bearer ${this.token}` },
        })
          .catch(() => {})
          .finally(() => pc && pc.close());
        this.session = null;
      } else if (pc) {
        pc.close();
      }
      this.video.srcObject = null;
    }

    destroy() {
      this.stop();
      clearInterval(this.watch);
    }
  }

  const players = new Map();
  // Only what is on screen plays: cells scrolled or hidden away give their stream back.
  const visibility = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const player = players.get(entry.target);
      if (!player) continue;
      player.visible = entry.isIntersecting;
      if (entry.isIntersecting) player.start();
      else player.stop();
    }
  });

  function scan() {
    for (const cell of document.querySelectorAll(".cw-camera [data-camera-id]")) {
      if (!players.has(cell)) {
        players.set(cell, new Player(cell));
        visibility.observe(cell);
      }
    }
    for (const [cell, player] of players) {
      if (!cell.isConnected) {
        visibility.unobserve(cell);
        player.destroy();
        players.delete(cell);
      }
    }
  }

  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("pagehide", () => players.forEach((player) => player.stop()));
  // For assets/tiles/camera.js: put another camera in a cell that is already playing.
  window.citywallCamera = {
    retarget(cell, cameraId) {
      const player = players.get(cell);
      if (player) player.retarget(cameraId);
      else cell.dataset.cameraId = cameraId;
    },
    // Ask the relay to start pulling a camera a viewer is about to need (a tour's next
    // one), so its switch finds a keyframe waiting. Best effort: failures are quiet.
    async warm(relay, cameraId, stream) {
      try {
        const grant = await grantToken(cameraId);
        const id = encodeURIComponent(cameraId);
        await fetch(`${relayOf(grant, relay)}/whep/${id}/warm?stream=${stream}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${grant.token}` },
        });
      } catch (err) {
        console.info("citywall camera", cameraId, "warm-up failed:", String(err));
      }
    },
  };
  scan();
})();
