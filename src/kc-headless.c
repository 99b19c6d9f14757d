/* kc-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-headless"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdlib.h>

#include "core/kc-engine.h"
#include "core/kc-event-server.h"
#include "core/kc-events.h"
#include "core/kc-store-recovery.h"
#include "kc-cli.h"
#include "kc-demo.h"
#include "kc-headless.h"

static void
emit (FILE       *out,
      const char *line)
{
  fputs (line, out);
  fputc ('\n', out);
  fflush (out);
}

static void
on_incoming (KcCallTracker *tracker,
             KcCall        *call,
             FILE          *out)
{
  g_autofree char *line = kc_events_format_call ("incoming_call", call);
  emit (out, line);
}

static void
on_outgoing (KcCallTracker *tracker,
             KcCall        *call,
             FILE          *out)
{
  g_autofree char *line = kc_events_format_call ("outgoing_call", call);
  emit (out, line);
}

static void
on_state_changed (KcCallTracker *tracker,
                  KcCall        *call,
                  int            old_state,
                  FILE          *out)
{
  g_autofree char *line = kc_events_format_status (call);
  emit (out, line);
}

static void
on_synced (KcSync *sync,
           guint   n_new,
           FILE   *out)
{
  g_autofree char *line = kc_events_format_sync (n_new, NULL);
  emit (out, line);
}

static void
on_sync_failed (KcSync *sync,
                GError *error,
                FILE   *out)
{
  g_autofree char *line = kc_events_format_sync (0, error);
  emit (out, line);
}

void
kc_headless_attach_sync (KcSync *sync,
                         FILE   *out)
{
  g_signal_connect (sync, "synced", G_CALLBACK (on_synced), out);
  g_signal_connect (sync, "failed", G_CALLBACK (on_sync_failed), out);
}

void
kc_headless_attach (KcCallTracker *tracker,
                    FILE          *out)
{
  g_signal_connect (tracker, "incoming-call", G_CALLBACK (on_incoming), out);
  g_signal_connect (tracker, "outgoing-call", G_CALLBACK (on_outgoing), out);
  g_signal_connect (tracker, "call-state-changed", G_CALLBACK (on_state_changed), out);
}

/* --- the headless process ---------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  KcEngine  *engine;
  KcEventServer *events; /* --listen, NULL without */
  const char *call_id;
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
  /* Clients are told "going away" while the engine logs out */
  g_clear_object (&app->events);
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
      /* TRANSLATORS: a call id, then the reason */
      kc_cli_say_error (_("Could not download the recording of call %s: %s"), app->call_id,
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
      kc_cli_say_error (_("Could not read the call history from Kerio Operator: %s"), error->message);
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
      kc_cli_say_error (_("Could not read the history: %s"), error->message);
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
      kc_cli_say_error (_("There is no call %s in the history"), app->call_id);
      finish (app, EXIT_FAILURE);
      return;
    }
  if (record->recording_id == NULL)
    {
      kc_cli_say_error (_("Call %s has no recording"), app->call_id);
      finish (app, EXIT_FAILURE);
      return;
    }

  dir = recordings_dir ();
  kc_kerio_client_download_recording_async (kc_engine_get_client (app->engine),
                                            record->recording_id, dir, NULL, NULL, NULL,
                                            download_done, app);
}

/* --- --listen ---------------------------------------------------------- */

static gboolean
serve_events (App      *app,
              KcConfig *config)
{
  g_autoptr (GError) error = NULL;

  app->events = kc_event_server_new (config->events_token,
                                     (const char *const *) config->events_origins);
  kc_event_server_attach (app->events, kc_engine_get_tracker (app->engine),
                          kc_engine_get_sync (app->engine));
  if (!kc_event_server_listen (app->events, config->events_address, &error))
    {
      g_autofree char *address = kc_config_format_listen (config->events_address);

      /* TRANSLATORS: an address and port, then the reason */
      kc_cli_say_error (_("Could not serve the events on %s: %s"), address, error->message);
      g_clear_object (&app->events);
      return FALSE;
    }
  return TRUE;
}

int
kc_headless_run (gboolean    demo,
                 const char *fetch_call_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcSimServer) sim = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *store_path = NULL;
  App app = { 0 };
  int status;

  /* stdout belongs to the event stream */
  config = kc_cli_start (demo, &sim, &status);
  if (config == NULL)
    return status;
  store_path = demo ? kc_demo_store_path () : kc_store_default_path ();

  store = kc_store_open_or_set_aside (store_path, NULL, &error);
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
      kc_headless_attach_sync (kc_engine_get_sync (app.engine), stdout);
      if (config->events_address && !serve_events (&app, config))
        {
          g_clear_object (&app.engine);
          g_clear_pointer (&app.loop, g_main_loop_unref);
          return EXIT_FAILURE;
        }
      kc_engine_start (app.engine);
    }

  g_main_loop_run (app.loop);

  g_clear_object (&app.events);
  g_clear_object (&app.engine);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  return app.status;
}
