/* kc-ami-group.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-ami-group"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "core/kc-config.h"
#include "core/kc-secret.h"
#include "kerio/kc-ami-client.h"
#include "kc-ami-group.h"
#include "kc-entry-rows.h"

struct _KcAmiGroup
{
  AdwPreferencesGroup  parent_instance;

  GSettings           *settings;
  GCancellable        *cancellable;       /* cancelled on dispose */
  GCancellable        *state_cancellable; /* the latest "is a password stored" lookup */
  KcAmiClient         *test_client;       /* while a test runs */
  gboolean             password_edited;   /* typed since it was last stored */

  GtkSwitch           *ami_switch;
  AdwEntryRow         *address_row;
  AdwPreferencesRow   *address_error_row;
  GtkLabel            *address_error_label;
  AdwEntryRow         *username_row;
  AdwEntryRow         *password_row;
  GtkLabel            *password_state_label;
  AdwActionRow        *test_row;
  GtkSpinner          *test_spinner;
  GtkWidget           *test_button;
  AdwPreferencesRow   *result_row;
  GtkLabel            *result_label;
  GtkLabel            *detail_label;
};

G_DEFINE_FINAL_TYPE (KcAmiGroup, kc_ami_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void switch_toggled_cb (KcAmiGroup *self);

/* Rows may lose the focus while the window goes; then nothing is saved. */
static gboolean
is_disposed (KcAmiGroup *self)
{
  return self->settings == NULL;
}

/* Lookups and tests hold the group weakly: closing the window ends them. */
static GWeakRef *
weak_self (KcAmiGroup *self)
{
  return kc_weak_ref_new (self);
}

/* The group (transfer full), or NULL when it is gone; frees the ref */
static KcAmiGroup *
take_self (gpointer weak_ref)
{
  KcAmiGroup *self = kc_weak_ref_steal (weak_ref);

  if (self != NULL && is_disposed (self))
    g_clear_object (&self);
  return self;
}

static void
emit_changed (KcAmiGroup *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

static char *
saved_string (KcAmiGroup *self,
              const char *key)
{
  return g_settings_get_string (self->settings, key);
}

/* The saved PBX's host, which "pbx" stands for; NULL when none is saved */
static char *
pbx_host (KcAmiGroup *self)
{
  g_autofree char *text = saved_string (self, "pbx-host");
  g_autoptr (GUri) uri = kc_config_parse_host (text, NULL);

  return uri ? g_strdup (g_uri_get_host (uri)) : NULL;
}

/* Returns NULL with host and port set, or why text is not an AMI address */
static char *
parse_address (KcAmiGroup *self,
               const char *text,
               char      **host,
               guint16    *port)
{
  g_autofree char *pbx = pbx_host (self);
  g_autoptr (GError) error = NULL;

  if (kc_config_parse_ami (text, pbx, host, port, &error))
    return NULL;
  /* "pbx" is right, and yet there is no PBX: its message says so */
  if (g_ascii_strcasecmp (text, "pbx") == 0)
    return g_strdup (error->message);
  return g_strdup (_("Enter a host name, host:port, or pbx for the PBX’s own host"));
}

/* The AMI user name as saved: its own, else the API's ("" when neither) */
static char *
saved_username (KcAmiGroup *self)
{
  g_autofree char *own = saved_string (self, "ami-username");

  return *own ? g_steal_pointer (&own) : saved_string (self, "username");
}

static void
add_toast (KcAmiGroup *self,
           const char *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);
  AdwToast *toast;

  if (window == NULL)
    return;
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 0);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), toast);
}

static void
set_address_error (KcAmiGroup *self,
                   const char *message)
{
  kc_entry_row_set_error (self->address_row, GTK_WIDGET (self->address_error_row),
                          self->address_error_label, message);
}

/* An empty AMI user name is the API's: the row shows which while typed in */
static void
update_username_placeholder (KcAmiGroup *self)
{
  g_autofree char *api_user = saved_string (self, "username");
  GtkEditable *text = gtk_editable_get_delegate (GTK_EDITABLE (self->username_row));

  if (GTK_IS_TEXT (text))
    gtk_text_set_placeholder_text (GTK_TEXT (text), api_user);
}

