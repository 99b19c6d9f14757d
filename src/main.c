/* main.c: kerio-cti
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kerio-cti"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/kc-config.h"
#include "core/kc-engine.h"
#include "kc-headless.h"
#include "sim/kc-sim-server.h"

/* Exit codes: 0 done, 1 the task failed, 2 bad usage or configuration */
enum { EXIT_USAGE = 2 };

/* Demo traffic: about one call every ten seconds, a week of history */
#define DEMO_CALLS_PER_MINUTE 6.0
#define DEMO_HISTORY_CALLS 300

typedef struct
{
  GMainLoop *loop;
  KcEngine  *engine;
  char      *call_id;
  int        status;
  gboolean   synced;
  gboolean   finishing;
} App;

static void
shutdown_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  App *app = user_data;

  kc_engine_shutdown_finish (KC_ENGINE (source), result);
  g_main_loop_quit (app->loop);
}

static void
finish (App *app,
        int  status)
{
  if (app->finishing)
    return;
  app->finishing = TRUE;
  app->status = status;
  kc_engine_shutdown_async (app->engine, shutdown_done, app);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  App *app = user_data;

  g_message ("Shutting down");
  finish (app, EXIT_SUCCESS);
  return G_SOURCE_REMOVE;
}

/* --- --fetch-recording ------------------------------------------------- */

static void fetch_recording (App *app);

static char *
recordings_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "kerio-cti", "recordings", NULL);
}

static void
download_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  path = kc_kerio_client_download_recording_finish (KC_KERIO_CLIENT (source), result, &error);
  if (path == NULL)
    {
      g_printerr ("kerio-cti: could not download the recording of call %s: %s\n", app->call_id,
                  error->message);
      finish (app, EXIT_FAILURE);
      return;
    }
  if (!kc_store_set_recording_path (kc_engine_get_store (app->engine), app->call_id, path,
                                    &error))
    g_message ("Could not remember where the recording is: %s", error->message);
  g_print ("%s\n", path);
  finish (app, EXIT_SUCCESS);
}

static void
sync_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;

  if (!kc_sync_run_finish (KC_SYNC (source), result, NULL, &error))
    {
      g_printerr ("kerio-cti: could not read the call history from Kerio Operator: %s\n",
                  error->message);
      finish (app, EXIT_FAILURE);
      return;
    }
  app->synced = TRUE;
  fetch_recording (app);
}

static void
fetch_recording (App *app)
{
  KcStore *store = kc_engine_get_store (app->engine);
  g_autoptr (KcRecord) record = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  record = kc_store_lookup (store, app->call_id, &error);
  if (error)
    {
      g_printerr ("kerio-cti: could not read the history: %s\n", error->message);
      finish (app, EXIT_FAILURE);
      return;
    }

  if (record && record->recording_path && g_file_test (record->recording_path, G_FILE_TEST_IS_REGULAR))
    {
      g_print ("%s\n", record->recording_path);
      finish (app, EXIT_SUCCESS);
      return;
    }

  /* The history may simply not have this call or its recording yet. */
  if ((record == NULL || record->recording_id == NULL) && !app->synced)
    {
      kc_sync_run_async (kc_engine_get_sync (app->engine), NULL, sync_done, app);
      return;
    }

  if (record == NULL)
    {
      g_printerr ("kerio-cti: there is no call %s in the history\n", app->call_id);
      finish (app, EXIT_FAILURE);
      return;
    }
  if (record->recording_id == NULL)
    {
      g_printerr ("kerio-cti: call %s has no recording\n", app->call_id);
      finish (app, EXIT_FAILURE);
      return;
    }

  dir = recordings_dir ();
  kc_kerio_client_download_recording_async (kc_engine_get_client (app->engine),
                                            record->recording_id, dir, NULL, NULL, NULL,
                                            download_done, app);
}

/* --- start-up ---------------------------------------------------------- */

static KcStore *
open_store (const char  *path,
            GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  KcStore *store = kc_store_open (path, &local_error);
  g_autofree char *aside = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  if (store || !g_error_matches (local_error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT))
    {
      if (local_error)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return store;
    }

  /* Never delete what may be the only copy of someone's history: keep it
   * aside and rebuild from the PBX. */
  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  aside = g_strdup_printf ("%s.unreadable-%s", path, stamp);
  if (g_rename (path, aside) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "The history database %s cannot be read (%s) and could not be moved aside: %s",
                   path, local_error->message, g_strerror (errno));
      return NULL;
    }
  g_warning ("The history database %s could not be read (%s); it was moved to %s and the "
             "history will be rebuilt from Kerio Operator",
             path, local_error->message, aside);
  return kc_store_open (path, error);
}

