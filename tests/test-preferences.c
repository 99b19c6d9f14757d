/* test-preferences.c: the password store and the preferences window, with a
 * real Secret Service (gnome-keyring) on the test's own session bus and the
 * simulator as the PBX
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "core/kc-config.h"
#include "core/kc-engine.h"
#include "core/kc-secret.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "kerio/kc-ami-client.h"
#include "kerio/kc-kerio-client.h"
#include "sim/kc-sim-server.h"
#include "ui/kc-preferences-window.h"

#define PASSWORD "Parol-7x!uz"
#define AMI_PASSWORD "Ami-Parol-3k?uz"
#define BAD_HOST_ERROR "Enter a host name, host:port, or an https://host:port address"
#define AMI_ADDRESS_ERROR "Enter a host name, host:port, or pbx for the PBX’s own host"
#define AMI_REFUSED                                                                     \
  "The PBX refused the AMI login: check the AMI user name and password, and that the "  \
  "PBX administrator allowed this user AMI access"
#define AMI_NOT_AMI                                                                     \
  "This address does not answer as an AMI: check the host and the port (the AMI "      \
  "listens on 5038 unless the PBX says otherwise)"
#define AMI_UNREACHABLE                                                                 \
  "The AMI cannot be reached: check the address, and that the PBX accepts AMI "         \
  "connections from this computer"
#define EVENTS_ADDRESS_ERROR "Enter an address and port, such as 127.0.0.1:8765"
#define EVENTS_REACH_ERROR                                                              \
  "Other computers could connect to this address: enter a loopback address such as "    \
  "127.0.0.1:8765, or set KERIO_EVENTS_TOKEN first"

/* HOME and the XDG folders of the whole run, the keyring's included */
static char *tmp_root;

/* --- A private Secret Service --- */

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Set once the keyring has ended, for a start that fails */
static gboolean keyring_exited;

static void
keyring_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  keyring_exited = TRUE;
}

/* Our own gnome-keyring-daemon, the one Secret Service on the test's bus
 * (kc-test-bus.h): the test passwords go nowhere else. */
static GSubprocess *
start_keyring (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr (GVariant) reply = NULL;
  GSubprocess *keyring;
  gboolean appeared = FALSE;
  guint32 owner_pid;
  guint watch;

  g_assert_no_error (error);
  /* --unlock reads the login keyring's password from stdin; gnome-keyring
   * 42 refuses it together with --start. */
  keyring = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "gnome-keyring-daemon", "--foreground",
                              "--components=secrets", "--unlock", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (keyring, NULL, keyring_exited_cb, NULL);
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring), "\n", 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring), NULL, &error);
  g_assert_no_error (error);

  watch = g_bus_watch_name_on_connection (bus, "org.freedesktop.secrets",
                                          G_BUS_NAME_WATCHER_FLAGS_NONE, name_appeared_cb, NULL,
                                          &appeared, NULL);
  KC_TEST_WAIT_UNTIL (appeared || keyring_exited, 20);
  g_bus_unwatch_name (watch);
  if (keyring_exited)
    g_error ("gnome-keyring-daemon ended before it owned org.freedesktop.secrets");

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &owner_pid);
  if (owner_pid != g_ascii_strtoull (g_subprocess_get_identifier (keyring), NULL, 10))
    {
      g_autofree char *owner = kc_test_bus_describe_owner (bus, "org.freedesktop.secrets");

      g_error ("org.freedesktop.secrets on the test's bus is %s, not the test's keyring", owner);
    }
  return keyring;
}

static void
stop_keyring (GSubprocess *keyring)
{
  g_subprocess_send_signal (keyring, SIGTERM);
  KC_TEST_WAIT_UNTIL (keyring_exited, 10);
  g_object_unref (keyring);
}

/* The key kc-secret stores under for a host as typed */
static char *
server_key (const char *host)
{
  g_autoptr (GUri) uri = kc_config_parse_host (host, NULL);

  g_assert_nonnull (uri);
  return g_uri_to_string (uri);
}

static void
store_password (const char *server,
                const char *user,
                const char *password)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;

  kc_secret_store_password_async (server, user, password, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_true (kc_secret_store_password_finish (res, &error));
  g_assert_no_error (error);
}

static char *
lookup_password (const char *server,
                 const char *user)
{
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;
  char *password;

  kc_secret_lookup_password_async (server, user, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  password = kc_secret_lookup_password_finish (res, &error);
  g_assert_no_error (error);
  return password;
}

static void
reset_settings (GSettings *settings)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i]; i++)
    g_settings_reset (settings, keys[i]);
}

/* Every file under dir (recursively) whose bytes contain needle */
static void
collect_files_containing (const char *dir,
                          const char *needle,
                          GPtrArray  *found)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle && (name = g_dir_read_name (handle)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files_containing (path, needle, found);
      else if (g_file_get_contents (path, &contents, &length, NULL)
               && g_strstr_len (contents, length, needle))
        g_ptr_array_add (found, g_steal_pointer (&path));
    }
}

/* No setting holds the password, and no file of the run (the keyring's
 * own included) holds it in the clear */
static void
assert_password_nowhere (GSettings  *settings,
                         const char *password)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i]; i++)
    {
      g_autoptr (GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *printed = g_variant_print (value, FALSE);

      g_assert_null (strstr (printed, password));
    }

  collect_files_containing (tmp_root, password, files);
  for (guint i = 0; i < files->len; i++)
    g_test_message ("The password is in %s", (char *) files->pdata[i]);
  g_assert_cmpuint (files->len, ==, 0);
}

/* --- kc-secret --- */

static void
test_secret_store_and_lookup (void)
{
  g_autofree char *server = server_key ("pbx.example.uz");
  g_autofree char *other_server = server_key ("pbx2.example.uz");
  g_autofree char *found = NULL;
  g_autofree char *for_other_user = NULL;
  g_autofree char *for_other_server = NULL;
  g_autofree char *replaced = NULL;

  store_password (server, "secret-user", PASSWORD);
  found = lookup_password (server, "secret-user");
  g_assert_cmpstr (found, ==, PASSWORD);

  for_other_user = lookup_password (server, "someone-else");
  g_assert_null (for_other_user);
  for_other_server = lookup_password (other_server, "secret-user");
  g_assert_null (for_other_server);

  /* A new password replaces the old one rather than adding a second */
  store_password (server, "secret-user", "new-" PASSWORD);
  replaced = lookup_password (server, "secret-user");
  g_assert_cmpstr (replaced, ==, "new-" PASSWORD);
}

static void
fill_config_password (KcConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) res = NULL;

  kc_secret_load_config_password_async (config, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_true (kc_secret_load_config_password_finish (config, res, &error));
  g_assert_no_error (error);
}

