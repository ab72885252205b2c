import type { BrowserContext } from 'playwright-core';

export { CHROMIUM, launchChromium } from '../../bench/chromium';

/**
 * Aborts every request of the context that would leave this machine (anything but loopback,
 * blob: and data:) and returns the list of what was refused, so a test can prove a page works
 * offline.
 */
export async function blockExternal(context: BrowserContext): Promise<string[]> {
  const external: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(url.hostname) || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
    external.push(url.href);
    return route.abort();
  });
  return external;
}
