// Draws Parley's app icons (a white ring and dot on green, the "speech" mark) as PNG files with
// nothing but node:zlib, so no image tool is needed. The PNGs are committed; run this only to
// change them:  node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const GREEN = [0x0b, 0x6e, 0x4f];
const WHITE = [0xff, 0xff, 0xff];

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// Colour of pixel (x, y) in a size×size icon; `safe` shrinks the mark into the maskable zone.
function pixel(x, y, size, safe) {
  const c = size / 2;
  const d = Math.hypot(x + 0.5 - c, y + 0.5 - c) / size;
  const scale = safe ? 0.8 : 1;
  const ringOuter = 0.3 * scale;
  const ringInner = 0.22 * scale;
  const dot = 0.09 * scale;
  if ((d <= ringOuter && d >= ringInner) || d <= dot) return WHITE;
  return GREEN;
}

function png(size, safe) {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) raw.set(pixel(x, y, size, safe), row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = new URL('../public/icons/', import.meta.url);
writeFileSync(new URL('icon-192.png', out), png(192, false));
writeFileSync(new URL('icon-512.png', out), png(512, false));
writeFileSync(new URL('maskable-512.png', out), png(512, true));
writeFileSync(
  new URL('icon.svg', out),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <rect width="100" height="100" rx="18" fill="#0b6e4f"/>
  <circle cx="50" cy="50" r="26" fill="none" stroke="#fff" stroke-width="8"/>
  <circle cx="50" cy="50" r="9" fill="#fff"/>
</svg>
`,
);
