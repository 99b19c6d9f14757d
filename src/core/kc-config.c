/* kc-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-config"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kerio/kc-kerio-client.h"
#include "kc-config.h"

G_DEFINE_QUARK (kc-config-error-quark, kc_config_error)

void
kc_config_free (KcConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer (&config->endpoint, g_uri_unref);
  g_free (config->username);
  if (config->password)
    memset (config->password, 0, strlen (config->password));
  g_free (config->password);
  g_free (config->extension);
  g_free (config->tls_pin);
  g_clear_object (&config->capture);
  g_free (config);
}

const char *
kc_config_password_warning (void)
{
  return _("The password is taken from KERIO_API_PASSWORD. The environment is not a safe "
           "place for it: other programs of this user can read it, and programs started from "
           "here inherit it. Keep the password in the keyring through the preferences instead, "
           "and unset the variable.");
}

/* "https://user:password@pbx": a host setting with an "@" may carry a
 * password, so its text is never repeated in a message. */
static gboolean
may_hold_password (const char *text)
{
  return text != NULL && strchr (text, '@') != NULL;
}

static gboolean
is_valid_host_name (const char *host)
{
  if (host == NULL || *host == '\0' || strlen (host) > 253)
    return FALSE;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return host[0] != '.' && host[0] != '-' && strstr (host, "..") == NULL;
}

GUri *
kc_config_parse_host (const char  *text,
                      GError     **error)
{
  g_autofree char *url = NULL;
  g_autoptr (GUri) parsed = NULL;
  const char *scheme;
  const char *path;
  int port;

  if (text == NULL || *text == '\0')
    goto invalid;
  for (const char *p = text; *p; p++)
    if (g_ascii_isspace (*p) || (guchar) *p < 0x20)
      goto invalid;

  if (strstr (text, "://"))
    url = g_strdup (text);
  /* Without a scheme only a host and a port are expected. */
  else if (strchr (text, '/'))
    goto invalid;
  /* A bare IPv6 address has colons of its own; it can't carry a port. */
  else if (text[0] != '[' && strchr (text, ':') != strrchr (text, ':'))
    url = g_strdup_printf ("https://[%s]", text);
  else
    url = g_strdup_printf ("https://%s", text);

  parsed = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL)
    goto invalid;

  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    goto invalid;
  if (g_uri_get_userinfo (parsed) || g_uri_get_query (parsed) || g_uri_get_fragment (parsed))
    goto invalid;
  if (!is_valid_host_name (g_uri_get_host (parsed)))
    goto invalid;

  port = g_uri_get_port (parsed);
  if (port == 0)
    goto invalid;
  path = g_uri_get_path (parsed);
  if (path[0] != '\0' && path[0] != '/')
    goto invalid;

  return g_uri_build (G_URI_FLAGS_NONE,
                      g_ascii_strcasecmp (scheme, "https") == 0 ? "https" : "http", NULL, g_uri_get_host (parsed), port > 0 ? port : KC_DEFAULT_PORT,
                      (path[0] == '\0' || strcmp (path, "/") == 0) ? KC_DEFAULT_PATH : path,
                      NULL, NULL);

invalid:
  if (may_hold_password (text))
    g_set_error_literal (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID,
                         _("A server address may not hold a user name or password; give "
                           "them separately"));
  else
    g_set_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID,
                 _("“%s” is not a host name, host:port, or http(s)://host:port URL"),
                 text ? text : "");
  return NULL;
}

gboolean
kc_config_parse_interval (const char *text,
                          double     *out)
{
  char *end = NULL;
  double value;

  if (text == NULL || *text == '\0' || g_ascii_isspace (*text))
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (value) || value <= 0)
    return FALSE;
  *out = value;
  return TRUE;
}

static gboolean
parse_extension (const char *text)
{
  gsize len = strlen (text);

  if (len == 0 || len > 32)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '+' && *p != '*' && *p != '#')
      return FALSE;
  return TRUE;
}

/* "1", "true", "yes", "on" and their opposites */
static gboolean
parse_boolean (const char *text,
               gboolean   *out)
{
  static const char *const yes[] = { "1", "true", "yes", "on" };
  static const char *const no[] = { "0", "false", "no", "off" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0)
        {
          *out = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (text, no[i]) == 0)
        {
          *out = FALSE;
          return TRUE;
        }
    }
  return FALSE;
}

static void
replace_string (char       **field,
                const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* An environment variable, or NULL when unset or empty */
static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  return value && *value ? value : NULL;
}

/* Sets a KC_CONFIG_ERROR_INVALID from a whole, translated sentence */
static gboolean invalid (GError    **error,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID, message);
  return FALSE;
}

