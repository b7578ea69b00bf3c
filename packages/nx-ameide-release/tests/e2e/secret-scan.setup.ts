/**
 * After every e2e file: the outputs of every nx run in its scratch workspaces are scanned for every
 * secret of its sandboxes (plain, URL-encoded, base64, inside Basic auth): one hit fails the file.
 * The scanner is tools/drills/secret-scan.js, the same the drills use (docs/drills.md).
 */
import { join } from 'node:path';
import { REPO_ROOT, scanned } from './workspace';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { scanTexts } = require(join(REPO_ROOT, 'tools', 'drills', 'secret-scan.js'));

afterAll(() => {
  if (!Object.keys(scanned.secrets).length) return; // this file started no sandbox
  const texts: Record<string, string> = {};
  scanned.workspaces.forEach((ws, i) => ws.outputs.forEach((out, j) => (texts[`workspace ${i}, run ${j}`] = out)));
  const hits = scanTexts(texts, scanned.secrets) as { source: string; secret: string; form: string }[];
  if (hits.length) throw new Error(`secret scan: ${hits.map((h) => `${h.secret} (${h.form}) in ${h.source}`).join('; ')}`);
});
