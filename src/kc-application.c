/* kc-application.c
 *
 * One instance per desktop session. Closing the window keeps the
 * application in the tray; only Quit (tray menu or Ctrl+Q) ends it. The
 * engine is rebuilt whenever the connection settings change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-application"

#include "config.h"

#include <glib/gi18n.h>

#include "core/kc-engine.h"
#include "core/kc-event-server.h"
#include "core/kc-secret.h"
#include "core/kc-store-recovery.h"
#include "kc-application.h"
#include "kc-demo.h"
#include "ui/kc-notifier.h"
#include "ui/kc-open-url.h"
#include "ui/kc-preferences-window.h"
#include "ui/kc-tray.h"
#include "ui/kc-window.h"

/* How long a --background start waits for a tray host before showing the
 * window instead, so the operator is never left with no way in. */
#define TRAY_WAIT_SECONDS 3
/* Seconds more while a tray watcher has been found but not answered yet */
#define TRAY_WAIT_EXTENSIONS 10

struct _KcApplication
{
  AdwApplication  parent_instance;

  gboolean        demo;

  GSettings      *settings;    /* NULL when the schema is not installed */
  KcSimServer    *sim;
  KcEngine       *engine;
  KcEventServer  *events;      /* the events for web pages, when on */
  KcNotifier     *notifier;
  KcTray         *tray;
  KcWindow       *window;
  GCancellable   *cancellable; /* the engine being started */
  guint           tray_wait;
  guint           tray_wait_extensions;
  gboolean        quitting;
  gboolean        password_warned;
  gboolean        ami_password_warned;
  gboolean        empty_gtk_theme; /* GTK_THEME=Empty is ours, until GTK has read it */
};

G_DEFINE_FINAL_TYPE (KcApplication, kc_application, ADW_TYPE_APPLICATION)

static void start_engine (KcApplication *self);

static KcWindow *
ensure_window (KcApplication *self)
{
  if (self->window == NULL)
    {
      self->window = kc_window_new (self);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      if (self->engine)
        kc_window_set_engine (self->window, self->engine);
    }
  return self->window;
}

static void
present_window (KcApplication *self)
{
  gtk_window_present (GTK_WINDOW (ensure_window (self)));
}

/* --- engine ------------------------------------------------------------ */

static void
update_ringing (KcApplication *self)
{
  GListModel *calls = kc_call_tracker_get_calls (kc_engine_get_tracker (self->engine));
  guint n = g_list_model_get_n_items (calls);
  gboolean ringing = FALSE;

  for (guint i = 0; i < n && !ringing; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (calls, i);

      ringing = kc_call_get_direction (call) == KC_DIRECTION_INCOMING &&
                kc_call_get_state (call) == KC_CALL_STATE_RINGING;
    }
  kc_tray_set_ringing (self->tray, ringing);
}

static void
update_connection (KcApplication *self)
{
  KcCallTracker *tracker = kc_engine_get_tracker (self->engine);
  KcTrayConnection state;

  switch (kc_call_tracker_get_connection_state (tracker))
    {
    case KC_CONNECTION_CONNECTED:
      state = KC_TRAY_CONNECTED;
      break;
    case KC_CONNECTION_ERROR:
      state = KC_TRAY_ERROR;
      break;
    case KC_CONNECTION_CONNECTING:
    default:
      state = KC_TRAY_CONNECTING;
      break;
    }
  kc_tray_set_connection (self->tray, state, kc_call_tracker_get_last_error (tracker));
}

static void
on_show_call (KcApplication *self,
              const char    *call_id)
{
  present_window (self);
  kc_window_show_call (self->window, call_id);
}

static void
on_copy_number (KcApplication *self,
                const char    *number)
{
  GdkDisplay *display = gdk_display_get_default ();

  if (display)
    gdk_clipboard_set_text (gdk_display_get_clipboard (display), number);
}

static void
on_open_url (KcApplication *self,
             const char    *url)
{
  kc_open_url (self->window ? GTK_WINDOW (self->window) : NULL, url);
}

static void
stop_engine (KcApplication *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->notifier);
  g_clear_object (&self->events);
  if (self->tray)
    kc_tray_set_call_backs (self->tray, NULL);
  if (self->engine)
    {
      g_signal_handlers_disconnect_by_data (kc_engine_get_tracker (self->engine), self);
      kc_engine_shutdown_async (self->engine, NULL, NULL);
      g_clear_object (&self->engine);
    }
  g_clear_object (&self->sim);
}

/* A port another program holds costs the web pages their events, not the
 * operator their calls: the engine runs on, and the window says why. */
