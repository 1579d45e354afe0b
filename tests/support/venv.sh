# Sourced by the test scripts: `venv_with DIR REQUIREMENTS` makes a Python venv at DIR with the
# pinned REQUIREMENTS installed, and installs again only when that file changes (a copy of it
# is kept in the venv once the install succeeded).
venv_with() {
  local venv="$1" requirements="$2"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
    echo "--- installing $(basename "$venv") ($requirements)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
  fi
}
