import { chromium, type Browser } from 'playwright-core';
import { chromiumPath } from './test-environment.ts';

/**
 * Debian's Chromium (never a browser a tool downloads), with the flags a closed network needs.
 * CHROMIUM_PATH points elsewhere on other systems.
 */
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium for the browser tests (the provider's sign-in pages, the admin UI). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumFlags, headless: true });
}