static void
update_rows (KcAmiGroup *self)
{
  gboolean on = gtk_switch_get_active (self->ami_switch);

  gtk_widget_set_visible (GTK_WIDGET (self->address_row), on);
  gtk_widget_set_visible (GTK_WIDGET (self->username_row), on);
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), on);
  gtk_widget_set_visible (GTK_WIDGET (self->test_row), on);
  if (!on)
    {
      set_address_error (self, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->result_row), FALSE);
    }
}

/* --- Whether an AMI password is stored --- */

static void
set_password_state (KcAmiGroup *self,
                    const char *state,
                    const char *tooltip)
{
  gtk_label_set_text (self->password_state_label, state);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->password_state_label), tooltip);
}

static void
set_not_saved (KcAmiGroup *self)
{
  set_password_state (self, _("Not saved"),
                      _("No AMI password is saved in the keyring: the API password is tried"));
}

static void
password_state_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (KcAmiGroup) self = take_self (user_data);
  g_autoptr (GError) error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);
  gboolean stored = password != NULL;

  kc_secret_password_free (password);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    set_password_state (self, _("No keyring"), error->message);
  else if (stored)
    set_password_state (self, _("Saved"), _("An AMI password is saved in the keyring"));
  else
    set_not_saved (self);
}

/* The key of the AMI password as saved, which is the one the engine uses;
 * FALSE when AMI is off or there is no user name */
static gboolean
saved_key (KcAmiGroup *self,
           char      **server,
           char      **user)
{
  g_autofree char *address = saved_string (self, "ami-host");
  g_autofree char *username = saved_username (self);
  g_autofree char *host = NULL;
  g_autofree char *problem = NULL;
  guint16 port = 0;

  if (*address == '\0' || *username == '\0')
    return FALSE;
  problem = parse_address (self, address, &host, &port);
  if (problem != NULL)
    return FALSE;
  *server = kc_secret_ami_server (host, port);
  *user = g_steal_pointer (&username);
  return TRUE;
}

static void
refresh_password_state (KcAmiGroup *self)
{
  g_autofree char *server = NULL;
  g_autofree char *user = NULL;

  g_cancellable_cancel (self->state_cancellable);
  g_clear_object (&self->state_cancellable);
  if (!saved_key (self, &server, &user))
    {
      set_not_saved (self);
      return;
    }
  self->state_cancellable = g_cancellable_new ();
  kc_secret_lookup_password_async (server, user, self->state_cancellable, password_state_cb,
                                   weak_self (self));
}

/* --- Saving --- */

/* Saves what the switch and the address say; FALSE when the address as
 * typed is not one (and says why) */
static gboolean
save_address (KcAmiGroup *self,
              gboolean   *changed)
{
  g_autofree char *text = kc_entry_row_get_text (self->address_row);
  g_autofree char *saved = saved_string (self, "ami-host");
  const char *wanted = "";

  if (gtk_switch_get_active (self->ami_switch))
    {
      g_autofree char *host = NULL;
      g_autofree char *problem = NULL;
      guint16 port = 0;

      problem = parse_address (self, text, &host, &port);
      set_address_error (self, problem);
      if (problem != NULL)
        return FALSE;
      wanted = text;
    }
  if (strcmp (saved, wanted) != 0)
    {
      g_settings_set_string (self->settings, "ami-host", wanted);
      *changed = TRUE;
    }
  return TRUE;
}

static void
save_username (KcAmiGroup *self,
               gboolean   *changed)
{
  g_autofree char *text = kc_entry_row_get_text (self->username_row);
  g_autofree char *saved = saved_string (self, "ami-username");

  if (strcmp (text, saved) != 0)
    {
      g_settings_set_string (self->settings, "ami-username", text);
      *changed = TRUE;
    }
}

typedef struct
{
  KcAmiGroup *self;
  GtkRoot    *root;
  gboolean    settings_changed;
} StoreData;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  StoreData *data = user_data;
  g_autoptr (KcAmiGroup) self = data->self;
  g_autoptr (GError) error = NULL;
  gboolean stored = kc_secret_store_password_finish (result, &error);

  if (!is_disposed (self))
    {
      if (stored)
        set_password_state (self, _("Saved"), _("An AMI password is saved in the keyring"));
      else
        {
          g_autofree char *text = g_strdup_printf (_("The AMI password was not saved: %s"),
                                                   error->message);

          add_toast (self, text);
          refresh_password_state (self);
        }
    }
  if (stored || data->settings_changed)
    emit_changed (self);
  g_clear_object (&data->root);
  g_free (data);
}

