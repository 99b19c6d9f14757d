/* kc-events-group.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-events-group"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "core/kc-config.h"
#include "kc-entry-rows.h"
#include "kc-events-group.h"

struct _KcEventsGroup
{
  AdwPreferencesGroup  parent_instance;

  GSettings           *settings;

  GtkSwitch           *events_switch;
  AdwEntryRow         *address_row;
  AdwPreferencesRow   *error_row;
  GtkLabel            *error_label;
  AdwPreferencesRow   *page_row;
  GtkLinkButton       *page_link;
};

G_DEFINE_FINAL_TYPE (KcEventsGroup, kc_events_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void switch_toggled_cb (KcEventsGroup *self);

static char *
entered_text (KcEventsGroup *self)
{
  return kc_entry_row_get_text (self->address_row);
}

static void
set_error (KcEventsGroup *self,
           const char    *message)
{
  kc_entry_row_set_error (self->address_row, GTK_WIDGET (self->error_row), self->error_label,
                          message);
}

/* NULL when the address may be used, else why not */
static const char *
address_problem (const char *text)
{
  g_autoptr (GInetSocketAddress) address = kc_config_parse_listen (text, NULL);

  if (address == NULL)
    return _("Enter an address and port, such as 127.0.0.1:8765");
  if (!g_inet_address_get_is_loopback (g_inet_socket_address_get_address (address))
      && !kc_config_is_valid_token (g_getenv ("KERIO_EVENTS_TOKEN")))
    return _("Other computers could connect to this address: enter a loopback address such as "
             "127.0.0.1:8765, or set KERIO_EVENTS_TOKEN first");
  return NULL;
}

/* The page of the address saved; one on every address is on loopback too */
static void
update_page_link (KcEventsGroup *self)
{
  g_autofree char *saved = g_settings_get_string (self->settings, "events-listen");
  g_autoptr (GInetSocketAddress) address = kc_config_parse_listen (saved, NULL);
  g_autoptr (GInetAddress) loopback = NULL;
  g_autofree char *authority = NULL;
  g_autofree char *url = NULL;
  GInetAddress *host;
  guint16 port;

  /* Port 0 is chosen when the server starts: not known here */
  if (address == NULL || g_inet_socket_address_get_port (address) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->page_row), FALSE);
      return;
    }
  host = g_inet_socket_address_get_address (address);
  port = g_inet_socket_address_get_port (address);
  if (g_inet_address_get_is_any (host))
    {
      g_autoptr (GSocketAddress) reachable = NULL;

      loopback = g_inet_address_new_loopback (g_inet_address_get_family (host));
      reachable = g_inet_socket_address_new (loopback, port);
      authority = kc_config_format_listen (G_INET_SOCKET_ADDRESS (reachable));
    }
  else
    authority = kc_config_format_listen (address);
  url = g_strdup_printf ("http://%s/", authority);
  gtk_link_button_set_uri (self->page_link, url);
  gtk_button_set_label (GTK_BUTTON (self->page_link), url);
  gtk_widget_set_visible (GTK_WIDGET (self->page_row), TRUE);
}

static void
update_rows (KcEventsGroup *self)
{
  gboolean on = gtk_switch_get_active (self->events_switch);

  gtk_widget_set_visible (GTK_WIDGET (self->address_row), on);
  if (!on)
    {
      set_error (self, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->page_row), FALSE);
    }
  else
    update_page_link (self);
}

/* Saves what the switch and the address say, when the address may be used;
 * tells the application when the key changed */
static void
save (KcEventsGroup *self)
{
  g_autofree char *text = entered_text (self);
  g_autofree char *saved = NULL;
  const char *wanted = "";

  if (gtk_switch_get_active (self->events_switch))
    {
      const char *problem = address_problem (text);

      set_error (self, problem);
      if (problem != NULL)
        return;
      wanted = text;
    }
  saved = g_settings_get_string (self->settings, "events-listen");
  if (strcmp (saved, wanted) == 0)
    return;
  g_settings_set_string (self->settings, "events-listen", wanted);
  update_rows (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
switch_toggled_cb (KcEventsGroup *self)
{
  g_autofree char *text = NULL;

  if (self->settings == NULL)
    return;
  text = entered_text (self);
  if (gtk_switch_get_active (self->events_switch) && *text == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->address_row), KC_EVENTS_GROUP_DEFAULT_ADDRESS);
  update_rows (self);
  save (self);
}

static void
address_applied_cb (KcEventsGroup *self)
{
  if (self->settings != NULL)
    save (self);
}

/* An error shown goes as soon as the text is right; a new one waits for
 * apply, not to nag while typing */
static void
address_changed_cb (KcEventsGroup *self)
{
  g_autofree char *text = NULL;

  if (self->settings == NULL || !gtk_widget_get_visible (GTK_WIDGET (self->error_row)))
    return;
  text = entered_text (self);
  if (address_problem (text) == NULL)
    set_error (self, NULL);
}

static gboolean
has_unsaved_text (KcEventsGroup *self)
{
  g_autofree char *text = entered_text (self);
  g_autofree char *saved = g_settings_get_string (self->settings, "events-listen");

  return gtk_switch_get_active (self->events_switch) && strcmp (text, saved) != 0;
}

/* Leaving the row applies an edit, as in the rest of the window */
static void
address_left_cb (gpointer     owner,
                 AdwEntryRow *row)
{
  KcEventsGroup *self = owner;

  if (self->settings != NULL && has_unsaved_text (self))
    kc_entry_row_take_edit (self->address_row);
}

void
kc_events_group_set_settings (KcEventsGroup *self,
                              GSettings     *settings)
{
  g_autofree char *saved = NULL;

  g_return_if_fail (KC_IS_EVENTS_GROUP (self));

  g_set_object (&self->settings, settings);
  if (settings == NULL)
    return;
  saved = g_settings_get_string (settings, "events-listen");
  g_signal_handlers_block_by_func (self->events_switch, switch_toggled_cb, self);
  gtk_switch_set_active (self->events_switch, *saved != '\0');
  g_signal_handlers_unblock_by_func (self->events_switch, switch_toggled_cb, self);
  gtk_editable_set_text (GTK_EDITABLE (self->address_row),
                         *saved ? saved : KC_EVENTS_GROUP_DEFAULT_ADDRESS);
  update_rows (self);
}

void
kc_events_group_save (KcEventsGroup *self)
{
  g_return_if_fail (KC_IS_EVENTS_GROUP (self));

  if (self->settings != NULL && has_unsaved_text (self))
    save (self);
}

static void
kc_events_group_dispose (GObject *object)
{
  KcEventsGroup *self = KC_EVENTS_GROUP (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_EVENTS_GROUP);

  G_OBJECT_CLASS (kc_events_group_parent_class)->dispose (object);
}

static void
kc_events_group_class_init (KcEventsGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_events_group_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-events-group.ui");
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, events_switch);
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, address_row);
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, error_row);
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, error_label);
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, page_row);
  gtk_widget_class_bind_template_child (widget_class, KcEventsGroup, page_link);
  gtk_widget_class_bind_template_callback (widget_class, switch_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_changed_cb);
}

static void
kc_events_group_init (KcEventsGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kc_entry_row_watch_left (self->address_row, address_left_cb, self);
}
