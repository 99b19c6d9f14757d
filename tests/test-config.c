/* test-config.c: KERIO_* settings, as an administrator writes them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "core/kc-config.h"

static const char *const variables[] = {
  "KERIO_PBX_HOST",      "KERIO_API_USERNAME",  "KERIO_API_PASSWORD",     "KERIO_POLL_INTERVAL",
  "KERIO_SYNC_INTERVAL", "KERIO_EXTENSION",     "KERIO_EXTENSION_DIGITS", "KERIO_TLS_PIN",
  "KERIO_CAPTURE",       "KERIO_CAPTURE_ANONYMIZE", "KERIO_EVENTS_LISTEN",  "KERIO_EVENTS_TOKEN",
  "KERIO_EVENTS_ORIGINS", "KERIO_AMI", "KERIO_AMI_USERNAME", "KERIO_AMI_PASSWORD",
  "KERIO_LOOKUP_URL", "KERIO_CRM_URL",
};

static void
clear_environment (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    g_unsetenv (variables[i]);
}

static void
assert_host (const char *text,
             const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = kc_config_parse_host (text, &error);
  g_autofree char *url = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (uri);
  url = g_uri_to_string (uri);
  g_assert_cmpstr (url, ==, expected);
}

static void
test_host_forms (void)
{
  assert_host ("pbx.example.uz", "https://pbx.example.uz:4021/admin/api/jsonrpc/");
  assert_host ("pbx.example.uz:8443", "https://pbx.example.uz:8443/admin/api/jsonrpc/");
  assert_host ("10.0.0.5", "https://10.0.0.5:4021/admin/api/jsonrpc/");
  assert_host ("https://pbx:4021", "https://pbx:4021/admin/api/jsonrpc/");
  assert_host ("https://pbx:4021/", "https://pbx:4021/admin/api/jsonrpc/");
  assert_host ("HTTP://127.0.0.1:8021", "http://127.0.0.1:8021/admin/api/jsonrpc/");
  assert_host ("https://pbx/myphone/api/jsonrpc/", "https://pbx:4021/myphone/api/jsonrpc/");
  assert_host ("[::1]:4021", "https://[::1]:4021/admin/api/jsonrpc/");
  assert_host ("fe80::1", "https://[fe80::1]:4021/admin/api/jsonrpc/");
}

static void
test_host_invalid (void)
{
  const char *bad[] = {
    "",
    " ",
    "pbx example",
    "ftp://pbx",
    "pbx:abc",
    "pbx:99999",
    "pbx:0",
    "https://",
    "https://user:secret@pbx",
    "https://pbx/?x=1",
    "pbx/../..",
    "-pbx",
    "pb_x",
    "pbx\n",
    "https://pbx:4021#frag",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GUri) uri = kc_config_parse_host (bad[i], &error);

      if (uri)
        g_error ("“%s” was accepted as %s", bad[i], g_uri_to_string (uri));
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
    }
}

static void
test_intervals (void)
{
  double value = 0;

  g_assert_true (kc_config_parse_interval ("2", &value));
  g_assert_cmpfloat (value, ==, 2.0);
  g_assert_true (kc_config_parse_interval ("0.5", &value));
  g_assert_cmpfloat (value, ==, 0.5);
  g_assert_false (kc_config_parse_interval ("0", &value));
  g_assert_false (kc_config_parse_interval ("-1", &value));
  g_assert_false (kc_config_parse_interval ("abc", &value));
  g_assert_false (kc_config_parse_interval ("2s", &value));
  g_assert_false (kc_config_parse_interval ("nan", &value));
  g_assert_false (kc_config_parse_interval ("inf", &value));
  g_assert_false (kc_config_parse_interval (" 2", &value));
  g_assert_false (kc_config_parse_interval ("", &value));
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;

  clear_environment ();
  config = kc_config_load (&error);
  g_assert_no_error (error);
  g_assert_null (config->endpoint);
  g_assert_cmpfloat (config->poll_interval, ==, 2.0);
  g_assert_cmpfloat (config->sync_interval, ==, 5.0);
  g_assert_cmpuint (config->extension_digits, ==, 4);
  g_assert_null (config->extension);
  g_assert_null (config->tls_pin);
  g_assert_null (config->password);
  g_assert_false (config->password_from_environment);
  g_assert_null (config->capture);
  g_assert_null (config->events_address);
  g_assert_null (config->events_token);
  g_assert_null (config->events_origins);
}

/* The capture is opened with the settings, so that a file that cannot be
 * written is a bad setting like any other */