static void
test_secret_fills_config (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *server = server_key ("config.example.uz:4022");
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcConfig) from_env = NULL;
  g_autoptr (KcConfig) unknown_user = NULL;

  reset_settings (settings);
  g_settings_set_string (settings, "pbx-host", "config.example.uz:4022");
  g_settings_set_string (settings, "username", "config-user");
  store_password (server, "config-user", PASSWORD);

  config = kc_config_load (&error);
  g_assert_no_error (error);
  g_assert_null (config->password);
  fill_config_password (config);
  g_assert_cmpstr (config->password, ==, PASSWORD);

  /* A password from KERIO_API_PASSWORD stays */
  from_env = kc_config_load (&error);
  g_assert_no_error (error);
  from_env->password = g_strdup ("from-env");
  fill_config_password (from_env);
  g_assert_cmpstr (from_env->password, ==, "from-env");

  g_settings_set_string (settings, "username", "nobody-stored");
  unknown_user = kc_config_load (&error);
  g_assert_no_error (error);
  fill_config_password (unknown_user);
  g_assert_null (unknown_user->password);
  reset_settings (settings);
}

/* The API and the AMI password of one user name are two passwords */
static void
test_secret_ami_key_apart (void)
{
  g_autofree char *api = server_key ("pbx.example.uz");
  g_autofree char *ami = kc_secret_ami_server ("pbx.example.uz", 5038);
  g_autofree char *ami_v6 = kc_secret_ami_server ("::1", 5039);
  g_autofree char *api_found = NULL;
  g_autofree char *ami_found = NULL;

  g_assert_cmpstr (ami, ==, "ami://pbx.example.uz:5038");
  g_assert_cmpstr (ami_v6, ==, "ami://[::1]:5039");

  store_password (api, "same-user", PASSWORD);
  store_password (ami, "same-user", AMI_PASSWORD);
  api_found = lookup_password (api, "same-user");
  ami_found = lookup_password (ami, "same-user");
  g_assert_cmpstr (api_found, ==, PASSWORD);
  g_assert_cmpstr (ami_found, ==, AMI_PASSWORD);
}

static void
test_secret_fills_ami_config (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *server = server_key ("ami-config.example.uz");
  g_autofree char *ami_server = kc_secret_ami_server ("ami-config.example.uz", 5038);
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcConfig) other_user = NULL;
  g_autoptr (KcConfig) from_env = NULL;

  reset_settings (settings);
  g_settings_set_string (settings, "pbx-host", "ami-config.example.uz");
  g_settings_set_string (settings, "username", "api-user");
  g_settings_set_string (settings, "ami-host", "pbx");
  store_password (server, "api-user", PASSWORD);
  /* An empty AMI user name is the API's */
  store_password (ami_server, "api-user", AMI_PASSWORD);

  config = kc_config_load (&error);
  g_assert_no_error (error);
  g_assert_null (config->ami_password);
  fill_config_password (config);
  g_assert_cmpstr (config->password, ==, PASSWORD);
  g_assert_cmpstr (config->ami_password, ==, AMI_PASSWORD);

  /* Nothing stored for this AMI user: the engine will try the API password */
  g_settings_set_string (settings, "ami-username", "ami-user");
  other_user = kc_config_load (&error);
  g_assert_no_error (error);
  fill_config_password (other_user);
  g_assert_cmpstr (other_user->password, ==, PASSWORD);
  g_assert_null (other_user->ami_password);

  /* KERIO_AMI_PASSWORD wins, and is known to come from the environment */
  g_setenv ("KERIO_AMI_PASSWORD", "from-env", TRUE);
  from_env = kc_config_load (&error);
  g_unsetenv ("KERIO_AMI_PASSWORD");
  g_assert_no_error (error);
  g_assert_true (from_env->ami_password_from_environment);
  g_assert_false (from_env->password_from_environment);
  fill_config_password (from_env);
  g_assert_cmpstr (from_env->ami_password, ==, "from-env");
  g_assert_cmpstr (from_env->password, ==, PASSWORD);
  reset_settings (settings);
}

/* What the application does: the keyring's AMI password goes into the
 * config, and the engine's AMI client logs in with it (the simulator's AMI
 * takes no other) */
static void
test_secret_ami_password_reaches_engine (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *server = NULL;
  g_autofree char *ami_address = NULL;
  g_autofree char *ami_server = NULL;
  g_autofree char *db = g_build_filename (tmp_root, "engine.db", NULL);
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcEngine) engine = NULL;
  g_autoptr (GAsyncResult) res = NULL;
  KcAmiClient *ami;

  g_assert_true (kc_sim_server_listen (sim, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kc_sim_server_listen_ami (sim, 0, &error));
  g_assert_no_error (error);
  kc_sim_server_set_ami_credentials (sim, "ami-user", AMI_PASSWORD);
  endpoint = kc_sim_server_get_endpoint_url (sim);
  server = server_key (endpoint);
  ami_address = g_strdup_printf ("127.0.0.1:%u", kc_sim_server_get_ami_port (sim));
  ami_server = kc_secret_ami_server ("127.0.0.1", kc_sim_server_get_ami_port (sim));

  reset_settings (settings);
  g_settings_set_string (settings, "pbx-host", endpoint);
  g_settings_set_string (settings, "username", KC_SIM_DEFAULT_USERNAME);
  g_settings_set_string (settings, "ami-host", ami_address);
  g_settings_set_string (settings, "ami-username", "ami-user");
  store_password (server, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  store_password (ami_server, "ami-user", AMI_PASSWORD);

  config = kc_config_load (&error);
  g_assert_no_error (error);
  fill_config_password (config);
  store = kc_store_open (db, &error);
  g_assert_no_error (error);
  engine = kc_engine_new (config, store);
  ami = kc_engine_get_ami (engine);
  g_assert_nonnull (ami);
  kc_engine_start (engine);
  KC_TEST_WAIT_UNTIL (kc_ami_client_get_state (ami) == KC_AMI_STATE_CONNECTED
                        || kc_ami_client_get_state (ami) == KC_AMI_STATE_REFUSED,
                      20);
  g_assert_cmpint (kc_ami_client_get_state (ami), ==, KC_AMI_STATE_CONNECTED);
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (sim), ==, 1);

  kc_engine_shutdown_async (engine, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  kc_engine_shutdown_finish (engine, res);
  reset_settings (settings);
}

/* --- Finding widgets the way a user does: by what they show --- */

static const char *
widget_text (GtkWidget *widget)
{
  if (ADW_IS_PREFERENCES_ROW (widget))
    return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_label (GTK_BUTTON (widget));
  return NULL;
}

/* The first widget of `type` under root showing `text` (any when NULL) */
static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type)
          && (text == NULL || g_strcmp0 (widget_text (child), text) == 0))
        return child;
      if ((found = find_widget (child, type, text)))
        return found;
    }
  return NULL;
}

static GtkWidget *
get_widget (GtkWidget  *root,
            GType       type,
            const char *text)
{
  GtkWidget *widget = find_widget (root, type, text);

  if (widget == NULL)
    g_error ("No %s showing “%s”", g_type_name (type), text ? text : "(anything)");
  return widget;
}

static gboolean
shows_label (GtkWidget  *root,
             const char *text)
{
  GtkWidget *label = find_widget (root, GTK_TYPE_LABEL, text);

  return label != NULL && gtk_widget_is_visible (label);
}