static void
serve_events (KcApplication *self,
              KcConfig      *config)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *message = NULL;

  self->events = kc_event_server_new (config->events_token,
                                      (const char *const *) config->events_origins);
  kc_event_server_attach (self->events, kc_engine_get_tracker (self->engine),
                          kc_engine_get_sync (self->engine));
  if (kc_event_server_listen (self->events, config->events_address, &error))
    return;
  g_clear_object (&self->events);
  address = kc_config_format_listen (config->events_address);
  /* TRANSLATORS: an address and port, then the reason */
  message = g_strdup_printf (_("The events for web pages are off: %s cannot be used (%s)"),
                             address, error->message);
  g_message ("%s", message);
  kc_window_add_toast (ensure_window (self), message);
}

static void
run_engine (KcApplication *self,
            KcConfig      *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *path = self->demo ? kc_demo_store_path () : kc_store_default_path ();
  g_autofree char *moved_to = NULL;
  KcCallTracker *tracker;

  store = kc_store_open_or_set_aside (path, &moved_to, &error);
  if (store == NULL)
    {
      kc_window_show_problem (ensure_window (self), _("The call history cannot be opened"),
                              error->message);
      present_window (self);
      return;
    }
  if (moved_to)
    {
      g_autofree char *message =
        g_strdup_printf (_("The call history file could not be read. It was kept as %s and the "
                           "history is being rebuilt from the PBX."),
                         moved_to);
      kc_window_add_toast (ensure_window (self), message);
    }

  self->engine = kc_engine_new (config, store);
  tracker = kc_engine_get_tracker (self->engine);
  g_signal_connect_object (tracker, "notify::connection-state", G_CALLBACK (update_connection),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "notify::last-error", G_CALLBACK (update_connection), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "incoming-call", G_CALLBACK (update_ringing), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "call-state-changed", G_CALLBACK (update_ringing), self,
                           G_CONNECT_SWAPPED);

  self->notifier = kc_notifier_new (tracker);
  kc_notifier_set_paused (self->notifier,
                          g_variant_get_boolean (g_action_group_get_action_state (
                            G_ACTION_GROUP (self), "pause-popups")));
  g_signal_connect_object (self->notifier, "show-call", G_CALLBACK (on_show_call), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->notifier, "copy-number", G_CALLBACK (on_copy_number), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->notifier, "open-url", G_CALLBACK (on_open_url), self,
                           G_CONNECT_SWAPPED);
  kc_notifier_set_caller_context (self->notifier, kc_engine_get_caller_context (self->engine));

  /* The tray counts the callers still to call back, not missed calls: seen
   * or not, they wait until someone reaches them */
  kc_tray_set_call_backs (self->tray, G_LIST_MODEL (kc_engine_get_follow_up (self->engine)));
  if (self->window)
    kc_window_set_engine (self->window, self->engine);
  if (config->events_address)
    serve_events (self, config);
  update_connection (self);
  kc_engine_start (self->engine);
}

/* Once per run, even in the tray with no window: a notification stays in
 * the desktop's list until the operator has seen it. */
