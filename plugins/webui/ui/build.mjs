// Builds the console into dist/: esbuild bundles src/main.tsx (Preact, hls.js, uPlot) and src/styles.css into
// content-hashed files, and index.html names them. `node build.mjs --tests` bundles test/*.test.ts for node --test.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const budget = 300 * 1024; // the whole console, gzipped (issue 18)

if (process.argv.includes('--tests')) {
  const tests = (await readdir(path.join(root, 'test'))).filter((f) => f.endsWith('.test.ts'));
  await rm(path.join(root, 'dist-tests'), { recursive: true, force: true });
  await build({
    entryPoints: tests.map((f) => path.join(root, 'test', f)),
    outdir: path.join(root, 'dist-tests'),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outExtension: { '.js': '.mjs' },
    jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'warning',
  });
} else {
  const dist = path.join(root, 'dist');
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  const result = await build({
    entryPoints: { main: path.join(root, 'src/main.tsx'), styles: path.join(root, 'src/styles.css') },
    outdir: dist, entryNames: '[name]-[hash]', bundle: true, minify: true, format: 'esm', target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic', jsxImportSource: 'preact', metafile: true, legalComments: 'none', logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const js = outputs.find((f) => f.startsWith('main-') && f.endsWith('.js'));
  const css = outputs.find((f) => f.startsWith('styles-') && f.endsWith('.css'));
  const html = (await readFile(path.join(root, 'src/index.html'), 'utf8')).replace('%MAIN_JS%', js).replace('%STYLES_CSS%', css);
  await writeFile(path.join(dist, 'index.html'), html);
  await writeFile(path.join(dist, 'favicon.svg'), await readFile(path.join(root, 'src/favicon.svg')));
  let total = 0;
  for (const f of await readdir(dist)) {
    total += gzipSync(await readFile(path.join(dist, f)), { level: 9 }).length;
  }
  console.log(`webui: ${js}, ${css}: ${(total / 1024).toFixed(1)} KiB gzipped (budget ${budget / 1024} KiB)`);
  if (total > budget) {
    console.error(`webui: the console is ${total} bytes gzipped, over the ${budget}-byte budget`);
    process.exit(1);
  }
}