/* A line among the lines of a visible label (the probe's report) */
static gboolean
shows_line (GtkWidget  *root,
            const char *line)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_widget_is_visible (child))
        {
          g_auto (GStrv) lines = g_strsplit (gtk_label_get_text (GTK_LABEL (child)), "\n", -1);

          if (g_strv_contains ((const char *const *) lines, line))
            return TRUE;
        }
      if (shows_line (child, line))
        return TRUE;
    }
  return FALSE;
}

/* The fingerprint may be broken into lines where its colons are */
static gboolean
shows_fingerprint (GtkWidget  *root,
                   const char *formatted)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_widget_is_visible (child))
        {
          g_autofree char *text = g_strdup (gtk_label_get_text (GTK_LABEL (child)));

          if (strcmp (g_strdelimit (text, "\n", ':'), formatted) == 0)
            return TRUE;
        }
      if (shows_fingerprint (child, formatted))
        return TRUE;
    }
  return FALSE;
}

/* --- The window --- */

typedef struct
{
  GSettings           *settings;
  KcPreferencesWindow *window;
  guint                applied;
  KcSimServer         *sim;
  char                *endpoint;
} Fixture;

static void
count_applied_cb (KcPreferencesWindow *window,
                  Fixture             *f)
{
  f->applied++;
}

static void
open_window (Fixture *f)
{
  f->window = kc_preferences_window_new (NULL, f->settings);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  g_signal_connect (f->window, "settings-applied", G_CALLBACK (count_applied_cb), f);
  gtk_window_present (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)), 10);
}

static void
close_window (Fixture *f)
{
  if (f->window == NULL)
    return;
  gtk_window_destroy (GTK_WINDOW (f->window));
  /* Answers still on their way hold it; it must go once they arrive */
  KC_TEST_WAIT_UNTIL (f->window == NULL, 10);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->settings = g_settings_new (APP_ID);
  reset_settings (f->settings);
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, (GTlsCertificate *) data, &error);
  g_assert_no_error (error);
  f->endpoint = kc_sim_server_get_endpoint_url (f->sim);
  open_window (f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  close_window (f);
  g_clear_object (&f->sim);
  g_clear_object (&f->settings);
  g_free (f->endpoint);
}

static GtkWidget *
window (Fixture *f)
{
  return GTK_WIDGET (f->window);
}

static void
enter (Fixture    *f,
       const char *row_title,
       const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (get_widget (window (f), ADW_TYPE_ENTRY_ROW, row_title)),
                         text);
}

static void
apply (Fixture    *f,
       const char *row_title)
{
  g_signal_emit_by_name (get_widget (window (f), ADW_TYPE_ENTRY_ROW, row_title), "apply");
}

static void
test_server_validated (Fixture       *f,
                       gconstpointer  data)
{
  GtkWidget *row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_Server");
  g_autofree char *saved = NULL;

  g_settings_set_string (f->settings, "pbx-host", "old.example.uz");

  enter (f, "_Server", "pbx example.uz");
  apply (f, "_Server");
  saved = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (saved, ==, "old.example.uz");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_true (shows_label (window (f), BAD_HOST_ERROR));
  g_assert_cmpuint (f->applied, ==, 0);

  enter (f, "_Server", "ftp://pbx.example.uz");
  apply (f, "_Server");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (saved, ==, "old.example.uz");

  enter (f, "_Server", "pbx.example.uz:4021");
  /* The error goes as soon as the text is right, before it is applied */
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_assert_false (shows_label (window (f), BAD_HOST_ERROR));
  apply (f, "_Server");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (saved, ==, "pbx.example.uz:4021");
  g_assert_cmpuint (f->applied, ==, 1);

  /* Applying what is already saved restarts nothing */
  apply (f, "_Server");
  g_assert_cmpuint (f->applied, ==, 1);
}

static void
test_extension_digits_only (Fixture       *f,
                            gconstpointer  data)
{
  GtkWidget *row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "Operator _extension");
  g_autofree char *saved = NULL;

  enter (f, "Operator _extension", "10a1");
  apply (f, "Operator _extension");
  saved = g_settings_get_string (f->settings, "extension");
  g_assert_cmpstr (saved, ==, "");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_cmpuint (f->applied, ==, 0);

  enter (f, "Operator _extension", "1001");
  apply (f, "Operator _extension");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "extension");
  g_assert_cmpstr (saved, ==, "1001");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_assert_cmpuint (f->applied, ==, 1);
}

static void
test_leaving_row_saves (Fixture       *f,
                        gconstpointer  data)
{
  GtkWidget *user_row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_User name");
  GtkWidget *extension_row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "Operator _extension");
  GtkWidget *lookup_row;
  g_autofree char *saved = NULL;

  g_assert_true (gtk_widget_grab_focus (user_row));
  gtk_editable_set_text (GTK_EDITABLE (user_row), "operator7");
  g_assert_cmpuint (f->applied, ==, 0);
  g_assert_true (gtk_widget_grab_focus (extension_row));

  saved = g_settings_get_string (f->settings, "username");
  g_assert_cmpstr (saved, ==, "operator7");
  g_assert_cmpuint (f->applied, ==, 1);

  /* The groups' rows too (their own code, the same rule) */
  lookup_row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_Lookup address");
  g_assert_true (gtk_widget_grab_focus (lookup_row));
  gtk_editable_set_text (GTK_EDITABLE (lookup_row), "https://crm.example.uz/?n={number}");
  g_assert_cmpuint (f->applied, ==, 1);
  g_assert_true (gtk_widget_grab_focus (get_widget (window (f), ADW_TYPE_ENTRY_ROW,
                                                    "_Page address")));
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "lookup-url");
  g_assert_cmpstr (saved, ==, "https://crm.example.uz/?n={number}");
  g_assert_cmpuint (f->applied, ==, 2);
}

/* Makes the window the active one again, for as long as another window
 * (of another test on the same display) takes it */
static gboolean
made_active (Fixture *f)
{
  if (!gtk_window_is_active (GTK_WINDOW (f->window)))
    gtk_window_present (GTK_WINDOW (f->window));
  return gtk_window_is_active (GTK_WINDOW (f->window));
}

/* Going to another window is not leaving the row: an edit half typed stays
 * as typed, and is taken once the operator is back and moves on */
static void
test_other_window_keeps_edit (Fixture       *f,
                              gconstpointer  data)
{
  GtkWidget *server_row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_Server");
  GtkWidget *user_row = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_User name");
  GtkWindow *other;
  g_autofree char *saved = NULL;

  g_assert_true (gtk_widget_grab_focus (server_row));
  KC_TEST_WAIT_UNTIL (made_active (f), 10);
  enter (f, "_Server", "pbx.example.u");
  other = GTK_WINDOW (gtk_window_new ());
  gtk_window_present (other);
  KC_TEST_WAIT_UNTIL (!gtk_window_is_active (GTK_WINDOW (f->window)), 10);
  kc_test_run_for (0.3);
  saved = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (saved, ==, "");
  g_assert_cmpuint (f->applied, ==, 0);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (server_row)), ==, "pbx.example.u");

  /* Back, the typing goes on; the focus moves on whether or not the window
   * is the active one when it does */
  gtk_window_destroy (other);
  gtk_window_present (GTK_WINDOW (f->window));
  enter (f, "_Server", "pbx.example.uz");
  g_assert_true (gtk_widget_grab_focus (user_row));
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (saved, ==, "pbx.example.uz");
  g_assert_cmpuint (f->applied, ==, 1);
}

