import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..');

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** One YAML document (merge keys `<<:` resolved, as Docker Compose and kubectl read them). */
export function readYaml(path: string): any {
  return parse(readRepoFile(path), { merge: true });
}

/** Every document of a multi-document YAML file. */
export function readYamlDocuments(path: string): any[] {
  return parseAllDocuments(readRepoFile(path), { merge: true })
    .map((d) => {
      if (d.errors.length) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
}

/**
 * The role names of `smarthydro start --roles`, read from ROLE_STARTERS in src/main.ts (main.ts runs the CLI
 * when imported, so it is read as text).
 */
export function roleNames(): string[] {
  const main = readRepoFile('src/main.ts');
  const block = main.slice(main.indexOf('const ROLE_STARTERS'), main.indexOf('];', main.indexOf('const ROLE_STARTERS')));
  const names = [...block.matchAll(/\[\s*'([a-z]+)'\s*,/g)].map((m) => m[1]!);
  if (names.length < 5) throw new Error(`could not read the roles from src/main.ts (found ${names.join(', ')})`);
  return names;
}
