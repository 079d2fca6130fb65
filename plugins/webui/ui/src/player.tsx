import { useEffect, useRef, useState } from 'preact/hooks';
import Hls from 'hls.js/light';

/**
 * Live video: WebRTC (WHEP) when the service offers a WebRTC URL (MediaMTX) and the browser supports it, else HLS
 * through hls.js (native HLS where MSE is missing, e.g. iOS Safari). A fatal error calls `onFailure` so the owner
 * can fetch a fresh signed URL.
 */
export function LivePlayer({ hls, webrtc, onFailure, onPlaying, label }: { hls: string | null; webrtc?: string | null; onFailure?: () => void; onPlaying?: () => void; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [mode, setMode] = useState<'webrtc' | 'hls' | null>(null);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    const video = ref.current;
    setPlaying(false);
    if (!video || (!hls && !webrtc)) return;
    const onPlay = () => { setPlaying(true); onPlaying?.(); };
    video.addEventListener('playing', onPlay);
    let disposed = false;
    let player: Hls | null = null;
    let pc: RTCPeerConnection | null = null;
    const fail = () => { if (!disposed) onFailure?.(); };
    const startHls = () => {
      if (disposed || !hls) return;
      setMode('hls');
      if (Hls.isSupported()) {
        player = new Hls({ liveSyncDurationCount: 2, maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10, manifestLoadingMaxRetry: 4, levelLoadingMaxRetry: 4 });
        player.on(Hls.Events.ERROR, (_e, data) => {
          if (!data.fatal) return;
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR) player?.recoverMediaError();
          else fail();
        });
        player.loadSource(hls);
        player.attachMedia(video);
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = hls;
        video.onerror = fail;
      }
      video.play().catch(() => { /* autoplay waits for data */ });
    };
    if (webrtc && typeof RTCPeerConnection !== 'undefined') {
      playWhep(video, webrtc).then((c) => {
        if (disposed) { c.close(); return; }
        pc = c;
        setMode('webrtc');
        // A session that breaks later (MediaMTX restarted, network change) goes on over HLS, like one that never connected.
        c.onconnectionstatechange = () => {
          if (c.connectionState !== 'failed' || disposed) return;
          console.warn(`${label}: WebRTC session failed${hls ? ', playing HLS' : ''}`);
          c.close();
          pc = null;
          video.srcObject = null;
          if (hls) startHls(); else fail();
        };
      }).catch((e) => {
        if (disposed) return;
        console.warn(`${label}: WebRTC unavailable (${e instanceof Error ? e.message : String(e)})${hls ? ', playing HLS' : ''}`);
        if (hls) startHls(); else fail();
      });
    } else {
      startHls();
    }
    return () => {
      disposed = true;
      video.removeEventListener('playing', onPlay);
      player?.destroy();
      pc?.close();
      video.removeAttribute('src');
      video.srcObject = null;
      video.load();
    };
  }, [hls, webrtc]);
  return (
    <>
      <video ref={ref} muted autoplay playsInline aria-label={label} data-mode={mode ?? ''} />
      {(hls || webrtc) && !playing && <div class="overlay small starting" aria-hidden="true">Starting live view…</div>}
    </>
  );
}

/**
 * How long a WHEP session may take from the answer to a connected peer connection before the player gives up on it
 * and plays HLS. A server that answers but cannot be reached over UDP (MediaMTX behind NAT or a firewall without
 * webrtcAdditionalHosts) never connects; without this bound the tile would stay black.
 */
const WEBRTC_CONNECT_TIMEOUT_MS = 10_000;

/**
 * WHEP (RFC 9725) playback from MediaMTX: POST an SDP offer to <webrtc URL>/whep, apply the answer, and resolve once
 * the peer connection is connected; any failure on the way (HTTP error, no answer, no connection) rejects.
 */
async function playWhep(video: HTMLVideoElement, webrtcUrl: string): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection();
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (e) => { video.srcObject = e.streams[0] ?? new MediaStream([e.track]); video.play().catch(() => {}); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, 1500);
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); } };
    });
    const url = new URL(webrtcUrl);
    url.pathname = url.pathname.replace(/\/?$/, '/whep');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp, signal: controller.signal });
    clearTimeout(timer);
    if (!res.ok) throw new Error(`WHEP ${res.status}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => { clearTimeout(t); pc.onconnectionstatechange = null; if (error) reject(error); else resolve(); };
      const t = setTimeout(() => done(new Error('WebRTC did not connect')), WEBRTC_CONNECT_TIMEOUT_MS);
      const check = () => {
        if (pc.connectionState === 'connected') done();
        else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') done(new Error(`WebRTC ${pc.connectionState}`));
      };
      pc.onconnectionstatechange = check;
      check();
    });
    return pc;
  } catch (e) {
    pc.close();
    video.srcObject = null; // a track may have arrived already; it would hide what HLS plays next
    throw e;
  }
}