static void
test_password_in_keyring_only (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *server = server_key ("pbx.example.uz");
  g_autofree char *stored = NULL;
  g_autofree char *other = NULL;
  g_autofree char *host = NULL;

  g_assert_true (shows_label (window (f), "Not saved"));

  /* Typed, not applied: the password goes with them */
  enter (f, "_Server", "pbx.example.uz");
  enter (f, "_User name", "operator1");
  enter (f, "_Password", PASSWORD);
  apply (f, "_Password");
  KC_TEST_WAIT_UNTIL (shows_label (window (f), "Saved"), 10);
  /* One restart for server, user and password together */
  g_assert_cmpuint (f->applied, ==, 1);
  host = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (host, ==, "pbx.example.uz");

  stored = lookup_password (server, "operator1");
  g_assert_cmpstr (stored, ==, PASSWORD);
  other = lookup_password (server, "operator2");
  g_assert_null (other);

  assert_password_nowhere (f->settings, PASSWORD);

  /* Opened again, the window says a password is there */
  close_window (f);
  open_window (f);
  KC_TEST_WAIT_UNTIL (shows_label (window (f), "Saved"), 10);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_widget (window (f),
                                                                    ADW_TYPE_ENTRY_ROW,
                                                                    "_Password"))),
                   ==, "");
}

static void
test_closing_saves_edits (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *server = server_key ("close.example.uz");
  g_autofree char *stored = NULL;
  g_autofree char *user = NULL;

  enter (f, "_Server", "close.example.uz");
  enter (f, "_User name", "closer");
  enter (f, "_Password", PASSWORD);
  gtk_window_close (GTK_WINDOW (f->window));
  /* It stays until the keyring has the password */
  KC_TEST_WAIT_UNTIL (f->window == NULL, 10);

  stored = lookup_password (server, "closer");
  g_assert_cmpstr (stored, ==, PASSWORD);
  user = g_settings_get_string (f->settings, "username");
  g_assert_cmpstr (user, ==, "closer");
  g_assert_cmpuint (f->applied, ==, 1);
}

/* Clicks "Test" and waits for the spinner to go */
static void
run_connection_test (Fixture *f)
{
  GtkWidget *spinner = get_widget (window (f), GTK_TYPE_SPINNER, NULL);
  GtkWidget *button = get_widget (window (f), GTK_TYPE_BUTTON, "Test");

  g_signal_emit_by_name (button, "clicked");
  g_assert_true (gtk_widget_is_visible (spinner));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));
  g_assert_false (gtk_widget_get_sensitive (button));
  KC_TEST_WAIT_UNTIL (!gtk_widget_get_visible (spinner), 20);
  g_assert_true (gtk_widget_get_sensitive (button));
}

static void
test_connection_ok (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *server = server_key (f->endpoint);
  g_autofree char *host = NULL;

  /* An internal call, one row, and an external one, a row per channel as
   * real appliances list it: two calls, three rows */
  kc_sim_server_add_call (f->sim, "1004", NULL, "1001", NULL);
  kc_sim_server_add_call_started (f->sim, "+998901234567", NULL, "1002", NULL, 5);

  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  run_connection_test (f);
  g_assert_true (shows_label (window (f), "Connected: 2 active calls"));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, 1);
  /* Under it, the report kerio-cti --probe prints */
  g_assert_true (shows_line (window (f), "Session.login: OK"));
  g_assert_true (shows_line (window (f), "Status.getCalls: OK, 3 rows"));
  g_assert_true (shows_line (window (f), "CallHistory.get: OK, 0 rows"));
  g_assert_true (shows_line (window (f), "Session.logout: OK"));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 1);

  /* The test saves nothing */
  host = g_settings_get_string (f->settings, "pbx-host");
  g_assert_cmpstr (host, ==, "");
  g_assert_cmpuint (f->applied, ==, 0);

  /* With the password row empty, the stored password is the one tried */
  store_password (server, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  enter (f, "_Password", "");
  kc_sim_server_add_call (f->sim, "1006", NULL, "1003", NULL);
  run_connection_test (f);
  g_assert_true (shows_label (window (f), "Connected: 3 active calls"));
}

/* Logged in, but the history fails: the headline says the application
 * cannot work with this PBX, and the report says which method */
static void
test_connection_history_fails (Fixture       *f,
                               gconstpointer  data)
{
  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  /* The two requests after the login: Status.getCalls and CallHistory.get */
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_NOT_FOUND, 2);
  run_connection_test (f);
  g_assert_true (shows_label (window (f), "Connected, but the PBX does not answer everything "
                                          "the application needs; see the report below"));
  g_assert_true (shows_line (window (f), "Session.login: OK"));
  g_assert_true (shows_line (window (f), "Recordings.get: OK, 0 rows"));
  g_assert_false (shows_line (window (f), "CallHistory.get: OK, 0 rows"));
  g_assert_false (gtk_widget_is_visible (get_widget (window (f), GTK_TYPE_BUTTON,
                                                     "T_rust this certificate")));
}

static void
test_connection_wrong_password (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GUri) uri = g_uri_parse (f->endpoint, G_URI_FLAGS_NONE, NULL);
  g_autoptr (KcKerioClient) client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, "wrong");
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) expected = NULL;

  /* What the client itself says about these credentials */
  kc_kerio_client_login_async (client, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_false (kc_kerio_client_login_finish (client, res, &expected));
  g_assert_error (expected, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);

  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", "wrong");
  run_connection_test (f);
  g_assert_true (shows_label (window (f), expected->message));
  {
    g_autofree char *line = g_strconcat ("Session.login: refused by the PBX: ", expected->message,
                                         NULL);

    g_assert_true (shows_line (window (f), line));
  }
  g_assert_false (gtk_widget_is_visible (get_widget (window (f), GTK_TYPE_BUTTON,
                                                     "T_rust this certificate")));
}

static void
test_connection_trust_certificate (Fixture       *f,
                                   gconstpointer  data)
{
  GTlsCertificate *certificate = (GTlsCertificate *) data;
  g_autofree char *hex = kc_tls_certificate_fingerprint (certificate);
  g_autofree char *formatted = kc_tls_fingerprint_format (hex);
  g_autofree char *expected_pin = g_strconcat ("sha256:", hex, NULL);
  g_autofree char *pin = NULL;
  GtkWidget *trust;

  g_assert_true (g_str_has_prefix (f->endpoint, "https://"));
  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  run_connection_test (f);

  g_assert_true (shows_fingerprint (window (f), formatted));
  trust = get_widget (window (f), GTK_TYPE_BUTTON, "T_rust this certificate");
  g_assert_true (gtk_widget_is_visible (trust));
  pin = g_settings_get_string (f->settings, "tls-pin");
  g_assert_cmpstr (pin, ==, "");
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 0);

  g_signal_emit_by_name (trust, "clicked");
  g_clear_pointer (&pin, g_free);
  pin = g_settings_get_string (f->settings, "tls-pin");
  g_assert_cmpstr (pin, ==, expected_pin);
  g_assert_cmpuint (f->applied, ==, 1);

  /* Trusting tests again, and now it gets through */
  KC_TEST_WAIT_UNTIL (shows_label (window (f), "Connected: 0 active calls"), 20);
  g_assert_false (shows_fingerprint (window (f), formatted));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 1);
}

