// Where the bayledger package lives, found by walking up from this module to the package.json
// named "bayledger". The same code then works from cli/ under tsx and from dist/cli/ after a
// build, and finds the bundled templates in network-config/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from '../src/core/errors.js';

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
}

function findPackageRoot(): { root: string; manifest: PackageJson } {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as PackageJson;
      if (manifest.name === 'bayledger') return { root: directory, manifest };
    }
    const parent = path.dirname(directory);
    // The CLI's own files are inside the package, so the search ends before the file system's root.
    assert(parent !== directory, 'cannot find the bayledger package.json above the CLI');
    directory = parent;
  }
}

const found = findPackageRoot();

export const PACKAGE_ROOT: string = found.root;
export const PACKAGE_VERSION: string = found.manifest.version ?? '0.0.0';
/** The sample network template `network init` uses when no --template is given. */
export const DEFAULT_TEMPLATE_PATH: string = path.join(PACKAGE_ROOT, 'network-config', 'gba-health.json');
