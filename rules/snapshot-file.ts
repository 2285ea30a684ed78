/** Keeps the rules engine's state in a JSON file, so a restart continues without a second warm-up. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RulesSnapshot } from './engine.js';

export const SNAPSHOT_FILE_NAME = 'rules-state.json';

export class SnapshotFile {
  readonly path: string;
  /** Saves run one after another: two writers renaming over each other could lose the newer state. */
  #saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    name = SNAPSHOT_FILE_NAME,
  ) {
    this.path = join(dir, name);
  }

  /** The saved snapshot, or null when there is none yet. */
  async load(): Promise<RulesSnapshot | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return JSON.parse(text) as RulesSnapshot;
    } catch (error) {
      throw new Error(
        `${this.path}: not a rules snapshot (${(error as Error).message}); delete it to start afresh`,
      );
    }
  }

  /** Writes the snapshot atomically: a crash mid-write leaves the previous one in place. */
  save(snapshot: RulesSnapshot): Promise<void> {
    const text = JSON.stringify(snapshot);
    const write = async () => {
      await mkdir(this.dir, { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.path);
    };
    this.#saving = this.#saving.then(write, write);
    return this.#saving;
  }
}
