/* fuzz-config-host.c: the settings parsers that take untrusted text
 *
 * The same text goes to kc_config_parse_host (KERIO_PBX_HOST),
 * kc_tls_pin_normalize (KERIO_TLS_PIN) and kc_sanitize_file_name (ids from
 * the PBX), and each result is checked against what its header promises.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "core/kc-config.h"
#include "kerio/kc-kerio-client.h"

#include "fuzz-common.h"

static void
check_host (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = kc_config_parse_host (text, &error);
  g_autoptr (GUri) again = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *reprinted = NULL;
  const char *scheme;
  int port;

  kc_fuzz_assert ((uri != NULL) != (error != NULL));
  if (uri == NULL)
    {
      kc_fuzz_assert (g_error_matches (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID));
      return;
    }

  scheme = g_uri_get_scheme (uri);
  kc_fuzz_assert (g_strcmp0 (scheme, "https") == 0 || g_strcmp0 (scheme, "http") == 0);
  port = g_uri_get_port (uri);
  kc_fuzz_assert (port >= 1 && port <= 65535);
  kc_fuzz_assert (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
  kc_fuzz_assert (g_uri_get_userinfo (uri) == NULL);
  kc_fuzz_assert (g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL);
  kc_fuzz_assert (g_uri_get_path (uri)[0] == '/');

  /* The endpoint round-trips: printed and read back it is the same URL */
  printed = g_uri_to_string (uri);
  again = g_uri_parse (printed, G_URI_FLAGS_NONE, NULL);
  kc_fuzz_assert (again != NULL);
  reprinted = g_uri_to_string (again);
  kc_fuzz_assert (strcmp (printed, reprinted) == 0);
  kc_fuzz_assert (g_strcmp0 (g_uri_get_host (again), g_uri_get_host (uri)) == 0);
  kc_fuzz_assert (g_uri_get_port (again) == port);
  kc_fuzz_assert (g_strcmp0 (g_uri_get_path (again), g_uri_get_path (uri)) == 0);
}

static void
check_pin (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pin = kc_tls_pin_normalize (text, &error);
  g_autofree char *again = NULL;

  kc_fuzz_assert ((pin != NULL) != (error != NULL));
  if (pin == NULL)
    return;
  kc_fuzz_assert (strlen (pin) == 64);
  for (const char *p = pin; *p; p++)
    kc_fuzz_assert (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
  /* Normalizing is idempotent */
  again = kc_tls_pin_normalize (pin, NULL);
  kc_fuzz_assert (g_strcmp0 (again, pin) == 0);
}

static void
check_file_name (const char *text)
{
  g_autofree char *name = kc_sanitize_file_name (text);
  g_autofree char *again = NULL;
  gsize length;

  kc_fuzz_assert (name != NULL);
  length = strlen (name);
  kc_fuzz_assert (length > 0 && length <= 100);
  kc_fuzz_assert (name[0] != '.');
  kc_fuzz_assert (strchr (name, '/') == NULL);
  for (const char *p = name; *p; p++)
    kc_fuzz_assert (g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-');
  kc_fuzz_assert (strcmp (name, ".") != 0 && strcmp (name, "..") != 0);
  /* A safe name is kept as it is */
  again = kc_sanitize_file_name (name);
  kc_fuzz_assert (strcmp (again, name) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* The variables are C strings: the text ends at the first NUL */
  g_autofree char *text = g_strndup ((const char *) data, size);

  kc_fuzz_init ();

  check_host (text);
  check_pin (text);
  check_file_name (text);
  return 0;
}
