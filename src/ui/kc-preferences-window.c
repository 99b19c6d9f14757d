/* kc-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-preferences-window"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/kc-config.h"
#include "core/kc-probe.h"
#include "core/kc-secret.h"
#include "kerio/kc-kerio-client.h"
#include "kc-ami-group.h"
#include "kc-entry-rows.h"
#include "kc-crm-group.h"
#include "kc-events-group.h"
#include "kc-preferences-window.h"

/* Each click on a spin button's +/- saves a value; the engine restarts once
 * the clicking has stopped for this long. */
#define INTERVAL_SETTLE_MS 800

#define AUTOSTART_ENTRY                                                                  \
  "[Desktop Entry]\n"                                                                    \
  "Type=Application\n"                                                                   \
  "Name=Kerio CTI\n"                                                                     \
  "Exec=kerio-cti --background\n"                                                        \
  "Icon=" APP_ID "\n"                                                                    \
  "Terminal=false\n"                                                                     \
  "NoDisplay=true\n"                                                                     \
  "X-GNOME-Autostart-enabled=true\n"

struct _KcPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GCancellable         *cancellable;           /* cancelled on dispose */
  GCancellable         *state_cancellable;     /* the latest "is a password stored" lookup */
  KcProbe              *test_probe;            /* while a test runs */
  char                 *untrusted_fingerprint; /* hex, of the certificate a test refused */
  guint                 interval_source;
  gboolean              password_edited;       /* typed since it was last stored */

  AdwEntryRow          *server_row;
  AdwPreferencesRow    *server_error_row;
  GtkLabel             *server_error_label;
  AdwEntryRow          *username_row;
  AdwEntryRow          *password_row;
  GtkLabel             *password_state_label;
  AdwEntryRow          *extension_row;
  AdwPreferencesRow    *extension_error_row;
  GtkLabel             *extension_error_label;
  GtkSpinner           *test_spinner;
  GtkWidget            *test_button;
  AdwPreferencesRow    *result_row;
  GtkLabel             *result_label;
  GtkLabel             *report_label;
  GtkWidget            *certificate_box;
  GtkLabel             *fingerprint_title;
  GtkLabel             *fingerprint_label;
  GtkWidget            *pinned_box;
  GtkLabel             *pinned_fingerprint_label;
  GtkWidget            *trust_button;
  GtkAdjustment        *poll_adjustment;
  GtkAdjustment        *sync_adjustment;
  GtkSwitch            *autostart_switch;
  KcAmiGroup           *ami_group;
  KcEventsGroup        *events_group;
  KcCrmGroup           *crm_group;
};

G_DEFINE_FINAL_TYPE (KcPreferencesWindow, kc_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

enum {
  SETTINGS_APPLIED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void start_test (KcPreferencesWindow *self,
                        const char          *password);

/* Some handlers may run while the window is being destroyed (a row loses the
 * focus as it goes); by then there is nothing to save into. */
static gboolean
is_disposed (KcPreferencesWindow *self)
{
  return self->settings == NULL;
}

/* Lookups and connection tests hold the window weakly, so that closing it
 * ends them (dispose cancels them) rather than waiting for them. */
static GWeakRef *
weak_self (KcPreferencesWindow *self)
{
  return kc_weak_ref_new (self);
}

/* The window (transfer full), or NULL when it is gone; frees the ref */
static KcPreferencesWindow *
take_self (gpointer weak_ref)
{
  KcPreferencesWindow *self = kc_weak_ref_steal (weak_ref);

  if (self != NULL && is_disposed (self))
    g_clear_object (&self);
  return self;
}

static void
settings_applied (KcPreferencesWindow *self)
{
  g_signal_emit (self, signals[SETTINGS_APPLIED], 0);
}

static void
show_toast (KcPreferencesWindow *self,
            const char          *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 0);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

/* --- Whether a password is stored --- */

static void
set_password_state (KcPreferencesWindow *self,
                    const char          *state,
                    const char          *tooltip)
{
  gtk_label_set_text (self->password_state_label, state);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->password_state_label), tooltip);
}