/* Trusted before, and now the server shows another certificate: refused,
 * with the fingerprint trusted before and the one presented now side by
 * side, and the new one trusted only when the operator says so. */
static void
test_connection_changed_certificate (Fixture       *f,
                                     gconstpointer  data)
{
  GTlsCertificate *certificate = (GTlsCertificate *) data;
  g_autoptr (GTlsCertificate) before = kc_test_load_other_certificate ();
  g_autofree char *hex = kc_tls_certificate_fingerprint (certificate);
  g_autofree char *presented = kc_tls_fingerprint_format (hex);
  g_autofree char *before_hex = kc_tls_certificate_fingerprint (before);
  g_autofree char *pinned = kc_tls_fingerprint_format (before_hex);
  g_autofree char *old_pin = g_strconcat ("sha256:", before_hex, NULL);
  g_autofree char *new_pin = g_strconcat ("sha256:", hex, NULL);
  g_autofree char *pin = NULL;
  GtkWidget *trust;

  g_settings_set_string (f->settings, "tls-pin", old_pin);
  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  run_connection_test (f);

  g_assert_true (shows_label (window (f), "The server’s certificate has changed: it is not the "
                                          "one trusted before, so the connection was refused. "
                                          "Trust the new one only if its fingerprint is the one "
                                          "the Kerio Operator administration shows for its "
                                          "certificate; otherwise someone may be intercepting "
                                          "the connection."));
  g_assert_true (shows_label (window (f), "Trusted before, SHA-256 fingerprint"));
  g_assert_true (shows_fingerprint (window (f), pinned));
  g_assert_true (shows_label (window (f), "Presented now, SHA-256 fingerprint"));
  g_assert_true (shows_fingerprint (window (f), presented));
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.login"), ==, 0);
  pin = g_settings_get_string (f->settings, "tls-pin");
  g_assert_cmpstr (pin, ==, old_pin);

  trust = get_widget (window (f), GTK_TYPE_BUTTON, "T_rust this certificate");
  g_assert_true (gtk_widget_is_visible (trust));
  g_signal_emit_by_name (trust, "clicked");
  g_clear_pointer (&pin, g_free);
  pin = g_settings_get_string (f->settings, "tls-pin");
  g_assert_cmpstr (pin, ==, new_pin);
  KC_TEST_WAIT_UNTIL (shows_label (window (f), "Connected: 0 active calls"), 20);
  g_assert_false (shows_fingerprint (window (f), pinned));
  g_assert_false (shows_fingerprint (window (f), presented));
}

/* The first time there is nothing to compare with: one fingerprint only */
static void
test_connection_first_certificate_alone (Fixture       *f,
                                         gconstpointer  data)
{
  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  run_connection_test (f);
  g_assert_true (shows_label (window (f), "SHA-256 fingerprint"));
  g_assert_false (shows_label (window (f), "Trusted before, SHA-256 fingerprint"));
  g_assert_false (shows_label (window (f), "Presented now, SHA-256 fingerprint"));
}

static void
test_connection_ends_with_window (Fixture       *f,
                                  gconstpointer  data)
{
  /* Longer than the client's own timeout, which would end the test too */
  kc_sim_server_set_slow_delay (f->sim, 3 * KC_KERIO_DEFAULT_TIMEOUT);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_SLOW, 1);
  enter (f, "_Server", f->endpoint);
  enter (f, "_User name", KC_SIM_DEFAULT_USERNAME);
  enter (f, "_Password", KC_SIM_DEFAULT_PASSWORD);
  g_signal_emit_by_name (get_widget (window (f), GTK_TYPE_BUTTON, "Test"), "clicked");
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") == 1, 10);

  gtk_window_destroy (GTK_WINDOW (f->window));
  KC_TEST_WAIT_UNTIL (f->window == NULL, KC_KERIO_DEFAULT_TIMEOUT / 2);
}

static GtkWidget *
spin_in_row (Fixture    *f,
             const char *row_title)
{
  return get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW, row_title),
                     GTK_TYPE_SPIN_BUTTON, NULL);
}

static void
assert_range_from_schema (Fixture    *f,
                          GtkWidget  *spin,
                          const char *key)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsSchemaKey) schema_key = NULL;
  g_autoptr (GVariant) range = NULL;
  g_autoptr (GVariant) bounds = NULL;
  double min, max, lower, upper;

  g_object_get (f->settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  range = g_settings_schema_key_get_range (schema_key);
  g_variant_get (range, "(&sv)", NULL, &bounds);
  g_variant_get (bounds, "(dd)", &min, &max);
  gtk_spin_button_get_range (GTK_SPIN_BUTTON (spin), &lower, &upper);
  g_assert_cmpfloat (lower, ==, min);
  g_assert_cmpfloat (upper, ==, max);
}

static void
test_polling_intervals (Fixture       *f,
                        gconstpointer  data)
{
  GtkWidget *poll = spin_in_row (f, "Poll _interval");
  GtkWidget *sync = spin_in_row (f, "_History sync interval");

  assert_range_from_schema (f, poll, "poll-interval");
  assert_range_from_schema (f, sync, "sync-interval");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (poll)), ==,
                     g_settings_get_double (f->settings, "poll-interval"));

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (poll), 1.5);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (sync), 0.5);
  g_assert_cmpfloat (g_settings_get_double (f->settings, "poll-interval"), ==, 1.5);
  g_assert_cmpfloat (g_settings_get_double (f->settings, "sync-interval"), ==, 0.5);
  /* Both changes end in one restart, once they settle */
  g_assert_cmpuint (f->applied, ==, 0);
  KC_TEST_WAIT_UNTIL (f->applied > 0, 10);
  g_assert_cmpuint (f->applied, ==, 1);
}

static char *
desktop_string (GKeyFile   *entry,
                const char *key)
{
  return g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, key, NULL);
}

static GtkWidget *
autostart_switch (Fixture *f)
{
  return get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW, "Start at _login"),
                     GTK_TYPE_SWITCH, NULL);
}

static void
test_start_at_login (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "autostart", NULL);
  g_autofree char *path = g_build_filename (dir, APP_ID ".desktop", NULL);
  g_autoptr (GKeyFile) entry = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *type = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *icon = NULL;
  GtkWidget *toggle = autostart_switch (f);
  struct stat st;

  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));

  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  g_assert_true (g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  type = desktop_string (entry, G_KEY_FILE_DESKTOP_KEY_TYPE);
  name = desktop_string (entry, G_KEY_FILE_DESKTOP_KEY_NAME);
  exec = desktop_string (entry, G_KEY_FILE_DESKTOP_KEY_EXEC);
  icon = desktop_string (entry, G_KEY_FILE_DESKTOP_KEY_ICON);
  g_assert_cmpstr (type, ==, "Application");
  g_assert_cmpstr (name, ==, "Kerio CTI");
  g_assert_cmpstr (exec, ==, "kerio-cti --background");
  g_assert_cmpstr (icon, ==, APP_ID);
  g_assert_true (g_key_file_get_boolean (entry, G_KEY_FILE_DESKTOP_GROUP,
                                         "X-GNOME-Autostart-enabled", NULL));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  /* Private, like every file the application writes (umask 022 here) */
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* The switch shows what is on disk when the window opens */
  close_window (f);
  open_window (f);
  toggle = autostart_switch (f);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));

  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (f->applied, ==, 0);
  kc_test_rm_rf (dir);
}