static void
warn_password_in_environment (KcApplication *self,
                              gboolean      *warned,
                              const char    *id,
                              const char    *title,
                              const char    *warning)
{
  g_autoptr (GNotification) notification = NULL;

  if (*warned)
    return;
  *warned = TRUE;
  g_warning ("%s", warning);
  notification = g_notification_new (title);
  g_notification_set_body (notification, warning);
  g_notification_set_default_action (notification, "app.show-window");
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

typedef struct
{
  KcApplication *self;
  KcConfig      *config;
} PasswordLookup;

static void
password_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PasswordLookup *lookup = user_data;
  g_autoptr (GError) error = NULL;

  if (!kc_secret_load_config_password_finish (lookup->config, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("A stored password cannot be read: %s", error->message);
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    run_engine (lookup->self, lookup->config);

  kc_config_free (lookup->config);
  g_object_unref (lookup->self);
  g_free (lookup);
}

static void
start_engine (KcApplication *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  PasswordLookup *lookup;

  /* Settings applied by a preferences window closed on the way out */
  if (self->quitting)
    return;
  config = kc_config_load (&error);
  stop_engine (self);

  if (config == NULL)
    {
      kc_window_show_problem (ensure_window (self), _("The settings are not valid"),
                              error->message);
      present_window (self);
      return;
    }

  if (self->demo)
    {
      self->sim = kc_demo_start (config, &error);
      if (self->sim == NULL)
        {
          kc_window_show_problem (ensure_window (self), _("The demo cannot start"),
                                  error->message);
          present_window (self);
          return;
        }
    }
  else if (config->endpoint == NULL || config->username == NULL)
    {
      kc_window_show_welcome (ensure_window (self));
      present_window (self);
      return;
    }

  /* The passwords live in the keyring, never in a file or in GSettings;
   * KERIO_API_PASSWORD and KERIO_AMI_PASSWORD, when set, win. */
  if (!self->demo && config->password_from_environment)
    warn_password_in_environment (self, &self->password_warned, "password-in-environment",
                                  _("The password is in the environment"),
                                  kc_config_password_warning ());
  if (!self->demo && config->ami_password_from_environment)
    warn_password_in_environment (self, &self->ami_password_warned,
                                  "ami-password-in-environment",
                                  _("The AMI password is in the environment"),
                                  kc_config_ami_password_warning ());
  self->cancellable = g_cancellable_new ();
  lookup = g_new0 (PasswordLookup, 1);
  lookup->self = g_object_ref (self);
  lookup->config = g_steal_pointer (&config);
  kc_secret_load_config_password_async (lookup->config, self->cancellable, password_loaded,
                                        lookup);
}

/* --- actions ----------------------------------------------------------- */

static void
shutdown_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (KcApplication) self = user_data;

  kc_engine_shutdown_finish (KC_ENGINE (source), result);
  g_application_quit (G_APPLICATION (self));
}

/* Closed as by their close button, so that what is typed in them and not
 * yet applied is kept, as it would be if the window were closed first */
static void
close_preferences (KcApplication *self)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr (GPtrArray) preferences = g_ptr_array_new_with_free_func (g_object_unref);

  /* Looked for among all the windows: a preferences window is transient
   * for the main one, not one of the application's windows */
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (KC_IS_PREFERENCES_WINDOW (window))
        g_ptr_array_add (preferences, g_object_ref (window));
    }
  for (guint i = 0; i < preferences->len; i++)
    gtk_window_close (g_ptr_array_index (preferences, i));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  KcApplication *self = user_data;

  if (self->quitting)
    return;
  self->quitting = TRUE;
  close_preferences (self);
  if (self->window)
    gtk_window_destroy (GTK_WINDOW (self->window));
  if (self->engine == NULL)
    {
      g_application_quit (G_APPLICATION (self));
      return;
    }
  /* Log out of the PBX before going. */
  g_clear_object (&self->notifier);
  g_clear_object (&self->events);
  kc_engine_shutdown_async (self->engine, shutdown_done, g_object_ref (self));
}

static void
show_window_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  present_window (user_data);
}

static void
show_call_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  on_show_call (user_data, g_variant_get_string (parameter, NULL));
}

static void
pause_popups_changed (GSimpleAction *action,
                      GVariant      *value,
                      gpointer       user_data)
{
  KcApplication *self = user_data;

  g_simple_action_set_state (action, value);
  if (self->notifier)
    kc_notifier_set_paused (self->notifier, g_variant_get_boolean (value));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  KcApplication *self = user_data;
  KcPreferencesWindow *preferences;

  present_window (self);
  if (self->settings == NULL)
    {
      kc_window_add_toast (self->window,
                           _("Preferences need the installed application (the settings schema "
                             "uz.kerio.Cti is missing); use the KERIO_* variables instead"));
      return;
    }
  preferences = kc_preferences_window_new (GTK_WINDOW (self->window), self->settings);
  g_signal_connect_object (preferences, "settings-applied", G_CALLBACK (start_engine), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
demo_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  KcApplication *self = user_data;

  self->demo = TRUE;
  kc_window_show_content (ensure_window (self));
  start_engine (self);
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  kc_window_show_about (ensure_window (user_data));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "show-window", show_window_activated },
  { "show-call", show_call_activated, "s" },
  { "pause-popups", NULL, NULL, "false", pause_popups_changed },
  { "preferences", preferences_activated },
  { "demo", demo_activated },
  { "about", about_activated },
};

/* --- GApplication ------------------------------------------------------ */

static gboolean
tray_wait_over (gpointer user_data)
{
  KcApplication *self = user_data;

  self->tray_wait = 0;
  /* A watcher is there but slow to answer: give it a little longer rather
   * than flash the window up at a start at login */
  if (!kc_tray_get_available (self->tray) && kc_tray_get_deciding (self->tray)
      && ++self->tray_wait_extensions <= TRAY_WAIT_EXTENSIONS)
    {
      self->tray_wait = g_timeout_add_seconds (1, tray_wait_over, self);
      return G_SOURCE_REMOVE;
    }
  if (!kc_tray_get_available (self->tray))
    {
      g_message ("No tray is available; showing the window");
      present_window (self);
    }
  return G_SOURCE_REMOVE;
}

static void
on_tray_available (KcApplication *self)
{
  /* The tray went away (the panel crashed, say): the window is the only way
   * back in. */
  if (!kc_tray_get_available (self->tray) && self->tray_wait == 0 && !self->quitting)
    present_window (self);
}

static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  return schema ? g_settings_new_full (schema, NULL, NULL) : NULL;
}

