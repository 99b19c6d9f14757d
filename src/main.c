/* main.c: kerio-cti
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kerio-cti"

#include "config.h"

#include <glib/gi18n.h>
#include <gmodule.h>
#include <locale.h>
#include <stdlib.h>

#include "kc-export-cli.h"
#include "kc-gui-module.h"
#include "kc-cli.h"
#include "kc-headless.h"
#include "kc-probe-cli.h"
#include "kc-stats-cli.h"

/* Run from the build tree, the module beside the executable is the one built
 * with it; installed, it is in KC_GUI_MODULE_DIR. */
static char *
gui_module_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *name = g_strconcat (KC_GUI_MODULE_NAME, ".", G_MODULE_SUFFIX, NULL);

  if (self)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *beside = g_build_filename (dir, name, NULL);

      if (g_file_test (beside, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&beside);
    }
  return g_build_filename (KC_GUI_MODULE_DIR, name, NULL);
}

/* Run from its build tree (build/src/kerio-cti), the program takes the
 * translations and the settings schema built there, so that a developer,
 * or a user trying it before installing, sees it in their language and
 * with working preferences; installed, it takes its own. */
static void
use_build_tree_data (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *src = g_build_filename (BUILD_ROOT, "src", NULL);
  g_autofree char *catalogues = g_build_filename (BUILD_ROOT, "po", NULL);
  g_autofree char *schemas = g_build_filename (BUILD_ROOT, "data", NULL);

  if (dir == NULL || g_strcmp0 (dir, src) != 0)
    return;
  bindtextdomain (GETTEXT_PACKAGE, catalogues);
  /* One set by the user or a test wins */
  g_setenv ("GSETTINGS_SCHEMA_DIR", schemas, FALSE);
}

static int
run_gui (gboolean    demo,
         gboolean    background,
         const char *argv0)
{
  g_autofree char *path = gui_module_path ();
  GModule *module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  KcGuiMainFunc gui_main = NULL;

  if (module == NULL || !g_module_symbol (module, KC_GUI_MAIN_SYMBOL, (gpointer *) &gui_main))
    {
      g_printerr ("kerio-cti: %s: %s\n", _("The desktop application cannot be loaded"),
                  g_module_error ());
      return EXIT_FAILURE;
    }
  /* GTK and GLib keep types and callbacks of the module until exit. */
  g_module_make_resident (module);
  return gui_main (demo, background, argv0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *fetch_call_id = NULL;
  g_autofree char *capture = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *export_path = NULL;
  g_autofree char *since = NULL;
  g_autofree char *until = NULL;
  gboolean capture_anonymize = FALSE;
  gboolean headless = FALSE;
  gboolean demo = FALSE;
  gboolean background = FALSE;
  gboolean version = FALSE;
  gboolean service = FALSE;
  gboolean probe = FALSE;
  const GOptionEntry entries[] = {
    { "background", 0, 0, G_OPTION_ARG_NONE, &background,
      N_("Start in the tray without showing the window"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      N_("Connect to a built-in Kerio Operator simulator instead of a real PBX"), NULL },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_("Run without a window; print call events as JSON lines on standard output"), NULL },
    { "fetch-recording", 0, 0, G_OPTION_ARG_STRING, &fetch_call_id,
      N_("Download the recording of the call with this PBX id and print the file's path"),
      N_("CALL_ID") },
    { "probe", 0, 0, G_OPTION_ARG_NONE, &probe,
      N_("Check that the PBX answers everything the application needs, print a report and "
         "exit"),
      NULL },
    { "stats", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, kc_stats_cli_option,
      N_("Print the figures of a day (today when no DATE is given) from the call history as "
         "JSON and exit"),
      N_("DATE") },
    { "capture", 0, 0, G_OPTION_ARG_FILENAME, &capture,
      N_("Append every exchange with the PBX to FILE, without passwords, tokens or cookies "
         "(the same as KERIO_CAPTURE=FILE)"),
      N_("FILE") },
    { "capture-anonymize", 0, 0, G_OPTION_ARG_NONE, &capture_anonymize,
      N_("In the capture, also replace every phone number and name by a consistent fake one "
         "(the same as KERIO_CAPTURE_ANONYMIZE=1)"),
      NULL },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("Serve the call events over WebSocket at ws://ADDRESS:PORT/events, and a page showing "
         "them at http://ADDRESS:PORT/ (the same as KERIO_EVENTS_LISTEN=ADDRESS:PORT)"),
      N_("ADDRESS:PORT") },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      N_("Write the call history to FILE as CSV for spreadsheets (- for standard output) and "
         "exit"),
      N_("FILE") },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since,
      N_("With --export: the calls from this day on (YYYY-MM-DD, local time)"), N_("DATE") },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until,
      N_("With --export: the calls up to this day, included (YYYY-MM-DD, local time)"),
      N_("DATE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    /* D-Bus activation starts us with GApplication's option; the request that
     * caused it then arrives on the bus like any second launch's. */
    { "gapplication-service", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &service, NULL, NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  use_build_tree_data ();
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Kerio CTI: calls from Kerio Operator on the "
                                           "operator's desktop, and their history."));
  g_option_context_set_description (context,
                                    _("Settings come from the environment (KERIO_PBX_HOST, "
                                      "KERIO_API_USERNAME, KERIO_API_PASSWORD, "
                                      "KERIO_POLL_INTERVAL, KERIO_SYNC_INTERVAL, "
                                      "KERIO_EXTENSION, KERIO_EXTENSION_DIGITS, KERIO_TLS_PIN, "
                                      "KERIO_CAPTURE, KERIO_CAPTURE_ANONYMIZE, KERIO_AMI, "
                                      "KERIO_AMI_USERNAME, KERIO_AMI_PASSWORD, "
                                      "KERIO_EVENTS_LISTEN, KERIO_EVENTS_TOKEN, "
                                      "KERIO_EVENTS_ORIGINS, KERIO_LOOKUP_URL, KERIO_CRM_URL) "
                                      "over the preferences. The events "
                                      "are served on a loopback address only, unless "
                                      "KERIO_EVENTS_TOKEN is set: then every client must present "
                                      "it. A web page may receive them only from the events "
                                      "page itself or an origin in KERIO_EVENTS_ORIGINS."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kerio-cti: %s\n", error->message);
      return KC_EXIT_USAGE;
    }
  if (version)
    {
      g_print ("kerio-cti %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* The options are the variables: one place reads and checks them, for
   * the headless mode and the desktop alike. */
  if (capture != NULL)
    g_setenv ("KERIO_CAPTURE", capture, TRUE);
  if (capture_anonymize)
    g_setenv ("KERIO_CAPTURE_ANONYMIZE", "1", TRUE);
  if (listen != NULL)
    g_setenv ("KERIO_EVENTS_LISTEN", listen, TRUE);

  if (export_path != NULL)
    return kc_export_cli_run (export_path, since, until, demo);
  if (since != NULL || until != NULL)
    {
      g_printerr ("kerio-cti: %s\n", _("--since and --until go with --export"));
      return KC_EXIT_USAGE;
    }
  if (probe)
    return kc_probe_cli_run (demo);
  if (kc_stats_cli_requested ())
    return kc_stats_cli_run (demo);
  if (headless || fetch_call_id)
    return kc_headless_run (demo, fetch_call_id);

  return run_gui (demo, background, argv[0]);
}
