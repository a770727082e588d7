// A line chart as a PNG, without dependencies: lines drawn into an RGB buffer, encoded with node:zlib.
// Chosen over an SVG renderer or a canvas package because those need native libraries (cairo) or a
// browser; this works on any machine that runs Node. No text: the series are named in docs/reliability.md.
import { deflateSync } from 'node:zlib';

export interface Series {
  color: [number, number, number];
  points: { x: number; y: number }[];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Panels stacked vertically, each with its own y scale from 0 to its maximum; a grey frame around each. */
export function lineChartPng(panels: Series[][], width = 800, panelHeight = 200): Buffer {
  const height = panelHeight * panels.length;
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    pixels[i] = r;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, color: [number, number, number]) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / steps);
      const y = Math.round(y0 + ((y1 - y0) * s) / steps);
      set(x, y, color);
      set(x, y + 1, color);
    }
  };
  const margin = 10;
  panels.forEach((series, p) => {
    const top = p * panelHeight + margin;
    const bottom = (p + 1) * panelHeight - margin;
    const grey: [number, number, number] = [200, 200, 200];
    line(margin, top, width - margin, top, grey);
    line(margin, bottom, width - margin, bottom, grey);
    line(margin, top, margin, bottom, grey);
    line(width - margin, top, width - margin, bottom, grey);
    const all = series.flatMap((s) => s.points);
    if (all.length === 0) return;
    const maxX = Math.max(...all.map((pt) => pt.x), 1);
    const maxY = Math.max(...all.map((pt) => pt.y), 1e-9);
    const sx = (x: number) => margin + ((width - 2 * margin) * x) / maxX;
    const sy = (y: number) => bottom - ((bottom - top) * y) / maxY;
    for (const s of series)
      for (let i = 1; i < s.points.length; i++) line(sx(s.points[i - 1]!.x), sy(s.points[i - 1]!.y), sx(s.points[i]!.x), sy(s.points[i]!.y), s.color);
  });
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