static void
test_capture (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kerio-cti-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "capture.jsonl", NULL);
  const char *anonymize[] = { NULL, "0", "1", "true", "no" };

  for (guint i = 0; i < G_N_ELEMENTS (anonymize); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (KcConfig) config = NULL;

      clear_environment ();
      g_setenv ("KERIO_CAPTURE", path, TRUE);
      if (anonymize[i] != NULL)
        g_setenv ("KERIO_CAPTURE_ANONYMIZE", anonymize[i], TRUE);
      config = kc_config_load (&error);
      g_assert_no_error (error);
      g_assert_nonnull (config->capture);
      g_assert_cmpstr (kc_kerio_capture_get_path (config->capture), ==, path);
      g_assert_cmpint (kc_kerio_capture_get_anonymize (config->capture), ==,
                       anonymize[i] != NULL && (anonymize[i][0] == '1' || anonymize[i][0] == 't'));
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
  clear_environment ();
  g_remove (path);
  g_rmdir (dir);
}

static void
test_environment (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autofree char *url = NULL;

  clear_environment ();
  g_setenv ("KERIO_PBX_HOST", "pbx.office.uz", TRUE);
  g_setenv ("KERIO_API_USERNAME", "cti", TRUE);
  g_setenv ("KERIO_API_PASSWORD", "s3cret", TRUE);
  g_setenv ("KERIO_POLL_INTERVAL", "0.5", TRUE);
  g_setenv ("KERIO_SYNC_INTERVAL", "0.25", TRUE);
  g_setenv ("KERIO_EXTENSION", "1001", TRUE);
  g_setenv ("KERIO_EXTENSION_DIGITS", "3", TRUE);
  g_setenv ("KERIO_TLS_PIN", "sha256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                             "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            TRUE);

  config = kc_config_load (&error);
  g_assert_no_error (error);
  url = g_uri_to_string (config->endpoint);
  g_assert_cmpstr (url, ==, "https://pbx.office.uz:4021/admin/api/jsonrpc/");
  g_assert_cmpstr (config->username, ==, "cti");
  g_assert_cmpstr (config->password, ==, "s3cret");
  g_assert_true (config->password_from_environment);
  g_assert_cmpfloat (config->poll_interval, ==, 0.5);
  g_assert_cmpfloat (config->sync_interval, ==, 0.25);
  g_assert_cmpstr (config->extension, ==, "1001");
  g_assert_cmpuint (config->extension_digits, ==, 3);
  g_assert_cmpstr (config->tls_pin, ==,
                   "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  clear_environment ();
}

/* The environment wins over GSettings, key by key. */
static void
test_environment_over_settings (void)
{
  g_autoptr (GSettings) settings = g_settings_new ("uz.kerio.Cti");
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autofree char *url = NULL;

  clear_environment ();
  g_settings_set_string (settings, "pbx-host", "from-settings.uz");
  g_settings_set_string (settings, "username", "settings-user");
  g_settings_set_double (settings, "poll-interval", 3.0);
  g_setenv ("KERIO_PBX_HOST", "from-env.uz:9000", TRUE);

  config = kc_config_load (&error);
  g_assert_no_error (error);
  url = g_uri_to_string (config->endpoint);
  g_assert_cmpstr (url, ==, "https://from-env.uz:9000/admin/api/jsonrpc/");
  g_assert_cmpstr (config->username, ==, "settings-user");
  g_assert_cmpfloat (config->poll_interval, ==, 3.0);

  g_settings_reset (settings, "pbx-host");
  g_settings_reset (settings, "username");
  g_settings_reset (settings, "poll-interval");
  clear_environment ();
}

static void
test_invalid_names_variable (void)
{
  struct { const char *variable, *value; } cases[] = {
    { "KERIO_PBX_HOST", "not a host" },
    { "KERIO_POLL_INTERVAL", "0" },
    { "KERIO_POLL_INTERVAL", "abc" },
    { "KERIO_SYNC_INTERVAL", "-5" },
    { "KERIO_EXTENSION", "ext1001" },
    { "KERIO_EXTENSION_DIGITS", "0" },
    { "KERIO_EXTENSION_DIGITS", "four" },
    { "KERIO_TLS_PIN", "sha256:1234" },
    { "KERIO_CAPTURE_ANONYMIZE", "maybe" },
    { "KERIO_CAPTURE", "/nonexistent-dir/capture.jsonl" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (KcConfig) config = NULL;

      clear_environment ();
      g_setenv (cases[i].variable, cases[i].value, TRUE);
      config = kc_config_load (&error);
      g_assert_null (config);
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, cases[i].variable));
      g_assert_nonnull (strstr (error->message, cases[i].value));
      g_assert_null (strchr (error->message, '\n'));
    }
  clear_environment ();
}