static void
password_state_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (KcPreferencesWindow) self = take_self (user_data);
  g_autoptr (GError) error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);
  gboolean stored = password != NULL;

  kc_secret_password_free (password);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    set_password_state (self, _("No keyring"), error->message);
  else if (stored)
    set_password_state (self, _("Saved"), _("A password is saved in the keyring"));
  else
    set_password_state (self, _("Not saved"), _("No password is saved in the keyring"));
}

/* For the server and user name as saved, which are what the engine uses */
static void
refresh_password_state (KcPreferencesWindow *self)
{
  g_autofree char *host = g_settings_get_string (self->settings, "pbx-host");
  g_autofree char *user = g_settings_get_string (self->settings, "username");
  g_autofree char *server = kc_secret_api_server (host);

  g_cancellable_cancel (self->state_cancellable);
  g_clear_object (&self->state_cancellable);
  if (server == NULL || *user == '\0')
    {
      set_password_state (self, _("Not saved"), _("No password is saved in the keyring"));
      return;
    }
  self->state_cancellable = g_cancellable_new ();
  kc_secret_lookup_password_async (server, user, self->state_cancellable, password_state_cb,
                                   weak_self (self));
}

/* --- Saving the entry rows --- */

/* Returns FALSE when the server as typed is not valid (and says so). */
static gboolean
save_server (KcPreferencesWindow *self,
             gboolean            *changed)
{
  g_autofree char *text = kc_entry_row_get_text (self->server_row);
  g_autofree char *saved = g_settings_get_string (self->settings, "pbx-host");
  g_autoptr (GUri) uri = kc_config_parse_host (text, NULL);

  kc_entry_row_set_error (self->server_row, GTK_WIDGET (self->server_error_row), self->server_error_label,
                 uri ? NULL : _("Enter a host name, host:port, or an https://host:port address"));
  if (uri == NULL)
    return FALSE;
  if (strcmp (text, saved) != 0)
    {
      g_settings_set_string (self->settings, "pbx-host", text);
      *changed = TRUE;
    }
  return TRUE;
}

static void
save_username (KcPreferencesWindow *self,
               gboolean            *changed)
{
  g_autofree char *text = kc_entry_row_get_text (self->username_row);
  g_autofree char *saved = g_settings_get_string (self->settings, "username");

  if (strcmp (text, saved) != 0)
    {
      g_settings_set_string (self->settings, "username", text);
      *changed = TRUE;
    }
}

/* The engine takes +, * and # too, but an operator's own extension is
 * digits; empty means every call. */
static gboolean
is_extension (const char *text)
{
  if (strlen (text) > 32)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
save_extension (KcPreferencesWindow *self,
                gboolean            *changed)
{
  g_autofree char *text = kc_entry_row_get_text (self->extension_row);
  g_autofree char *saved = g_settings_get_string (self->settings, "extension");
  gboolean valid = is_extension (text);

  kc_entry_row_set_error (self->extension_row, GTK_WIDGET (self->extension_error_row), self->extension_error_label,
                 valid ? NULL
                       : _("Enter digits only, such as 1001, or nothing to see every call"));
  if (!valid)
    return FALSE;
  if (strcmp (text, saved) != 0)
    {
      g_settings_set_string (self->settings, "extension", text);
      *changed = TRUE;
    }
  return TRUE;
}

typedef struct
{
  KcPreferencesWindow *self;
  gboolean             settings_changed;
} StoreData;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  StoreData *data = user_data;
  g_autoptr (KcPreferencesWindow) self = data->self;
  g_autoptr (GError) error = NULL;
  gboolean stored = kc_secret_store_password_finish (result, &error);

  if (!is_disposed (self))
    {
      if (stored)
        set_password_state (self, _("Saved"), _("A password is saved in the keyring"));
      else
        {
          g_autofree char *text = g_strdup_printf (_("The password was not saved: %s"),
                                                   error->message);

          show_toast (self, text);
          refresh_password_state (self);
        }
      if (stored || data->settings_changed)
        settings_applied (self);
    }
  g_free (data);
}

