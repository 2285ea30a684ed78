import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to the build. */
export const VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { version: string })
        .version;
    } catch {
      // the other candidate: the file lives one level deeper in dist/
    }
  }
  return '0.0.0';
})();