/* A password written into the server address is not repeated in the
 * message that refuses it, which goes to logs and dialogs. */
static void
test_host_password_not_shown (void)
{
  const char *hosts[] = { "https://cti:Pw-in-url-77@pbx.office.uz", "cti:Pw-in-url-77@pbx",
                          "https://cti:Pw/in-url-77@pbx" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) parse_error = NULL;
      g_autoptr (KcConfig) config = NULL;
      g_autoptr (GUri) uri = kc_config_parse_host (hosts[i], &parse_error);

      g_assert_null (uri);
      g_assert_error (parse_error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
      g_assert_null (strstr (parse_error->message, "Pw"));

      clear_environment ();
      g_setenv ("KERIO_PBX_HOST", hosts[i], TRUE);
      config = kc_config_load (&error);
      g_assert_null (config);
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, "KERIO_PBX_HOST"));
      g_assert_null (strstr (error->message, "Pw"));
    }
  clear_environment ();
}

/* --- The event server's settings --- */

static void
test_events_listen_forms (void)
{
  struct { const char *text, *address; } good[] = {
    { "127.0.0.1:8765", "127.0.0.1:8765" },
    { "localhost:8765", "127.0.0.1:8765" },
    { "LOCALHOST:0", "127.0.0.1:0" },
    { "[::1]:8765", "[::1]:8765" },
    { "0.0.0.0:8765", "0.0.0.0:8765" },
    { "192.0.2.10:65535", "192.0.2.10:65535" },
  };
  const char *bad[] = {
    "", "8765", ":8765", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
    "127.0.0.1:80 ", " 127.0.0.1:80", "pbx.example.uz:80", "::1:8765", "[127.0.0.1]:80",
    "[::1]", "localhost", "127.0.0.1:0x50", "127.1:80",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GInetSocketAddress) address = kc_config_parse_listen (good[i].text, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = kc_config_format_listen (address);
      g_assert_cmpstr (text, ==, good[i].address);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GInetSocketAddress) address = kc_config_parse_listen (bad[i], &error);

      if (address)
        g_error ("“%s” was accepted", bad[i]);
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
    }
}

static void
test_events_origin_forms (void)
{
  struct { const char *text, *origin; } good[] = {
    { "https://crm.example.uz", "https://crm.example.uz" },
    { "HTTPS://CRM.Example.UZ:443/", "https://crm.example.uz" },
    { "http://intranet:8080", "http://intranet:8080" },
    { "http://127.0.0.1:80", "http://127.0.0.1" },
    { "http://[::1]:8765", "http://[::1]:8765" },
  };
  const char *bad[] = {
    "", "null", "crm.example.uz", "ftp://crm.example.uz", "https://crm.example.uz/page",
    "https://user@crm.example.uz", "https://crm.example.uz?x=1", "https://", "https://crm example",
    "https://crm.example.uz#top", "https://crm.example.uz:0", "file:///home/operator/page.html",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *origin = kc_config_parse_origin (good[i].text);

      g_assert_cmpstr (origin, ==, good[i].origin);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *origin = kc_config_parse_origin (bad[i]);

      if (origin)
        g_error ("“%s” was accepted as %s", bad[i], origin);
    }
}

static void
test_events_environment (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autofree char *address = NULL;
  const char *const origins[] = { "https://crm.example.uz", "http://intranet:8080", NULL };

  clear_environment ();
  g_setenv ("KERIO_EVENTS_LISTEN", "0.0.0.0:8765", TRUE);
  g_setenv ("KERIO_EVENTS_TOKEN", "Abc-123_xyz.456~789", TRUE);
  g_setenv ("KERIO_EVENTS_ORIGINS", " https://CRM.example.uz/ ,http://intranet:8080,", TRUE);
  config = kc_config_load (&error);
  g_assert_no_error (error);
  address = kc_config_format_listen (config->events_address);
  g_assert_cmpstr (address, ==, "0.0.0.0:8765");
  g_assert_cmpstr (config->events_token, ==, "Abc-123_xyz.456~789");
  g_assert_true (g_strv_equal ((const char *const *) config->events_origins, origins));
  clear_environment ();
}

