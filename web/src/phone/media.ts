// Microphone and speaker access: getUserMedia with the chosen device, device lists, and the
// speaker choice through setSinkId where the browser has it.

import { microphoneError } from '../lib/errors';

export class MicrophoneError extends Error {}

export async function openMicrophone(deviceId: string | null): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError('This browser cannot use a microphone here (is the page served over HTTPS?).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      video: false,
    });
  } catch (error) {
    const name = error instanceof DOMException || error instanceof Error ? error.name : '';
    throw new MicrophoneError(microphoneError(name));
  }
}

export function stopStream(stream: MediaStream | null): void {
  stream?.getTracks().forEach((track) => track.stop());
}

export interface AudioDevices {
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

export async function listAudioDevices(): Promise<AudioDevices> {
  if (!navigator.mediaDevices?.enumerateDevices) return { microphones: [], speakers: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    microphones: devices.filter((d) => d.kind === 'audioinput' && d.deviceId !== ''),
    speakers: devices.filter((d) => d.kind === 'audiooutput' && d.deviceId !== ''),
  };
}

type SinkCapable = HTMLMediaElement & { setSinkId(id: string): Promise<void> };

export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export async function chooseSpeaker(element: HTMLMediaElement, deviceId: string): Promise<void> {
  if (canChooseSpeaker()) await (element as SinkCapable).setSinkId(deviceId);
}
