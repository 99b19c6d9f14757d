/* kc-export-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-export"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "core/kc-export.h"
#include "kc-cli.h"
#include "kc-demo.h"
#include "kc-export-cli.h"

/* The local midnight that starts the day TEXT (YYYY-MM-DD) names, plus
 * `days`; FALSE when TEXT is not a date */
static gboolean
local_midnight (const char *text,
                int         days,
                gint64     *out)
{
  g_autoptr (GDateTime) midnight = NULL;
  g_autoptr (GDateTime) moved = NULL;
  GDate day;

  if (!kc_cli_parse_day (text, &day))
    return FALSE;
  midnight = g_date_time_new_local (g_date_get_year (&day), g_date_get_month (&day),
                                    g_date_get_day (&day), 0, 0, 0);
  moved = midnight ? g_date_time_add_days (midnight, days) : NULL;
  if (moved == NULL)
    return FALSE;
  *out = g_date_time_to_unix (moved);
  return TRUE;
}

static int
usage_error (const char *option,
             const char *value)
{
  /* TRANSLATORS: the option (--since or --until), then what was given */
  kc_cli_say_error (_("%s: “%s” is not a date such as 2026-12-07"), option, value);
  return KC_EXIT_USAGE;
}

int
kc_export_cli_run (const char *path,
                   const char *since,
                   const char *until,
                   gboolean    demo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcExport) export = NULL;
  g_autofree char *db_path = demo ? kc_demo_store_path () : kc_store_default_path ();
  KcHistoryFilter filter = { NULL, -1, -1, -1, -1 };
  guint n;

  /* stdout may be the file; what is said goes to stderr */
  g_log_writer_default_set_use_stderr (TRUE);

  if (since != NULL && !local_midnight (since, 0, &filter.since))
    return usage_error ("--since", since);
  if (until != NULL && !local_midnight (until, 1, &filter.until))
    return usage_error ("--until", until);
  if (filter.since != -1 && filter.until != -1 && filter.since >= filter.until)
    {
      kc_cli_say_error ("%s", _("--since is after --until"));
      return KC_EXIT_USAGE;
    }
  /* An export creates no history where there was none */
  if (!g_file_test (db_path, G_FILE_TEST_EXISTS))
    {
      kc_cli_say_error (_("There is no call history at %s yet"), db_path);
      return EXIT_FAILURE;
    }

  export = kc_export_new (db_path, &filter);
  if (!kc_export_run (export, path, NULL, &error))
    {
      kc_cli_say_error ("%s", error->message);
      return EXIT_FAILURE;
    }
  n = (guint) MIN (kc_export_get_n_written (export), G_MAXUINT);
  g_printerr (ngettext ("Exported %u call to %s", "Exported %u calls to %s", n), n,
              g_strcmp0 (path, "-") == 0 ? _("standard output") : path);
  g_printerr ("\n");
  return EXIT_SUCCESS;
}
