// Debian's Chromium as every browser script here launches it: headless, offline (every host
// but 127.0.0.1 unresolvable), software rendering.
import { chromium } from 'playwright-core';

/** Launches Chromium (`CHROMIUM`, else /usr/bin/chromium). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
}
