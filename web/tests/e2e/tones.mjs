// Tones for the browser tests that judge sound by ear (decision 0043): a WAV file for Chromium's
// fake microphone, the Goertzel amplitude of a frequency, what the page hears from its latest
// call (Web Audio on the remote track), WAV parsing for stored recordings, and a test-only
// init script that turns the microphone's echo cancellation, gain control and noise suppression
// off (a steady tone is exactly what they are built to remove, and an echo test would cancel
// itself).
import { writeFileSync } from 'node:fs';

export const AMPLITUDE = 0.5; // of full scale

/** Writes `seconds` of a `frequency` sine at `rate` Hz, 16-bit mono, to `path`. */
export function writeToneWav(path, frequency, { rate = 48_000, seconds = 10 } = {}) {
  const samples = rate * seconds;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) {
    data.writeInt16LE(Math.round(32767 * AMPLITUDE * Math.sin((2 * Math.PI * frequency * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/** Amplitude (same unit as `samples`) of `frequency` in `samples` taken at `rate` Hz. */
export function goertzel(samples, rate, frequency) {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let previous = 0;
  let before = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - before;
    before = previous;
    previous = current;
  }
  const power = previous * previous + before * before - coefficient * previous * before;
  return (2 * Math.sqrt(Math.max(power, 0))) / samples.length;
}

/** The samples (as numbers, full scale 32768) and rate of a 16-bit PCM WAV, channels averaged. */
export function readWav(bytes) {
  const buffer = Buffer.from(bytes);
  if (buffer.toString('ascii', 0, 4) !== 'RIFF' || buffer.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file');
  }
  let offset = 12;
  let rate = 0;
  let channels = 1;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      channels = buffer.readUInt16LE(body + 2);
      rate = buffer.readUInt32LE(body + 4);
      if (buffer.readUInt16LE(body + 14) !== 16) throw new Error('not 16-bit PCM');
    } else if (id === 'data') {
      const end = Math.min(body + size, buffer.length);
      const samples = [];
      for (let at = body; at + 2 * channels <= end; at += 2 * channels) {
        let sum = 0;
        for (let c = 0; c < channels; c += 1) sum += buffer.readInt16LE(at + 2 * c);
        samples.push(sum / channels);
      }
      return { samples, rate };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV file without a data chunk');
}

/**
 * Test-only init scripts for `context` (before its pages open): window.__parleyGoertzel for
 * remoteTones(), and getUserMedia without echo cancellation, automatic gain control and noise
 * suppression, whatever the app asks for.
 */
export async function installToneHelpers(context) {
  await context.addInitScript(`window.__parleyGoertzel = ${goertzel.toString()};`);
  await context.addInitScript(() => {
    const devices = navigator.mediaDevices;
    if (!devices?.getUserMedia) return;
    const native = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints = {}) => {
      if (!constraints.audio) return native(constraints);
      const audio = constraints.audio === true ? {} : { ...constraints.audio };
      Object.assign(audio, { echoCancellation: false, autoGainControl: false, noiseSuppression: false });
      return native({ ...constraints, audio });
    };
  });
}

/**
 * What the page hears from its latest open call for `ms`: the median Goertzel amplitude (full
 * scale 1.0) of each of `frequencies` over 100 ms snapshots of the remote audio track. Needs
 * installToneHelpers() on the page's context.
 */
export async function remoteTones(page, frequencies, ms = 2000) {
  return page.evaluate(async ({ frequencies, ms }) => {
    const peers = (window.__parleyTestPeers ?? []).filter((pc) => pc.connectionState !== 'closed');
    const track = peers.at(-1)?.getReceivers().find((r) => r.track?.kind === 'audio')?.track;
    if (!track) return null;
    const context = new AudioContext();
    await context.resume();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    source.connect(analyser);
    const snapshot = new Float32Array(analyser.fftSize);
    const heard = frequencies.map(() => []);
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      analyser.getFloatTimeDomainData(snapshot);
      frequencies.forEach((frequency, i) => heard[i].push(window.__parleyGoertzel(snapshot, context.sampleRate, frequency)));
    }
    await context.close();
    return heard.map((levels) => levels.sort((a, b) => a - b)[Math.floor(levels.length / 2)] ?? 0);
  }, { frequencies, ms });
}
