/* kc-kerio-tls.c: certificate pins and fingerprints, safe file names
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-kerio-client.h"

/* ------------------------------------------------------------------------ */
/* TLS pins and file names */

char *
kc_tls_pin_normalize (const char  *text,
                      GError     **error)
{
  static const char prefix[] = "sha256:";
  g_autoptr (GString) digits = g_string_new (NULL);
  const char *p;

  if (text == NULL)
    text = "";
  p = text;
  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, prefix, sizeof prefix - 1) == 0)
    p += sizeof prefix - 1;

  for (; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (digits, g_ascii_tolower (*p));
      else if (*p != ':' && !g_ascii_isspace (*p))
        {
          g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                       _("The certificate pin “%s” is not a SHA-256 fingerprint: it may only "
                         "hold hex digits, separated by colons or spaces"),
                       text);
          return NULL;
        }
    }

  if (digits->len != 64)
    {
      g_set_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                   _("The certificate pin “%s” is not a SHA-256 fingerprint: it needs 64 hex "
                     "digits and has %u"),
                   text, (guint) digits->len);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&digits), FALSE);
}

char *
kc_tls_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr (GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

char *
kc_tls_fingerprint_format (const char *hex)
{
  GString *formatted;

  g_return_val_if_fail (hex != NULL, NULL);

  formatted = g_string_new (NULL);
  for (gsize i = 0; hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (formatted, ':');
      g_string_append_c (formatted, g_ascii_toupper (hex[i]));
    }
  return g_string_free (formatted, FALSE);
}

#define MAX_FILE_NAME 100
/* "-" and 8 hex digits: tells apart ids that sanitize to the same name */
#define HASH_SUFFIX_LENGTH 9

static gboolean
is_safe_file_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

char *
kc_sanitize_file_name (const char *untrusted)
{
  g_autoptr (GString) name = g_string_new (NULL);
  gboolean changed = FALSE;
  g_autofree char *checksum = NULL;

  if (untrusted == NULL)
    untrusted = "";

  for (const char *p = untrusted; *p != '\0'; p++)
    {
      if (is_safe_file_char (*p) && !(*p == '.' && name->len == 0))
        g_string_append_c (name, *p);
      else
        {
          /* One "_" per character, not per byte of it */
          if ((guchar) *p >= 0x80)
            while (((guchar) p[1] & 0xC0) == 0x80)
              p++;
          g_string_append_c (name, '_');
          changed = TRUE;
        }
    }

  if (name->len == 0 || name->len > MAX_FILE_NAME)
    changed = TRUE;
  if (!changed)
    return g_string_free (g_steal_pointer (&name), FALSE);

  checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, untrusted, -1);
  if (name->len > MAX_FILE_NAME - HASH_SUFFIX_LENGTH)
    g_string_truncate (name, MAX_FILE_NAME - HASH_SUFFIX_LENGTH);
  if (name->len > 0)
    g_string_append_c (name, '-');
  g_string_append_len (name, checksum, 8);
  return g_string_free (g_steal_pointer (&name), FALSE);
}