/* The password belongs to a server and a user name, so those are saved as
 * typed along with it. */
static void
save_password (KcPreferencesWindow *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *server = NULL;
  StoreData *data;
  gboolean changed = FALSE;

  if (*password == '\0')
    return;
  if (!save_server (self, &changed))
    return;
  save_username (self, &changed);

  host = g_settings_get_string (self->settings, "pbx-host");
  user = g_settings_get_string (self->settings, "username");
  server = kc_secret_api_server (host);
  if (*user == '\0')
    {
      show_toast (self, _("Enter the user name the password belongs to"));
      if (changed)
        settings_applied (self);
      return;
    }

  self->password_edited = FALSE;
  set_password_state (self, _("Saving…"), NULL);
  data = g_new0 (StoreData, 1);
  data->self = g_object_ref (self);
  data->settings_changed = changed;
  /* Not cancelled with the window, which it keeps alive: the user asked
   * for the password to be kept, and the application is told when it is. */
  kc_secret_store_password_async (server, user, password, NULL, store_cb, data);
}

static void
server_applied_cb (KcPreferencesWindow *self)
{
  gboolean changed = FALSE;

  if (is_disposed (self))
    return;
  if (save_server (self, &changed) && changed)
    {
      refresh_password_state (self);
      settings_applied (self);
    }
}

static void
server_changed_cb (KcPreferencesWindow *self)
{
  g_autofree char *text = NULL;
  g_autoptr (GUri) uri = NULL;

  /* An error shown goes away as soon as the text is fixed; a new one waits
   * for apply, not to nag while typing. */
  if (is_disposed (self) || !gtk_widget_get_visible (GTK_WIDGET (self->server_error_row)))
    return;
  text = kc_entry_row_get_text (self->server_row);
  uri = kc_config_parse_host (text, NULL);
  if (uri != NULL)
    kc_entry_row_set_error (self->server_row, GTK_WIDGET (self->server_error_row), self->server_error_label, NULL);
}

static void
username_applied_cb (KcPreferencesWindow *self)
{
  gboolean changed = FALSE;

  if (is_disposed (self))
    return;
  save_username (self, &changed);
  if (changed)
    {
      refresh_password_state (self);
      settings_applied (self);
    }
}

static void
password_applied_cb (KcPreferencesWindow *self)
{
  if (is_disposed (self))
    return;
  save_password (self);
}

static void
password_changed_cb (KcPreferencesWindow *self)
{
  self->password_edited = TRUE;
}

static void
extension_applied_cb (KcPreferencesWindow *self)
{
  gboolean changed = FALSE;

  if (is_disposed (self))
    return;
  if (save_extension (self, &changed) && changed)
    settings_applied (self);
}

static void
extension_changed_cb (KcPreferencesWindow *self)
{
  g_autofree char *text = NULL;

  if (is_disposed (self) || !gtk_widget_get_visible (GTK_WIDGET (self->extension_error_row)))
    return;
  text = kc_entry_row_get_text (self->extension_row);
  if (is_extension (text))
    kc_entry_row_set_error (self->extension_row, GTK_WIDGET (self->extension_error_row), self->extension_error_label,
                   NULL);
}

static gboolean
has_unsaved_text (KcPreferencesWindow *self,
                  AdwEntryRow         *row)
{
  const char *key = NULL;
  g_autofree char *text = NULL;
  g_autofree char *saved = NULL;

  if (row == self->password_row)
    return self->password_edited
           && *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';
  if (row == self->server_row)
    key = "pbx-host";
  else if (row == self->username_row)
    key = "username";
  else
    key = "extension";
  text = kc_entry_row_get_text (row);
  saved = g_settings_get_string (self->settings, key);
  return strcmp (text, saved) != 0;
}