static KcSimServer *
start_demo_simulator (KcConfig  *config,
                      GError   **error)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autofree char *url = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!kc_sim_server_listen (sim, 0, NULL, error))
    return NULL;
  kc_sim_server_add_generated_cdrs (sim, "demo", DEMO_HISTORY_CALLS, now - 7 * 24 * 3600,
                                    7 * 24 * 3600 / DEMO_HISTORY_CALLS);
  kc_sim_server_start_traffic (sim, DEMO_CALLS_PER_MINUTE, (guint32) now);

  url = kc_sim_server_get_endpoint_url (sim);
  g_clear_pointer (&config->endpoint, g_uri_unref);
  config->endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  if (config->endpoint == NULL)
    return NULL;
  g_free (config->username);
  config->username = g_strdup (KC_SIM_DEFAULT_USERNAME);
  g_free (config->password);
  config->password = g_strdup (KC_SIM_DEFAULT_PASSWORD);
  g_clear_pointer (&config->tls_pin, g_free);
  g_message ("Demo mode: using the built-in Kerio Operator simulator at %s", url);
  return g_steal_pointer (&sim);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcSimServer) sim = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *fetch_call_id = NULL;
  gboolean headless = FALSE;
  gboolean demo = FALSE;
  gboolean version = FALSE;
  App app = { 0 };
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      "Run without a window; print call events as JSON lines on standard output", NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      "Connect to a built-in Kerio Operator simulator instead of a real PBX", NULL },
    { "fetch-recording", 0, 0, G_OPTION_ARG_STRING, &fetch_call_id,
      "Download the recording of the call with this PBX id and print the file's path",
      "CALL_ID" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* stdout belongs to the event stream; every log line goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Kerio CTI: incoming calls from Kerio Operator on the "
                                         "operator's desktop, and their history.");
  g_option_context_set_description (context,
                                    "Settings come from the environment (KERIO_PBX_HOST, "
                                    "KERIO_API_USERNAME, KERIO_API_PASSWORD, KERIO_POLL_INTERVAL, "
                                    "KERIO_SYNC_INTERVAL, KERIO_EXTENSION, KERIO_EXTENSION_DIGITS, "
                                    "KERIO_TLS_PIN) over the uz.kerio.Cti settings.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kerio-cti: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (version)
    {
      g_print ("kerio-cti %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (!headless && fetch_call_id == NULL)
    {
      g_printerr ("kerio-cti: this build has no window yet; run it with --headless\n");
      return EXIT_USAGE;
    }

  config = kc_config_load (&error);
  if (config == NULL)
    {
      g_printerr ("kerio-cti: %s\n", error->message);
      return EXIT_USAGE;
    }

  if (demo)
    {
      sim = start_demo_simulator (config, &error);
      if (sim == NULL)
        {
          g_printerr ("kerio-cti: could not start the demo simulator: %s\n", error->message);
          return EXIT_FAILURE;
        }
      /* Demo calls never mix with a real history. */
      store_path = g_build_filename (g_get_user_data_dir (), "kerio-cti", "demo.db", NULL);
    }
  else
    {
      if (config->endpoint == NULL)
        {
          g_printerr ("kerio-cti: no Kerio Operator is configured: set KERIO_PBX_HOST, "
                      "KERIO_API_USERNAME and KERIO_API_PASSWORD, or try --demo\n");
          return EXIT_USAGE;
        }
      if (config->username == NULL)
        {
          g_printerr ("kerio-cti: KERIO_API_USERNAME is not set\n");
          return EXIT_USAGE;
        }
      store_path = kc_store_default_path ();
    }

  store = open_store (store_path, &error);
  if (store == NULL)
    {
      g_printerr ("kerio-cti: %s\n", error->message);
      return EXIT_FAILURE;
    }

  app.loop = g_main_loop_new (NULL, FALSE);
  app.engine = kc_engine_new (config, store);
  app.call_id = fetch_call_id;

  g_unix_signal_add (SIGINT, on_quit_signal, &app);
  g_unix_signal_add (SIGTERM, on_quit_signal, &app);

  if (fetch_call_id)
    {
      fetch_recording (&app);
    }
  else
    {
      kc_headless_attach (kc_engine_get_tracker (app.engine), stdout);
      kc_engine_start (app.engine);
    }

  g_main_loop_run (app.loop);

  g_clear_object (&app.engine);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  return app.status;
}
