#!/usr/bin/env node
// Draws the add-in's icons (a Fluent-blue rounded square holding a white two-arrow sync ring) and writes them
// as real PNG files next to this script: `node assets/make-icons.mjs`. Only node:zlib and node:fs are used,
// so the icons can be regenerated on any machine. Sizes: 16, 32 and 80 px for the ribbon buttons,
// 64 and 128 px for the manifest's IconUrl and HighResolutionIconUrl.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const SIZES = [16, 32, 64, 80, 128];
const BRAND = [0x0f, 0x6c, 0xbd];
const SAMPLES = 4;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** Encodes RGBA pixels (row-major, 4 bytes each) as a PNG: 8-bit truecolour with alpha, no interlace. */
function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Inside the rounded square (unit coordinates, centre 0,0, half-size 1). */
function inSquare(x, y) {
  const r = 0.36;
  const dx = Math.max(Math.abs(x) - (1 - r), 0);
  const dy = Math.max(Math.abs(y) - (1 - r), 0);
  return dx * dx + dy * dy <= r * r;
}

/** On the white glyph: a ring cut into two arcs at left and right, with an arrowhead at each cut. */
function inGlyph(x, y) {
  const radius = Math.hypot(x, y);
  const angle = Math.atan2(y, x);
  const onRing = radius >= 0.38 && radius <= 0.56;
  const inGap = Math.abs(Math.sin(angle)) < 0.3;
  if (onRing && !inGap) return true;
  return [1, -1].some((side) => {
    const tipX = side * 0.47;
    const tipY = side * -0.02;
    const u = (x - tipX) * side;
    const v = (y - tipY) * side;
    return v <= 0 && v >= -0.3 && Math.abs(u) <= (0.3 + v) * 0.9;
  });
}

function draw(size) {
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let cover = 0;
      let white = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = ((px + (sx + 0.5) / SAMPLES) / size) * 2 - 1;
          const y = ((py + (sy + 0.5) / SAMPLES) / size) * 2 - 1;
          if (!inSquare(x, y)) continue;
          cover++;
          if (inGlyph(x, y)) white++;
        }
      }
      const total = SAMPLES * SAMPLES;
      const offset = (py * size + px) * 4;
      const mix = cover === 0 ? 0 : white / cover;
      for (let c = 0; c < 3; c++) rgba[offset + c] = Math.round(BRAND[c] * (1 - mix) + 255 * mix);
      rgba[offset + 3] = Math.round((cover / total) * 255);
    }
  }
  return encodePng(size, rgba);
}

for (const size of SIZES) {
  const file = new URL(`./icon-${size}.png`, import.meta.url);
  writeFileSync(file, draw(size));
  process.stdout.write(`wrote ${file.pathname}\n`);
}
