#!/bin/sh
# Checks the translations the way a release would: every .po compiles with
# msgfmt -c, every translatable source file is in po/POTFILES.in, every
# string of a freshly extracted template is in every catalogue, nothing is
# untranslated or fuzzy, and Uzbek Latin uses the right apostrophes.
#
# Usage: test-i18n.sh [SOURCE_ROOT]; without an argument the source root is
# the parent of $G_TEST_SRCDIR (the tests directory) or of this script.
# Output is TAP. Needs gettext (msgfmt, msgmerge, msgattrib, msgcat, xgettext).

set -u

if [ $# -ge 1 ]; then
  srcroot=$1
elif [ -n "${G_TEST_SRCDIR:-}" ]; then
  srcroot=$G_TEST_SRCDIR/..
else
  srcroot=$(dirname "$0")/..
fi
cd "$srcroot" || { echo "Bail out! no source root $srcroot"; exit 1; }
po=po

for tool in msgfmt msgmerge msgattrib msgcat xgettext; do
  command -v "$tool" >/dev/null 2>&1 || { echo "Bail out! $tool not found (install gettext)"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-i18n.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

failed=0
n=0
result () { # result OK|FAIL description
  n=$((n + 1))
  if [ "$1" = OK ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
  fi
}
diag () { sed 's/^/# /'; }

linguas=$(sed -e 's/#.*//' "$po/LINGUAS" | tr -s ' \t' '\n\n' | sed '/^$/d')
sed -e 's/#.*//' -e 's/[ \t]*$//' -e '/^$/d' "$po/POTFILES.in" | sort -u >"$tmp/potfiles"

echo "1..7"

# 1. Every language in LINGUAS has a catalogue that msgfmt -c accepts.
status=OK
for lang in $linguas; do
  if [ ! -f "$po/$lang.po" ]; then
    echo "$po/$lang.po is listed in LINGUAS but does not exist" | diag
    status=FAIL
  elif ! msgfmt -c --check-format -o /dev/null "$po/$lang.po" >"$tmp/msgfmt" 2>&1; then
    echo "msgfmt -c rejects $po/$lang.po:" | diag
    diag <"$tmp/msgfmt"
    status=FAIL
  fi
done
result $status "msgfmt -c --check-format accepts every catalogue ($(echo $linguas))"

# 2. POTFILES.in names only files that exist.
status=OK
while read -r f; do
  if [ ! -f "$f" ]; then
    echo "POTFILES.in lists $f, which does not exist" | diag
    status=FAIL
  fi
done <"$tmp/potfiles"
result $status "every file in POTFILES.in exists"

# 3. Every source file with a translatable string is in POTFILES.in.
{
  find src -name '*.c' -o -name '*.h' | sort |
    xargs grep -lE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|Q_|ngettext|g_dngettext|g_dpgettext2)[ ]*\('
  find src data -name '*.ui' | sort | xargs -r grep -l 'translatable="yes"'
  find data -name '*.gschema.xml' -o -name '*.desktop.in' -o -name '*.metainfo.xml.in' \
    -o -name '*.appdata.xml.in' | sort
  find . -maxdepth 1 -name '*.desktop' | sort
} | sed 's|^\./||' | sort -u >"$tmp/marked"
comm -23 "$tmp/marked" "$tmp/potfiles" >"$tmp/unlisted"
if [ -s "$tmp/unlisted" ]; then
  echo "these files have translatable strings but are missing from po/POTFILES.in:" | diag
  diag <"$tmp/unlisted"
  result FAIL "every file with translatable strings is in POTFILES.in"
else
  result OK "every file with translatable strings is in POTFILES.in"
fi

# 4. A fresh template, extracted like meson's i18n.gettext(preset: 'glib').
if xgettext --package-name=kerio-cti -o "$tmp/fresh.pot" -D . -f "$tmp/potfiles" \
     --from-code=UTF-8 --add-comments \
     --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
     --keyword=ngettext:1,2 \
     --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
     --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
     --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
     --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
     --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
     --flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
     --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
     >"$tmp/xgettext" 2>&1; then
  result OK "xgettext extracts a template from POTFILES.in"
else
  diag <"$tmp/xgettext"
  result FAIL "xgettext extracts a template from POTFILES.in"
  echo "Bail out! no template to compare the catalogues with"
  exit 1
fi

# One line per message: context, EOT, msgid (header and obsolete ones left out).
keys () {
  msgcat --no-wrap --no-location "$1" | awk '
    /^msgctxt / { ctxt = substr($0, 9); next }
    /^msgid /   { id = substr($0, 7); if (id != "\"\"") print ctxt "\004" id; ctxt = "" }'
}
keys "$tmp/fresh.pot" | sort -u >"$tmp/template.keys"

# 5. Every string of the sources is in every catalogue.
status=OK
for lang in $linguas; do
  [ -f "$po/$lang.po" ] || continue
  msgattrib --no-obsolete "$po/$lang.po" -o "$tmp/$lang.live.po"
  keys "$tmp/$lang.live.po" | sort -u >"$tmp/$lang.keys"
  comm -23 "$tmp/template.keys" "$tmp/$lang.keys" >"$tmp/$lang.missing"
  if [ -s "$tmp/$lang.missing" ]; then
    echo "$po/$lang.po lacks these strings (run: meson compile kerio-cti-update-po):" | diag
    tr '\004' ' ' <"$tmp/$lang.missing" | diag
    status=FAIL
  fi
done
result $status "every source string is in every catalogue"

# 6. Nothing untranslated or fuzzy.
status=OK
for lang in $linguas; do
  [ -f "$po/$lang.po" ] || continue
  msgmerge --quiet --no-fuzzy-matching "$po/$lang.po" "$tmp/fresh.pot" -o "$tmp/$lang.merged.po"
  stats=$(msgfmt --statistics -o /dev/null "$tmp/$lang.merged.po" 2>&1)
  echo "$lang: $stats" | diag
  case $stats in
    *fuzzy* | *untranslated*)
      status=FAIL
      msgattrib --no-obsolete --no-wrap --untranslated "$tmp/$lang.merged.po" |
        sed -n 's/^msgid /untranslated in '"$lang"': /p' | grep -v ': ""$' | diag
      msgattrib --no-obsolete --no-wrap --only-fuzzy "$tmp/$lang.merged.po" |
        sed -n 's/^msgid /fuzzy in '"$lang"': /p' | grep -v ': ""$' | diag
      ;;
  esac
done
result $status "every catalogue is complete, with no fuzzy entries"

# 7. Uzbek Latin writes oʻ/gʻ with U+02BB and the tutuq belgisi with U+02BC,
# never with ASCII ', U+2018 or U+2019; Uzbek Cyrillic uses neither.
status=OK
# Multibyte characters are given as whole -e patterns, never inside [...],
# so that the check means the same in the C locale meson may run it in.
check_chars () { # lang what grep-options...
  lang=$1 what=$2
  shift 2
  [ -f "$po/$lang.po" ] || return 0
  msgattrib --no-obsolete --no-wrap "$po/$lang.po" |
    awk '/^msgid/ { inid = 1 } /^msgstr/ { inid = 0 } !inid && /^(msgstr|")/' |
    grep "$@" >"$tmp/chars" || return 0
  echo "$what in $po/$lang.po:" | diag
  diag <"$tmp/chars"
  status=FAIL
}
check_chars uz "wrong apostrophe (use ʻ U+02BB in oʻ/gʻ, ʼ U+02BC for the tutuq belgisi)" \
  -e "[a-zA-Z]'" -e "’" -e "‘" -e "oʼ" -e "gʼ" -e "Oʼ" -e "Gʼ"
check_chars uz@cyrillic "Latin apostrophe letter (write ў, ғ, ъ)" -e "ʻ" -e "ʼ"
result $status "Uzbek apostrophes are U+02BB / U+02BC"

exit $failed