/* Off by default; on, it serves 127.0.0.1:8765 unless told otherwise, and
 * an address other computers reach only with a token */
static void
test_events_for_web_pages (Fixture       *f,
                           gconstpointer  data)
{
  GtkWidget *toggle = get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW,
                                              "_Events for web pages"),
                                  GTK_TYPE_SWITCH, NULL);
  GtkWidget *address = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "Events _address");
  g_autofree char *saved = NULL;

  g_unsetenv ("KERIO_EVENTS_TOKEN");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
  g_assert_false (gtk_widget_get_visible (address));

  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  saved = g_settings_get_string (f->settings, "events-listen");
  g_assert_cmpstr (saved, ==, "127.0.0.1:8765");
  g_assert_cmpuint (f->applied, ==, 1);
  g_assert_true (gtk_widget_get_visible (address));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (address)), ==, "127.0.0.1:8765");
  g_assert_true (gtk_widget_is_visible (get_widget (window (f), GTK_TYPE_LINK_BUTTON,
                                                    "http://127.0.0.1:8765/")));

  enter (f, "Events _address", "0.0.0.0:8765");
  apply (f, "Events _address");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "events-listen");
  g_assert_cmpstr (saved, ==, "127.0.0.1:8765");
  g_assert_true (gtk_widget_has_css_class (address, "error"));
  g_assert_true (shows_label (window (f), EVENTS_REACH_ERROR));
  g_assert_cmpuint (f->applied, ==, 1);

  enter (f, "Events _address", "127.0.0.1");
  apply (f, "Events _address");
  g_assert_true (shows_label (window (f), EVENTS_ADDRESS_ERROR));

  enter (f, "Events _address", "127.0.0.1:9000");
  g_assert_false (gtk_widget_has_css_class (address, "error"));
  apply (f, "Events _address");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "events-listen");
  g_assert_cmpstr (saved, ==, "127.0.0.1:9000");
  g_assert_cmpuint (f->applied, ==, 2);

  /* With a token, every address; its page is on loopback */
  g_setenv ("KERIO_EVENTS_TOKEN", "test-token-0123456789", TRUE);
  enter (f, "Events _address", "0.0.0.0:9001");
  apply (f, "Events _address");
  g_unsetenv ("KERIO_EVENTS_TOKEN");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "events-listen");
  g_assert_cmpstr (saved, ==, "0.0.0.0:9001");
  g_assert_cmpuint (f->applied, ==, 3);
  g_assert_nonnull (find_widget (window (f), GTK_TYPE_LINK_BUTTON, "http://127.0.0.1:9001/"));

  /* Reopened, it shows what is saved; off is the empty key */
  close_window (f);
  open_window (f);
  toggle = get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW, "_Events for web pages"),
                       GTK_TYPE_SWITCH, NULL);
  address = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "Events _address");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (address)), ==, "0.0.0.0:9001");
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "events-listen");
  g_assert_cmpstr (saved, ==, "");
  g_assert_cmpuint (f->applied, ==, 4);
  g_assert_false (gtk_widget_get_visible (address));
}

/* --- Instant pop-ups (AMI) --- */

static GtkWidget *
ami_switch (Fixture *f)
{
  return get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW, "I_nstant pop-ups"),
                     GTK_TYPE_SWITCH, NULL);
}

static gboolean
ami_password_state_is (Fixture    *f,
                       const char *state)
{
  return find_widget (get_widget (window (f), ADW_TYPE_ENTRY_ROW, "AMI pass_word"),
                      GTK_TYPE_LABEL, state)
         != NULL;
}

static char *
saved (Fixture    *f,
       const char *key)
{
  return g_settings_get_string (f->settings, key);
}

static void
assert_saved (Fixture    *f,
              const char *key,
              const char *expected)
{
  g_autofree char *value = saved (f, key);

  g_assert_cmpstr (value, ==, expected);
}

/* Off by default; on, it saves ami-host ("pbx" unless typed otherwise) and
 * ami-username, refuses what is not an AMI address, and keeps the AMI
 * password in the keyring under its own key, never in GSettings */
static void
test_ami_saves (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *toggle = ami_switch (f);
  GtkWidget *address = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "AMI a_ddress");
  GtkWidget *user = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "AMI user na_me");
  g_autofree char *ami_server = kc_secret_ami_server ("ami.example.uz", 5039);
  g_autofree char *api_server = server_key ("pbx.example.uz");
  g_autofree char *stored = NULL;
  g_autofree char *as_api = NULL;
  g_autofree char *as_api_user = NULL;
  GtkEditable *user_text;

  g_settings_set_string (f->settings, "pbx-host", "pbx.example.uz");
  g_settings_set_string (f->settings, "username", "operator1");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
  g_assert_false (gtk_widget_get_visible (address));
  g_assert_false (gtk_widget_get_visible (user));

  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  assert_saved (f, "ami-host", "pbx");
  g_assert_cmpuint (f->applied, ==, 1);
  g_assert_true (gtk_widget_get_visible (address));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (address)), ==, "pbx");

  /* Empty is the API user name, which the row shows as it is typed in */
  user_text = gtk_editable_get_delegate (GTK_EDITABLE (user));
  g_assert_cmpstr (gtk_text_get_placeholder_text (GTK_TEXT (user_text)), ==, "operator1");
  g_settings_set_string (f->settings, "username", "operator2");
  g_assert_cmpstr (gtk_text_get_placeholder_text (GTK_TEXT (user_text)), ==, "operator2");

  enter (f, "AMI a_ddress", "ami.example.uz:70000");
  apply (f, "AMI a_ddress");
  assert_saved (f, "ami-host", "pbx");
  g_assert_true (gtk_widget_has_css_class (address, "error"));
  g_assert_true (shows_label (window (f), AMI_ADDRESS_ERROR));
  g_assert_cmpuint (f->applied, ==, 1);

  enter (f, "AMI a_ddress", "ami.example.uz:5039");
  g_assert_false (gtk_widget_has_css_class (address, "error"));
  apply (f, "AMI a_ddress");
  assert_saved (f, "ami-host", "ami.example.uz:5039");
  g_assert_cmpuint (f->applied, ==, 2);

  enter (f, "AMI user na_me", "ami-operator");
  apply (f, "AMI user na_me");
  assert_saved (f, "ami-username", "ami-operator");
  g_assert_cmpuint (f->applied, ==, 3);

  g_assert_true (ami_password_state_is (f, "Not saved"));
  enter (f, "AMI pass_word", AMI_PASSWORD);
  apply (f, "AMI pass_word");
  KC_TEST_WAIT_UNTIL (ami_password_state_is (f, "Saved"), 10);
  g_assert_cmpuint (f->applied, ==, 4);
  stored = lookup_password (ami_server, "ami-operator");
  g_assert_cmpstr (stored, ==, AMI_PASSWORD);
  /* Not the API password of either user name */
  as_api = lookup_password (api_server, "ami-operator");
  g_assert_null (as_api);
  as_api_user = lookup_password (api_server, "operator2");
  g_assert_null (as_api_user);
  assert_password_nowhere (f->settings, AMI_PASSWORD);

  /* Reopened, it shows what is saved, and that a password is there */
  close_window (f);
  open_window (f);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (ami_switch (f))));
  address = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "AMI a_ddress");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (address)), ==, "ami.example.uz:5039");
  user = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "AMI user na_me");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (user)), ==, "ami-operator");
  KC_TEST_WAIT_UNTIL (ami_password_state_is (f, "Saved"), 10);

  /* Off is the empty key */
  gtk_switch_set_active (GTK_SWITCH (ami_switch (f)), FALSE);
  assert_saved (f, "ami-host", "");
  g_assert_cmpuint (f->applied, ==, 5);
  g_assert_false (gtk_widget_get_visible (address));
}