/* The password belongs to an address and a user name, so those are saved
 * as typed along with it. */
static void
save_password (KcAmiGroup *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_autofree char *server = NULL;
  g_autofree char *user = NULL;
  StoreData *data;
  gboolean settings_changed = FALSE;

  if (*password == '\0' || !save_address (self, &settings_changed))
    return;
  save_username (self, &settings_changed);
  if (!saved_key (self, &server, &user))
    {
      add_toast (self, _("Enter the user name the password belongs to"));
      if (settings_changed)
        emit_changed (self);
      return;
    }

  self->password_edited = FALSE;
  set_password_state (self, _("Saving…"), NULL);
  data = g_new0 (StoreData, 1);
  data->self = g_object_ref (self);
  /* The window too, which would go on closing: the application must hear
   * of the password, as it does of the API password. */
  data->root = gtk_widget_get_root (GTK_WIDGET (self));
  if (data->root != NULL)
    g_object_ref (data->root);
  data->settings_changed = settings_changed;
  kc_secret_store_password_async (server, user, password, NULL, store_cb, data);
}

static void
switch_toggled_cb (KcAmiGroup *self)
{
  g_autofree char *text = NULL;
  gboolean settings_changed = FALSE;

  if (is_disposed (self))
    return;
  text = kc_entry_row_get_text (self->address_row);
  if (gtk_switch_get_active (self->ami_switch) && *text == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->address_row), KC_AMI_GROUP_DEFAULT_ADDRESS);
  update_rows (self);
  if (save_address (self, &settings_changed) && settings_changed)
    {
      refresh_password_state (self);
      emit_changed (self);
    }
}

static void
address_applied_cb (KcAmiGroup *self)
{
  gboolean settings_changed = FALSE;

  if (is_disposed (self))
    return;
  if (save_address (self, &settings_changed) && settings_changed)
    {
      refresh_password_state (self);
      emit_changed (self);
    }
}

/* An error shown goes as soon as the text is right; a new one waits for
 * apply, not to nag while typing */
static void
address_changed_cb (KcAmiGroup *self)
{
  g_autofree char *text = NULL;
  g_autofree char *host = NULL;
  g_autofree char *problem = NULL;
  guint16 port = 0;

  if (is_disposed (self) || !gtk_widget_get_visible (GTK_WIDGET (self->address_error_row)))
    return;
  text = kc_entry_row_get_text (self->address_row);
  problem = parse_address (self, text, &host, &port);
  if (problem == NULL)
    set_address_error (self, NULL);
}

static void
username_applied_cb (KcAmiGroup *self)
{
  gboolean settings_changed = FALSE;

  if (is_disposed (self))
    return;
  save_username (self, &settings_changed);
  if (settings_changed)
    {
      refresh_password_state (self);
      emit_changed (self);
    }
}

static void
password_applied_cb (KcAmiGroup *self)
{
  if (!is_disposed (self))
    save_password (self);
}

static void
password_changed_cb (KcAmiGroup *self)
{
  self->password_edited = TRUE;
}

static gboolean
has_unsaved_text (KcAmiGroup  *self,
                  AdwEntryRow *row)
{
  g_autofree char *text = NULL;
  g_autofree char *saved = NULL;

  if (!gtk_switch_get_active (self->ami_switch))
    return FALSE;
  if (row == self->password_row)
    return self->password_edited && *gtk_editable_get_text (GTK_EDITABLE (row)) != '\0';
  text = kc_entry_row_get_text (row);
  saved = saved_string (self, row == self->address_row ? "ami-host" : "ami-username");
  return strcmp (text, saved) != 0;
}

/* Leaving a row with an edit applies it, as in the rest of the window */
static void
entry_left_cb (gpointer     owner,
               AdwEntryRow *row)
{
  KcAmiGroup *self = owner;

  if (!is_disposed (self) && has_unsaved_text (self, row))
    kc_entry_row_take_edit (row);
}

/* --- Testing the AMI login --- */

static void
show_result (KcAmiGroup *self,
             const char *text,
             const char *detail,
             gboolean    success)
{
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), FALSE);
  gtk_widget_set_sensitive (self->test_button, TRUE);

  gtk_label_set_text (self->result_label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), success ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->result_label), success ? "success" : "error");
  gtk_label_set_text (self->detail_label, detail ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->result_row), TRUE);
}

