#!/bin/sh
# Desktop integration and packaging: the desktop entries, the AppStream
# metainfo, the man page, the settings schema and the Flatpak manifest are
# valid, and an install puts every file where the desktop and Flatpak expect it.
#
# Usage: test-desktop.sh SOURCE_ROOT BUILD_ROOT
#
# SPDX-License-Identifier: GPL-3.0-or-later

set -u

src=${1:?usage: test-desktop.sh SOURCE_ROOT BUILD_ROOT}
build=${2:?usage: test-desktop.sh SOURCE_ROOT BUILD_ROOT}
failures=0
stage=

cleanup () {
  [ -n "$stage" ] && rm -rf "$stage"
}
trap cleanup EXIT

fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

pass () {
  echo "ok: $*"
}

# tool, Debian package
need () {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "FAIL: '$1' not found; install the Debian package $2" >&2
    exit 1
  fi
}

need desktop-file-validate desktop-file-utils
need appstreamcli appstream
need groff groff-base
need glib-compile-schemas libglib2.0-bin
need python3 python3
need meson meson

# Fails on every message, not only on errors: a hint today is a broken
# menu entry on the next distribution.
for f in uz.kerio.Cti.desktop uz.kerio.Cti-autostart.desktop; do
  if out=$(desktop-file-validate "$build/data/$f" 2>&1) && [ -z "$out" ]; then
    pass "$f validates"
  else
    fail "desktop-file-validate $f:"
    echo "$out" >&2
  fi
done

# The entry as the repository keeps it (at the top, as the design card has it)
# validates by itself, before the translations are merged in.
if out=$(desktop-file-validate "$src/uz.kerio.Cti.desktop" 2>&1) && [ -z "$out" ]; then
  pass "the top-level uz.kerio.Cti.desktop validates"
else
  fail "desktop-file-validate $src/uz.kerio.Cti.desktop:"
  echo "$out" >&2
fi

entry_value () {
  sed -n "s/^$2=//p" "$1" | head -n 1
}

desktop=$build/data/uz.kerio.Cti.desktop
for kv in 'Exec=kerio-cti' 'Icon=uz.kerio.Cti' 'Terminal=false' 'Type=Application' \
          'DBusActivatable=true' 'StartupNotify=true' 'X-GNOME-UsesNotifications=true'; do
  grep -qx "$kv" "$desktop" || fail "uz.kerio.Cti.desktop lacks $kv"
done

# The preferences write the user's autostart file themselves; it must start
# the program the same way as the shipped one.
autostart=$build/data/uz.kerio.Cti-autostart.desktop
prefs=$src/src/ui/kc-preferences-window.c
for key in Exec X-GNOME-Autostart-enabled Type; do
  want=$(entry_value "$autostart" "$key")
  if ! grep -q "\"$key=$want\\\\n\"" "$prefs"; then
    fail "autostart $key=$want differs from what $prefs writes"
  fi
done
[ "$(entry_value "$autostart" Exec)" = "kerio-cti --background" ] \
  || fail "autostart entry does not start with --background"

# --no-net: screenshot URLs are checked for form only.
metainfo=$build/data/uz.kerio.Cti.metainfo.xml
if out=$(appstreamcli validate --no-net "$metainfo" 2>&1); then
  pass "metainfo validates"
else
  fail "appstreamcli validate --no-net uz.kerio.Cti.metainfo.xml:"
  echo "$out" >&2
fi

man_page=$src/data/kerio-cti.1
if out=$(groff -man -ww -z "$man_page" 2>&1) && [ -z "$out" ]; then
  pass "man page formats without warnings"
else
  fail "groff -man -ww kerio-cti.1:"
  echo "$out" >&2
fi
if command -v man >/dev/null 2>&1; then
  if out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man_page" 2>&1 >/dev/null) \
     && [ -z "$out" ]; then
    pass "man --warnings is silent"
  else
    fail "man --warnings -l kerio-cti.1:"
    echo "$out" >&2
  fi
fi

