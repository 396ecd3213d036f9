import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (never a browser a tool downloads), with the flags a closed network needs.
 * CHROMIUM_PATH points elsewhere on other systems.
 */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumFlags, headless: true });
}
