// Serves the self-service MFA page: static HTML, its ES modules, one stylesheet and an icon from public/mfa.
// The page talks to the API with same-origin fetches; nothing here touches tokens.

import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, sep } from 'node:path';
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

/** The only kinds of file served; anything else in the folder (notes, editor backups) stays private. */
const ASSET_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PAGE_FILE = 'index.html';
/** Assets change with every release and carry no version in their URL, so the browser revalidates them. */
const ASSET_CACHE_CONTROL = 'no-cache';

/** Folder with the page's files; the same relative path works from src/ui and dist/ui. */
export const UI_PUBLIC_DIR = fileURLToPath(new URL('../../public/mfa/', import.meta.url));

/** Files under /mfa/assets/, as URL paths relative to UI_PUBLIC_DIR (forward slashes, subfolders included). */
export async function listUiAssets(): Promise<string[]> {
  const entries = await readdir(UI_PUBLIC_DIR, { recursive: true });
  return entries
    .map((entry) => entry.split(sep).join('/'))
    .filter((path) => extname(path) in ASSET_CONTENT_TYPES && !path.split('/').some((part) => part.startsWith('.')))
    .sort();
}

/** The one third-party file the page loads: @simplewebauthn/browser's bundle, from our own origin (no CDN). */
export const WEBAUTHN_BROWSER_ASSET = 'vendor/simplewebauthn-browser.js';

/** The installed bundle of @simplewebauthn/browser (its package exports only the entry point, so found from it). */
export function webauthnBrowserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const marker = `${sep}@simplewebauthn${sep}browser${sep}`;
  return join(entry.slice(0, entry.lastIndexOf(marker) + marker.length), 'dist', 'bundle', 'index.umd.min.js');
}

/**
 * Registers GET /mfa and one exact route per asset. Files are read once, here; a missing page fails
 * registration. Only the listed files have routes, so no request path ever reaches the file system:
 * `..`, encoded slashes and any other name the router does not know end in the ordinary 404.
 */
export async function registerUiRoutes(app: FastifyInstance): Promise<void> {
  const page = { url: '/mfa', file: PAGE_FILE, contentType: 'text/html; charset=utf-8', cacheControl: 'no-store' };
  const assets = (await listUiAssets()).map((file) => ({
    url: `/mfa/assets/${file}`,
    file,
    contentType: ASSET_CONTENT_TYPES[extname(file)]!,
    cacheControl: ASSET_CACHE_CONTROL,
  }));
  const vendor = {
    url: `/mfa/assets/${WEBAUTHN_BROWSER_ASSET}`,
    file: webauthnBrowserBundle(),
    contentType: ASSET_CONTENT_TYPES['.js']!,
    cacheControl: ASSET_CACHE_CONTROL,
  };
  const loaded = await Promise.all([
    ...[page, ...assets].map(async (asset) => ({ ...asset, body: await readFile(join(UI_PUBLIC_DIR, asset.file)) })),
    readFile(vendor.file).then((body) => ({ ...vendor, body })),
  ]);

  for (const asset of loaded) {
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': asset.contentType,
      'cache-control': asset.cacheControl,
    };
    app.get(asset.url, async (_request, reply: FastifyReply) => reply.headers(headers).send(asset.body));
  }
}
