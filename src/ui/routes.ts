// Serves the self-service MFA page: static HTML, one ES module and one stylesheet from public/mfa.
// The page talks to the API with same-origin fetches; nothing here touches tokens.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Strict policy: no inline script or style, only same-origin resources, data: images for the QR code. */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Asset {
  url: string;
  file: string;
  contentType: string;
  cacheControl: string;
}

const ASSETS: readonly Asset[] = [
  { url: '/mfa', file: 'index.html', contentType: 'text/html; charset=utf-8', cacheControl: 'no-store' },
  { url: '/mfa/assets/app.js', file: 'app.js', contentType: 'text/javascript; charset=utf-8', cacheControl: 'no-cache' },
  { url: '/mfa/assets/app.css', file: 'app.css', contentType: 'text/css; charset=utf-8', cacheControl: 'no-cache' },
  { url: '/mfa/assets/favicon.svg', file: 'favicon.svg', contentType: 'image/svg+xml', cacheControl: 'no-cache' },
];

/** Folder with the page's files; the same relative path works from src/ui and dist/ui. */
export const UI_PUBLIC_DIR = fileURLToPath(new URL('../../public/mfa/', import.meta.url));

/** Registers GET /mfa and its assets. Files are read once, here; a missing file fails registration. */
export async function registerUiRoutes(app: FastifyInstance): Promise<void> {
  const loaded = await Promise.all(
    ASSETS.map(async (asset) => ({ ...asset, body: await readFile(join(UI_PUBLIC_DIR, asset.file)) })),
  );

  for (const asset of loaded) {
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': asset.contentType,
      'cache-control': asset.cacheControl,
    };
    app.get(asset.url, async (_request, reply: FastifyReply) => reply.headers(headers).send(asset.body));
  }
}