/* What the operator can do about it, above the client's own message */
static const char *
explain_error (const GError *error)
{
  if (error->domain != KC_KERIO_ERROR)
    return error->message;
  switch (error->code)
    {
    case KC_KERIO_ERROR_AUTH:
      return _("The PBX refused the AMI login: check the AMI user name and password, and that "
               "the PBX administrator allowed this user AMI access");
    case KC_KERIO_ERROR_NOT_KERIO:
      return _("This address does not answer as an AMI: check the host and the port (the AMI "
               "listens on 5038 unless the PBX says otherwise)");
    case KC_KERIO_ERROR_TRANSPORT:
      return _("The AMI cannot be reached: check the address, and that the PBX accepts AMI "
               "connections from this computer");
    default:
      return error->message;
    }
}

static void
test_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KcAmiGroup) self = take_self (user_data);
  g_autoptr (GError) error = NULL;
  g_autofree char *version = kc_ami_client_test_finish (KC_AMI_CLIENT (source), result, &error);
  g_autofree char *text = NULL;
  const char *headline;

  /* The window is gone, or this answers an earlier test */
  if (self == NULL || source != (GObject *) self->test_client)
    return;
  g_clear_object (&self->test_client);
  if (version != NULL)
    {
      /* TRANSLATORS: the AMI's version, such as 1.3 or 7.0.3 */
      text = g_strdup_printf (_("OK: AMI version %s"), version);
      show_result (self, text, NULL, TRUE);
      return;
    }
  headline = explain_error (error);
  show_result (self, headline, headline == error->message ? NULL : error->message, FALSE);
}

static void
start_test (KcAmiGroup *self,
            const char *host,
            guint16     port,
            const char *user,
            const char *password)
{
  g_clear_object (&self->test_client);
  self->test_client = kc_ami_client_new (host, port, user, password);
  kc_ami_client_test_async (self->test_client, self->cancellable, test_cb, weak_self (self));
}

/* A test waiting for a password from the keyring */
typedef struct
{
  GWeakRef *self;
  char     *host;
  guint16   port;
  char     *user;
} TestLookup;

static void
test_lookup_free (TestLookup *lookup)
{
  if (lookup->self != NULL)
    {
      g_weak_ref_clear (lookup->self);
      g_free (lookup->self);
    }
  g_free (lookup->host);
  g_free (lookup->user);
  g_free (lookup);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestLookup, test_lookup_free)

static void
api_password_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (TestLookup) lookup = user_data;
  g_autoptr (KcAmiGroup) self = take_self (g_steal_pointer (&lookup->self));
  g_autoptr (GError) error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);

  if (self != NULL)
    {
      if (error != NULL)
        show_result (self, error->message, NULL, FALSE);
      else if (password == NULL)
        show_result (self, _("Enter the AMI password"), NULL, FALSE);
      else
        start_test (self, lookup->host, lookup->port, lookup->user, password);
    }
  kc_secret_password_free (password);
}

/* Without an AMI password of its own, the engine logs in to the AMI with
 * the API password, and so does the test. */
static void
look_up_api_password (KcAmiGroup *self,
                      TestLookup *lookup)
{
  g_autofree char *pbx = saved_string (self, "pbx-host");
  g_autofree char *api_user = saved_string (self, "username");
  g_autofree char *api_server = kc_secret_api_server (pbx);

  if (api_server == NULL || *api_user == '\0')
    {
      show_result (self, _("Enter the AMI password"), NULL, FALSE);
      test_lookup_free (lookup);
      return;
    }
  lookup->self = weak_self (self);
  kc_secret_lookup_password_async (api_server, api_user, self->cancellable, api_password_cb,
                                   lookup);
}

static void
ami_password_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (TestLookup) lookup = user_data;
  g_autoptr (KcAmiGroup) self = take_self (g_steal_pointer (&lookup->self));
  g_autoptr (GError) error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);

  if (self != NULL)
    {
      if (error != NULL)
        show_result (self, error->message, NULL, FALSE);
      else if (password != NULL)
        start_test (self, lookup->host, lookup->port, lookup->user, password);
      else
        look_up_api_password (self, g_steal_pointer (&lookup));
    }
  kc_secret_password_free (password);
}

