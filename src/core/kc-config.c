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

#include "kerio/kc-ami-client.h"
#include "kerio/kc-kerio-client.h"
#include "kc-config.h"
#include "kc-crm.h"

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
  g_clear_object (&config->events_address);
  if (config->events_token)
    memset (config->events_token, 0, strlen (config->events_token));
  g_free (config->events_token);
  g_strfreev (config->events_origins);
  g_free (config->ami_host);
  g_free (config->ami_username);
  if (config->ami_password)
    memset (config->ami_password, 0, strlen (config->ami_password));
  g_free (config->ami_password);
  g_free (config->lookup_url);
  g_free (config->crm_url);
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

const char *
kc_config_ami_password_warning (void)
{
  return _("The AMI password is taken from KERIO_AMI_PASSWORD. The environment is not a safe "
           "place for it: other programs of this user can read it, and programs started from "
           "here inherit it. Keep the AMI password in the keyring through the preferences "
           "instead, and unset the variable.");
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

GInetSocketAddress *
kc_config_parse_listen (const char  *text,
                        GError     **error)
{
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) address = NULL;
  const char *colon = text ? strrchr (text, ':') : NULL;
  guint64 port;

  if (colon == NULL || colon == text
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT16, &port, NULL))
    goto invalid;
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    {
      g_autofree char *inner = g_strndup (host + 1, strlen (host) - 2);

      address = g_inet_address_new_from_string (inner);
      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
        goto invalid;
    }
  else if (g_ascii_strcasecmp (host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    {
      address = g_inet_address_new_from_string (host);
      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4)
        goto invalid;
    }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, (guint16) port));

invalid:
  g_set_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID,
               _("“%s” is not an address and port such as 127.0.0.1:8765"), text ? text : "");
  return NULL;
}

char *
kc_config_format_listen (GInetSocketAddress *address)
{
  GInetAddress *inet = g_inet_socket_address_get_address (address);
  g_autofree char *host = g_inet_address_to_string (inet);
  guint16 port = g_inet_socket_address_get_port (address);

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

char *
kc_config_parse_origin (const char *text)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  const char *path;
  int port;

  if (text == NULL || strstr (text, "://") == NULL)
    return NULL;
  for (const char *p = text; *p; p++)
    if (g_ascii_isspace (*p) || (guchar) *p < 0x20)
      return NULL;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_userinfo (uri) || g_uri_get_query (uri) || g_uri_get_fragment (uri))
    return NULL;
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0)
    return NULL;
  path = g_uri_get_path (uri);
  if (path[0] != '\0' && strcmp (path, "/") != 0)
    return NULL;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (!is_valid_host_name (host))
    return NULL;
  /* A browser leaves the scheme's own port out of the Origin it sends */
  port = g_uri_get_port (uri);
  if (port == (strcmp (scheme, "http") == 0 ? 80 : 443))
    port = -1;
  if (port == 0)
    return NULL;
  return g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, host, port, "", NULL, NULL);
}

gboolean
kc_config_is_valid_token (const char *token)
{
  if (token == NULL || strlen (token) < KC_EVENTS_TOKEN_MIN)
    return FALSE;
  for (const char *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._~", *p) == NULL)
      return FALSE;
  return TRUE;
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

gboolean
kc_config_parse_ami (const char  *text,
                     const char  *pbx_host,
                     char       **host,
                     guint16     *port,
                     GError     **error)
{
  g_autofree char *hostname = NULL;
  const char *colon;
  guint64 number = KC_AMI_DEFAULT_PORT;

  g_return_val_if_fail (text != NULL, FALSE);

  if (g_ascii_strcasecmp (text, "pbx") == 0)
    {
      if (pbx_host == NULL)
        {
          g_set_error_literal (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID,
                               _("“pbx” stands for the PBX's host, and no PBX is configured"));
          return FALSE;
        }
      *host = g_strdup (pbx_host);
      *port = KC_AMI_DEFAULT_PORT;
      return TRUE;
    }

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close == text + 1 || (close[1] != '\0' && close[1] != ':'))
        goto bad;
      hostname = g_strndup (text + 1, (gsize) (close - text - 1));
      colon = close[1] == ':' ? close + 1 : NULL;
    }
  else
    {
      colon = strchr (text, ':');
      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        goto bad;
      hostname = colon ? g_strndup (text, (gsize) (colon - text)) : g_strdup (text);
    }
  if (*hostname == '\0' || strpbrk (hostname, "/@?# ") != NULL)
    goto bad;
  if (colon != NULL &&
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &number, NULL))
    goto bad;
  *host = g_steal_pointer (&hostname);
  *port = (guint16) number;
  return TRUE;

