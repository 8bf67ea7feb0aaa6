// A tenant's call recordings, newest first, filtered by extension: each plays in an <audio>
// element (the browser fetches byte ranges from the API with the session cookie) and can be
// downloaded. The player's source is set only when the admin asks for it, so a long list does
// not fetch every file.
import { useEffect, useState } from 'preact/hooks';
import { formatDateTime } from '../../lib/admin';
import { formatBytes, formatDuration, listRecordings, recordingDownload, type Recording } from '../../lib/rooms_queues';

export function RecordingsPage({ domain }: { domain: string }) {
  const [recordings, setRecordings] = useState<Recording[] | null>(null);
  const [extension, setExtension] = useState('');
  const [applied, setApplied] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState<number | null>(null);

  useEffect(() => {
    setError(null);
    setRecordings(null);
    listRecordings(domain, applied).then(setRecordings).catch((caught: Error) => setError(caught.message));
  }, [domain, applied]);

  return (
    <section aria-labelledby="recordings-heading">
      <h2 id="recordings-heading">Call recordings of {domain}</h2>
      <form class="inline-form" aria-label="Filter recordings" noValidate
        onSubmit={(e) => { e.preventDefault(); setApplied(extension.trim()); }}>
        <label for="recordings-extension">Extension</label>
        <input id="recordings-extension" inputMode="numeric" value={extension}
          onInput={(e) => setExtension(e.currentTarget.value)} />
        <button type="submit">Filter</button>
      </form>
      {error && <p class="error" role="alert">The recordings could not be loaded: {error}</p>}
      {!error && recordings === null && <p class="muted">Loading…</p>}
      {recordings && recordings.length === 0 && <p class="muted">No recordings.</p>}
      {recordings && recordings.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Call recordings</caption>
          <thead>
            <tr>
              <th scope="col">Started</th><th scope="col">From</th><th scope="col">To</th>
              <th scope="col">Length</th><th scope="col">Size</th><th scope="col">Listen</th>
            </tr>
          </thead>
          <tbody>
            {recordings.map((recording) => (
              <tr key={recording.id}>
                <th scope="row">{formatDateTime(new Date(recording.startedMs))}</th>
                <td>{recording.caller}</td>
                <td>{recording.callee}</td>
                <td>{formatDuration(recording.durationMs)}</td>
                <td>{formatBytes(recording.sizeBytes)}</td>
                <td class="actions">
                  {playing === recording.id ? (
                    <audio controls autoPlay preload="metadata" src={recording.audioUrl}
                      aria-label={`Recording ${recording.id}, ${recording.caller} to ${recording.callee}`} />
                  ) : (
                    <button type="button" onClick={() => setPlaying(recording.id)}
                      aria-label={`Play recording ${recording.id}`}>Play</button>
                  )}
                  <a href={recordingDownload(recording).href} download={recordingDownload(recording).name}
                    aria-label={`Download recording ${recording.id}`}>Download</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
