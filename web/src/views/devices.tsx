import { useEffect, useState } from 'preact/hooks';
import {
  browserStorage, loadDeviceChoice, presentOrDefault, saveDeviceChoice, type DeviceChoice,
} from '../lib/device_choice';
import { canChooseSpeaker, listAudioDevices, type AudioDevices } from '../phone/media';
import type { Phone } from '../phone/phone';

// Device names are only visible once the microphone was allowed, so the lists refresh on
// devicechange (which also fires after the first permission grant) and after every call.
// The choice is remembered in localStorage; a remembered device that is not plugged in shows
// (and is used) as the system default until it comes back.
export function Devices({ phone, refreshKey }: { phone: Phone; refreshKey: unknown }) {
  const [devices, setDevices] = useState<AudioDevices>({ microphones: [], speakers: [] });
  const [listed, setListed] = useState(false);
  const [choice, setChoice] = useState<DeviceChoice>(() => loadDeviceChoice(browserStorage()));
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const refresh = () =>
      listAudioDevices()
        .then((list) => {
          setDevices(list);
          setListed(true);
        })
        .catch(() => undefined);
    refresh();
    navigator.mediaDevices?.addEventListener?.('devicechange', refresh);
    return () => navigator.mediaDevices?.removeEventListener?.('devicechange', refresh);
  }, [refreshKey]);

  const microphone = presentOrDefault(choice.microphone, devices.microphones);
  const speaker = presentOrDefault(choice.speaker, devices.speakers);
  useEffect(() => {
    if (listed) phone.setMicrophone(microphone || null);
  }, [phone, listed, microphone]);
  useEffect(() => {
    if (!listed || !canChooseSpeaker()) return;
    phone
      .setSpeaker(speaker)
      .then(() => setProblem(null))
      .catch(() => setProblem('That speaker cannot be used.'));
  }, [phone, listed, speaker]);

  function choose(patch: Partial<DeviceChoice>) {
    const next = { ...choice, ...patch };
    setChoice(next);
    saveDeviceChoice(browserStorage(), next);
  }

  return (
    <section class="devices" aria-label="Audio devices">
      <label for="microphone">Microphone</label>
      <select id="microphone" value={microphone}
        onChange={(e) => choose({ microphone: e.currentTarget.value })}>
        <option value="">System default</option>
        {devices.microphones.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>
        ))}
      </select>
      {canChooseSpeaker() && (
        <>
          <label for="speaker">Speaker</label>
          <select id="speaker" value={speaker}
            onChange={(e) => choose({ speaker: e.currentTarget.value })}>
            <option value="">System default</option>
            {devices.speakers.map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>{d.label || `Speaker ${i + 1}`}</option>
            ))}
          </select>
        </>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
    </section>
  );
}