# Every option --help shows is documented in the man page.
help=$("$build/src/kerio-cti" --help 2>&1) || fail "kerio-cti --help failed"
options=$(printf '%s\n' "$help" | sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p')
[ -n "$options" ] || fail "kerio-cti --help lists no options"
options_section=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man_page")
for opt in $options; do
  # In roff a dash is written \-; each option heads a .TP paragraph
  roff=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
  if ! printf '%s\n' "$options_section" | grep -q -- "^\.B[IR]\{0,1\} .*$roff\($\|[ =\"]\)"; then
    fail "man page OPTIONS does not document $opt"
  fi
done
for var in KERIO_PBX_HOST KERIO_API_USERNAME KERIO_API_PASSWORD KERIO_POLL_INTERVAL \
           KERIO_SYNC_INTERVAL KERIO_EXTENSION KERIO_EXTENSION_DIGITS KERIO_TLS_PIN \
           KERIO_CAPTURE KERIO_CAPTURE_ANONYMIZE KERIO_LOOKUP_URL KERIO_CRM_URL; do
  grep -q "^\.B $var\$" "$man_page" || fail "man page ENVIRONMENT lacks $var"
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES 'EXIT STATUS' 'SEE ALSO'; do
  grep -q "^\.SH \"\{0,1\}$section\"\{0,1\}\$" "$man_page" || fail "man page lacks section $section"
done
[ "$failures" -eq 0 ] && pass "man page documents every option and variable"

if out=$(glib-compile-schemas --strict --dry-run "$src/data" 2>&1); then
  pass "settings schema compiles strictly"
else
  fail "glib-compile-schemas --strict:"
  echo "$out" >&2
fi

manifest=$src/flatpak/uz.kerio.Cti.json
if out=$(python3 - "$manifest" 2>&1 <<'PYEOF'
import json, sys

with open(sys.argv[1]) as f:
    m = json.load(f)

problems = []
if m.get("id", m.get("app-id")) != "uz.kerio.Cti":
    problems.append("app id is not uz.kerio.Cti")
if m.get("command") != "kerio-cti":
    problems.append("command is not kerio-cti")
if m.get("runtime") != "org.gnome.Platform" or m.get("sdk") != "org.gnome.Sdk":
    problems.append("runtime/sdk is not org.gnome.Platform/org.gnome.Sdk")
want = ["--share=network", "--socket=wayland", "--socket=fallback-x11",
        "--share=ipc", "--socket=pulseaudio",
        "--talk-name=org.freedesktop.Notifications",
        "--talk-name=org.kde.StatusNotifierWatcher",
        "--talk-name=org.freedesktop.secrets"]
if m.get("finish-args") != want:
    problems.append("finish-args are %r, not %r" % (m.get("finish-args"), want))

def sources(modules):
    for mod in modules:
        if isinstance(mod, str):
            problems.append("module %s is an external file; inline it" % mod)
            continue
        for s in mod.get("sources", []):
            yield mod.get("name"), s
        yield from sources(mod.get("modules", []))

modules = m.get("modules", [])
if not modules or modules[-1].get("name") != "kerio-cti" \
   or modules[-1].get("buildsystem") != "meson":
    problems.append("the last module is not kerio-cti built with meson")
for name, s in sources(modules):
    if isinstance(s, str):
        problems.append("%s: source %s is an external file" % (name, s))
    elif s.get("type") in ("dir", "file") and "path" in s:
        pass
    elif "url" in s and "sha256" in s:
        pass
    elif s.get("type") == "git" and "commit" in s:
        pass
    else:
        problems.append("%s: source %r is neither local nor pinned" % (name, s))

print("\n".join(problems))
sys.exit(1 if problems else 0)
PYEOF
); then
  pass "Flatpak manifest"
else
  fail "flatpak/uz.kerio.Cti.json:"
  echo "$out" >&2
fi

# What the desktop, AppStream and Flatpak look for after an install.
stage=$(mktemp -d)
if out=$(meson install -C "$build" --no-rebuild --quiet --destdir "$stage" 2>&1); then
  prefix=$(meson introspect --buildoptions "$build" \
           | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
  libdir=$(meson introspect --buildoptions "$build" \
           | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"][0])')
  root=$stage$prefix
  case $libdir in
    /*) module_dir=$stage$libdir/kerio-cti ;;
    *) module_dir=$root/$libdir/kerio-cti ;;
  esac
  # The desktop application, which kerio-cti loads for a GUI start
  [ -f "$module_dir/kerio-cti-gui.so" ] || fail "meson install does not produce $module_dir/kerio-cti-gui.so"
  for f in bin/kerio-cti \
           share/applications/uz.kerio.Cti.desktop \
           share/metainfo/uz.kerio.Cti.metainfo.xml \
           share/icons/hicolor/scalable/apps/uz.kerio.Cti.svg \
           share/icons/hicolor/symbolic/apps/uz.kerio.Cti-symbolic.svg \
           share/icons/hicolor/symbolic/apps/uz.kerio.Cti-connecting-symbolic.svg \
           share/icons/hicolor/symbolic/apps/uz.kerio.Cti-error-symbolic.svg \
           share/icons/hicolor/symbolic/apps/uz.kerio.Cti-ringing-symbolic.svg \
           share/glib-2.0/schemas/uz.kerio.Cti.gschema.xml \
           share/dbus-1/services/uz.kerio.Cti.service \
           share/man/man1/kerio-cti.1 \
           share/kerio-cti/uz.kerio.Cti-autostart.desktop; do
    [ -f "$root/$f" ] || fail "meson install does not produce $f"
  done
  # D-Bus activation starts the binary the desktop entry names
  exec_line=$(sed -n 's/^Exec=//p' "$root/share/dbus-1/services/uz.kerio.Cti.service")
  [ "$exec_line" = "$prefix/bin/kerio-cti --gapplication-service" ] \
    || fail "D-Bus service starts '$exec_line'"
  grep -qx 'Name=uz.kerio.Cti' "$root/share/dbus-1/services/uz.kerio.Cti.service" \
    || fail "D-Bus service name is not the app id, so DBusActivatable cannot work"
  pass "install layout checked"
else
  fail "meson install --destdir failed:"
  echo "$out" >&2
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all desktop integration checks passed"
exit 0