/* Leaving a row with an edit applies it */
static void
entry_left_cb (gpointer     owner,
               AdwEntryRow *row)
{
  KcPreferencesWindow *self = owner;

  if (!is_disposed (self) && has_unsaved_text (self, row))
    kc_entry_row_take_edit (row);
}

/* --- Testing the connection --- */

static void
show_result (KcPreferencesWindow *self,
             const char          *text,
             gboolean             success)
{
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), FALSE);
  gtk_widget_set_sensitive (self->test_button, TRUE);
  gtk_widget_set_sensitive (self->trust_button, TRUE);

  gtk_label_set_text (self->result_label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), success ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->result_label), success ? "success" : "error");
  gtk_widget_set_visible (GTK_WIDGET (self->result_row), TRUE);
}

/* "AB:CD:..." as kc_tls_fingerprint_format() writes it, in four lines of
 * eight bytes: easy to hold against another listing, narrow enough for any
 * window, and still a pin when copied. */
static char *
fingerprint_lines (const char *hex)
{
  g_autofree char *formatted = kc_tls_fingerprint_format (hex);
  gsize n_colons = 0;

  for (char *p = formatted; *p; p++)
    if (*p == ':' && ++n_colons % 8 == 0)
      *p = '\n';
  return g_steal_pointer (&formatted);
}

static void
finish_test_with_error (KcPreferencesWindow *self,
                        const GError        *error)
{
  KcKerioClient *client = kc_probe_get_client (self->test_probe);
  const char *fingerprint = kc_kerio_client_get_peer_fingerprint (client);
  g_autofree char *pin = NULL;

  g_clear_pointer (&self->untrusted_fingerprint, g_free);
  if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TLS) && fingerprint != NULL)
    {
      g_autofree char *formatted = fingerprint_lines (fingerprint);
      g_autofree char *pin_setting = g_settings_get_string (self->settings, "tls-pin");

      pin = kc_tls_pin_normalize (pin_setting, NULL);
      if (g_strcmp0 (pin, fingerprint) == 0)
        g_clear_pointer (&pin, g_free);

      /* The client's own message tells how to pin with an environment
       * variable; here the button below does it. A changed certificate
       * shows both fingerprints, the one trusted before first. */
      if (pin != NULL)
        {
          g_autofree char *pinned = fingerprint_lines (pin);

          show_result (self,
                       _("The server’s certificate has changed: it is not the one trusted "
                         "before, so the connection was refused. Trust the new one only if its "
                         "fingerprint is the one the Kerio Operator administration shows for "
                         "its certificate; otherwise someone may be intercepting the "
                         "connection."),
                       FALSE);
          gtk_label_set_text (self->pinned_fingerprint_label, pinned);
          gtk_label_set_text (self->fingerprint_title, _("Presented now, SHA-256 fingerprint"));
        }
      else
        {
          show_result (self,
                       _("The server’s certificate is not trusted. Trust it only if this "
                         "fingerprint is the one the Kerio Operator administration shows "
                         "for its certificate."),
                       FALSE);
          gtk_label_set_text (self->fingerprint_title, _("SHA-256 fingerprint"));
        }
      gtk_label_set_text (self->fingerprint_label, formatted);
      self->untrusted_fingerprint = g_strdup (fingerprint);
    }
  else
    show_result (self, error->message, FALSE);
  gtk_widget_set_visible (self->pinned_box, pin != NULL);
  gtk_widget_set_visible (self->certificate_box, self->untrusted_fingerprint != NULL);
  /* The certificate's own lines say it all; a report would only repeat it */
  gtk_widget_set_visible (GTK_WIDGET (self->report_label), self->untrusted_fingerprint == NULL);
  g_clear_object (&self->test_probe);
}

/* Whether an answer about the test still matters: the window may be gone,
 * or the answer may be about an earlier test. */
