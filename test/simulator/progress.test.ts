import { describe, expect, it } from 'vitest';
import { terminalProgressBar } from '../../simulator/progress.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress bar', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const { stream, written } = fakeStream(false);
    expect(terminalProgressBar(stream)).toBeNull();
    expect(written).toEqual([]);
  });

  it('redraws one line at most ten times a second on a terminal, always at 100 %, and clears it', () => {
    const { stream, written } = fakeStream(true);
    let now = 0;
    const bar = terminalProgressBar(stream, () => now);
    bar?.update(0.25, '1,000 rows');
    now = 50;
    bar?.update(0.3, '1,200 rows');
    now = 150;
    bar?.update(0.5, '2,000 rows');
    bar?.update(1, '4,000 rows');
    bar?.done();
    expect(written).toHaveLength(4);
    expect(written[0]).toMatch(/^\r\[#{8}-{22}\] {2}25% {2}1,000 rows {2}0\.0 s $/);
    expect(written[1]).toContain(' 50%  2,000 rows  0.1 s');
    expect(written[2]).toMatch(/^\r\[#{30}\] 100% {2}4,000 rows/);
    expect(written[3]).toBe('\r\x1b[2K');
  });
});