/* Other computers get the calls only with a token; the token is never
 * repeated in a message */
static void
test_events_invalid (void)
{
  g_autoptr (GSettings) settings = g_settings_new ("uz.kerio.Cti");
  struct { const char *listen, *token, *origins, *variable, *mention; } cases[] = {
    { "0.0.0.0:8765", NULL, NULL, "KERIO_EVENTS_LISTEN", "KERIO_EVENTS_TOKEN" },
    { "192.0.2.10:8765", NULL, NULL, "KERIO_EVENTS_LISTEN", "KERIO_EVENTS_TOKEN" },
    { "[::]:8765", NULL, NULL, "KERIO_EVENTS_LISTEN", "KERIO_EVENTS_TOKEN" },
    { "127.0.0.1", NULL, NULL, "KERIO_EVENTS_LISTEN", "127.0.0.1" },
    { "127.0.0.1:8765", "short-Secret", NULL, "KERIO_EVENTS_TOKEN", "16" },
    { "127.0.0.1:8765", "a token with spaces in it", NULL, "KERIO_EVENTS_TOKEN", "16" },
    { "127.0.0.1:8765", NULL, "https://ok.example,crm.example.uz", "KERIO_EVENTS_ORIGINS",
      "crm.example.uz" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (KcConfig) config = NULL;

      clear_environment ();
      g_setenv ("KERIO_EVENTS_LISTEN", cases[i].listen, TRUE);
      if (cases[i].token)
        g_setenv ("KERIO_EVENTS_TOKEN", cases[i].token, TRUE);
      if (cases[i].origins)
        g_setenv ("KERIO_EVENTS_ORIGINS", cases[i].origins, TRUE);
      config = kc_config_load (&error);
      g_assert_null (config);
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, cases[i].variable));
      g_assert_nonnull (strstr (error->message, cases[i].mention));
      g_assert_null (strstr (error->message, "Secret"));
      g_assert_null (strchr (error->message, '\n'));
    }

  /* The same rule for the preference, which the variables override */
  clear_environment ();
  g_settings_set_string (settings, "events-listen", "0.0.0.0:8765");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (KcConfig) config = kc_config_load (&error);

    g_assert_null (config);
    g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "KERIO_EVENTS_TOKEN"));
  }
  g_setenv ("KERIO_EVENTS_LISTEN", "127.0.0.1:9000", TRUE);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (KcConfig) config = kc_config_load (&error);
    g_autofree char *address = NULL;

    g_assert_no_error (error);
    address = kc_config_format_listen (config->events_address);
    g_assert_cmpstr (address, ==, "127.0.0.1:9000");
  }
  g_settings_reset (settings, "events-listen");
  clear_environment ();
}

/* KERIO_AMI: host, host:port, [v6]:port, or "pbx" for the PBX's own host;
 * the AMI user name and password default to the API's */
