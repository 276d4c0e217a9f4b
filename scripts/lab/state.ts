// The lab's state file: the namespaces it made and each host's processes.
// It lets another process (the CLI, a test run's exit handler) find and
// tear down what up() started.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { LabOptions } from './topology';

export interface HostState {
  /** the process that owns the host's mount and UTS namespaces */
  holder: number;
  sshd?: number;
  http?: number;
  /** the host's public key file */
  hostKey?: string;
}

export interface LabState {
  options: LabOptions;
  namespaces: string[];
  hosts: Record<string, HostState>;
  upSeconds?: number;
}

export async function readState(file: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** The same, for the synchronous teardown. */
export function readStateSync(file: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function writeState(file: string, s: LabState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(s, null, 2));
}

/** Every process the state file knows of. */
export function statePids(s: LabState | undefined): number[] {
  return Object.values(s?.hosts ?? {}).flatMap((h) =>
    [h.holder, h.sshd, h.http].filter((p): p is number => !!p),
  );
}
