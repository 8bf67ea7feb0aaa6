// Twelve keys; used to type a number before a call and to send DTMF during one.
const KEYS: Array<[string, string]> = [
  ['1', ''], ['2', 'ABC'], ['3', 'DEF'],
  ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
  ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'],
  ['*', ''], ['0', '+'], ['#', ''],
];

const SPOKEN: Record<string, string> = { '*': 'star', '#': 'pound' };

interface Props {
  label: string;
  onKey: (key: string) => void;
}

export function DialPad({ label, onKey }: Props) {
  return (
    <div class="dial-pad" role="group" aria-label={label}>
      {KEYS.map(([key, letters]) => (
        <button
          type="button"
          key={key}
          aria-label={`${label}: ${SPOKEN[key] ?? key}`}
          onClick={() => onKey(key)}
        >
          <span class="digit">{key}</span>
          <span class="letters" aria-hidden="true">{letters}</span>
        </button>
      ))}
    </div>
  );
}
