// Preloaded with --import: writes every module the process resolved, one URL a line, to the
// file RESTORE_DRILL_LOADS_FILE names when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  writeFileSync(process.env.RESTORE_DRILL_LOADS_FILE, [...loaded].join('\n'));
});
