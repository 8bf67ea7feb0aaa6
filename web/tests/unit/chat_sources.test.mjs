// The chat's sources never hand text to the HTML parser: message bodies and file names stay
// text nodes (docs/chat-protocol.md: markup is text). A second line behind the rendering test
// in chat_state.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const folder = join(dirname(fileURLToPath(import.meta.url)), '../../src/chat');

it('no chat source uses dangerouslySetInnerHTML, innerHTML or insertAdjacentHTML', () => {
  const files = readdirSync(folder);
  expect(files.length).toBeGreaterThan(3);
  for (const file of files) {
    const text = readFileSync(join(folder, file), 'utf8');
    expect(text, file).not.toMatch(/dangerouslySetInnerHTML|innerHTML|insertAdjacentHTML/);
  }
});
