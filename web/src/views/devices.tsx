import { useEffect, useState } from 'preact/hooks';
import { canChooseSpeaker, listAudioDevices, type AudioDevices } from '../phone/media';
import type { Phone } from '../phone/phone';

// Device names are only visible once the microphone was allowed, so the lists refresh on
// devicechange (which also fires after the first permission grant) and after every call.
export function Devices({ phone, refreshKey }: { phone: Phone; refreshKey: unknown }) {
  const [devices, setDevices] = useState<AudioDevices>({ microphones: [], speakers: [] });
  const [microphone, setMicrophone] = useState('');
  const [speaker, setSpeaker] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const refresh = () => listAudioDevices().then(setDevices).catch(() => undefined);
    refresh();
    navigator.mediaDevices?.addEventListener?.('devicechange', refresh);
    return () => navigator.mediaDevices?.removeEventListener?.('devicechange', refresh);
  }, [refreshKey]);

  return (
    <section class="devices" aria-label="Audio devices">
      <label for="microphone">Microphone</label>
      <select
        id="microphone"
        value={microphone}
        onChange={(e) => {
          setMicrophone(e.currentTarget.value);
          phone.setMicrophone(e.currentTarget.value || null);
        }}
      >
        <option value="">System default</option>
        {devices.microphones.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>
        ))}
      </select>
      {canChooseSpeaker() && (
        <>
          <label for="speaker">Speaker</label>
          <select
            id="speaker"
            value={speaker}
            onChange={(e) => {
              const id = e.currentTarget.value;
              setSpeaker(id);
              phone
                .setSpeaker(id)
                .then(() => setProblem(null))
                .catch(() => setProblem('That speaker cannot be used.'));
            }}
          >
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