/* "pbx" needs a PBX to stand for */
static void
test_ami_pbx_needs_server (Fixture       *f,
                           gconstpointer  data)
{
  gtk_switch_set_active (GTK_SWITCH (ami_switch (f)), TRUE);
  assert_saved (f, "ami-host", "");
  g_assert_true (shows_label (window (f), "“pbx” stands for the PBX's host, and no PBX is "
                                          "configured"));
  g_assert_cmpuint (f->applied, ==, 0);

  g_settings_set_string (f->settings, "pbx-host", "pbx.example.uz");
  apply (f, "AMI a_ddress");
  assert_saved (f, "ami-host", "pbx");
  g_assert_cmpuint (f->applied, ==, 1);
}

static void
test_ami_closing_saves_password (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *ami_server = kc_secret_ami_server ("pbx.example.uz", 5038);
  g_autofree char *stored = NULL;

  g_settings_set_string (f->settings, "pbx-host", "pbx.example.uz");
  gtk_switch_set_active (GTK_SWITCH (ami_switch (f)), TRUE);
  g_assert_cmpuint (f->applied, ==, 1);
  /* The API user name typed, not applied, is the AMI's too: the window
   * saves it before the AMI password is keyed by it */
  enter (f, "_Server", "pbx.example.uz");
  enter (f, "_User name", "closer");
  enter (f, "AMI pass_word", AMI_PASSWORD);
  gtk_window_close (GTK_WINDOW (f->window));
  /* It stays until the keyring has the password, and then says so */
  KC_TEST_WAIT_UNTIL (f->window == NULL, 10);
  g_assert_cmpuint (f->applied, ==, 3);
  stored = lookup_password (ami_server, "closer");
  g_assert_cmpstr (stored, ==, AMI_PASSWORD);
}

/* Something that greets as another protocol */
static void
greet_as_ssh_cb (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source,
                 gpointer           user_data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_output_stream_write_all (out, "SSH-2.0-OpenSSH_9.2\r\n", 21, NULL, NULL, NULL);
  g_ptr_array_add (user_data, g_object_ref (connection));
}

/* A port on loopback, and a socket bound to it (listening or not) */
static GSocket *
bind_loopback (guint16 *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return g_steal_pointer (&socket);
}

/* Clicks the AMI's "Test" and waits for its spinner to go */
static void
run_ami_test (Fixture *f)
{
  GtkWidget *row = get_widget (window (f), ADW_TYPE_ACTION_ROW, "Test AMI l_ogin");
  GtkWidget *button = get_widget (row, GTK_TYPE_BUTTON, "Test");
  GtkWidget *spinner = get_widget (row, GTK_TYPE_SPINNER, NULL);

  g_signal_emit_by_name (button, "clicked");
  g_assert_false (gtk_widget_get_sensitive (button));
  KC_TEST_WAIT_UNTIL (!gtk_widget_get_visible (spinner), 20);
  g_assert_true (gtk_widget_get_sensitive (button));
}

static void
test_ami_test_button (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketService) ssh = g_socket_service_new ();
  g_autoptr (GPtrArray) ssh_connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GSocket) closed = NULL;
  g_autofree char *api_server = server_key ("pbx.example.uz");
  g_autofree char *ami_server = NULL;
  g_autofree char *address = NULL;
  g_autofree char *not_ami = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *unreachable = NULL;
  g_autoptr (GSocket) ssh_socket = NULL;
  guint16 port;

  g_assert_true (kc_sim_server_listen_ami (f->sim, 0, &error));
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", kc_sim_server_get_ami_port (f->sim));
  gtk_switch_set_active (GTK_SWITCH (ami_switch (f)), TRUE);

  /* The simulator's AMI takes the API's user name and password by default */
  enter (f, "AMI a_ddress", address);
  enter (f, "AMI user na_me", KC_SIM_DEFAULT_USERNAME);
  enter (f, "AMI pass_word", KC_SIM_DEFAULT_PASSWORD);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), "OK: AMI version 1.3"));
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (f->sim), ==, 1);
  /* The test saves nothing */
  assert_saved (f, "ami-host", "");
  assert_saved (f, "ami-username", "");

  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), AMI_REFUSED));
  /* Under it, the AMI's own words */
  refused = g_strdup_printf ("The AMI at %s refused the login: Authentication failed", address);
  g_assert_true (shows_label (window (f), refused));
  g_assert_false (shows_label (window (f), "OK: AMI version 1.3"));
  kc_sim_server_set_ami_refuse (f->sim, FALSE);

  /* The password row empty: the one stored for the AMI, else the API's */
  enter (f, "AMI pass_word", "");
  store_password (api_server, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  g_settings_set_string (f->settings, "pbx-host", "pbx.example.uz");
  g_settings_set_string (f->settings, "username", KC_SIM_DEFAULT_USERNAME);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), "OK: AMI version 1.3"));
  kc_sim_server_set_ami_credentials (f->sim, NULL, AMI_PASSWORD);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), AMI_REFUSED));
  ami_server = kc_secret_ami_server ("127.0.0.1", kc_sim_server_get_ami_port (f->sim));
  store_password (ami_server, KC_SIM_DEFAULT_USERNAME, AMI_PASSWORD);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), "OK: AMI version 1.3"));

  /* A port nothing listens on */
  enter (f, "AMI pass_word", AMI_PASSWORD);
  closed = bind_loopback (&port);
  unreachable = g_strdup_printf ("127.0.0.1:%u", port);
  enter (f, "AMI a_ddress", unreachable);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), AMI_UNREACHABLE));

  /* Another protocol's server */
  ssh_socket = bind_loopback (&port);
  g_assert_true (g_socket_listen (ssh_socket, &error));
  g_assert_true (g_socket_listener_add_socket (G_SOCKET_LISTENER (ssh), ssh_socket, NULL,
                                               &error));
  g_assert_no_error (error);
  g_signal_connect (ssh, "incoming", G_CALLBACK (greet_as_ssh_cb), ssh_connections);
  not_ami = g_strdup_printf ("127.0.0.1:%u", port);
  enter (f, "AMI a_ddress", not_ami);
  run_ami_test (f);
  g_assert_true (shows_label (window (f), AMI_NOT_AMI));

  /* An address that is none is said at once, before anything is tried */
  enter (f, "AMI a_ddress", "127.0.0.1:0");
  g_signal_emit_by_name (get_widget (get_widget (window (f), ADW_TYPE_ACTION_ROW,
                                                 "Test AMI l_ogin"),
                                     GTK_TYPE_BUTTON, "Test"),
                         "clicked");
  g_assert_true (shows_label (window (f), AMI_ADDRESS_ERROR));
  g_socket_service_stop (ssh);
}