static void
kc_application_startup (GApplication *application)
{
  KcApplication *self = KC_APPLICATION (application);

  /* GTK loads the theme named by its settings when it creates them, and
   * libadwaita then replaces it with its own stylesheet: parsing GTK's
   * Adwaita, about 80 M instructions (a sixth of the start), was wasted.
   * So GTK's settings are created here under GTK's empty theme, and
   * GTK_THEME is gone again before libadwaita looks at it (it leaves the
   * styling to a theme the user set there). */
  if (self->empty_gtk_theme)
    {
      gtk_init ();
      gtk_settings_get_default ();
      g_unsetenv ("GTK_THEME");
    }
  G_APPLICATION_CLASS (kc_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  kc_window_set_accels (GTK_APPLICATION (self));

  self->settings = open_settings ();
  self->tray = kc_tray_new (g_application_get_dbus_connection (application),
                            G_ACTION_GROUP (self));
  g_signal_connect_object (self->tray, "notify::available", G_CALLBACK (on_tray_available),
                           self, G_CONNECT_SWAPPED);

  /* Runs with no window, in the tray, until Quit. */
  g_application_hold (application);
  start_engine (self);
}

static void
kc_application_activate (GApplication *application)
{
  present_window (KC_APPLICATION (application));
}

/* Every launch lands here, in the running instance: a launch from the menu
 * brings the window up; a start at login (--background) stays in the tray,
 * and one while already running has nothing to add. */
static int
kc_application_command_line (GApplication            *application,
                             GApplicationCommandLine *command_line)
{
  KcApplication *self = KC_APPLICATION (application);
  g_auto (GStrv) arguments = g_application_command_line_get_arguments (command_line, NULL);
  gboolean background = g_strv_contains ((const char *const *) arguments, "--background");

  if (!background)
    present_window (self);
  else if (!g_application_command_line_get_is_remote (command_line) && self->tray_wait == 0)
    self->tray_wait = g_timeout_add_seconds (TRAY_WAIT_SECONDS, tray_wait_over, self);
  return 0;
}

static void
kc_application_shutdown (GApplication *application)
{
  KcApplication *self = KC_APPLICATION (application);

  g_clear_handle_id (&self->tray_wait, g_source_remove);
  stop_engine (self);
  g_clear_object (&self->tray);
  g_clear_object (&self->settings);

  G_APPLICATION_CLASS (kc_application_parent_class)->shutdown (application);
}

static void
kc_application_class_init (KcApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = kc_application_startup;
  app_class->activate = kc_application_activate;
  app_class->command_line = kc_application_command_line;
  app_class->shutdown = kc_application_shutdown;
}

static void
kc_application_init (KcApplication *self)
{
}

KcApplication *
kc_application_new (gboolean demo)
{
  KcApplication *self = g_object_new (KC_TYPE_APPLICATION, "application-id", APP_ID,
                                      "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                                      "resource-base-path", "/uz/kerio/Cti", NULL);

  self->demo = demo;
  return self;
}

/* Appends item to the comma-separated list in the environment variable */
static void
add_to_env_list (const char *variable,
                 const char *item)
{
  const char *list = g_getenv (variable);
  g_autofree char *value = list && *list ? g_strconcat (list, ",", item, NULL) : g_strdup (item);

  g_setenv (variable, value, TRUE);
}

/* GTK opens an X11 display by setting up OpenGL to pick its visual, and
 * Mesa's driver brings libLLVM: that was 50 of the 87 MB resident in the
 * tray all day, and a fifth of the instructions before the window showed
 * (tests/bench/README.md). Lists and text draw in time with cairo, so cairo
 * is the renderer unless the user chose another with GSK_RENDERER, and with
 * cairo OpenGL is not set up at all. Must run before GTK opens the display. */
static void
choose_renderer (void)
{
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GSK_RENDERER", "cairo", TRUE);
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") != 0)
    return;
  /* GTK 4.16 moved the switch from GDK_DEBUG to GDK_DISABLE. */
  if (gtk_get_minor_version () >= 16)
    add_to_env_list ("GDK_DISABLE", "gl");
  else
    add_to_env_list ("GDK_DEBUG", "gl-disable");
}

G_MODULE_EXPORT int
kc_application_main (gboolean    demo,
                     gboolean    background,
                     const char *argv0)
{
  g_autoptr (KcApplication) app = NULL;
  const char *argv[] = { argv0, background ? "--background" : NULL, NULL };

  choose_renderer ();
  app = kc_application_new (demo);
  if (g_getenv ("GTK_THEME") == NULL)
    {
      app->empty_gtk_theme = TRUE;
      g_setenv ("GTK_THEME", "Empty", TRUE);
    }
  /* The options are parsed already; the running instance (this one or an
   * earlier one) only needs to know whether this is a start at login. */
  return g_application_run (G_APPLICATION (app), background ? 2 : 1, (char **) argv);
}