static gboolean
is_current_test (KcPreferencesWindow *self,
                 GObject             *probe)
{
  return self != NULL && probe == (GObject *) self->test_probe;
}

/* The same report as kerio-cti --probe, under a headline that says
 * whether the application can work with this PBX */
static void
probe_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (KcPreferencesWindow) self = take_self (user_data);
  KcProbe *probe = KC_PROBE (source);
  g_autofree char *report = NULL;
  g_autofree char *text = NULL;

  /* Fails only when cancelled, and then the window is going */
  if (!kc_probe_run_finish (probe, result, NULL) || !is_current_test (self, source))
    return;

  report = g_strjoinv ("\n", (char **) kc_probe_get_lines (probe));
  gtk_label_set_text (self->report_label, report);
  if (kc_probe_get_login_error (probe) != NULL)
    {
      finish_test_with_error (self, kc_probe_get_login_error (probe));
      return;
    }

  if (kc_probe_get_succeeded (probe))
    {
      guint n_calls = kc_probe_get_n_calls (probe);

      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Connected: %u active call",
                                           "Connected: %u active calls", n_calls),
                              n_calls);
      show_result (self, text, TRUE);
    }
  else
    show_result (self, _("Connected, but the PBX does not answer everything the application "
                         "needs; see the report below"),
                 FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->report_label), TRUE);
  gtk_widget_set_visible (self->certificate_box, FALSE);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);
  g_clear_object (&self->test_probe);
}

static void
start_test (KcPreferencesWindow *self,
            const char          *password)
{
  g_autofree char *host = kc_entry_row_get_text (self->server_row);
  g_autofree char *user = kc_entry_row_get_text (self->username_row);
  g_autofree char *pin_setting = g_settings_get_string (self->settings, "tls-pin");
  g_autofree char *pin = *pin_setting ? kc_tls_pin_normalize (pin_setting, NULL) : NULL;
  g_autoptr (GUri) endpoint = kc_config_parse_host (host, NULL);

  g_autoptr (KcKerioClient) client = kc_kerio_client_new (endpoint, user, password);

  kc_kerio_client_set_tls_pin (client, pin);
  g_clear_object (&self->test_probe);
  self->test_probe = kc_probe_new (client);
  kc_probe_run_async (self->test_probe, self->cancellable, probe_cb, weak_self (self));
}

static void
test_password_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (KcPreferencesWindow) self = take_self (user_data);
  g_autoptr (GError) error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);

  if (self == NULL)
    {
      kc_secret_password_free (password);
      return;
    }
  if (error != NULL)
    show_result (self, error->message, FALSE);
  else if (password == NULL)
    show_result (self, _("Enter the password"), FALSE);
  else
    start_test (self, password);
  kc_secret_password_free (password);
}

static void
test_clicked_cb (KcPreferencesWindow *self)
{
  g_autofree char *host = kc_entry_row_get_text (self->server_row);
  g_autofree char *user = kc_entry_row_get_text (self->username_row);
  g_autofree char *server = kc_secret_api_server (host);
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  gtk_widget_set_visible (GTK_WIDGET (self->result_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->report_label), FALSE);
  gtk_widget_set_visible (self->certificate_box, FALSE);
  gtk_widget_set_sensitive (self->test_button, FALSE);
  gtk_widget_set_sensitive (self->trust_button, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), TRUE);
  gtk_spinner_start (self->test_spinner);

  if (server == NULL)
    {
      show_result (self, _("Enter a valid server first"), FALSE);
      return;
    }
  if (*user == '\0')
    {
      show_result (self, _("Enter the user name"), FALSE);
      return;
    }
  /* Typed wins over stored, so a new password can be tried before saving. */
  if (*password != '\0')
    start_test (self, password);
  else
    kc_secret_lookup_password_async (server, user, self->cancellable, test_password_cb,
                                     weak_self (self));
}

