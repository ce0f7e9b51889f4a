#!/usr/bin/env bash
# Installs the four coding-agent CLIs gt has presets for, at pinned versions, into a cache outside
# the repository (the preset tests read their --help and run them in tmux). A no-op when the cache
# already holds exactly these versions. Bump a version here and the flag tests check the new CLI.
set -euo pipefail

cache="${GT_AGENTS_CACHE:-$HOME/.cache/gt-agents}"
pins=(
  "@anthropic-ai/claude-code@2.1.332"
  "@openai/codex@0.171.0"
  "@google/gemini-cli@0.61.0"
  "opencode-ai@1.18.33"
)

installed_version() {
  local manifest="$cache/node_modules/$1/package.json"
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest"
}

missing=()
for pin in "${pins[@]}"; do
  name="${pin%@*}"
  version="${pin##*@}"
  [ "$(installed_version "$name")" = "$version" ] || missing+=("$pin")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "agent CLIs already installed in $cache"
  exit 0
fi

mkdir -p "$cache"
[ -f "$cache/package.json" ] || echo '{"name":"gt-agents-cache","private":true}' >"$cache/package.json"
npm install --prefix "$cache" --save-exact --no-audit --no-fund "${pins[@]}"
echo "agent CLIs installed in $cache"
