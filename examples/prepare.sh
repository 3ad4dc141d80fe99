#!/usr/bin/env bash
# Turns each sample repository under examples/repos-src/<name> into a git repository at
# <dest-dir>/<name> with one commit on branch main. Author, committer and dates are fixed,
# so the commit id is the same on every machine.
#
# usage: examples/prepare.sh [--force] [dest-dir]
#   dest-dir  default: examples/repos (git-ignored)
#   --force   delete and recreate repositories that already exist
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src_root="${here}/repos-src"
force=0
dest_root=""

for arg in "$@"; do
  case "${arg}" in
    --force) force=1 ;;
    -h|--help)
      sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*) echo "prepare.sh: unknown option ${arg}" >&2; exit 2 ;;
    *)
      if [[ -n "${dest_root}" ]]; then
        echo "prepare.sh: only one destination directory may be given" >&2
        exit 2
      fi
      dest_root="${arg}"
      ;;
  esac
done
dest_root="${dest_root:-${here}/repos}"
mkdir -p "${dest_root}"
dest_root="$(cd "${dest_root}" && pwd -P)"

# Fixed identity and clock: the commit id depends only on the files.
export GIT_AUTHOR_NAME="Slipway Examples"
export GIT_AUTHOR_EMAIL="examples@slipway.invalid"
export GIT_COMMITTER_NAME="${GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_AUTHOR_EMAIL}"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00+0000"
export GIT_COMMITTER_DATE="${GIT_AUTHOR_DATE}"
# Ignore the caller's git configuration (hooks, templates, signing, autocrlf).
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null
export GIT_TEMPLATE_DIR=""

shopt -s nullglob
for src in "${src_root}"/*/; do
  name="$(basename "${src}")"
  dest="${dest_root}/${name}"

  if [[ -e "${dest}" ]]; then
    if [[ "${force}" -eq 0 ]] && git -C "${dest}" rev-parse --verify -q HEAD >/dev/null 2>&1 \
        && [[ "$(git -C "${dest}" rev-parse --show-toplevel)" == "${dest}" ]]; then
      echo "${name}: exists at ${dest} ($(git -C "${dest}" rev-parse --short HEAD)), skipped"
      continue
    fi
    rm -rf "${dest}"
  fi

  mkdir -p "${dest}"
  # Copy without caches left behind by a local test run.
  tar -C "${src}" \
      --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.pyc' \
      -cf - . | tar -C "${dest}" -xf -
  find "${dest}" -type d -exec chmod 755 {} +
  find "${dest}" -type f -exec chmod 644 {} +

  git -C "${dest}" init -q --initial-branch=main
  git -C "${dest}" config commit.gpgsign false
  git -C "${dest}" add -A
  git -C "${dest}" commit -q -m "Initial import of ${name}"
  echo "${name}: created at ${dest} ($(git -C "${dest}" rev-parse --short HEAD))"
done