static GSettings *
open_settings (void)
{
  static gsize warned;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      if (g_once_init_enter (&warned))
        {
          g_warning ("The settings schema %s is not installed; using the defaults and the "
                     "KERIO_* environment",
                     APP_ID);
          g_once_init_leave (&warned, 1);
        }
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static gboolean
apply_environment (KcConfig *config,
                   GError  **error)
{
  gboolean anonymize = FALSE;
  const char *value;

  if ((value = env ("KERIO_PBX_HOST")))
    {
      g_autoptr (GError) local_error = NULL;

      g_clear_pointer (&config->endpoint, g_uri_unref);
      config->endpoint = kc_config_parse_host (value, &local_error);
      if (config->endpoint == NULL && may_hold_password (value))
        return invalid (error, _("KERIO_PBX_HOST may not hold a user name or password; set "
                                 "KERIO_API_USERNAME and KERIO_API_PASSWORD instead"));
      if (config->endpoint == NULL)
        return invalid (error,
                        _("KERIO_PBX_HOST: “%s” is not a host name, host:port, or "
                          "http(s)://host:port URL"),
                        value);
    }

  if ((value = env ("KERIO_API_USERNAME")))
    replace_string (&config->username, value);
  if ((value = env ("KERIO_API_PASSWORD")))
    {
      replace_string (&config->password, value);
      config->password_from_environment = TRUE;
    }

  if ((value = env ("KERIO_POLL_INTERVAL")) &&
      !kc_config_parse_interval (value, &config->poll_interval))
    return invalid (error, _("KERIO_POLL_INTERVAL: “%s” is not a positive number of seconds"),
                    value);

  if ((value = env ("KERIO_SYNC_INTERVAL")) &&
      !kc_config_parse_interval (value, &config->sync_interval))
    return invalid (error, _("KERIO_SYNC_INTERVAL: “%s” is not a positive number of minutes"),
                    value);

  if ((value = env ("KERIO_EXTENSION")))
    {
      if (!parse_extension (value))
        return invalid (error, _("KERIO_EXTENSION: “%s” is not a phone extension (digits)"),
                        value);
      replace_string (&config->extension, value);
    }

  if ((value = env ("KERIO_EXTENSION_DIGITS")))
    {
      guint64 digits;

      if (!g_ascii_string_to_unsigned (value, 10, 1, 15, &digits, NULL))
        return invalid (error, _("KERIO_EXTENSION_DIGITS: “%s” is not a number from 1 to 15"),
                        value);
      config->extension_digits = (guint) digits;
    }

  if ((value = env ("KERIO_CAPTURE_ANONYMIZE")) && !parse_boolean (value, &anonymize))
    return invalid (error, _("KERIO_CAPTURE_ANONYMIZE: “%s” is not 1 or 0"), value);

  if ((value = env ("KERIO_TLS_PIN")))
    {
      g_free (config->tls_pin);
      config->tls_pin = kc_tls_pin_normalize (value, NULL);
      if (config->tls_pin == NULL)
        return invalid (error,
                        _("KERIO_TLS_PIN: “%s” is not a SHA-256 fingerprint (sha256: and 64 "
                          "hex digits)"),
                        value);
    }

  /* Opened now, and last, so that a file that cannot be written stops the
   * start with one line like any other bad setting, and none is created
   * for a start that another setting stops. */
  if ((value = env ("KERIO_CAPTURE")))
    {
      g_autoptr (GError) local_error = NULL;

      g_clear_object (&config->capture);
      config->capture = kc_kerio_capture_new (value, anonymize, &local_error);
      if (config->capture == NULL)
        /* TRANSLATORS: the message says which file and why */
        return invalid (error, _("KERIO_CAPTURE: %s"), local_error->message);
    }

  return TRUE;
}

static gboolean
apply_settings (KcConfig  *config,
                GSettings *settings,
                GError   **error)
{
  g_autofree char *host = g_settings_get_string (settings, "pbx-host");
  g_autofree char *username = g_settings_get_string (settings, "username");
  g_autofree char *extension = g_settings_get_string (settings, "extension");
  g_autofree char *pin = g_settings_get_string (settings, "tls-pin");

  if (*host)
    {
      config->endpoint = kc_config_parse_host (host, NULL);
      if (config->endpoint == NULL && may_hold_password (host))
        return invalid (error, _("The server setting may not hold a user name or password; "
                                 "enter them in their own fields"));
      if (config->endpoint == NULL)
        return invalid (error,
                        _("The server setting “%s” is not a host name, host:port, or "
                          "http(s)://host:port URL"),
                        host);
    }
  if (*username)
    replace_string (&config->username, username);
  if (*extension)
    {
      if (!parse_extension (extension))
        return invalid (error,
                        _("The operator extension setting “%s” is not a phone extension "
                          "(digits)"),
                        extension);
      replace_string (&config->extension, extension);
    }
  if (*pin)
    {
      config->tls_pin = kc_tls_pin_normalize (pin, NULL);
      if (config->tls_pin == NULL)
        return invalid (error,
                        _("The pinned certificate setting “%s” is not a SHA-256 fingerprint"),
                        pin);
    }
  config->poll_interval = g_settings_get_double (settings, "poll-interval");
  config->sync_interval = g_settings_get_double (settings, "sync-interval");
  config->extension_digits = g_settings_get_uint (settings, "extension-digits");
  return TRUE;
}

KcConfig *
kc_config_load (GError **error)
{
  g_autoptr (KcConfig) config = g_new0 (KcConfig, 1);
  g_autoptr (GSettings) settings = open_settings ();

  config->poll_interval = 2.0;
  config->sync_interval = 5.0;
  config->extension_digits = 4;

  if (settings && !apply_settings (config, settings, error))
    return NULL;
  if (!apply_environment (config, error))
    return NULL;

  return g_steal_pointer (&config);
}