static void
trust_clicked_cb (KcPreferencesWindow *self)
{
  g_autofree char *pin = NULL;

  if (self->untrusted_fingerprint == NULL)
    return;
  pin = g_strconcat ("sha256:", self->untrusted_fingerprint, NULL);
  g_settings_set_string (self->settings, "tls-pin", pin);
  settings_applied (self);
  test_clicked_cb (self);
}

/* --- Intervals --- */

static gboolean
interval_settled_cb (gpointer user_data)
{
  KcPreferencesWindow *self = user_data;

  self->interval_source = 0;
  settings_applied (self);
  return G_SOURCE_REMOVE;
}

static void
interval_changed_cb (KcPreferencesWindow *self)
{
  if (is_disposed (self))
    return;
  g_clear_handle_id (&self->interval_source, g_source_remove);
  self->interval_source = g_timeout_add (INTERVAL_SETTLE_MS, interval_settled_cb, self);
}

static void
set_range_from_schema (GSettings     *settings,
                       const char    *key,
                       GtkAdjustment *adjustment)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsSchemaKey) schema_key = NULL;
  g_autoptr (GVariant) range = NULL;
  g_autoptr (GVariant) bounds = NULL;
  const char *kind;
  double min, max;

  g_object_get (settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  range = g_settings_schema_key_get_range (schema_key);
  g_variant_get (range, "(&sv)", &kind, &bounds);
  if (strcmp (kind, "range") != 0)
    return;
  g_variant_get (bounds, "(dd)", &min, &max);
  gtk_adjustment_set_lower (adjustment, min);
  gtk_adjustment_set_upper (adjustment, max);
}

static void
bind_interval (KcPreferencesWindow *self,
               const char          *key,
               GtkAdjustment       *adjustment)
{
  set_range_from_schema (self->settings, key, adjustment);
  g_settings_bind (self->settings, key, adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (interval_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

/* --- Start at login --- */

static char *
autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

static gboolean
write_autostart (GError **error)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* Private like every file of ours; the session that starts it is ours. */
  return g_file_set_contents_full (path, AUTOSTART_ENTRY, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

static gboolean
remove_autostart (GError **error)
{
  g_autofree char *path = autostart_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static void autostart_toggled_cb (KcPreferencesWindow *self);

/* The file is the truth: another tool may have added or removed it. */
static void
sync_autostart_switch (KcPreferencesWindow *self)
{
  g_autofree char *path = autostart_path ();

  g_signal_handlers_block_by_func (self->autostart_switch, autostart_toggled_cb, self);
  gtk_switch_set_active (self->autostart_switch, g_file_test (path, G_FILE_TEST_EXISTS));
  g_signal_handlers_unblock_by_func (self->autostart_switch, autostart_toggled_cb, self);
}

static void
autostart_toggled_cb (KcPreferencesWindow *self)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (gtk_switch_get_active (self->autostart_switch))
    ok = write_autostart (&error);
  else
    ok = remove_autostart (&error);
  if (!ok)
    {
      g_autofree char *text = g_strdup_printf (_("Start at login was not changed: %s"),
                                               error->message);

      show_toast (self, text);
      sync_autostart_switch (self);
    }
}

/* --- The window --- */

static void
load_row (AdwEntryRow *row,
          GSettings   *settings,
          const char  *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  gtk_editable_set_text (GTK_EDITABLE (row), value);
}

static void
kc_preferences_window_constructed (GObject *object)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (kc_preferences_window_parent_class)->constructed (object);

  load_row (self->server_row, self->settings, "pbx-host");
  load_row (self->username_row, self->settings, "username");
  load_row (self->extension_row, self->settings, "extension");
  refresh_password_state (self);

  bind_interval (self, "poll-interval", self->poll_adjustment);
  bind_interval (self, "sync-interval", self->sync_adjustment);

  sync_autostart_switch (self);
  g_signal_connect_object (self->autostart_switch, "notify::active",
                           G_CALLBACK (autostart_toggled_cb), self, G_CONNECT_SWAPPED);

  kc_ami_group_set_settings (self->ami_group, self->settings);
  g_signal_connect_object (self->ami_group, "changed", G_CALLBACK (settings_applied), self,
                           G_CONNECT_SWAPPED);

  kc_events_group_set_settings (self->events_group, self->settings);
  g_signal_connect_object (self->events_group, "changed", G_CALLBACK (settings_applied), self,
                           G_CONNECT_SWAPPED);
  kc_crm_group_set_settings (self->crm_group, self->settings);
  g_signal_connect_object (self->crm_group, "changed", G_CALLBACK (settings_applied), self,
                           G_CONNECT_SWAPPED);
}

/* Closing is leaving the row being edited: its edit is saved. */
static gboolean
kc_preferences_window_close_request (GtkWindow *window)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (window);
  gboolean changed = FALSE;

  if (has_unsaved_text (self, self->password_row))
    save_password (self);
  if (has_unsaved_text (self, self->server_row))
    save_server (self, &changed);
  if (has_unsaved_text (self, self->username_row))
    save_username (self, &changed);
  if (has_unsaved_text (self, self->extension_row))
    save_extension (self, &changed);
  if (changed)
    settings_applied (self);
  kc_ami_group_save (self->ami_group);
  kc_events_group_save (self->events_group);
  kc_crm_group_save (self->crm_group);

  return GTK_WINDOW_CLASS (kc_preferences_window_parent_class)->close_request (window);
}

static void
kc_preferences_window_dispose (GObject *object)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->state_cancellable);
  g_clear_object (&self->state_cancellable);
  g_clear_object (&self->test_probe);
  /* Signal handlers go with the object: tell them now what settled. */
  if (self->interval_source != 0)
    {
      g_clear_handle_id (&self->interval_source, g_source_remove);
      settings_applied (self);
    }
  if (self->settings != NULL)
    {
      g_settings_unbind (self->poll_adjustment, "value");
      g_settings_unbind (self->sync_adjustment, "value");
    }
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (kc_preferences_window_parent_class)->dispose (object);
}