static void
test_ami (void)
{
  static const struct
  {
    const char *text;
    const char *host;
    guint16     port;
  } good[] = {
    { "pbx", "pbx.example.uz", 5038 },
    { "PBX", "pbx.example.uz", 5038 },
    { "ami.example.uz", "ami.example.uz", 5038 },
    { "10.0.0.5:15038", "10.0.0.5", 15038 },
    { "[fd00::5]:5038", "fd00::5", 5038 },
    { "[fd00::5]", "fd00::5", 5038 },
  };
  static const char *const bad[] = {
    "host:0", "host:70000", "host:port", "a:b:c", "[fd00::5", "[]:5038", "http://host",
    "user@host", ":5038",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 0;

      g_assert_true (kc_config_parse_ami (good[i].text, "pbx.example.uz", &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, good[i].host);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 0;

      if (kc_config_parse_ami (bad[i], "pbx.example.uz", &host, &port, &error))
        g_error ("“%s” was taken as host %s port %u", bad[i], host, port);
      g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
    }

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (KcConfig) config = NULL;

    clear_environment ();
    g_setenv ("KERIO_PBX_HOST", "pbx.example.uz", TRUE);
    g_setenv ("KERIO_API_USERNAME", "cti", TRUE);
    g_setenv ("KERIO_API_PASSWORD", "api-secret", TRUE);
    g_setenv ("KERIO_AMI", "pbx", TRUE);
    config = kc_config_load (&error);
    g_assert_no_error (error);
    g_assert_cmpstr (config->ami_host, ==, "pbx.example.uz");
    g_assert_cmpuint (config->ami_port, ==, 5038);
    g_assert_cmpstr (kc_config_get_ami_username (config), ==, "cti");
    g_assert_null (config->ami_password);
    g_clear_pointer (&config, kc_config_free);

    g_setenv ("KERIO_AMI_USERNAME", "ami-user", TRUE);
    g_setenv ("KERIO_AMI_PASSWORD", "ami-secret", TRUE);
    config = kc_config_load (&error);
    g_assert_cmpstr (kc_config_get_ami_username (config), ==, "ami-user");
    g_assert_cmpstr (config->ami_password, ==, "ami-secret");
    g_clear_pointer (&config, kc_config_free);

    /* Off when unset; "pbx" without a PBX says so, naming the variable */
    g_unsetenv ("KERIO_AMI");
    config = kc_config_load (&error);
    g_assert_null (config->ami_host);
    g_clear_pointer (&config, kc_config_free);
    g_unsetenv ("KERIO_PBX_HOST");
    g_setenv ("KERIO_AMI", "pbx", TRUE);
    config = kc_config_load (&error);
    g_assert_null (config);
    g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "KERIO_AMI: "));
    clear_environment ();
  }
}

/* KERIO_LOOKUP_URL and KERIO_CRM_URL: http(s) templates with {number};
 * anything else stops the start, naming the variable */
static void
test_crm (void)
{
  static const char *const variables_of_crm[] = { "KERIO_LOOKUP_URL", "KERIO_CRM_URL" };
  static const char *const bad[] = {
    "https://crm.example.uz/lookup", "file:///tmp/{number}", "crm.example.uz/{number}",
    "javascript:{number}", "https://{number}",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;

  clear_environment ();
  config = kc_config_load (&error);
  g_assert_no_error (error);
  g_assert_null (config->lookup_url);
  g_assert_null (config->crm_url);
  g_clear_pointer (&config, kc_config_free);

  g_setenv ("KERIO_LOOKUP_URL", "https://crm.example.uz/api/lookup?phone={number}&op={extension}",
            TRUE);
  g_setenv ("KERIO_CRM_URL", "http://crm.example.uz:8080/search/{number}", TRUE);
  config = kc_config_load (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->lookup_url, ==,
                   "https://crm.example.uz/api/lookup?phone={number}&op={extension}");
  g_assert_cmpstr (config->crm_url, ==, "http://crm.example.uz:8080/search/{number}");
  g_clear_pointer (&config, kc_config_free);

  for (guint v = 0; v < G_N_ELEMENTS (variables_of_crm); v++)
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *prefix = g_strconcat (variables_of_crm[v], ": ", NULL);

        clear_environment ();
        g_setenv (variables_of_crm[v], bad[i], TRUE);
        config = kc_config_load (&error);
        if (config != NULL)
          g_error ("%s=%s was taken", variables_of_crm[v], bad[i]);
        g_assert_error (error, KC_CONFIG_ERROR, KC_CONFIG_ERROR_INVALID);
        g_assert_true (g_str_has_prefix (error->message, prefix));
        g_clear_error (&error);
      }
  clear_environment ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/host/forms", test_host_forms);
  g_test_add_func ("/config/host/invalid", test_host_invalid);
  g_test_add_func ("/config/intervals", test_intervals);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/environment", test_environment);
  g_test_add_func ("/config/environment-over-settings", test_environment_over_settings);
  g_test_add_func ("/config/capture", test_capture);
  g_test_add_func ("/config/invalid-names-variable", test_invalid_names_variable);
  g_test_add_func ("/config/host-password-not-shown", test_host_password_not_shown);
  g_test_add_func ("/config/events/listen-forms", test_events_listen_forms);
  g_test_add_func ("/config/events/origin-forms", test_events_origin_forms);
  g_test_add_func ("/config/events/environment", test_events_environment);
  g_test_add_func ("/config/events/invalid", test_events_invalid);
  g_test_add_func ("/config/ami", test_ami);
  g_test_add_func ("/config/crm", test_crm);

  return g_test_run ();
}
