/* kc-cli.c: what the modes without a window share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "kc-cli.h"
#include "kc-demo.h"

void
kc_cli_say_error (const char *format,
                  ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("kerio-cti: %s\n", text);
}

KcConfig *
kc_cli_start (gboolean      demo,
              KcSimServer **sim,
              int          *exit_status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;

  g_log_writer_default_set_use_stderr (TRUE);

  *exit_status = KC_EXIT_USAGE;
  config = kc_config_load (&error);
  if (config == NULL)
    {
      kc_cli_say_error ("%s", error->message);
      return NULL;
    }
  if (demo)
    {
      *sim = kc_demo_start (config, &error);
      if (*sim == NULL)
        {
          kc_cli_say_error (_("Could not start the demo simulator: %s"), error->message);
          *exit_status = EXIT_FAILURE;
          return NULL;
        }
      return g_steal_pointer (&config);
    }
  if (config->endpoint == NULL)
    {
      kc_cli_say_error (_("No Kerio Operator is configured: set KERIO_PBX_HOST, "
                          "KERIO_API_USERNAME and KERIO_API_PASSWORD, or try --demo"));
      return NULL;
    }
  if (config->username == NULL)
    {
      /* TRANSLATORS: KERIO_API_USERNAME is an environment variable */
      kc_cli_say_error (_("KERIO_API_USERNAME is not set"));
      return NULL;
    }
  if (config->password_from_environment)
    kc_cli_say_error ("%s", kc_config_password_warning ());
  if (config->ami_password_from_environment)
    kc_cli_say_error ("%s", kc_config_ami_password_warning ());
  return g_steal_pointer (&config);
}

gboolean
kc_cli_parse_day (const char *text,
                  GDate      *day)
{
  guint64 year, month, mday;
  g_auto (GStrv) parts = NULL;

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  parts = g_strsplit (text, "-", 3);
  /* Digits only: g_ascii_string_to_unsigned takes no sign nor space */
  if (!g_ascii_string_to_unsigned (parts[0], 10, 1, 9999, &year, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &month, NULL) ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &mday, NULL) ||
      !g_date_valid_dmy ((GDateDay) mday, (GDateMonth) month, (GDateYear) year))
    return FALSE;
  g_date_clear (day, 1);
  g_date_set_dmy (day, (GDateDay) mday, (GDateMonth) month, (GDateYear) year);
  return TRUE;
}