bad:
  g_set_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID,
               _("“%s” is not host, host:port or pbx"), text);
  return FALSE;
}

const char *
kc_config_get_ami_username (const KcConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return config->ami_username ? config->ami_username : config->username;
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

/* A comma-separated list of origins, each normalized; FALSE with the
 * first that is not one in *bad */
static gboolean
parse_origins (const char *const  *items,
               char             ***out,
               const char        **bad)
{
  g_autoptr (GPtrArray) origins = g_ptr_array_new_with_free_func (g_free);

  for (const char *const *item = items; *item; item++)
    {
      g_autofree char *text = g_strstrip (g_strdup (*item));
      char *origin;

      if (*text == '\0')
        continue;
      origin = kc_config_parse_origin (text);
      if (origin == NULL)
        {
          *bad = *item;
          return FALSE;
        }
      g_ptr_array_add (origins, origin);
    }
  g_strfreev (*out);
  *out = NULL;
  if (origins->len > 0)
    {
      g_ptr_array_add (origins, NULL);
      *out = (char **) g_ptr_array_free (g_steal_pointer (&origins), FALSE);
    }
  return TRUE;
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

  if ((value = env ("KERIO_EVENTS_LISTEN")))
    {
      g_clear_object (&config->events_address);
      config->events_address = kc_config_parse_listen (value, NULL);
      if (config->events_address == NULL)
        return invalid (error,
                        _("KERIO_EVENTS_LISTEN: “%s” is not an address and port such as "
                          "127.0.0.1:8765"),
                        value);
      config->events_from_environment = TRUE;
    }

  if ((value = env ("KERIO_EVENTS_TOKEN")))
    {
      if (!kc_config_is_valid_token (value))
        return invalid (error,
                        _("KERIO_EVENTS_TOKEN: a token is at least %d characters, each a "
                          "letter, a digit or one of - . _ ~"),
                        KC_EVENTS_TOKEN_MIN);
      replace_string (&config->events_token, value);
    }

  if ((value = env ("KERIO_EVENTS_ORIGINS")))
    {
      g_auto (GStrv) items = g_strsplit (value, ",", -1);
      const char *bad = NULL;

      if (!parse_origins ((const char *const *) items, &config->events_origins, &bad))
        return invalid (error,
                        _("KERIO_EVENTS_ORIGINS: “%s” is not an origin such as "
                          "https://crm.example.uz"),
                        bad);
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

  if ((value = env ("KERIO_AMI")))
    {
      g_autoptr (GError) local_error = NULL;

      g_clear_pointer (&config->ami_host, g_free);
      if (!kc_config_parse_ami (value,
                                config->endpoint ? g_uri_get_host (config->endpoint) : NULL,
                                &config->ami_host, &config->ami_port, &local_error))
        /* TRANSLATORS: the message says what is wrong with the value */
        return invalid (error, _("KERIO_AMI: %s"), local_error->message);
    }
  if ((value = env ("KERIO_AMI_USERNAME")))
    replace_string (&config->ami_username, value);
  if ((value = env ("KERIO_AMI_PASSWORD")))
    {
      replace_string (&config->ami_password, value);
      config->ami_password_from_environment = TRUE;
    }

  if ((value = env ("KERIO_LOOKUP_URL")))
    {
      g_autoptr (GError) local_error = NULL;

      if (!kc_crm_check_template (value, &local_error))
        /* TRANSLATORS: the message says what is wrong with the address */
        return invalid (error, _("KERIO_LOOKUP_URL: “%s”: %s"), value, local_error->message);
      replace_string (&config->lookup_url, value);
    }
  if ((value = env ("KERIO_CRM_URL")))
    {
      g_autoptr (GError) local_error = NULL;

      if (!kc_crm_check_template (value, &local_error))
        return invalid (error, _("KERIO_CRM_URL: “%s”: %s"), value, local_error->message);
      replace_string (&config->crm_url, value);
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
  g_autofree char *events = g_settings_get_string (settings, "events-listen");
  g_auto (GStrv) origins = g_settings_get_strv (settings, "events-origins");
  const char *bad = NULL;
  g_autofree char *ami = g_settings_get_string (settings, "ami-host");
  g_autofree char *ami_username = g_settings_get_string (settings, "ami-username");
  g_autofree char *lookup_url = g_settings_get_string (settings, "lookup-url");
  g_autofree char *crm_url = g_settings_get_string (settings, "crm-url");

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
  if (*events)
    {
      config->events_address = kc_config_parse_listen (events, NULL);
      if (config->events_address == NULL)
        return invalid (error,
                        _("The events address setting “%s” is not an address and port such as "
                          "127.0.0.1:8765"),
                        events);
    }
  if (!parse_origins ((const char *const *) origins, &config->events_origins, &bad))
    return invalid (error,
                    _("The events origins setting “%s” is not an origin such as "
                      "https://crm.example.uz"),
                    bad);
  if (*ami)
    {
      g_autoptr (GError) local_error = NULL;

      g_clear_pointer (&config->ami_host, g_free);
      if (!kc_config_parse_ami (ami, config->endpoint ? g_uri_get_host (config->endpoint) : NULL,
                                &config->ami_host, &config->ami_port, &local_error))
        return invalid (error, _("The instant pop-ups (AMI) setting: %s"), local_error->message);
    }
  if (*ami_username)
    replace_string (&config->ami_username, ami_username);
  if (*lookup_url)
    {
      g_autoptr (GError) local_error = NULL;

      if (!kc_crm_check_template (lookup_url, &local_error))
        return invalid (error, _("The CRM lookup setting “%s”: %s"), lookup_url,
                        local_error->message);
      replace_string (&config->lookup_url, lookup_url);
    }
  if (*crm_url)
    {
      g_autoptr (GError) local_error = NULL;

      if (!kc_crm_check_template (crm_url, &local_error))
        return invalid (error, _("The Open in CRM setting “%s”: %s"), crm_url,
                        local_error->message);
      replace_string (&config->crm_url, crm_url);
    }
  config->poll_interval = g_settings_get_double (settings, "poll-interval");
  config->sync_interval = g_settings_get_double (settings, "sync-interval");
  config->extension_digits = g_settings_get_uint (settings, "extension-digits");
  return TRUE;
}

/* An address other computers can reach carries the operator's calls to
 * them: only to clients that present the token. */
static gboolean
check_events_reach (KcConfig  *config,
                    GError   **error)
{
  g_autofree char *address = NULL;
  GInetAddress *host;

  if (config->events_address == NULL || config->events_token != NULL)
    return TRUE;
  host = g_inet_socket_address_get_address (config->events_address);
  if (g_inet_address_get_is_loopback (host))
    return TRUE;
  address = kc_config_format_listen (config->events_address);
  if (config->events_from_environment)
    return invalid (error,
                    _("KERIO_EVENTS_LISTEN: %s is not a loopback address; other computers may "
                      "get the calls only with a token: set KERIO_EVENTS_TOKEN"),
                    address);
  return invalid (error,
                  _("The events address setting %s is not a loopback address; other computers "
                    "may get the calls only with a token: set KERIO_EVENTS_TOKEN"),
                  address);
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
  if (!check_events_reach (config, error))
    return NULL;

  return g_steal_pointer (&config);
}