/* The CRM's two addresses: http(s) templates with {number}, or nothing;
 * anything else is refused, saying why, and saved only once it is right */
static void
test_crm_addresses (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *lookup = get_widget (window (f), ADW_TYPE_ENTRY_ROW, "_Lookup address");
  g_autofree char *saved = NULL;

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (lookup)), ==, "");

  enter (f, "_Lookup address", "https://crm.example.uz/find");
  apply (f, "_Lookup address");
  g_assert_true (gtk_widget_has_css_class (lookup, "error"));
  g_assert_true (shows_label (window (f), "Enter an http:// or https:// address with {number} in "
                                          "it, such as https://crm.example.uz/find?phone={number}: "
                                          "the address has no {number} in it"));
  saved = g_settings_get_string (f->settings, "lookup-url");
  g_assert_cmpstr (saved, ==, "");
  g_assert_cmpuint (f->applied, ==, 0);

  /* The error goes as soon as the text is right, before it is applied */
  enter (f, "_Lookup address", "https://crm.example.uz/find?phone={number}");
  g_assert_false (gtk_widget_has_css_class (lookup, "error"));
  apply (f, "_Lookup address");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "lookup-url");
  g_assert_cmpstr (saved, ==, "https://crm.example.uz/find?phone={number}");
  g_assert_cmpuint (f->applied, ==, 1);

  enter (f, "_Page address", "file:///home/{number}");
  apply (f, "_Page address");
  g_assert_true (gtk_widget_has_css_class (get_widget (window (f), ADW_TYPE_ENTRY_ROW,
                                                       "_Page address"),
                                           "error"));
  g_assert_cmpuint (f->applied, ==, 1);

  /* Closing saves what is typed, when it is right */
  enter (f, "_Page address", " https://crm.example.uz/c/{number} ");
  gtk_window_close (GTK_WINDOW (f->window));
  close_window (f);
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "crm-url");
  g_assert_cmpstr (saved, ==, "https://crm.example.uz/c/{number}");
  g_assert_cmpuint (f->applied, ==, 2);

  open_window (f);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_widget (window (f),
                                                                    ADW_TYPE_ENTRY_ROW,
                                                                    "_Page address"))),
                   ==, "https://crm.example.uz/c/{number}");
  /* Empty is none */
  enter (f, "_Lookup address", "");
  apply (f, "_Lookup address");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (f->settings, "lookup-url");
  g_assert_cmpstr (saved, ==, "");
  g_assert_cmpuint (f->applied, ==, 3);
}

static void
make_dir (const char *parent,
          const char *name,
          const char *variable)
{
  g_autofree char *path = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_setenv (variable, path, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GTlsCertificate) certificate = NULL;
  GSubprocess *keyring;
  int status;

  kc_test_bus_up ();
  g_test_init (&argc, &argv, NULL);

  /* Before anything caches them: the keyring, the autostart folder and
   * every other file of the run go under one folder we remove. */
  umask (022);
  tmp_root = kc_test_make_tmpdir ();
  make_dir (tmp_root, "home", "HOME");
  make_dir (tmp_root, "config", "XDG_CONFIG_HOME");
  make_dir (tmp_root, "data", "XDG_DATA_HOME");
  make_dir (tmp_root, "cache", "XDG_CACHE_HOME");
  make_dir (tmp_root, "runtime", "XDG_RUNTIME_DIR");
  g_unsetenv ("GNOME_KEYRING_CONTROL");
  g_unsetenv ("KERIO_PBX_HOST");
  g_unsetenv ("KERIO_API_USERNAME");
  g_unsetenv ("KERIO_API_PASSWORD");
  g_unsetenv ("KERIO_TLS_PIN");
  g_unsetenv ("KERIO_AMI");
  g_unsetenv ("KERIO_AMI_USERNAME");
  g_unsetenv ("KERIO_AMI_PASSWORD");

  adw_init ();
  keyring = start_keyring ();
  certificate = kc_test_load_certificate ();

  g_test_add_func ("/preferences/secret/store-and-lookup", test_secret_store_and_lookup);
  g_test_add_func ("/preferences/secret/fills-config", test_secret_fills_config);
  g_test_add_func ("/preferences/secret/ami-key-apart", test_secret_ami_key_apart);
  g_test_add_func ("/preferences/secret/fills-ami-config", test_secret_fills_ami_config);
  g_test_add_func ("/preferences/secret/ami-password-reaches-engine",
                   test_secret_ami_password_reaches_engine);

#define ADD(path, func, cert) \
  g_test_add ("/preferences/window/" path, Fixture, cert, fixture_set_up, func, fixture_tear_down)

  ADD ("server-validated", test_server_validated, NULL);
  ADD ("extension-digits-only", test_extension_digits_only, NULL);
  ADD ("leaving-row-saves", test_leaving_row_saves, NULL);
  ADD ("other-window-keeps-edit", test_other_window_keeps_edit, NULL);
  ADD ("password-in-keyring-only", test_password_in_keyring_only, NULL);
  ADD ("closing-saves-edits", test_closing_saves_edits, NULL);
  ADD ("test-connection/ok", test_connection_ok, NULL);
  ADD ("test-connection/wrong-password", test_connection_wrong_password, NULL);
  ADD ("test-connection/history-fails", test_connection_history_fails, NULL);
  ADD ("test-connection/trust-certificate", test_connection_trust_certificate, certificate);
  ADD ("test-connection/changed-certificate", test_connection_changed_certificate, certificate);
  ADD ("test-connection/first-certificate-alone", test_connection_first_certificate_alone,
       certificate);
  ADD ("test-connection/ends-with-window", test_connection_ends_with_window, NULL);
  ADD ("polling-intervals", test_polling_intervals, NULL);
  ADD ("events-for-web-pages", test_events_for_web_pages, NULL);
  ADD ("ami/saves", test_ami_saves, NULL);
  ADD ("ami/pbx-needs-server", test_ami_pbx_needs_server, NULL);
  ADD ("ami/closing-saves-password", test_ami_closing_saves_password, NULL);
  ADD ("ami/test", test_ami_test_button, NULL);
  ADD ("crm-addresses", test_crm_addresses, NULL);
  ADD ("start-at-login", test_start_at_login, NULL);

  status = g_test_run ();

  stop_keyring (keyring);
  kc_test_rm_rf (tmp_root);
  g_free (tmp_root);
  return status;
}
