// The one place the CLI prints YAML. This module imports `yaml` statically and is itself loaded
// lazily: esbuild's split bundle hands a lazily imported CommonJS package (yaml is one) over as
// its default export only, so `(await import('yaml')).stringify` was undefined in the bundle.
import { stringify } from 'yaml';

/** What `-o json` prints, as YAML: the same JSON value (no folding of long lines, so grep finds them). */
export function toYaml(value: unknown): string {
  return stringify(JSON.parse(JSON.stringify(value) ?? 'null'), { lineWidth: 0 });
}