static void
test_clicked_cb (KcAmiGroup *self)
{
  g_autofree char *address = kc_entry_row_get_text (self->address_row);
  g_autofree char *user = kc_entry_row_get_text (self->username_row);
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_autofree char *host = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *server = NULL;
  guint16 port = 0;
  TestLookup *lookup;

  gtk_widget_set_visible (GTK_WIDGET (self->result_row), FALSE);
  gtk_widget_set_sensitive (self->test_button, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), TRUE);
  gtk_spinner_start (self->test_spinner);

  problem = parse_address (self, address, &host, &port);
  if (problem != NULL)
    {
      show_result (self, problem, NULL, FALSE);
      return;
    }
  if (*user == '\0')
    {
      g_free (user);
      user = saved_string (self, "username");
    }
  if (*user == '\0')
    {
      show_result (self, _("Enter the AMI user name"), NULL, FALSE);
      return;
    }
  /* Typed wins over stored, so a new password can be tried before saving */
  if (*password != '\0')
    {
      start_test (self, host, port, user, password);
      return;
    }
  server = kc_secret_ami_server (host, port);
  lookup = g_new0 (TestLookup, 1);
  lookup->self = weak_self (self);
  lookup->host = g_steal_pointer (&host);
  lookup->port = port;
  lookup->user = g_strdup (user);
  kc_secret_lookup_password_async (server, user, self->cancellable, ami_password_cb, lookup);
}

/* --- The group --- */

static void
api_settings_changed_cb (KcAmiGroup *self)
{
  update_username_placeholder (self);
  refresh_password_state (self);
}

void
kc_ami_group_set_settings (KcAmiGroup *self,
                           GSettings  *settings)
{
  g_autofree char *address = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (KC_IS_AMI_GROUP (self));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings == NULL)
    return;

  address = saved_string (self, "ami-host");
  username = saved_string (self, "ami-username");
  g_signal_handlers_block_by_func (self->ami_switch, switch_toggled_cb, self);
  gtk_switch_set_active (self->ami_switch, *address != '\0');
  g_signal_handlers_unblock_by_func (self->ami_switch, switch_toggled_cb, self);
  gtk_editable_set_text (GTK_EDITABLE (self->address_row),
                         *address ? address : KC_AMI_GROUP_DEFAULT_ADDRESS);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  update_rows (self);
  update_username_placeholder (self);
  refresh_password_state (self);

  /* "pbx" and an empty AMI user name stand for what the rows above say */
  g_signal_connect_object (settings, "changed::username", G_CALLBACK (api_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::pbx-host", G_CALLBACK (api_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

void
kc_ami_group_save (KcAmiGroup *self)
{
  gboolean settings_changed = FALSE;

  g_return_if_fail (KC_IS_AMI_GROUP (self));

  if (is_disposed (self))
    return;
  /* The password saves the address and user name with it */
  if (has_unsaved_text (self, self->password_row))
    {
      save_password (self);
      return;
    }
  if (has_unsaved_text (self, self->address_row))
    save_address (self, &settings_changed);
  if (has_unsaved_text (self, self->username_row))
    save_username (self, &settings_changed);
  if (settings_changed)
    emit_changed (self);
}

static void
kc_ami_group_dispose (GObject *object)
{
  KcAmiGroup *self = KC_AMI_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->state_cancellable);
  g_clear_object (&self->state_cancellable);
  g_clear_object (&self->test_client);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_AMI_GROUP);

  G_OBJECT_CLASS (kc_ami_group_parent_class)->dispose (object);
}

static void
kc_ami_group_finalize (GObject *object)
{
  KcAmiGroup *self = KC_AMI_GROUP (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kc_ami_group_parent_class)->finalize (object);
}

static void
kc_ami_group_class_init (KcAmiGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_ami_group_dispose;
  object_class->finalize = kc_ami_group_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-ami-group.ui");
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, ami_switch);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, address_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, address_error_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, address_error_label);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, username_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, password_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, password_state_label);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, test_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, test_button);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, result_row);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, result_label);
  gtk_widget_class_bind_template_child (widget_class, KcAmiGroup, detail_label);
  gtk_widget_class_bind_template_callback (widget_class, switch_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, username_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
}

static void
kc_ami_group_init (KcAmiGroup *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  kc_entry_row_watch_left (self->address_row, entry_left_cb, self);
  kc_entry_row_watch_left (self->username_row, entry_left_cb, self);
  kc_entry_row_watch_left (self->password_row, entry_left_cb, self);
}