static void
kc_preferences_window_finalize (GObject *object)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_free (self->untrusted_fingerprint);

  G_OBJECT_CLASS (kc_preferences_window_parent_class)->finalize (object);
}

static void
kc_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KcPreferencesWindow *self = KC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_preferences_window_class_init (KcPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = kc_preferences_window_constructed;
  object_class->dispose = kc_preferences_window_dispose;
  object_class->finalize = kc_preferences_window_finalize;
  object_class->set_property = kc_preferences_window_set_property;
  object_class->get_property = kc_preferences_window_get_property;
  window_class->close_request = kc_preferences_window_close_request;

  props[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SETTINGS_APPLIED] = g_signal_new ("settings-applied", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);

  g_type_ensure (KC_TYPE_AMI_GROUP);
  g_type_ensure (KC_TYPE_EVENTS_GROUP);
  g_type_ensure (KC_TYPE_CRM_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/uz/kerio/Cti/kc-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, server_error_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, server_error_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, password_state_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, extension_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, extension_error_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, extension_error_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, result_row);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, result_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, report_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, certificate_box);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, fingerprint_title);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, pinned_box);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow,
                                        pinned_fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, trust_button);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, poll_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, sync_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, ami_group);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, events_group);
  gtk_widget_class_bind_template_child (widget_class, KcPreferencesWindow, crm_group);
  gtk_widget_class_bind_template_callback (widget_class, server_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, server_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, username_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, extension_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, extension_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, trust_clicked_cb);
}

static void
kc_preferences_window_init (KcPreferencesWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  kc_entry_row_watch_left (self->server_row, entry_left_cb, self);
  kc_entry_row_watch_left (self->username_row, entry_left_cb, self);
  kc_entry_row_watch_left (self->password_row, entry_left_cb, self);
  kc_entry_row_watch_left (self->extension_row, entry_left_cb, self);
}

KcPreferencesWindow *
kc_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (KC_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "settings", settings,
                       NULL);
}
